"""The few places this domain talks to arq directly, kept together.

A run's job id is deterministic per cycle and scope (`enrolment.admission.run:{cycle}:{scope}`),
so arq refuses a second copy while one is queued. When a worker dies mid-run, arq keeps the
job's keys until its in-progress lease runs out (the longest job timeout of the worker plus ten
seconds); a new run requested meanwhile would be refused under the same id. Once the run's
heartbeat shows the worker is gone, `forget_job` clears those keys so the new run can be queued.
"""

import structlog
from arq.connections import ArqRedis
from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.utils import timestamp_ms

log = structlog.get_logger("enrolment.admissions")


async def forget_job(redis: ArqRedis | None, job_id: str, queue_name: str) -> None:
    if redis is None:
        return
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.delete(
                job_key_prefix + job_id,
                in_progress_key_prefix + job_id,
                retry_key_prefix + job_id,
                result_key_prefix + job_id,
            )
            pipe.zrem(queue_name, job_id)
            pipe.zrem(abort_jobs_ss, job_id)
            await pipe.execute()
    except Exception as error:  # Redis down: the run is queued in PostgreSQL all the same
        log.warning("forget_job_failed", job_id=job_id, error=str(error))


async def request_abort(redis: ArqRedis | None, job_id: str) -> None:
    """What `arq.jobs.Job.abort` does, without waiting for the result: the worker cancels the
    job's task at its next poll (or refuses to start it)."""
    if redis is None:
        return
    try:
        await redis.zadd(abort_jobs_ss, {job_id: timestamp_ms()})
    except Exception as error:
        log.warning("abort_request_failed", job_id=job_id, error=str(error))


async def clear_abort(redis: ArqRedis | None, job_id: str) -> None:
    """Forget an abort request left over from a cancelled run, which would otherwise abort the
    next job queued under the same id before it starts."""
    if redis is None:
        return
    try:
        await redis.zrem(abort_jobs_ss, job_id)
    except Exception as error:
        log.warning("clear_abort_failed", job_id=job_id, error=str(error))
