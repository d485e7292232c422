"""One pure-ASGI middleware for request id, language, metrics and the access log.

Pure ASGI rather than `BaseHTTPMiddleware`: it costs nothing per request that we do not use and
does not break streaming responses or contextvars.
"""

import re
import time
import uuid

import structlog
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.context import current_request_id
from shared.errors import InternalError, PayloadTooLarge, problem_response
from shared.i18n import Text, current_language, language_from_header

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

REQUESTS = Counter(
    "xuezai_http_requests_total",
    "HTTP requests handled",
    ["service", "method", "route", "status"],
)
LATENCY = Histogram(
    "xuezai_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

access_log = structlog.get_logger("access")
error_log = structlog.get_logger("shared.errors")


def _too_large(limit: int) -> Text:
    megabytes = limit / 1024 / 1024
    return Text(f"请求体超过 {megabytes:g} MB 上限", f"The request body exceeds {megabytes:g} MB")


def route_template(scope: Scope) -> str:
    """`/v1/cycles/{cycle_id}` for metrics and logs: no ids or personal data in label values."""
    # FastAPI ≥ 0.16x keeps included routers nested and records the full route in its own scope
    # entry; `scope["route"]` then holds the path relative to the router.
    effective = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path", None)
    return str(template) if template else "unmatched"


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, service: str, max_body_bytes: int = 20 * 1024 * 1024
    ) -> None:
        self.app = app
        self.service = service
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = {key.decode("latin-1"): value for key, value in scope["headers"]}
        incoming_id = headers.get(REQUEST_ID_HEADER, b"").decode("latin-1")
        request_id = incoming_id if _VALID_REQUEST_ID.match(incoming_id) else uuid.uuid4().hex
        language = language_from_header(headers.get("accept-language", b"").decode("latin-1"))

        id_token = current_request_id.set(request_id)
        language_token = current_language.set(language)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status_code = 500
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
                if language == "en":
                    message["headers"].append((b"content-language", b"en"))
                else:
                    message["headers"].append((b"content-language", b"zh-CN"))
            await send(message)

        response_started = False

        async def send_tracking(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send_with_request_id(message)

        declared_length = headers.get("content-length", b"")
        received = 0
        refused = False

        async def refuse_too_large() -> None:
            nonlocal refused
            refused = True
            error = PayloadTooLarge(_too_large(self.max_body_bytes))
            await problem_response(error.to_problem())(scope, receive, send_tracking)

        async def receive_limited() -> Message:
            # Bodies without a Content-Length (chunked) are counted as they arrive; past the limit
            # we answer 413 ourselves and tell the app the client has gone.
            nonlocal received
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes and not response_started:
                    await refuse_too_large()
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message: Message) -> None:
            if not refused:
                await send_tracking(message)

        try:
            if declared_length.isdigit() and int(declared_length) > self.max_body_bytes:
                await refuse_too_large()
                return
            await self.app(scope, receive_limited, send_unless_refused)
        except Exception as error:
            if refused:  # the app gave up on the body we cut off; the 413 is already out
                return
            # Inside this middleware (not Starlette's outermost error handler), so the 500 problem
            # still carries the request id and reaches the metrics and the access log.
            if response_started:
                raise
            error_log.exception("unhandled_error", error=type(error).__name__)
            response = problem_response(InternalError().to_problem())
            await response(scope, receive, send_tracking)
        finally:
            elapsed = time.perf_counter() - started
            route_path = route_template(scope)
            method = scope["method"]
            REQUESTS.labels(self.service, method, route_path, str(status_code)).inc()
            LATENCY.labels(self.service, method, route_path).observe(elapsed)
            if route_path not in ("/healthz", "/readyz", "/metrics"):
                access_log.info(
                    "request",
                    method=method,
                    route=route_path,
                    status=status_code,
                    duration_ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id", "principal")
            current_request_id.reset(id_token)
            current_language.reset(language_token)
