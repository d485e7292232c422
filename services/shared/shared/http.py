"""HTTP between services: timeouts, retries for idempotent calls, request-id and service-token
propagation, and the peer's errors mapped to our own problem documents."""

import asyncio
import time
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from shared.context import current_request_id
from shared.errors import AppError, UpstreamError, UpstreamUnavailable
from shared.i18n import Text

log = structlog.get_logger("shared.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class TokenSource(Protocol):
    async def token(self) -> str | None: ...


class NoToken:
    async def token(self) -> str | None:
        return None


class StaticToken:
    def __init__(self, value: str) -> None:
        self.value = value

    async def token(self) -> str | None:
        return self.value


class ClientCredentialsToken:
    """An OAuth2 client-credentials token from the directory, cached until shortly before expiry."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None = None,
        http: httpx.AsyncClient,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.http = http
        self._value: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str | None:
        if self._value and time.monotonic() < self._expires_at:
            return self._value
        async with self._lock:
            if self._value and time.monotonic() < self._expires_at:
                return self._value
            form = {"grant_type": "client_credentials"}
            if self.scope:
                form["scope"] = self.scope
            try:
                response = await self.http.post(
                    self.token_url,
                    data=form,
                    auth=(self.client_id, self.client_secret),
                    timeout=5.0,
                )
            except httpx.HTTPError as error:
                raise UpstreamUnavailable(
                    Text(
                        "无法从目录服务获取服务令牌",
                        "Could not get a service token from the directory",
                    )
                ) from error
            if response.status_code != 200:
                raise UpstreamError(
                    Text(
                        "目录服务拒绝签发服务令牌", "The directory refused to issue a service token"
                    )
                )
            body = response.json()
            self._value = str(body["access_token"])
            self._expires_at = time.monotonic() + max(float(body.get("expires_in", 60)) - 30, 5)
            return self._value


class UpstreamRejected(AppError):
    """The peer answered with a 4xx problem; we pass its status and code on."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "upstream.rejected"
    title: ClassVar[Text] = Text(
        "依赖的服务拒绝了请求", "A service this depends on rejected the request"
    )

    def __init__(self, status: int, peer_problem: Mapping[str, Any], peer: str) -> None:
        super().__init__(
            Text(
                f"{peer}：{peer_problem.get('detail') or peer_problem.get('title') or status}",
                f"{peer}: {peer_problem.get('detail') or peer_problem.get('title') or status}",
            )
        )
        self.peer_status = status
        self.peer_problem = dict(peer_problem)

    def to_problem(self) -> Any:
        problem = super().to_problem()
        problem.status = self.peer_status
        problem.code = str(self.peer_problem.get("code") or f"upstream.http_{self.peer_status}")
        return problem


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, httpx.TransportError | _RetryableStatus)


class ServiceClient:
    """Base of the typed clients each service uses to reach another."""

    def __init__(
        self,
        *,
        peer: str,
        base_url: str,
        http: httpx.AsyncClient,
        token_source: TokenSource | None = None,
        timeout: float = 5.0,
        retries: int = 3,
    ) -> None:
        self.peer = peer
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.token_source = token_source or NoToken()
        self.timeout = timeout
        self.retries = retries

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        retry: bool | None = None,
    ) -> httpx.Response:
        """`retry` overrides the default (retry idempotent methods and keyed POSTs), e.g. for a
        POST that only reads."""
        method = method.upper()
        outgoing = dict(headers or {})
        request_id = current_request_id.get()
        if request_id:
            outgoing.setdefault("X-Request-ID", request_id)
        if idempotency_key:
            outgoing["Idempotency-Key"] = idempotency_key
        token = await self.token_source.token()
        if token:
            outgoing["Authorization"] = f"Bearer {token}"
        retryable = (
            retry
            if retry is not None
            else method in IDEMPOTENT_METHODS or idempotency_key is not None
        )
        attempts = self.retries if retryable else 1

        async def send() -> httpx.Response:
            response = await self.http.request(
                method,
                f"{self.base_url}{path}",
                json=json,
                params=params,
                headers=outgoing,
                timeout=self.timeout,
            )
            if response.status_code in RETRY_STATUSES:
                raise _RetryableStatus(response)
            return response

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(attempts),
                wait=wait_random_exponential(multiplier=0.1, max=2.0),
                retry=retry_if_exception(_is_retryable),
                reraise=True,
            ):
                with attempt:
                    response = await send()
        except _RetryableStatus as error:
            response = error.response
        except httpx.TransportError as error:
            log.warning("peer_unreachable", peer=self.peer, path=path, error=repr(error))
            raise UpstreamUnavailable(
                Text(f"{self.peer} 服务暂时不可用", f"The {self.peer} service is unavailable")
            ) from error
        except RetryError as error:  # pragma: no cover - reraise=True makes this unreachable
            raise UpstreamUnavailable() from error
        return self._check(response)

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        if response.status_code in (401, 403) or response.status_code >= 500:
            log.warning("peer_error", peer=self.peer, status=response.status_code)
            error_class = (
                UpstreamUnavailable if response.status_code in RETRY_STATUSES else UpstreamError
            )
            raise error_class(
                Text(
                    f"{self.peer} 服务返回错误（{response.status_code}）",
                    f"The {self.peer} service answered {response.status_code}",
                )
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        raise UpstreamRejected(
            response.status_code, body if isinstance(body, dict) else {}, self.peer
        )

    async def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return (await self.request("GET", path, params=params)).json()

    async def post_json(
        self, path: str, body: Any, *, idempotency_key: str | None = None, retry: bool | None = None
    ) -> Any:
        response = await self.request(
            "POST", path, json=body, idempotency_key=idempotency_key, retry=retry
        )
        return response.json() if response.content else None
