from fastapi import FastAPI

from plans.api import router
from plans.config import Settings
from shared.app import build_app
from shared.auth import KeySet


def create_app(settings: Settings | None = None, *, key_set: KeySet | None = None) -> FastAPI:
    return build_app(
        settings=settings or Settings(),
        title="Xuezai plans",
        description="Development plans, tasks and their supervision (督办), indicators against targets (学在·规划服务).",
        routers=[router],
        openapi_tags=[{"name": "plans", "description": "Plans and their node tree."}],
        key_set=key_set,
    )
