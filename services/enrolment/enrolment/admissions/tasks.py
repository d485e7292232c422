"""The admission jobs on the enrolment worker.

- `enrolment.admission.run` (job id `enrolment.admission.run:{cycle}:{scope}`): runs the newest
  queued or running run of a cycle's scope; arq retries it if the worker dies, and the retry
  starts the run over (nothing of the dead attempt was committed but its progress).
- `enrolment.admission.publish` (deferred to the publication time) and a per-minute sweep that
  publishes whatever is due (both idempotent, so either may come first, or twice) and queues
  again any run whose job never reached Redis.
"""

import uuid
from datetime import timedelta
from typing import Any

from arq.cron import cron

from enrolment.admissions.publication import publish_run, runs_due
from enrolment.admissions.repository import RunRepository
from enrolment.admissions.runner import RUN_JOB, AdmissionRunner, run_job_id
from enrolment.admissions.service import PUBLISH_JOB
from enrolment.privacy import PersonalDataVault
from enrolment.windows import utc_now
from shared.worker import JobContext, job_session, queue_name_for, task

MAX_RUNS_PER_JOB = 5
STRANDED_SECONDS = 60


def _vault(ctx: JobContext) -> PersonalDataVault:
    return PersonalDataVault.from_settings(ctx["settings"])


@task(RUN_JOB, timeout=900, max_tries=5, keep_result=0)
async def run_admission(ctx: JobContext, cycle_id: str, scope: str) -> dict[str, Any]:
    settings = ctx["settings"]
    reports = []
    # A run requested while this job was finishing could not be queued under the same job id
    # (arq still held it): run whatever is waiting for the scope before letting go.
    for _ in range(MAX_RUNS_PER_JOB):
        runner = AdmissionRunner(
            ctx["sessionmaker"],
            _vault(ctx),
            phase_delay_seconds=float(getattr(settings, "admission_phase_delay_seconds", 0.0)),
        )
        report = await runner.run(uuid.UUID(cycle_id), scope)
        if report["status"] == "idle":
            break
        reports.append(report)
    return {"runs": reports}


@task(PUBLISH_JOB, timeout=600, max_tries=5, keep_result=0)
async def publish(ctx: JobContext, run_id: str) -> dict[str, Any]:
    async with job_session(ctx) as session:
        report = await publish_run(session, _vault(ctx), uuid.UUID(run_id), utc_now())
    return {"run_id": run_id, "published": report.published, "applications": report.applications}


@task("enrolment.admission.sweep", timeout=600, max_tries=1, keep_result=0, quiet=True)
async def sweep(ctx: JobContext) -> dict[str, Any]:
    """Every minute: publish what is due (if Redis lost the deferred job) and queue again the
    runs whose job never reached Redis (it was down when they were requested)."""
    now = utc_now()
    async with job_session(ctx) as session:
        due = await runs_due(session, now)
        stranded = await RunRepository(session).stranded(now - timedelta(seconds=STRANDED_SECONDS))
    published = []
    for run_id in due:
        async with job_session(ctx) as session:
            report = await publish_run(session, _vault(ctx), run_id, utc_now())
        if report.published:
            published.append(str(run_id))
    for cycle_id, scope in stranded:
        # The deterministic id makes this a no-op while the job is still queued.
        await ctx["redis"].enqueue_job(
            RUN_JOB,
            str(cycle_id),
            scope,
            _job_id=run_job_id(cycle_id, scope),
            _queue_name=queue_name_for("enrolment"),
        )
    return {"published": published, "requeued": len(stranded)}


sweep_cron = cron(
    sweep.coroutine,
    name="enrolment.admission.sweep.cron",
    second={30},
    unique=True,
    keep_result=0,
)
