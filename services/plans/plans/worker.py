"""The plans worker: the daily 督办 scan, unit-name resolution, indicator pulls, the outbox.

Every job is idempotent: the scan records each ladder step under a unique key, resolution only
touches names still pending, pulls store a value only when it changed.
"""

import uuid
from datetime import date
from typing import Any

import structlog
from arq.cron import cron

from plans.clock import SHANGHAI, shanghai_today
from plans.config import Settings
from plans.indicators.pull import pull_enrolment_values
from plans.models import OutboxMessage, Plan
from plans.notifications.sender import use_sender
from plans.notifications.service import SEND_TOPIC, send_notification
from plans.oversight.ladder import Ladder
from plans.oversight.service import scan_deadlines
from plans.peers import directory_client, enrolment_client
from plans.units.repository import UnitNameRepository
from plans.units.resolution import UnitResolver
from plans.units.service import unit_service
from shared.tasks import outbox_jobs
from shared.worker import JobContext, WorkerContext, build_worker_settings, job_session, task

log = structlog.get_logger("plans.worker")

settings = Settings()


@task("plans.oversight.scan", timeout=600, max_tries=3)
async def scan(ctx: JobContext, today: str | None = None) -> dict[str, Any]:
    """Reminders T−7/T−3/T−1, yellow then red after the deadline, repeats while open."""
    day = date.fromisoformat(today) if today else ctx["resources"]["clock"]()
    async with job_session(ctx) as session:
        report = await scan_deadlines(
            session, today=day, ladder=Ladder.from_settings(ctx["settings"])
        )
    return {
        "today": day.isoformat(),
        "scanned": report.scanned,
        "steps": report.steps,
        "notifications": report.notifications,
    }


@task("plans.units.resolve", timeout=300, quiet=True)
async def resolve_units(ctx: JobContext) -> dict[str, int]:
    """Resolve the names the directory could not be asked about when their plan was made."""
    resolver = UnitResolver(ctx["resources"]["directory"])
    async with job_session(ctx) as session:
        plan_ids = await UnitNameRepository(session).plans_with_pending()
    totals = {"plans": 0, "resolved": 0, "unmatched": 0, "pending": 0}
    for plan_id in plan_ids:
        async with job_session(ctx) as session:
            plan = await session.get(Plan, plan_id)
            if plan is None:
                continue
            report = await unit_service.resolve_pending(session, plan, resolver)
        totals["plans"] += 1
        totals["resolved"] += report.resolved
        totals["unmatched"] += report.unmatched
        totals["pending"] += report.pending
        if report.pending:
            break  # the directory is down: try again next minute, not once per plan
    return totals


@task("plans.indicators.pull", timeout=600, max_tries=5)
async def pull_indicators(ctx: JobContext, indicator_id: str | None = None) -> dict[str, Any]:
    """Values other services compute (enrolment's statistics), over HTTP with a service token."""
    async with job_session(ctx) as session:
        report = await pull_enrolment_values(
            session,
            ctx["resources"]["enrolment"],
            today=ctx["resources"]["clock"](),
            city_code=ctx["settings"].city_code,
            indicator_id=uuid.UUID(indicator_id) if indicator_id else None,
        )
    return {
        "stored": report.stored,
        "unchanged": report.unchanged,
        "missing": report.missing,
        "failed": len(report.failed),
    }


async def startup(ctx: WorkerContext) -> None:
    current: Settings = ctx["settings"]
    use_sender(current.notification_sender)
    http = ctx["resources"]["http"]
    ctx["resources"].setdefault("clock", shanghai_today)
    ctx["resources"].setdefault("directory", directory_client(current, http))
    ctx["resources"].setdefault("enrolment", enrolment_client(current, http))


drain_outbox, drain_outbox_cron = outbox_jobs(
    "plans", OutboxMessage, handlers={SEND_TOPIC: send_notification}
)

FUNCTIONS = [drain_outbox, scan, resolve_units, pull_indicators]
CRON_JOBS = [
    drain_outbox_cron,
    # Business days are Shanghai days (the worker's timezone is set below): 07:30, before
    # people start work; at startup too, so a worker that was down catches up — idempotently.
    cron(scan.coroutine, name="plans.oversight.scan.cron", hour=7, minute=30, run_at_startup=True),
    cron(
        resolve_units.coroutine,
        name="plans.units.resolve.cron",
        second=0,
        run_at_startup=True,
        keep_result=0,
    ),
    cron(pull_indicators.coroutine, name="plans.indicators.pull.cron", hour=2, minute=15),
]


def worker_settings(current: Settings) -> type:
    built = build_worker_settings(
        settings=current, functions=FUNCTIONS, cron_jobs=CRON_JOBS, on_startup=startup
    )
    built.timezone = SHANGHAI  # type: ignore[attr-defined]
    return built


WorkerSettings = worker_settings(settings)
