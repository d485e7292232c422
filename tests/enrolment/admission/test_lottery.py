"""The verifiable lottery: numbers a family can recompute with any HMAC tool."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from enrolment.admission.lottery import InvalidSeedError, commitment, lottery_number, new_seed

SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


def test_number_matches_an_independent_hmac() -> None:
    expected = hmac.new(bytes(range(32)), b"2025-nanning-g1:APP-000123", hashlib.sha256).digest()

    assert lottery_number(SEED, "2025-nanning-g1", "APP-000123") == int.from_bytes(expected, "big")


def test_number_matches_the_published_test_vector() -> None:
    # From `printf %s 2025-nanning-g1:APP-000123 | openssl dgst -sha256 -mac HMAC
    # -macopt hexkey:$SEED`: what a family gets with a tool other than ours.
    assert lottery_number(SEED, "2025-nanning-g1", "APP-000123") == int(
        "ba65d7bd2e463153076e64593c8c7bd761c80e30491dbb700521bdbed51bc7a9", 16
    )
    # Non-ASCII ids are hashed as UTF-8.
    assert lottery_number(SEED, "2025-南宁", "报名-1") == int(
        "0ff7ec91b01e95c1d229cc613c8e6ac85a741c23fdf8a0cb1f8da762c1efe652", 16
    )


def test_number_depends_on_seed_cycle_and_application() -> None:
    numbers = {
        lottery_number(SEED, "C1", "A1"),
        lottery_number(SEED, "C1", "A2"),
        lottery_number(SEED, "C2", "A1"),
        lottery_number(new_seed(), "C1", "A1"),
    }
    assert len(numbers) == 4


def test_commitment_hashes_the_seed_bytes_not_its_text() -> None:
    # `printf %s $SEED | xxd -r -p | sha256sum`
    expected = "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    assert commitment(SEED) == expected
    assert commitment(SEED.upper()) == expected
    assert commitment(SEED) != hashlib.sha256(SEED.encode()).hexdigest()


def test_new_seeds_are_32_random_bytes() -> None:
    seeds = {new_seed() for _ in range(10)}
    assert len(seeds) == 10
    assert all(len(bytes.fromhex(seed)) == 32 for seed in seeds)


@pytest.mark.parametrize("seed", ["xyz", "abc", "", "0x00ff", "00ff-11"])
def test_bad_seed_is_refused_with_a_clear_message(seed: str) -> None:
    with pytest.raises(InvalidSeedError, match="seed must"):
        lottery_number(seed, "C1", "A1")
    with pytest.raises(InvalidSeedError, match="seed must"):
        commitment(seed)
