"""The enrolment worker: drains the outbox (agency verification, SMS) every five seconds."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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

settings = Settings()


class Runtime:
    """What the outbox handlers need; built once per worker process (or by a test)."""

    def __init__(self, vault: PersonalDataVault, adapters: dict[str, AgencyAdapter], sms: SmsSender) -> None:
        self.vault = vault
        self.adapters = adapters
        self.sms = sms


_runtime: Runtime | None = None


def handlers_for(runtime: Runtime) -> dict[str, OutboxHandler]:
    async def verify(session: AsyncSession, payload: dict[str, Any]) -> None:
        await run_check(session, runtime.vault, runtime.adapters, payload)

    async def notify(session: AsyncSession, payload: dict[str, Any]) -> None:
        await runtime.sms.send(session, payload)

    return {"enrolment.verification.check": verify, "enrolment.notification.sms": notify}


async def _verify(session: AsyncSession, payload: dict[str, Any]) -> None:
    assert _runtime is not None, "worker runtime not started"
    await handlers_for(_runtime)["enrolment.verification.check"](session, payload)


async def _notify(session: AsyncSession, payload: dict[str, Any]) -> None:
    assert _runtime is not None, "worker runtime not started"
    await handlers_for(_runtime)["enrolment.notification.sms"](session, payload)


drain_outbox, drain_outbox_cron = outbox_jobs(
    "enrolment",
    OutboxMessage,
    handlers={"enrolment.verification.check": _verify, "enrolment.notification.sms": _notify},
)


@task("enrolment.idempotency.purge", timeout=300, max_tries=1, keep_result=0, quiet=True)
async def purge_idempotency(ctx: JobContext) -> int:
    async with job_session(ctx) as session:
        return await purge_expired(session, IdempotencyRecord)


async def startup(ctx: WorkerContext) -> None:
    global _runtime
    _runtime = Runtime(
        PersonalDataVault.from_settings(settings),
        http_agencies(settings, ctx["resources"]["http"]),
        DevelopmentSmsSender(),
    )


def _purge_cron() -> Any:
    from arq.cron import cron

    return cron(purge_idempotency.coroutine, name="enrolment.idempotency.purge.cron", minute={17}, unique=True, keep_result=0)


WorkerSettings = build_worker_settings(
    settings=settings,
    functions=[drain_outbox, purge_idempotency],
    cron_jobs=[drain_outbox_cron, _purge_cron()],
    on_startup=startup,
)
