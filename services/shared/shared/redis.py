"""The one Redis client an API process uses, for everything it asks Redis on a request:
revocation checks, rate limits, job enqueueing, the development SMS outbox.

Redis is never the system of record here, and every caller fails open or falls back to
PostgreSQL when it cannot be asked. What hurts is a Redis that hangs rather than refuses (a
paused or overloaded server accepts the connection and never answers): with the usual
seconds-long socket timeouts every request would wait them out, once per Redis call, and an
opening-day surge would pile up behind it. So every command and pipeline is bounded by a
hot-path timeout in tens of milliseconds, and a circuit breaker skips Redis altogether for a
while after a few failures in a row (then lets one trial call through).

`redis_breaker(app)` is the breaker (`state`, `opened_total`, `refused_total`) for operators'
metrics.
"""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import structlog
from arq.connections import ArqRedis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.breaker import CircuitBreaker

log = structlog.get_logger("shared.redis")

T = TypeVar("T")


class RedisUnavailable(RedisConnectionError):
    """Redis was not asked (circuit open) or did not answer in time. A `redis.ConnectionError`,
    so code that already handles Redis being down handles this too."""


class GuardedRedis(ArqRedis):
    """An `ArqRedis` whose every command and pipeline runs under the hot-path timeout and the
    circuit breaker."""

    def __init__(self, *, breaker: CircuitBreaker, timeout_seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.breaker = breaker
        self.timeout_seconds = timeout_seconds

    async def guarded(self, call: Awaitable[T], command: str) -> T:
        if not self.breaker.allow():
            if asyncio.iscoroutine(call):
                call.close()
            raise RedisUnavailable(f"Redis skipped: circuit {self.breaker.state} ({command})")
        try:
            result = await asyncio.wait_for(call, self.timeout_seconds)
        except (TimeoutError, RedisTimeoutError, RedisConnectionError, OSError) as error:
            self.breaker.failure()
            if self.breaker.state != "closed":
                log.warning("redis_circuit_open", command=command, error=type(error).__name__)
            raise RedisUnavailable(f"Redis did not answer {command}: {error!r}") from error
        except RedisError:
            self.breaker.success()  # it answered, with an error about the command
            raise
        self.breaker.success()
        return result

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        call = super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        return await self.guarded(call, str(args[0]))

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint, guard=self
        )


class GuardedPipeline(Pipeline):
    def __init__(self, *args: Any, guard: GuardedRedis, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard

    async def immediate_execute_command(self, *args: Any, **options: Any) -> Any:
        call = super().immediate_execute_command(*args, **options)  # type: ignore[no-untyped-call]
        return await self.guard.guarded(call, str(args[0]))

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        result: list[Any] = await self.guard.guarded(super().execute(raise_on_error), "pipeline")
        return result


def redis_breaker(app: Any) -> CircuitBreaker | None:
    """The breaker of an app's Redis client, for metrics and health pages."""
    redis = getattr(app.state, "redis", None)
    return redis.breaker if isinstance(redis, GuardedRedis) else None


def guarded_redis(
    url: str, *, timeout_seconds: float, breaker_failures: int, breaker_reset_seconds: float
) -> GuardedRedis:
    pool = ConnectionPool.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        # Retrying a command that timed out doubles the wait for nothing; the breaker decides.
        retry_on_timeout=False,
    )
    return GuardedRedis(
        connection_pool=pool,
        breaker=CircuitBreaker(failures=breaker_failures, reset_seconds=breaker_reset_seconds),
        timeout_seconds=timeout_seconds,
    )
