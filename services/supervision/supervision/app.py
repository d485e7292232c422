from fastapi import FastAPI

from shared.app import build_app
from shared.auth import KeySet
from supervision.api import router
from supervision.config import Settings


def create_app(settings: Settings | None = None, *, key_set: KeySet | None = None) -> FastAPI:
    return build_app(
        settings=settings or Settings(),
        title="Xuezai supervision",
        description="Education supervision (教育督导): frameworks, assessments, responsible inspectors, rectification (学在·督导服务).",
        routers=[router],
        openapi_tags=[{"name": "assessments", "description": "Assessments and campaigns."}],
        key_set=key_set,
    )
