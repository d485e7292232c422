"""The family's whole journey over real HTTP against the running platform: a parent adds a
child, declares facts, uploads documents and submits; learns the batch and why; a reviewer
returns it; the parent corrects and resubmits; the reviewer approves; the agencies' answers
(from the simulator, asked by the real enrolment worker through the outbox) are on screen."""

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from directory.auth.service import SMS_CODE_GRANT
from enrolment.idnumber import make
from enrolment.models import Child, Cycle, IdempotencyRecord, Notification
from shared.db import create_sessionmaker
from shared.testing.tokens import TestIssuer
from xuezai.runner import Platform

from .conftest import service_url

pytestmark = pytest.mark.live

DISTRICT = "450105"  # 江南区
SCHOOL = "4501050001"


def png() -> bytes:
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    header = (8).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" + b"\x80" * 8))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def cleanup(engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(delete(Cycle).where(Cycle.district_code == DISTRICT))
        await session.execute(delete(Child).where(Child.parent_subject.like("parent:%")))
        await session.execute(delete(IdempotencyRecord))
        await session.execute(delete(Notification))


async def wait_for(check: Any, seconds: float = 40.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.5)


async def sign_in_by_code(directory: str) -> dict[str, str]:
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    async with httpx.AsyncClient(base_url=directory, timeout=10) as http:
        sent = await http.post("/v1/auth/sms-codes", json={"phone": phone})
        assert sent.status_code == 201, sent.text
        outbox = await http.get("/v1/dev/sms-outbox", params={"phone": phone})
        code = str(outbox.json()["items"][0]["code"])
        token = await http.post(
            "/v1/auth/token", data={"grant_type": SMS_CODE_GRANT, "phone": phone, "code": code}
        )
        assert token.status_code == 200, token.text
        body = token.json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "parent"
    return {"Authorization": f"Bearer {body['access_token']}"}


async def test_a_family_applies_is_returned_corrects_and_is_approved(
    live_platform: Platform, issuer: TestIssuer, cleanup: None
) -> None:
    base = service_url(live_platform, "enrolment")
    sim = service_url(live_platform, "agencysim")
    city = issuer.city_admin()
    reviewer = issuer.district_admin(DISTRICT)
    # The parent signs in the way a phone does: a code by SMS, exchanged at the directory.
    parent = await sign_in_by_code(service_url(live_platform, "directory"))
    now = datetime.now(UTC)
    child_number = make(DISTRICT, date(now.year - 7, 3, 15), 11)
    home = {"district_code": DISTRICT, "road": "淡村路", "house_number": "18号"}

    async with (
        httpx.AsyncClient(base_url=base, timeout=20) as api,
        httpx.AsyncClient(base_url=sim, timeout=5) as agencies,
    ):
        await agencies.post(
            "/v1/sim/records",
            json={
                "hukou": [
                    {
                        "id_number": child_number,
                        "name": "黄小华",
                        "address": home,
                        "move_in_date": "2021-04-01",
                    }
                ],
                "property": [
                    {
                        "certificate_number": "桂(2020)南宁市不动产权第7654321号",
                        "address": home,
                        "handover_date": "2020-10-01",
                    }
                ],
            },
        )
        cycle = await api.post(
            "/v1/cycles",
            headers=city,
            json={
                "year": now.year,
                "stage": "primary_g1",
                "district_code": DISTRICT,
                "name": "端到端测试招生",
                "registration_opens_at": (now - timedelta(days=1)).isoformat(),
                "registration_closes_at": (now + timedelta(days=5)).isoformat(),
                "daily_hours": [{"start": "00:00", "end": "24:00"}],  # all day
            },
        )
        assert cycle.status_code == 201, cycle.text
        cycle_id = cycle.json()["id"]
        offering = await api.post(
            f"/v1/cycles/{cycle_id}/offerings",
            headers=city,
            json={
                "school_code": SCHOOL,
                "district_code": DISTRICT,
                "ownership": "public",
                "seats": 90,
                "classes": 2,
            },
        )
        assert offering.status_code == 201, offering.text
        unit = await api.post(
            f"/v1/offerings/{offering.json()['id']}/catchment-units",
            headers=city,
            json={"district_code": DISTRICT, "road": "淡村路"},
        )
        assert unit.status_code == 201
        assert (await api.post(f"/v1/cycles/{cycle_id}/publish", headers=city)).status_code == 200
        lookup = await api.get(f"/v1/public/cycles/{cycle_id}/catchment", params=home)
        assert lookup.json()["matches"][0]["school_code"] == SCHOOL

        # The parent (signed in by SMS code in the app; here an issued parent token).
        child = await api.post(
            "/v1/children", headers=parent, json={"name": "黄小华", "id_number": child_number}
        )
        assert child.status_code == 201, child.text
        child_id = child.json()["id"]
        facts = {
            "hukou_address": {**home, "house_number": "81号"},  # a typo the reviewer will catch
            "hukou_move_in_date": "2021-04-01",
            "has_property": True,
            "property_address": home,
            "property_certificate_number": "桂(2020)南宁市不动产权第7654321号",
            "property_ownership": "sole",
            "property_owner": "parents",
            "property_handover_date": "2020-10-01",
            "lives_at_property": True,
            "guardians": [{"relation": "mother", "name": "黄丽", "phone": "13900002222"}],
        }
        assert (
            await api.put(f"/v1/children/{child_id}/facts", headers=parent, json=facts)
        ).status_code == 200
        for kind in ("hukou_book", "real_estate_certificate"):
            uploaded = await api.post(
                f"/v1/children/{child_id}/documents",
                headers=parent,
                data={"kind": kind},
                files={"file": ("scan.png", io.BytesIO(png()), "image/png")},
            )
            assert uploaded.status_code == 201, uploaded.text

        submitted = await api.post(
            "/v1/applications",
            headers={**parent, "Idempotency-Key": "e2e-1"},
            json={"cycle_id": cycle_id, "child_id": child_id, "submit": True},
        )
        assert submitted.status_code == 201, submitted.text
        application = submitted.json()
        application_id = application["id"]
        assert application["catchment_school"]["school_code"] == SCHOOL
        # 户籍 typed at 81号: not 房户一致, so the second batch, and the family is told why.
        assert application["batch"]["code"] == "property_sole"
        assert (
            application["batch"]["reason"]
            == "房产在学区内且为独有产权，户籍在本区但不在该房产，按房产交付时间排序"
        )
        assert "户籍地址与房产地址不一致" in application["batch"]["not_in_earlier"][0]

        async def verified() -> Any:
            detail = (
                await api.get(f"/v1/review/applications/{application_id}", headers=reviewer)
            ).json()
            return detail if detail["verification_status"] == "complete" else None

        detail = await wait_for(verified)
        outcomes = {v["agency"]: (v["outcome"], v["details"]) for v in detail["verifications"]}
        assert outcomes["property_registry"][0] == "matched"
        assert outcomes["public_security"][0] == "mismatch"
        assert outcomes["public_security"][1]["address_matches"] is False
        assert "hukou_mismatch" in detail["flags"]

        returned = await api.post(
            f"/v1/review/applications/{application_id}/decision",
            headers=reviewer,
            json={
                "decision": "return",
                "reason_code": "hukou_mismatch",
                "message": "户籍地址与公安登记不一致",
                "corrections": [
                    {"field": "hukou_address.house_number", "message": "请按户口簿填写门牌号"}
                ],
            },
        )
        assert returned.status_code == 200, returned.text
        mine = (await api.get(f"/v1/applications/{application_id}", headers=parent)).json()
        assert mine["status"] == "returned"
        assert mine["corrections"] == [
            {"field": "hukou_address.house_number", "message": "请按户口簿填写门牌号"}
        ]

        facts["hukou_address"] = home
        assert (
            await api.put(f"/v1/children/{child_id}/facts", headers=parent, json=facts)
        ).status_code == 200
        resubmitted = await api.post(f"/v1/applications/{application_id}/submit", headers=parent)
        assert resubmitted.status_code == 200, resubmitted.text
        assert resubmitted.json()["batch"]["code"] == "hukou_property_sole"

        async def reverified() -> Any:
            detail = (
                await api.get(f"/v1/review/applications/{application_id}", headers=reviewer)
            ).json()
            return detail if detail["verification_status"] == "complete" else None

        detail = await wait_for(reverified)
        assert {v["agency"]: v["outcome"] for v in detail["verifications"]} == {
            "property_registry": "matched",
            "public_security": "matched",
        }
        assert detail["flags"] == []

        approved = await api.post(
            f"/v1/review/applications/{application_id}/decision",
            headers=reviewer,
            json={"decision": "approve", "reason_code": "materials_complete"},
        )
        assert approved.json()["status"] == "verified"
        timeline = (await api.get(f"/v1/applications/{application_id}", headers=parent)).json()[
            "timeline"
        ]
        assert [e["to_status"] for e in timeline] == [
            "draft",
            "submitted",
            "returned",
            "resubmitted",
            "verified",
        ]
