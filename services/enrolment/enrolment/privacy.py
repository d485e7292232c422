"""Personal numbers at rest (PIPL): AES-GCM with a key id, an HMAC blind index, masked display.

A ciphertext is `nonce (12 bytes) ‖ AES-256-GCM(plaintext)`, bound to its purpose (the
associated data), so a child's ID number cannot be swapped into a property-certificate column.
Keys are derived from configured secrets with HKDF, per key id, so rotation is: add a new active
key, keep the old one listed for reading, re-encrypt in the background.
"""

import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


def _derive(secret: str, info: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(
        secret.encode()
    )


def normalise_number(value: str) -> str:
    """Numbers compare without spaces, dashes or case (`4501…x` is `4501…X`)."""
    return "".join(value.split()).replace("-", "").upper()


@dataclass(frozen=True, slots=True)
class Sealed:
    cipher: bytes
    key_id: str
    index: bytes
    masked: str


class PersonalDataVault:
    def __init__(
        self,
        *,
        active_key_id: str,
        active_secret: str,
        previous: dict[str, str] | None = None,
        blind_index_secret: str,
    ) -> None:
        self.active_key_id = active_key_id
        self._keys = {
            key_id: AESGCM(_derive(secret, f"xuezai-enrolment-data/{key_id}"))
            for key_id, secret in {**(previous or {}), active_key_id: active_secret}.items()
        }
        self._index_key = _derive(blind_index_secret, "xuezai-enrolment-blind-index")

    @classmethod
    def from_settings(cls, settings: object) -> "PersonalDataVault":
        previous: dict[str, str] = {}
        for item in str(getattr(settings, "data_previous_keys", "") or "").split(","):
            key_id, _, secret = item.strip().partition("=")
            if key_id and secret:
                previous[key_id] = secret
        return cls(
            active_key_id=str(getattr(settings, "data_key_id")),  # noqa: B009
            active_secret=str(getattr(settings, "data_key")),  # noqa: B009
            previous=previous,
            blind_index_secret=str(getattr(settings, "blind_index_key")),  # noqa: B009
        )

    def blind_index(self, purpose: str, value: str) -> bytes:
        message = f"{purpose}:{normalise_number(value)}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).digest()

    def encrypt(self, purpose: str, value: str) -> tuple[bytes, str]:
        nonce = os.urandom(NONCE_BYTES)
        cipher = self._keys[self.active_key_id].encrypt(nonce, value.encode(), purpose.encode())
        return nonce + cipher, self.active_key_id

    def decrypt(self, purpose: str, cipher: bytes, key_id: str) -> str:
        key = self._keys.get(key_id)
        if key is None:
            raise LookupError(f"data key {key_id!r} is not configured")
        plain = key.decrypt(cipher[:NONCE_BYTES], cipher[NONCE_BYTES:], purpose.encode())
        return plain.decode()

    def seal(self, purpose: str, value: str) -> Sealed:
        normalised = normalise_number(value)
        cipher, key_id = self.encrypt(purpose, normalised)
        return Sealed(cipher, key_id, self.blind_index(purpose, normalised), mask(normalised))


def mask(value: str, keep_start: int = 4, keep_end: int = 4) -> str:
    """`450103201901010011` → `4501**********0011`; short values keep less."""
    if len(value) <= keep_start + keep_end:
        keep_start, keep_end = min(1, len(value)), min(1, max(len(value) - 1, 0))
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + (value[-keep_end:] if keep_end else "")


def mask_phone(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return mask(digits, 3, 4)
