"""Jobs every service's worker runs: draining its outbox."""

from collections.abc import Mapping
from typing import Any

from arq.cron import CronJob, cron
from arq.worker import Function

from shared.outbox import DrainReport, OutboxHandler, OutboxMessageMixin, drain
from shared.worker import JobContext, task

# Every five seconds: an outbox message waits at most this long after Redis comes back.
DRAIN_SECONDS = set(range(0, 60, 5))


def outbox_jobs(
    service: str,
    model: type[OutboxMessageMixin],
    handlers: Mapping[str, OutboxHandler],
) -> tuple[Function, CronJob]:
    """The `<service>.outbox.drain` job and the cron entry that runs it."""

    @task(f"{service}.outbox.drain", timeout=600, max_tries=1, keep_result=0, quiet=True)
    async def drain_outbox(ctx: JobContext) -> dict[str, Any]:
        total = DrainReport(0, 0, 0)
        # Keep draining while full batches come back, so a backlog clears in one run.
        while True:
            report = await drain(ctx["sessionmaker"], model, handlers)
            total = DrainReport(
                total.processed + report.processed,
                total.retried + report.retried,
                total.failed + report.failed,
            )
            if report.processed + report.retried + report.failed == 0:
                break
        return {"processed": total.processed, "retried": total.retried, "failed": total.failed}

    cron_job = cron(
        drain_outbox.coroutine,
        name=f"{service}.outbox.drain.cron",
        second=DRAIN_SECONDS,
        run_at_startup=True,
        unique=True,
        timeout=600,
        keep_result=0,
    )
    return drain_outbox, cron_job
