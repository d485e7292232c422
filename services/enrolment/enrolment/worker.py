"""The enrolment worker: drains the outbox (agency verification, SMS) every five seconds,
purges expired idempotency records hourly, runs batch admissions and publishes their results
(at the scheduled time, with a per-minute catch-up)."""

from typing import Any

from arq.cron import cron
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.admissions.tasks import publish, run_admission, sweep, sweep_cron
from enrolment.config import Settings
from enrolment.models import IdempotencyRecord, OutboxMessage
from enrolment.notifications import DevelopmentSmsSender, SmsSender
from enrolment.privacy import PersonalDataVault
from enrolment.verification.adapters import AgencyAdapter, http_agencies
from enrolment.verification.service import run_check
from shared.idempotency import purge_expired
from shared.outbox import OutboxHandler
from shared.tasks import outbox_jobs
from shared.worker import JobContext, WorkerContext, build_worker_settings, job_session, task

VERIFICATION_TOPIC = "enrolment.verification.check"
NOTIFICATION_TOPIC = "enrolment.notification.sms"


class Runtime:
    """What the outbox handlers need; built once per worker process (or by a test)."""

    def __init__(
        self, vault: PersonalDataVault, adapters: dict[str, AgencyAdapter], sms: SmsSender
    ) -> None:
        self.vault = vault
        self.adapters = adapters
        self.sms = sms


def handlers_for(runtime: Runtime) -> dict[str, OutboxHandler]:
    async def verify(session: AsyncSession, payload: dict[str, Any]) -> None:
        await run_check(session, runtime.vault, runtime.adapters, payload)

    async def notify(session: AsyncSession, payload: dict[str, Any]) -> None:
        await runtime.sms.send(session, payload)

    return {VERIFICATION_TOPIC: verify, NOTIFICATION_TOPIC: notify}


# The arq job functions are module-level, so the handlers reach the runtime through this slot,
# filled by the worker's startup hook.
_current: dict[str, Runtime] = {}


def _dispatch(topic: str) -> OutboxHandler:
    async def handle(session: AsyncSession, payload: dict[str, Any]) -> None:
        runtime = _current.get("runtime")
        if runtime is None:
            raise RuntimeError("the enrolment worker runtime has not started")
        await handlers_for(runtime)[topic](session, payload)

    return handle


drain_outbox, drain_outbox_cron = outbox_jobs(
    "enrolment",
    OutboxMessage,
    handlers={topic: _dispatch(topic) for topic in (VERIFICATION_TOPIC, NOTIFICATION_TOPIC)},
)


@task("enrolment.idempotency.purge", timeout=300, max_tries=1, keep_result=0, quiet=True)
async def purge_idempotency(ctx: JobContext) -> int:
    async with job_session(ctx) as session:
        return await purge_expired(session, IdempotencyRecord)


purge_idempotency_cron = cron(
    purge_idempotency.coroutine,
    name="enrolment.idempotency.purge.cron",
    minute={17},
    second={0},
    unique=True,
    keep_result=0,
)


def make_worker_settings(settings: Settings) -> type:
    async def startup(ctx: WorkerContext) -> None:
        _current["runtime"] = Runtime(
            PersonalDataVault.from_settings(settings),
            http_agencies(settings, ctx["resources"]["http"]),
            DevelopmentSmsSender(),
        )

    return build_worker_settings(
        settings=settings,
        functions=[drain_outbox, purge_idempotency, run_admission, publish, sweep],
        cron_jobs=[drain_outbox_cron, purge_idempotency_cron, sweep_cron],
        on_startup=startup,
    )


WorkerSettings = make_worker_settings(Settings())
