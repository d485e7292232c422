from fastapi import FastAPI

from enrolment.api import router
from enrolment.config import Settings
from shared.app import build_app
from shared.auth import KeySet


def create_app(settings: Settings | None = None, *, key_set: KeySet | None = None) -> FastAPI:
    return build_app(
        settings=settings or Settings(),
        title="Xuezai enrolment",
        description="School enrolment registration (招生报名): cycles, family data, applications, review, admissions (学在·招生服务).",
        routers=[router],
        openapi_tags=[{"name": "cycles", "description": "Enrolment cycles."}],
        key_set=key_set,
    )
