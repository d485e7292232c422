from contextlib import AsyncExitStack

from fastapi import FastAPI

from shared.app import build_app
from shared.auth import KeySet
from supervision.api import router
from supervision.config import Settings
from supervision.errors import add_text_error_handler
from supervision.evidence.storage import LocalBlobStore
from supervision.peers import build_peers

OPENAPI_TAGS = [
    {"name": "frameworks", "description": "Frameworks as versioned data; 专项督导 templates."},
    {"name": "school data", "description": "School statistics per year; 优质均衡 balance."},
    {"name": "assessments", "description": "Assessments and campaigns: targets, team, scores."},
    {"name": "evaluations", "description": "Stored results with their inputs and rules."},
    {"name": "inspectors", "description": "责任督学挂牌督导: register, assignments, visits."},
    {"name": "findings", "description": "问题清单 → 整改 → 复查 → 销号."},
    {"name": "accountability", "description": "问责台账 (《教育督导问责办法》)."},
    {"name": "alerts", "description": "Overdue visits and rectifications."},
    {"name": "disclosure", "description": "Approve → redact → publish; statistics."},
    {"name": "evidence", "description": "Photos and documents attached as evidence."},
    {"name": "public", "description": "Published results and open data; no sign-in."},
]


def create_app(settings: Settings | None = None, *, key_set: KeySet | None = None) -> FastAPI:
    settings = settings or Settings()

    async def startup(app: FastAPI, stack: AsyncExitStack) -> None:
        app.state.peers = build_peers(settings, app.state.http)
        app.state.blob_store = LocalBlobStore(settings.evidence_dir)

    app = build_app(
        settings=settings,
        title="Xuezai supervision",
        description=(
            "Education supervision (教育督导): frameworks, assessments, responsible inspectors, "
            "rectification and accountability, public disclosure (学在·督导服务)."
        ),
        routers=[router],
        openapi_tags=OPENAPI_TAGS,
        key_set=key_set,
        on_startup=startup,
    )
    add_text_error_handler(app)
    return app
