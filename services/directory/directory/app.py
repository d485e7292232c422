from fastapi import FastAPI

from directory.api import router
from directory.config import Settings
from shared.app import build_app
from shared.auth import KeySet


def create_app(settings: Settings | None = None, *, key_set: KeySet | None = None) -> FastAPI:
    return build_app(
        settings=settings or Settings(),
        title="Xuezai directory",
        description="Organisations, people, roles, agency clients and token issuing (学在·目录服务).",
        routers=[router],
        openapi_tags=[{"name": "organizations", "description": "The organisation tree."}],
        key_set=key_set,
    )
