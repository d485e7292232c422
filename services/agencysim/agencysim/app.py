"""A stand-in for the other agencies' systems (public security, property registry, social
insurance), which do not exist here. It speaks real HTTP, answers from demo data, and can be
told to fail or be slow so that retries, timeouts and the circuit breaker can be exercised."""

from fastapi import APIRouter, FastAPI

from shared.errors import add_exception_handlers
from shared.middleware import RequestContextMiddleware


def create_app() -> FastAPI:
    app = FastAPI(
        title="Xuezai agency simulator",
        description="Simulated public-security, property-registry and social-insurance systems.",
        version="1.0.0",
    )
    add_exception_handlers(app)
    app.add_middleware(RequestContextMiddleware, service="agencysim")
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(router)
    return app
