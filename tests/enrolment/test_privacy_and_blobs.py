"""Personal numbers at rest, masking, key rotation; blob stores; S3 signing; rules as data."""

from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.exceptions import InvalidTag

from enrolment.addresses import Unit, house_number, normalise_name, point_in_polygon
from enrolment.blobstore import BlobNotFound, LocalBlobStore, blob_key, sigv4_headers
from enrolment.privacy import PersonalDataVault, mask
from enrolment.rules import BatchRule, Rule, decide, describe, holds, nanning_batches


def vault(
    key_id: str = "k1", secret: str = "s1", previous: dict[str, str] | None = None
) -> PersonalDataVault:
    return PersonalDataVault(
        active_key_id=key_id, active_secret=secret, previous=previous, blind_index_secret="idx"
    )


def test_numbers_are_encrypted_bound_to_purpose_and_indexed() -> None:
    first = vault().seal("child.id_number", "45010320190506001x")
    again = vault().seal("child.id_number", "450103 20190506001X")
    assert first.cipher != again.cipher  # a fresh nonce every time
    assert first.index == again.index  # the blind index is deterministic
    assert b"450103" not in first.cipher
    assert first.masked == "4501**********001X"
    assert vault().decrypt("child.id_number", first.cipher, "k1") == "45010320190506001X"
    with pytest.raises(InvalidTag):
        vault().decrypt("property.certificate", first.cipher, "k1")
    assert vault().blind_index("property.certificate", "x") != vault().blind_index(
        "child.id_number", "x"
    )


def test_rotation_keeps_old_rows_readable() -> None:
    old = vault("k1", "s1").seal("child.id_number", "450103201905060016")
    rotated = vault("k2", "s2", previous={"k1": "s1"})
    assert rotated.decrypt("child.id_number", old.cipher, "k1") == "450103201905060016"
    assert rotated.seal("child.id_number", "1").key_id == "k2"
    with pytest.raises(LookupError):
        vault("k2", "s2").decrypt("child.id_number", old.cipher, "k1")


def test_masks() -> None:
    assert mask("450103201905060016") == "4501**********0016"
    assert mask("123") == "1*3"


async def test_local_blob_store_round_trip_and_refuses_escapes(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = blob_key("ab" * 32)
    await store.put(key, b"data", "image/png")
    await store.put(key, b"data", "image/png")
    assert await store.get(key) == b"data"
    with pytest.raises(BlobNotFound):
        await store.get(blob_key("cd" * 32))
    with pytest.raises(ValueError, match="leaves the store"):
        await store.put("../escape", b"x", "image/png")


def test_sigv4_matches_the_aws_documented_example() -> None:
    # AWS S3 docs, "Example: GET Object" (examplebucket/test.txt, 20130524T000000Z).
    headers = sigv4_headers(
        method="GET",
        url=httpx.URL("https://examplebucket.s3.amazonaws.com/test.txt"),
        payload=b"",
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        now=datetime(2013, 5, 24, tzinfo=UTC),
        extra_headers={"Range": "bytes=0-9"},
    )
    assert headers["authorization"].endswith(
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date" in headers["authorization"]


def test_addresses_normalise_and_ranges_respect_parity() -> None:
    assert normalise_name(" 民族 大道 ") == "民族大道"
    assert house_number("１２３号之一") == 123
    assert house_number("无") is None
    unit = Unit("u", "o", "450103", "民族大道", 10, 20, "even", None, road="民族大道")
    assert unit.matches_road("450103", "民族大道", 12)
    assert not unit.matches_road("450103", "民族大道", 13)
    assert not unit.matches_road("450102", "民族大道", 12)
    assert not unit.matches_road("450103", "民族大道", None)
    assert unit.describe() == "民族大道 10–20号（双号）"
    donut = [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]
    assert point_in_polygon(1, 1, donut)
    assert not point_in_polygon(5, 5, donut)
    assert not point_in_polygon(11, 5, donut)


def test_the_nanning_ladder_places_typical_families() -> None:
    batches = [BatchRule.model_validate(b) for b in nanning_batches()]
    base = {
        "hukou_in_catchment": True,
        "property_in_catchment": True,
        "hukou_matches_property": True,
        "has_property": True,
        "property_sole": True,
        "property_family_owned": True,
        "lives_at_property": True,
        "hukou_in_district": True,
        "hukou_in_city": True,
        "migrant": False,
        "hukou_move_in_date": date(2020, 1, 1),
        "property_handover_date": date(2018, 1, 1),
        "property_share": 1.0,
        "hukou_years": 6.6,
        "claims": [],
    }
    assert decide(batches, base).batch.code == "hukou_property_sole"  # type: ignore[union-attr]
    elsewhere = {**base, "hukou_in_catchment": False, "hukou_matches_property": False}
    assert decide(batches, elsewhere).batch.code == "property_sole"  # type: ignore[union-attr]
    no_home = {
        **base,
        "property_in_catchment": False,
        "has_property": False,
        "property_sole": False,
        "hukou_matches_property": False,
    }
    assert decide(batches, no_home).batch.code == "hukou_no_property_1y"  # type: ignore[union-attr]
    new_hukou = {**no_home, "hukou_years": 0.4}
    decision = decide(batches, new_hukou)
    assert decision is not None
    assert decision.batch.code == "hukou_no_property_new"
    assert "户籍迁入年限（年）应不少于1（实际：0.4）" in decision.explanation[4]
    migrant = {
        "migrant": True,
        "residence_permits_both": True,
        "has_residence_proof": True,
        "has_employment_proof": True,
        "social_insurance_months": 30,
        "claims": [],
    }
    decision = decide(batches, migrant)
    assert decision is not None
    assert decision.batch.code == "migrant"
    assert decision.key == (8.0, -30.0)
    assert decide(batches, {"migrant": True, "claims": []}).batch.code == "others"  # type: ignore[union-attr]


def test_rules_read_lists_and_explain_themselves() -> None:
    rule = Rule.model_validate(
        {
            "any": [
                {"fact": "claims", "op": "contains", "value": "military"},
                {"not": {"fact": "migrant"}},
            ]
        }
    )
    assert holds(rule, {"claims": ["military"], "migrant": True})
    assert not holds(rule, {"claims": [], "migrant": True})
    assert describe(rule, {"claims": [], "migrant": True}).startswith("以下条件均不满足")
    with pytest.raises(ValueError, match="contains"):
        Rule.model_validate({"fact": "claims", "op": "eq", "value": "x"})
