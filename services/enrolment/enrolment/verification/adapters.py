"""Adapters to other agencies' systems: timeouts, retries with backoff, a circuit breaker.

Each adapter turns one question ("is this child's 户籍 what the family says?") into an HTTP
call and the answer into an `AgencyAnswer` without personal numbers. When an agency keeps
failing, its breaker opens and calls fail at once (`AgencyUnavailable`) until a trial call after
`reset_seconds` succeeds; the outbox retries the check later, so nothing is lost meanwhile.
"""

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import structlog

from shared.breaker import CircuitBreaker

__all__ = ["AgencyAdapter", "AgencyAnswer", "AgencyUnavailable", "CircuitBreaker", "HttpAgency"]

log = structlog.get_logger("enrolment.verification")


class AgencyUnavailable(Exception):
    """The agency did not answer usefully (down, slow, 5xx, breaker open): try again later."""


@dataclass(frozen=True, slots=True)
class AgencyAnswer:
    outcome: str  # matched | mismatch | not_found
    details: dict[str, Any] = field(default_factory=dict)


class AgencyAdapter(Protocol):
    name: str

    async def check(self, request: dict[str, Any]) -> AgencyAnswer: ...


class HttpAgency:
    """POST a JSON question to one agency endpoint; 200 → answer, 404 → not found."""

    def __init__(
        self,
        *,
        name: str,
        url: str,
        http: httpx.AsyncClient,
        timeout: float,
        attempts: int,
        backoff: float,
        breaker: CircuitBreaker,
    ) -> None:
        self.name = name
        self.url = url
        self.http = http
        self.timeout = timeout
        self.attempts = max(attempts, 1)
        self.backoff = backoff
        self.breaker = breaker

    async def check(self, request: dict[str, Any]) -> AgencyAnswer:
        last_error = "no attempt"
        for attempt in range(1, self.attempts + 1):
            if not self.breaker.allow():
                raise AgencyUnavailable(
                    f"{self.name}: circuit open after {self.breaker.failures} failures"
                )
            try:
                response = await self.http.post(self.url, json=request, timeout=self.timeout)
            except httpx.HTTPError as error:
                last_error = f"{type(error).__name__}: {error}"
            else:
                if response.status_code == 404:
                    self.breaker.success()
                    return AgencyAnswer("not_found", {})
                if response.status_code == 200:
                    self.breaker.success()
                    body = response.json()
                    return AgencyAnswer(
                        str(body.get("outcome", "mismatch")), dict(body.get("details") or {})
                    )
                last_error = f"HTTP {response.status_code}"
                if 400 <= response.status_code < 500 and response.status_code != 429:
                    # Our question was wrong: retrying will not help, and the agency is fine.
                    self.breaker.success()
                    raise AgencyUnavailable(f"{self.name}: rejected ({last_error})")
            self.breaker.failure()
            log.warning("agency_call_failed", agency=self.name, attempt=attempt, error=last_error)
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1) * (0.5 + random.random()))
        raise AgencyUnavailable(f"{self.name}: {last_error}")


AGENCY_PATHS = {
    "public_security": "/v1/public-security/hukou-checks",
    "property_registry": "/v1/property-registry/title-checks",
    "social_insurance": "/v1/social-insurance/contribution-checks",
}


def http_agencies(settings: Any, http: httpx.AsyncClient) -> dict[str, AgencyAdapter]:
    base = str(settings.agencysim_url).rstrip("/")
    return {
        name: HttpAgency(
            name=name,
            url=base + path,
            http=http,
            timeout=settings.agency_timeout_seconds,
            attempts=settings.agency_attempts,
            backoff=settings.agency_backoff_seconds,
            breaker=CircuitBreaker(
                failures=settings.agency_breaker_failures,
                reset_seconds=settings.agency_breaker_reset_seconds,
            ),
        )
        for name, path in AGENCY_PATHS.items()
    }
