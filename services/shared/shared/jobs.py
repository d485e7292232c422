"""Jobs queued during a unit of work reach Redis only after it commits (and never if it rolls
back), so a worker never looks for a row that is not there yet."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger("shared.jobs")

PENDING_JOBS_KEY = "xuezai.pending_jobs"


@dataclass(frozen=True, slots=True)
class PendingJob:
    function: str
    args: tuple[Any, ...]
    job_id: str | None
    queue_name: str | None
    defer_by: timedelta | None
    kwargs: dict[str, Any] = field(default_factory=dict)


def enqueue_after_commit(
    session: AsyncSession,
    function: str,
    *args: Any,
    job_id: str | None = None,
    queue_name: str | None = None,
    defer_by: timedelta | None = None,
    **kwargs: Any,
) -> None:
    """Queue a job that reaches Redis only once this session's transaction has committed.

    Best effort: if Redis is down the job is lost. Work that must not be lost goes through the
    outbox instead (`shared.outbox.add_message`).
    """
    pending: list[PendingJob] = session.info.setdefault(PENDING_JOBS_KEY, [])
    pending.append(PendingJob(function, args, job_id, queue_name, defer_by, kwargs))


def discard_pending_jobs(session: AsyncSession) -> None:
    session.info.pop(PENDING_JOBS_KEY, None)


def queue_name_for(service: str) -> str:
    return f"xuezai:{service}"


async def flush_pending_jobs(
    session: AsyncSession, pool: ArqRedis | None, default_queue: str | None = None
) -> None:
    """`default_queue` is where jobs go that name no queue: the service's own (arq's global
    default queue is read by no worker of ours)."""
    pending: list[PendingJob] = session.info.pop(PENDING_JOBS_KEY, [])
    if not pending:
        return
    if pool is None:
        log.warning("jobs_dropped_no_redis", count=len(pending))
        return
    for job in pending:
        try:
            await pool.enqueue_job(
                job.function,
                *job.args,
                _job_id=job.job_id,
                _queue_name=job.queue_name or default_queue,
                _defer_by=job.defer_by,
                **job.kwargs,
            )
        except Exception as error:  # Redis down: the committed data stays; the job is late or lost.
            log.warning("job_enqueue_failed", function=job.function, error=str(error))
