"""Sliding-window rate limits in Redis, shared by every replica of every service.

A sorted set per key holds the timestamps of the requests in the window; one Lua script trims,
counts and adds atomically, so two replicas cannot both let the last request through. Unlike a
fixed window it has no boundary where twice the limit gets through.

When Redis is unreachable the limiter lets requests through and logs a warning: Redis is never
the system of record here, and an outage must not stop agencies or families. The limits that
protect secrets (staff lockout, SMS code tries and sends) live in PostgreSQL and hold anyway.
"""

import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis

log = structlog.get_logger("shared.ratelimit")

RATE_LIMIT_KEY = "xuezai:ratelimit:{name}"

_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, tostring(oldest[2])}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return {1, '0'}
"""


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    retry_after: int = 0
    # False when Redis could not be asked and the request was let through.
    enforced: bool = True


class RateLimiter:
    def __init__(self, redis: Redis | None, *, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.clock = clock

    async def hit(self, name: str, *, limit: int, window_seconds: float) -> RateDecision:
        """Count one request against `name`; refuse it if `limit` were exceeded in the window."""
        if self.redis is None:
            return RateDecision(True, enforced=False)
        now = self.clock()
        try:
            allowed, oldest = await self.redis.eval(  # type: ignore[misc]
                _SCRIPT,
                1,
                RATE_LIMIT_KEY.format(name=name),
                repr(now),
                repr(float(window_seconds)),
                str(limit),
                f"{now!r}:{uuid.uuid4().hex[:8]}",
            )
        except Exception as error:  # fail open: see the module docstring
            log.warning("rate_limit_unavailable", limit_name=name, error=str(error))
            return RateDecision(True, enforced=False)
        if int(allowed) == 1:
            return RateDecision(True)
        retry_after = max(1, math.ceil(float(oldest) + window_seconds - now))
        return RateDecision(False, retry_after=retry_after)

    async def check(self, name: str, *, limit: int, window_seconds: float) -> RateDecision:
        """Whether `name` is already at its limit, without counting this request (pair with
        `record`, to count only some outcomes, such as failures)."""
        if self.redis is None:
            return RateDecision(True, enforced=False)
        now = self.clock()
        key = RATE_LIMIT_KEY.format(name=name)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, "-inf", now - window_seconds)
                pipe.zcard(key)
                pipe.zrange(key, 0, 0, withscores=True)
                _, count, oldest = await pipe.execute()
        except Exception as error:  # fail open: see the module docstring
            log.warning("rate_limit_unavailable", limit_name=name, error=str(error))
            return RateDecision(True, enforced=False)
        if int(count) < limit:
            return RateDecision(True)
        first = float(oldest[0][1]) if oldest else now
        return RateDecision(False, retry_after=max(1, math.ceil(first + window_seconds - now)))

    async def record(self, name: str, *, window_seconds: float) -> None:
        if self.redis is None:
            return
        now = self.clock()
        key = RATE_LIMIT_KEY.format(name=name)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zadd(key, {f"{now!r}:{uuid.uuid4().hex[:8]}": now})
                pipe.pexpire(key, math.ceil(window_seconds * 1000))
                await pipe.execute()
        except Exception as error:
            log.warning("rate_limit_unavailable", limit_name=name, error=str(error))
