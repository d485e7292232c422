from contextlib import AsyncExitStack

from fastapi import FastAPI

from enrolment.api import router
from enrolment.blobstore import blob_store_from_settings
from enrolment.config import Settings
from enrolment.cycles.snapshot import SnapshotCache
from enrolment.privacy import PersonalDataVault
from enrolment.schools import directory_schools
from enrolment.windows import utc_now
from shared.app import build_app
from shared.auth import KeySet

TAGS = [
    {
        "name": "public",
        "description": "Published cycles, schools and catchment look-up; no sign-in.",
    },
    {
        "name": "cycles",
        "description": "Cycles, offerings and catchments (city and district staff).",
    },
    {"name": "families", "description": "A parent's children, family facts and documents."},
    {
        "name": "applications",
        "description": "A parent's applications: draft, submit, withdraw, status.",
    },
    {"name": "review", "description": "Review queues and decisions (school and district staff)."},
    {
        "name": "admissions",
        "description": "Batch admissions: the verifiable lottery, runs and their review, "
        "publication, rosters, 调剂, and each family's result and offer.",
    },
    {
        "name": "stats",
        "description": "Statistics for supervision and other agencies (client scopes).",
    },
]


def create_app(settings: Settings | None = None, *, key_set: KeySet | None = None) -> FastAPI:
    settings = settings or Settings()

    async def startup(app: FastAPI, stack: AsyncExitStack) -> None:
        app.state.vault = PersonalDataVault.from_settings(settings)
        app.state.blobs = blob_store_from_settings(settings, app.state.http)
        app.state.snapshots = SnapshotCache(settings.cycle_cache_seconds)
        app.state.clock = utc_now
        app.state.schools = directory_schools(settings, app.state.http)

    return build_app(
        settings=settings,
        title="Xuezai enrolment",
        description="School enrolment registration (招生报名): cycles, family data, applications, review, admissions (学在·招生服务).",
        routers=[router],
        openapi_tags=TAGS,
        key_set=key_set,
        on_startup=startup,
    )
