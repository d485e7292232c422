"""The app factory every service uses: middleware, errors, health, metrics, lifespan resources."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from shared.auth import (
    CombinedKeySet,
    KeySet,
    RemoteKeySet,
    RevocationList,
    StaticKeySet,
    TokenVerifier,
)
from shared.db import create_engine, create_sessionmaker
from shared.errors import Problem, ServiceUnavailable, add_exception_handlers, problem_response
from shared.i18n import Text
from shared.logging import configure_logging
from shared.middleware import RequestContextMiddleware
from shared.redis import guarded_redis
from shared.settings import BaseServiceSettings

log = structlog.get_logger("shared.app")

StartupHook = Callable[[FastAPI, AsyncExitStack], Awaitable[None]]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


def operation_id(route: APIRoute) -> str:
    """Readable operation ids (`applications-submit`) for generated clients."""
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}-{route.name}"


def build_app(
    *,
    settings: BaseServiceSettings,
    title: str,
    description: str,
    version: str = "1.0.0",
    routers: Sequence[APIRouter],
    openapi_tags: list[dict[str, Any]] | None = None,
    key_set: KeySet | None = None,
    on_startup: StartupHook | None = None,
) -> FastAPI:
    service = settings.service_name
    configure_logging(service, level=settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = create_engine(
                settings.database_url,
                application_name=f"{service}.api",
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
            )
            stack.push_async_callback(engine.dispose)
            # The one client for every Redis call on a request (see shared.redis).
            redis = guarded_redis(
                settings.redis_url,
                timeout_seconds=settings.redis_timeout_seconds,
                breaker_failures=settings.redis_breaker_failures,
                breaker_reset_seconds=settings.redis_breaker_reset_seconds,
            )
            stack.push_async_callback(redis.aclose)
            http = httpx.AsyncClient(
                timeout=settings.http_timeout_seconds,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            )
            stack.push_async_callback(http.aclose)

            app.state.engine = engine
            app.state.sessionmaker = create_sessionmaker(engine)
            app.state.redis = redis
            app.state.arq_pool = redis
            app.state.http = http
            keys: KeySet = key_set or RemoteKeySet(
                f"{settings.directory_url}/.well-known/jwks.json",
                client=http,
                cache_seconds=settings.jwks_cache_seconds,
                refresh_min_seconds=settings.jwks_refresh_min_seconds,
            )
            if settings.trusted_jwks_file:
                trusted = _read_jwks(settings.trusted_jwks_file)
                keys = CombinedKeySet(StaticKeySet(trusted), keys)
            app.state.token_verifier = TokenVerifier(
                keys, issuer=settings.token_issuer, revocations=RevocationList(redis)
            )
            if on_startup is not None:
                await on_startup(app, stack)
            log.info("service_started", env=settings.env.value)
            yield

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=[
            *(openapi_tags or []),
            {"name": "health", "description": "Liveness, readiness and metrics."},
        ],
        generate_unique_id_function=operation_id,
        responses={},
    )
    app.state.settings = settings
    add_exception_handlers(app)
    app.add_middleware(
        RequestContextMiddleware, service=service, max_body_bytes=settings.max_body_bytes
    )
    for router in routers:
        app.include_router(router)
    app.include_router(health_router())
    return app


def _read_jwks(path: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return document


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness", response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz",
        summary="Readiness: PostgreSQL and Redis reachable",
        response_model=Health,
        responses={503: {"model": Problem, "description": "A dependency is unreachable"}},
    )
    async def readyz(request: Request) -> Response:
        checks = await readiness_checks(request.app)
        if all(value == "ok" for value in checks.values()):
            return Response(
                Health(status="ok", checks=checks).model_dump_json(), media_type="application/json"
            )
        error = ServiceUnavailable(
            Text(
                "未就绪：" + "，".join(f"{name} {value}" for name, value in checks.items()),
                "Not ready: " + ", ".join(f"{name} {value}" for name, value in checks.items()),
            )
        )
        return problem_response(error.to_problem())

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def readiness_checks(app: FastAPI) -> dict[str, str]:
    async def database() -> str:
        async with app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return "ok"

    async def redis() -> str:
        await app.state.redis.ping()
        return "ok"

    checks: dict[str, str] = {}
    for name, check in (("database", database), ("redis", redis)):
        try:
            checks[name] = await asyncio.wait_for(check(), timeout=2.0)
        except Exception as error:
            checks[name] = f"unreachable ({type(error).__name__})"
    return checks
