"""Signing access tokens in the claim format every service verifies (see `shared.auth`)."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from directory.config import Settings
from directory.keys.service import ALGORITHM, SigningKeyService
from shared.auth import AUDIENCE, Grant, PrincipalKind


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int
    token_id: str
    scope: str


class AccessTokenIssuer:
    def __init__(self, settings: Settings, keys: SigningKeyService) -> None:
        self.settings = settings
        self.keys = keys

    async def issue(
        self,
        session: AsyncSession,
        *,
        subject: str,
        kind: PrincipalKind,
        grants: Iterable[Grant],
        scopes: Iterable[str] = (),
        session_id: str,
        name: str | None = None,
        extra: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> AccessToken:
        issued = now or datetime.now(UTC)
        key = await self.keys.active(session, issued)
        lifetime = self.settings.access_token_seconds
        scope = " ".join(sorted(set(scopes)))
        token_id = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "iss": self.settings.token_issuer,
            "aud": AUDIENCE,
            "sub": subject,
            "kind": kind,
            "typ": "access",
            "roles": sorted({str(grant) for grant in grants}),
            "scope": scope,
            "sid": session_id,
            "jti": token_id,
            "iat": int(issued.timestamp()),
            "exp": int(issued.timestamp()) + lifetime,
        }
        if name:
            claims["name"] = name
        claims.update(extra or {})
        token = jwt.encode(
            claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.key_id}
        )
        return AccessToken(token=token, expires_in=lifetime, token_id=token_id, scope=scope)
