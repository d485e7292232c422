"""Secrets at rest: passwords and client secrets (argon2id), encrypted values (AES-GCM with a
key id for rotation), keyed blind indexes (HMAC-SHA256) and high-entropy token hashes."""

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from anyio import CapacityLimiter, to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from directory.config import Settings


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


def key_id(secret: str) -> str:
    return hashlib.sha256(b"xuezai-key-id:" + secret.encode()).hexdigest()[:16]


class DecryptionFailed(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Encrypted:
    key_id: str
    ciphertext: bytes  # nonce ‖ AES-GCM ciphertext and tag


class Cipher:
    """AES-256-GCM under a key derived from the settings' secret; `purpose` separates uses, so
    a ciphertext of one kind can never be passed off as another."""

    def __init__(self, current: str, previous: list[str], purpose: str) -> None:
        info = f"xuezai-directory:{purpose}".encode()
        self.current_id = key_id(current)
        self._keys = {key_id(secret): AESGCM(_derive(secret, info)) for secret in [*previous]}
        self._keys[self.current_id] = AESGCM(_derive(current, info))
        self._aad = info

    def encrypt(self, plaintext: bytes) -> Encrypted:
        nonce = os.urandom(12)
        sealed = self._keys[self.current_id].encrypt(nonce, plaintext, self._aad)
        return Encrypted(self.current_id, nonce + sealed)

    def decrypt(self, value: Encrypted) -> bytes:
        key = self._keys.get(value.key_id)
        if key is None:
            raise DecryptionFailed(f"no key with id {value.key_id}")
        try:
            return key.decrypt(value.ciphertext[:12], value.ciphertext[12:], self._aad)
        except InvalidTag as error:
            raise DecryptionFailed("ciphertext does not authenticate") from error


class BlindIndex:
    def __init__(self, secret: str, purpose: str) -> None:
        self._key = _derive(secret, f"xuezai-directory-index:{purpose}".encode())

    def __call__(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()


class SecretHasher:
    """argon2id for passwords and client secrets.

    Hashing takes tens of milliseconds of CPU and 64 MiB: it runs in worker threads (argon2
    releases the GIL) so the event loop keeps serving, and at most `max_parallel` at once, so
    a burst of sign-ins cannot exhaust memory.
    """

    def __init__(self, settings: Settings, *, max_parallel: int | None = None) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._limiter = CapacityLimiter(max_parallel or max(2, os.cpu_count() or 2))
        # Verified when the account does not exist, so that timing does not reveal which
        # usernames do.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash_sync(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify_sync(self, hashed: str, secret: str) -> bool:
        try:
            return self._hasher.verify(hashed, secret)
        except (VerificationError, InvalidHashError):
            return False

    async def hash(self, secret: str) -> str:
        return await to_thread.run_sync(self.hash_sync, secret, limiter=self._limiter)

    async def verify(self, hashed: str, secret: str) -> bool:
        return await to_thread.run_sync(self.verify_sync, hashed, secret, limiter=self._limiter)

    async def burn(self, secret: str) -> None:
        await self.verify(self._dummy, secret)

    def needs_rehash(self, hashed: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(hashed)
        except InvalidHashError:
            return True


def token_hash(token: str) -> str:
    """SHA-256 of a random token (refresh tokens): enough for 256-bit secrets, and fast."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class Crypto:
    """Everything derived from the settings' secrets, built once per app or worker."""

    signing_keys: Cipher
    phones: Cipher
    phone_index: BlindIndex
    sms_codes: BlindIndex
    secrets: SecretHasher

    @classmethod
    def from_settings(cls, settings: Settings) -> "Crypto":
        return cls(
            signing_keys=Cipher(settings.secret_key, settings.previous_secret_keys, "signing-key"),
            phones=Cipher(settings.secret_key, settings.previous_secret_keys, "phone"),
            phone_index=BlindIndex(settings.index_key, "phone"),
            sms_codes=BlindIndex(settings.index_key, "sms-code"),
            secrets=SecretHasher(settings),
        )
