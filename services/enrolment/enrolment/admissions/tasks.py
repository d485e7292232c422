"""The admission jobs on the enrolment worker.

- `enrolment.admission.run` (job id `enrolment.admission.run:{cycle}:{scope}`): runs the newest
  queued or running run of a cycle's scope; arq retries it if the worker dies, and the retry
  starts the run over (nothing of the dead attempt was committed but its progress).
- `enrolment.admission.publish` (deferred to the publication time) and a per-minute cron that
  publishes whatever is due: both idempotent, so either may come first, or twice.
"""

import uuid
from typing import Any

from arq.cron import cron

from enrolment.admissions.publication import publish_run, runs_due
from enrolment.admissions.runner import RUN_JOB, AdmissionRunner
from enrolment.admissions.service import PUBLISH_JOB
from enrolment.privacy import PersonalDataVault
from enrolment.windows import utc_now
from shared.worker import JobContext, job_session, task


def _vault(ctx: JobContext) -> PersonalDataVault:
    return PersonalDataVault.from_settings(ctx["settings"])


@task(RUN_JOB, timeout=900, max_tries=5, keep_result=0)
async def run_admission(ctx: JobContext, cycle_id: str, scope: str) -> dict[str, Any]:
    settings = ctx["settings"]
    runner = AdmissionRunner(
        ctx["sessionmaker"],
        _vault(ctx),
        phase_delay_seconds=float(getattr(settings, "admission_phase_delay_seconds", 0.0)),
    )
    return await runner.run(uuid.UUID(cycle_id), scope)


@task(PUBLISH_JOB, timeout=600, max_tries=5, keep_result=0)
async def publish(ctx: JobContext, run_id: str) -> dict[str, Any]:
    async with job_session(ctx) as session:
        report = await publish_run(session, _vault(ctx), uuid.UUID(run_id), utc_now())
    return {"run_id": run_id, "published": report.published, "applications": report.applications}


@task("enrolment.admission.publish_due", timeout=600, max_tries=1, keep_result=0, quiet=True)
async def publish_due(ctx: JobContext) -> dict[str, Any]:
    async with job_session(ctx) as session:
        due = await runs_due(session, utc_now())
    published = []
    for run_id in due:
        async with job_session(ctx) as session:
            report = await publish_run(session, _vault(ctx), run_id, utc_now())
        if report.published:
            published.append(str(run_id))
    return {"published": published}


publish_due_cron = cron(
    publish_due.coroutine,
    name="enrolment.admission.publish_due.cron",
    second={30},
    unique=True,
    keep_result=0,
)
