from contextlib import AsyncExitStack
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI

from directory.api import development_router, router, well_known_router
from directory.auth.sms import DevelopmentSmsSender, HttpSmsSender
from directory.clients.service import client_service
from directory.config import Settings
from directory.keys.service import LocalKeySet
from directory.runtime import Runtime
from shared.app import build_app
from shared.auth import KeySet
from shared.db import create_sessionmaker
from shared.settings import Environment

log = structlog.get_logger("directory.app")

OPENAPI_TAGS = [
    {"name": "auth", "description": "Tokens (OAuth2), SMS sign-in codes, sign-out, who am I."},
    {"name": "organizations", "description": "The organisation tree, search and bulk look-up."},
    {"name": "organization groups", "description": "Collective phrases (各县区人民政府)."},
    {"name": "users", "description": "Staff and inspector accounts and their role grants."},
    {"name": "clients", "description": "Agency clients (OAuth2 client credentials)."},
    {"name": "keys", "description": "Token-signing keys and the public JWKS."},
    {"name": "audit", "description": "The audit log, for city admins."},
]


def create_app(settings: Settings | None = None, *, key_set: KeySet | None = None) -> FastAPI:
    """`key_set`, when given, is trusted besides the directory's own keys (tests pass their
    issuer's); the directory always verifies its own tokens from its database."""
    settings = settings or Settings()
    runtime = Runtime.from_settings(settings)
    app: FastAPI

    async def on_startup(app: FastAPI, stack: AsyncExitStack) -> None:
        runtime.redis = app.state.redis
        if settings.sms_gateway_url:
            runtime.sms = HttpSmsSender(settings.sms_gateway_url, app.state.http)
        else:
            runtime.sms = DevelopmentSmsSender(
                app.state.redis, keep_outbox=settings.env != Environment.production
            )
            if settings.env == Environment.production:
                log.warning(
                    "sms_gateway_missing",
                    hint="set DIRECTORY_SMS_GATEWAY_URL: parents cannot receive sign-in codes",
                )
        # Every replica runs this; both steps take an advisory lock and are idempotent.
        async with create_sessionmaker(app.state.engine)() as session, session.begin():
            created = await runtime.keys.ensure(session, datetime.now(UTC))
            changed = await client_service.ensure_service_clients(session, runtime)
        log.info(
            "directory_ready",
            signing_key_created=created.id if created else None,
            service_clients_changed=changed,
        )

    local_keys = LocalKeySet(
        lambda: app.state.sessionmaker,
        runtime.keys,
        # Keys are published ahead of use, so a short throttle never hides a new one.
        refresh_min_seconds=min(1.0, settings.jwks_refresh_min_seconds),
        also_trusted=key_set,
    )
    routers = [router]
    if settings.env != Environment.production:
        routers.append(development_router)
    app = build_app(
        settings=settings,
        title="Xuezai directory",
        description=(
            "Organisations, people, roles, agency clients and token issuing (学在·目录服务). "
            "The only token issuer: every service verifies its tokens with "
            "`/.well-known/jwks.json`."
        ),
        routers=routers,
        openapi_tags=OPENAPI_TAGS,
        key_set=local_keys,
        on_startup=on_startup,
    )
    app.include_router(well_known_router)
    app.state.directory = runtime
    return app
