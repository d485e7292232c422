"""Children, facts and documents: ID checks, masking, uploads, and parents kept apart."""

import uuid
from datetime import date

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.idnumber import IdNumberError, check_character, make, parse
from enrolment.models import Child, Document, IdempotencyRecord
from shared.testing.tokens import TestIssuer

from .conftest import batch_one_facts, child_id_number, make_family, pdf, png, upload


def test_check_characters_of_the_published_examples() -> None:
    for number in (
        "11010519491231002X",
        "440524188001010014",
        "34052419800101001X",
        "513101198201130014",
    ):
        assert parse(number).number == number
    for wrong in (
        "130402198207290622",
        "11010519491231002",
        "1101051949123100XX",
        "110105194902300021",
    ):
        try:
            parse(wrong)
        except IdNumberError:
            continue
        raise AssertionError(wrong)
    assert parse("11010519491231002x").number.endswith("X")
    resident = parse("440524188001010014")
    assert (resident.birth_date, resident.sex) == (date(1880, 1, 1), "male")


@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2024, 12, 31)),
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=16),
    st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_breaks_the_check(
    birth: date, sequence: int, position: int, shift: int
) -> None:
    number = make("450103", birth, sequence)
    assert parse(number).birth_date == birth
    assert parse(number).sex == ("male" if sequence % 2 else "female")
    digits = list(number)
    digits[position] = str((int(digits[position]) + shift) % 10)
    changed = "".join(digits)
    # MOD 11-2 catches every single-digit substitution; a date made invalid also fails.
    assert check_character(changed[:17]) != changed[17] or changed == number


async def test_a_wrong_check_digit_is_refused_naming_the_field_and_nothing_is_stored(
    client: httpx.AsyncClient, issuer: TestIssuer, session: AsyncSession
) -> None:
    parent = uuid.uuid4()
    good = child_id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")

    response = await client.post(
        "/v1/children", json={"name": "李小明", "id_number": wrong}, headers=issuer.parent(parent)
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body.id_number"
    assert "校验位" in response.json()["errors"][0]["message"]
    assert (
        await session.scalar(
            select(func.count())
            .select_from(Child)
            .where(Child.parent_subject == f"parent:{parent}")
        )
        == 0
    )


async def test_typed_birth_date_and_sex_must_match_the_number(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    number = make("450103", date(2019, 5, 6), 2)  # even sequence: female
    response = await client.post(
        "/v1/children",
        json={"name": "李小红", "id_number": number, "birth_date": "2019-05-07", "sex": "male"},
        headers=issuer.parent(uuid.uuid4()),
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"body.birth_date", "body.sex"}

    ok = await client.post(
        "/v1/children",
        json={"name": "李小红", "id_number": number, "birth_date": "2019-05-06", "sex": "female"},
        headers=issuer.parent(uuid.uuid4()),
    )
    assert ok.status_code == 201
    assert ok.json()["id_number"] == number[:4] + "**********" + number[-4:]


async def test_a_parent_cannot_add_the_same_child_twice(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    headers = issuer.parent(uuid.uuid4())
    number = child_id_number()
    assert (
        await client.post("/v1/children", json={"name": "甲", "id_number": number}, headers=headers)
    ).status_code == 201
    again = await client.post(
        "/v1/children", json={"name": "甲", "id_number": number.lower()}, headers=headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "enrolment.child.duplicate"


async def test_facts_come_back_masked_and_incomplete_property_is_refused(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    family = await make_family(client, issuer, documents=())
    facts = (
        await client.get(f"/v1/children/{family.child_id}/facts", headers=family.headers)
    ).json()
    assert facts["property_certificate_number"].startswith("桂(20")
    assert "*" in facts["property_certificate_number"]
    assert facts["guardians"][0]["phone"] == "138****1234"
    assert "*" in facts["guardians"][0]["id_number"]
    assert facts["property_share"] == "1.0000"

    incomplete = batch_one_facts()
    del incomplete["property_certificate_number"]
    response = await client.put(
        f"/v1/children/{family.child_id}/facts", json=incomplete, headers=family.headers
    )
    assert response.status_code == 422
    assert "property_certificate_number" in response.json()["errors"][0]["message"]

    bad_guardian = batch_one_facts()
    bad_guardian["guardians"][1]["id_number"] = "450103198902020040"
    response = await client.put(
        f"/v1/children/{family.child_id}/facts", json=bad_guardian, headers=family.headers
    )
    assert response.json()["errors"][0]["field"] == "body.guardians.1.id_number"

    future = batch_one_facts(move_in="2099-01-01")
    response = await client.put(
        f"/v1/children/{family.child_id}/facts", json=future, headers=family.headers
    )
    assert response.status_code == 422


async def test_uploads_are_sniffed_hashed_and_capped(
    client: httpx.AsyncClient, issuer: TestIssuer, session: AsyncSession
) -> None:
    import hashlib

    family = await make_family(client, issuer, documents=())
    content = pdf()
    ok = await upload(
        client,
        family.headers,
        family.child_id,
        "hukou_book",
        content,
        "hukou.pdf",
        "application/pdf",
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["sha256"] == hashlib.sha256(content).hexdigest()
    assert ok.json()["content_type"] == "application/pdf"
    downloaded = await client.get(
        f"/v1/documents/{ok.json()['id']}/content", headers=family.headers
    )
    assert downloaded.content == content

    def stored() -> object:
        return session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.child_id == uuid.UUID(family.child_id))
        )

    oversized = await upload(
        client, family.headers, family.child_id, "hukou_book", png() + b"\x00" * (5 * 1024 * 1024)
    )
    assert oversized.status_code == 413
    assert oversized.json()["errors"][0]["field"] == "body.file"

    mislabelled = await upload(
        client, family.headers, family.child_id, "hukou_book", content, "scan.png", "image/png"
    )
    assert mislabelled.status_code == 415
    assert mislabelled.json()["errors"][0] == {
        "field": "body.file",
        "message": "文件声明的类型（image/png）与实际内容（application/pdf）不符",
        "type": "mislabelled",
    }

    renamed = await upload(
        client,
        family.headers,
        family.child_id,
        "hukou_book",
        png(),
        "scan.pdf",
        "application/octet-stream",
    )
    assert renamed.status_code == 415

    not_allowed = await upload(
        client,
        family.headers,
        family.child_id,
        "hukou_book",
        b"GIF89a" + b"\x00" * 50,
        "a.gif",
        "image/gif",
    )
    assert not_allowed.status_code == 415

    empty = await upload(
        client, family.headers, family.child_id, "hukou_book", b"", "a.png", "image/png"
    )
    assert empty.status_code == 422
    assert await stored() == 1


async def test_an_upload_retried_with_its_key_is_stored_once(
    client: httpx.AsyncClient, issuer: TestIssuer, session: AsyncSession
) -> None:
    family = await make_family(client, issuer, documents=())
    key = {"Idempotency-Key": "upload-1"}
    first = await upload(client, family.headers, family.child_id, "hukou_book", extra_headers=key)
    second = await upload(client, family.headers, family.child_id, "hukou_book", extra_headers=key)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    other = await upload(
        client,
        family.headers,
        family.child_id,
        "hukou_book",
        pdf(),
        "a.pdf",
        "application/pdf",
        extra_headers=key,
    )
    assert other.status_code == 409
    assert (
        await session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.child_id == uuid.UUID(family.child_id))
        )
        == 1
    )
    assert (
        await session.scalar(
            select(func.count())
            .select_from(IdempotencyRecord)
            .where(IdempotencyRecord.key == "upload-1")
        )
        == 1
    )


async def test_a_parent_never_sees_another_familys_child(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    family = await make_family(client, issuer)
    documents = (
        await client.get(f"/v1/children/{family.child_id}/documents", headers=family.headers)
    ).json()
    stranger = issuer.parent(uuid.uuid4())
    requests = [
        ("GET", f"/v1/children/{family.child_id}", None),
        ("GET", f"/v1/children/{family.child_id}/facts", None),
        ("PUT", f"/v1/children/{family.child_id}/facts", batch_one_facts()),
        ("GET", f"/v1/children/{family.child_id}/documents", None),
        ("GET", f"/v1/documents/{documents[0]['id']}/content", None),
        ("DELETE", f"/v1/documents/{documents[0]['id']}", None),
    ]
    for method, path, body in requests:
        response = await client.request(method, path, json=body, headers=stranger)
        assert response.status_code == 404, (method, path)
    assert (await upload(client, stranger, family.child_id, "hukou_book")).status_code == 404
    assert (await client.get("/v1/children", headers=stranger)).json() == []
    # Staff tokens are not parents.
    assert (await client.get("/v1/children", headers=issuer.city_admin())).status_code == 403
    assert (await client.get("/v1/children")).status_code == 401
