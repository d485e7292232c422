"""A thin layer over arq: named tasks, typed job context, sessions per job, enqueue after commit.

Kept behind our own API (as Polar did in its arq years) so that jobs read the same everywhere
and a change of queue library stays mechanical.
"""

import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypedDict, TypeVar

import structlog
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Function, func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db import unit_of_work
from shared.jobs import (
    PendingJob,
    discard_pending_jobs,
    enqueue_after_commit,
    flush_pending_jobs,
    queue_name_for,
)

__all__ = [
    "JobContext",
    "PendingJob",
    "WorkerContext",
    "build_worker_settings",
    "discard_pending_jobs",
    "enqueue_after_commit",
    "flush_pending_jobs",
    "job_session",
    "queue_name_for",
    "task",
]

log = structlog.get_logger("shared.worker")

P = ParamSpec("P")
R = TypeVar("R")


class WorkerContext(TypedDict, total=False):
    redis: ArqRedis
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Any
    resources: dict[str, Any]


class JobContext(WorkerContext, total=False):
    job_id: str
    job_try: int
    enqueue_time: datetime
    score: int


def redis_settings_from_url(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 2
    settings.conn_retries = 2
    settings.conn_retry_delay = 1
    return settings


def task(
    name: str,
    *,
    timeout: float | None = None,
    max_tries: int | None = None,
    keep_result: float | None = None,
    quiet: bool = False,
) -> Callable[[Callable[Concatenate[JobContext, P], Awaitable[R]]], Function]:
    """Declare an arq job named `domain.verb`. Job arguments are ids and primitives only.

    `quiet` jobs (frequent housekeeping such as draining the outbox) log at debug level.
    """

    def decorator(coroutine: Callable[Concatenate[JobContext, P], Awaitable[R]]) -> Function:
        @functools.wraps(coroutine)
        async def run(ctx: JobContext, *args: P.args, **kwargs: P.kwargs) -> R:
            structlog.contextvars.bind_contextvars(job=name, job_id=ctx.get("job_id"))
            started = time.perf_counter()
            outcome = "failed"
            try:
                result = await coroutine(ctx, *args, **kwargs)
                outcome = "done"
                return result
            finally:
                elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
                if quiet and outcome == "done":
                    log.debug("job_finished", outcome=outcome, duration_ms=elapsed_ms)
                else:
                    log.info(
                        "job_finished",
                        outcome=outcome,
                        duration_ms=elapsed_ms,
                        attempt=ctx.get("job_try"),
                    )
                structlog.contextvars.unbind_contextvars("job", "job_id")

        return func(
            run,  # type: ignore[arg-type]
            name=name,
            timeout=timeout,
            max_tries=max_tries,
            keep_result=keep_result,
        )

    return decorator


@contextlib.asynccontextmanager
async def job_session(ctx: JobContext) -> AsyncIterator[AsyncSession]:
    """A unit of work inside a job: commit on success, roll back on error, then flush its jobs."""
    settings = ctx.get("settings")
    default_queue = queue_name_for(settings.service_name) if settings is not None else None
    async with unit_of_work(ctx["sessionmaker"], ctx.get("redis"), default_queue) as session:
        yield session


def function_names(functions: Sequence[Function]) -> list[str]:
    return [function.name for function in functions]


WorkerHook = Callable[[WorkerContext], Awaitable[None]]


def build_worker_settings(
    *,
    settings: Any,
    functions: Sequence[Function],
    cron_jobs: Sequence[Any] = (),
    on_startup: WorkerHook | None = None,
    on_shutdown: WorkerHook | None = None,
    max_jobs: int = 10,
    job_timeout: float = 300,
) -> type:
    """An arq `WorkerSettings` class for one service: its own queue, database and HTTP client."""
    import httpx

    from shared.db import create_engine, create_sessionmaker
    from shared.logging import configure_logging

    service: str = settings.service_name

    async def startup(ctx: WorkerContext) -> None:
        configure_logging(f"{service}.worker", level=settings.log_level, json=settings.log_json)
        # arq logs every job start and finish; our `task` wrapper logs what matters instead.
        logging.getLogger("arq.worker").setLevel(logging.WARNING)
        engine = create_engine(
            settings.database_url, application_name=f"{service}.worker", pool_size=5, max_overflow=5
        )
        ctx["engine"] = engine
        ctx["sessionmaker"] = create_sessionmaker(engine)
        ctx["settings"] = settings
        ctx["resources"] = {"http": httpx.AsyncClient(timeout=settings.http_timeout_seconds)}
        if on_startup is not None:
            await on_startup(ctx)
        log.info(
            "worker_started", queue=queue_name_for(service), functions=function_names(functions)
        )

    async def shutdown(ctx: WorkerContext) -> None:
        if on_shutdown is not None:
            await on_shutdown(ctx)
        await ctx["resources"]["http"].aclose()
        await ctx["engine"].dispose()

    attributes: dict[str, Any] = {
        "functions": list(functions),
        "cron_jobs": list(cron_jobs),
        "queue_name": queue_name_for(service),
        "redis_settings": redis_settings_from_url(settings.redis_url),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "max_jobs": max_jobs,
        "job_timeout": job_timeout,
        "keep_result": 3600,
        "health_check_interval": 30,
        "allow_abort_jobs": True,
    }
    return type("WorkerSettings", (), attributes)
