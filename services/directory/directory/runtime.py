"""What the directory's endpoints need besides a session: settings, crypto, keys, SMS, limits.

Built once per app (secrets derived once, not per request) and kept on `app.state.directory`.
"""

import ipaddress
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from directory.auth.sms import DevelopmentSmsSender, SmsSender
from directory.config import Settings
from directory.crypto import Crypto
from directory.keys.service import SigningKeyService
from shared.ratelimit import RateLimiter


@dataclass
class Runtime:
    settings: Settings
    crypto: Crypto
    keys: SigningKeyService
    sms: SmsSender = field(default_factory=lambda: DevelopmentSmsSender(None, keep_outbox=False))
    redis: Redis | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Runtime":
        crypto = Crypto.from_settings(settings)
        return cls(
            settings=settings, crypto=crypto, keys=SigningKeyService(settings, crypto.signing_keys)
        )

    @property
    def limiter(self) -> RateLimiter:
        return RateLimiter(self.redis)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.directory
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def client_ip(request: Request) -> str | None:
    """The peer's address (uvicorn applies X-Forwarded-For from trusted proxies)."""
    host = request.client.host if request.client else None
    try:
        return str(ipaddress.ip_address(host)) if host else None
    except ValueError:
        return None


ClientIp = Annotated[str | None, Depends(client_ip)]
