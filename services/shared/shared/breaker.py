"""A circuit breaker: after a few failures in a row, stop calling for a while.

closed → (`failures` in a row) → open: calls are refused at once for `reset_seconds` →
half-open: one trial call at a time → closed on success, open again on failure.

The counters are for operators' metrics: how often it opened and how many calls it spared.
"""

import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(
        self, *, failures: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial_started_at: float | None = None
        self.opened_total = 0
        self.refused_total = 0

    @property
    def state(self) -> BreakerState:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.reset_seconds else "open"

    def allow(self) -> bool:
        """Whether to make this call; in half-open state, one trial at a time (a trial that
        never reports back is given up after `reset_seconds`)."""
        state = self.state
        if state == "closed":
            return True
        now = self.clock()
        if state == "half_open" and (
            self._trial_started_at is None or now - self._trial_started_at >= self.reset_seconds
        ):
            self._trial_started_at = now
            return True
        self.refused_total += 1
        return False

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None
        self._trial_started_at = None

    def failure(self) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.threshold:
            if self.state == "closed":
                self.opened_total += 1
            self.opened_at = self.clock()
            self._trial_started_at = None
