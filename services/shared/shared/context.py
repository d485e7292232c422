"""Per-request context shared by logging, errors and outgoing HTTP calls."""

from contextvars import ContextVar

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
