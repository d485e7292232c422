"""Token-signing keys: creation, rotation, publication, and the directory's own key set.

A key's life: created and published in the JWKS at once, signing from `activates_at` (a little
later, so every service's cache has it first), retired when its successor activates, and
published until the last token it signed has expired. Private halves are encrypted with the
settings' secret key; each replica reads the current key from PostgreSQL, so replicas agree.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from directory.config import Settings
from directory.crypto import Cipher, Encrypted, new_token
from directory.keys.repository import SigningKeyRepository
from directory.models import SigningKey
from shared.auth import KeySet
from shared.errors import ServiceUnavailable, Unauthenticated
from shared.i18n import Text

log = structlog.get_logger("directory.keys")

ALGORITHM = "EdDSA"
# Verifiers accept tokens this long after `exp` (shared.auth.TokenVerifier's leeway), and a
# retired key must outlive them.
VERIFY_LEEWAY = timedelta(seconds=60)
# Private keys of keys no longer published are deleted after this.
RETENTION = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ActiveKey:
    key_id: str
    private_key: Ed25519PrivateKey


class NoSigningKey(ServiceUnavailable):
    code = "directory.keys.no_signing_key"
    title = Text("暂无可用的签名密钥", "No signing key is available")


def public_jwk(private_key: Ed25519PrivateKey, key_id: str) -> dict[str, Any]:
    jwk: dict[str, Any] = jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update({"kid": key_id, "use": "sig", "alg": ALGORITHM})
    return jwk


class SigningKeyService:
    def __init__(self, settings: Settings, cipher: Cipher) -> None:
        self.settings = settings
        self.cipher = cipher

    @property
    def publication_margin(self) -> timedelta:
        return timedelta(seconds=self.settings.access_token_seconds) + VERIFY_LEEWAY

    def _new_key(self, now: datetime, activates_at: datetime) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        key_id = f"{now:%Y%m%d}-{new_token(6)}"
        raw = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        encrypted = self.cipher.encrypt(raw)
        return SigningKey(
            id=key_id,
            algorithm=ALGORITHM,
            public_jwk=public_jwk(private_key, key_id),
            private_key_encrypted=encrypted.ciphertext,
            encryption_key_id=encrypted.key_id,
            created_at=now,
            activates_at=activates_at,
            retired_at=None,
        )

    async def rotate(
        self, session: AsyncSession, now: datetime, *, publish_ahead: timedelta | None = None
    ) -> SigningKey:
        """Create the next key; the keys signing now retire the moment it activates."""
        repository = SigningKeyRepository(session)
        await repository.lock()
        ahead = (
            publish_ahead
            if publish_ahead is not None
            else timedelta(seconds=self.settings.signing_key_publish_ahead_seconds)
        )
        key = self._new_key(now, now + ahead)
        for current in await repository.unretired():
            current.retired_at = key.activates_at
        await repository.create(key, flush=True)
        log.info("signing_key_created", kid=key.id, activates_at=key.activates_at.isoformat())
        return key

    async def ensure(self, session: AsyncSession, now: datetime) -> SigningKey | None:
        """At start-up and daily: make sure a key signs now, and rotate when the newest is old.

        Returns the key it created, if any. Safe to run on every replica at once (locked).
        """
        repository = SigningKeyRepository(session)
        await repository.lock()
        if await repository.signing(now) is None:
            # Nothing can sign (fresh database): a key that activates at once; nobody can hold
            # a token that needs an older one.
            key = self._new_key(now, now)
            for current in await repository.unretired():
                current.retired_at = now
            await repository.create(key, flush=True)
            log.info("signing_key_bootstrapped", kid=key.id)
            return key
        newest = await repository.newest()
        rotation_due = newest is not None and newest.activates_at <= now - timedelta(
            days=self.settings.signing_key_rotation_days
        )
        if rotation_due:
            return await self.rotate(session, now)
        return None

    async def purge(self, session: AsyncSession, now: datetime) -> int:
        return await SigningKeyRepository(session).delete_retired_before(
            now - self.publication_margin - RETENTION
        )

    async def active(self, session: AsyncSession, now: datetime) -> ActiveKey:
        key = await SigningKeyRepository(session).signing(now)
        if key is None:
            raise NoSigningKey()
        raw = self.cipher.decrypt(Encrypted(key.encryption_key_id, key.private_key_encrypted))
        return ActiveKey(key.id, Ed25519PrivateKey.from_private_bytes(raw))

    async def published(self, session: AsyncSession, now: datetime) -> list[SigningKey]:
        return list(await SigningKeyRepository(session).published(now - self.publication_margin))

    async def jwks(self, session: AsyncSession, now: datetime) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in await self.published(session, now)]}


class LocalKeySet:
    """The directory verifies its own tokens from its database, not over HTTP to itself.

    Public keys are cached by key id and reloaded (at most every `refresh_min_seconds`) when a
    token names one not seen yet. `also_trusted` adds other keys (tests pass their issuer's).
    """

    def __init__(
        self,
        sessionmaker: Callable[[], async_sessionmaker[AsyncSession]],
        keys: SigningKeyService,
        *,
        refresh_min_seconds: float = 1.0,
        also_trusted: KeySet | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._keys = keys
        self.refresh_min_seconds = refresh_min_seconds
        self.also_trusted = also_trusted
        self._cache: dict[str, jwt.PyJWK] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _reload(self) -> None:
        async with self._lock:
            if time.monotonic() - self._loaded_at < self.refresh_min_seconds:
                return
            async with self._sessionmaker()() as session:
                keys = await self._keys.published(session, datetime.now(UTC))
            self._cache = {key.id: jwt.PyJWK.from_dict(key.public_jwk) for key in keys}
            self._loaded_at = time.monotonic()

    async def get_key(self, key_id: str | None) -> jwt.PyJWK:
        key = self._cache.get(key_id or "")
        if key is not None:
            return key
        if self.also_trusted is not None:
            try:
                return await self.also_trusted.get_key(key_id)
            except Unauthenticated:
                pass
        if key_id:
            await self._reload()
        key = self._cache.get(key_id or "")
        if key is None:
            raise Unauthenticated(Text("令牌的签名密钥未知", "The token's signing key is unknown"))
        return key
