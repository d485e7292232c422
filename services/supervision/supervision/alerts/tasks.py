"""The daily alert scan as an arq job; the cron entry runs it hourly so a worker that was down
at night still scans that day, and the per-day record makes the extra runs no-ops."""

from datetime import date
from typing import Any

from arq.cron import CronJob, cron

from shared.worker import JobContext, job_session, task
from supervision import clock
from supervision.alerts.service import alert_service

SCAN_JOB = "supervision.alerts.scan"


@task(SCAN_JOB, timeout=600, max_tries=3)
async def scan_alerts(ctx: JobContext, day: str | None = None) -> dict[str, Any]:
    target = date.fromisoformat(day) if day else clock.today()
    async with job_session(ctx) as session:
        return await alert_service.scan(session, ctx["settings"], target)


scan_alerts_cron: CronJob = cron(
    scan_alerts.coroutine,
    name=f"{SCAN_JOB}.cron",
    minute=7,
    second=0,
    run_at_startup=True,
    unique=True,
    timeout=600,
    keep_result=0,
)
