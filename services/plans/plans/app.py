from contextlib import AsyncExitStack

from fastapi import FastAPI

from plans.api import router
from plans.config import Settings
from plans.notifications.sender import use_sender
from plans.peers import directory_client
from shared.app import build_app
from shared.auth import KeySet

TAGS = [
    {"name": "plans", "description": "Plans, their node tree and versions."},
    {"name": "imports", "description": "Policy text → editable preview → plan."},
    {"name": "units", "description": "Responsible-unit names and their directory organisations."},
    {"name": "progress", "description": "Tasks, progress reports, reviews and extensions (督办)."},
    {
        "name": "progress views",
        "description": "Progress by unit and key work, bulletins, to-do lists, the inbox.",
    },
    {"name": "indicators", "description": "Indicators, targets, values, attainment, charts."},
]


def create_app(settings: Settings | None = None, *, key_set: KeySet | None = None) -> FastAPI:
    settings = settings or Settings()
    use_sender(settings.notification_sender)

    async def on_startup(app: FastAPI, stack: AsyncExitStack) -> None:
        app.state.directory = directory_client(settings, app.state.http)

    return build_app(
        settings=settings,
        title="Xuezai plans",
        description="Development plans, tasks and their supervision (督办), indicators against targets (学在·规划服务).",
        routers=[router],
        openapi_tags=TAGS,
        key_set=key_set,
        on_startup=on_startup,
    )
