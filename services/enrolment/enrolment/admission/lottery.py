"""The verifiable lottery: commit to a seed before the draw, reveal it after, and anyone recomputes.

Before the draw a cycle publishes ``commitment(seed)``. After the draw it publishes the seed, and
every family can recompute its own number with ``lottery_number`` (or ``xuezai lottery number``)
and check that the seed matches the commitment made before anyone knew the result.

Both functions work on the seed's *bytes* (``bytes.fromhex(seed)``), not on its hex text, so the
commitment does not depend on how the hex was written (upper or lower case): anyone checking it
with another tool must hash the decoded bytes, e.g. ``bytes.fromhex(seed)`` in Python or
``xxd -r -p | sha256sum`` in a shell.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SEED_BYTES = 32


class InvalidSeedError(ValueError):
    """The seed is not an even-length hexadecimal string."""


def _seed_bytes(seed_hex: str) -> bytes:
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        raise InvalidSeedError(
            f"seed must be hexadecimal digits (an even number of 0-9 and a-f), got {seed_hex!r}"
        ) from None
    if not seed:
        raise InvalidSeedError("seed must not be empty")
    return seed


def new_seed() -> str:
    """A fresh secret seed: 32 random bytes from the operating system, as hex."""
    return secrets.token_hex(SEED_BYTES)


def commitment(seed_hex: str) -> str:
    """SHA-256 of the seed bytes, as hex: what the cycle publishes before the draw."""
    return hashlib.sha256(_seed_bytes(seed_hex)).hexdigest()


def lottery_number(seed_hex: str, cycle_id: str, application_public_id: str) -> int:
    """HMAC-SHA256(key=seed bytes, msg="cycle_id:application_public_id") as a big-endian integer.

    Smaller wins. The number is a 256-bit integer, so two applications practically never tie.
    """
    message = f"{cycle_id}:{application_public_id}".encode()
    digest = hmac.new(_seed_bytes(seed_hex), message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big")
