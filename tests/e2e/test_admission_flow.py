"""The admission over real HTTP against the running platform: families apply and are approved,
the district commits the lottery seed, the platform's own enrolment worker runs the admission
and publishes it, a family reads its result and confirms, and the public document verifies."""

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from enrolment.admission.instance import load_published, verify_published
from enrolment.admission.lottery import lottery_number
from enrolment.idnumber import make
from enrolment.models import Child, Cycle, IdempotencyRecord, Notification
from shared.db import create_sessionmaker
from shared.testing.tokens import TestIssuer
from xuezai.runner import Platform

from .conftest import service_url
from .test_enrolment_flow import png

pytestmark = pytest.mark.live

DISTRICT = "450107"  # 西乡塘区
SCHOOL = "4501070001"


@pytest.fixture
async def cleanup(engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(delete(Cycle).where(Cycle.district_code == DISTRICT))
        await session.execute(delete(Child).where(Child.parent_subject.like("parent:%")))
        await session.execute(delete(IdempotencyRecord))
        await session.execute(delete(Notification))


async def until(check: Any, seconds: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.3)


async def apply(
    api: httpx.AsyncClient, cycle_id: str, parent: dict[str, str], number: str, move_in: str
) -> str:
    home = {"district_code": DISTRICT, "road": "衡阳路", "house_number": "8号"}
    child = await api.post(
        "/v1/children", headers=parent, json={"name": "韦小宝", "id_number": number}
    )
    assert child.status_code == 201, child.text
    child_id = child.json()["id"]
    facts = {
        "hukou_address": home,
        "hukou_move_in_date": move_in,
        "has_property": True,
        "property_address": home,
        "property_certificate_number": f"桂(2019)南宁市不动产权第{number[-7:]}号",
        "property_ownership": "sole",
        "property_owner": "parents",
        "property_handover_date": "2019-01-01",
        "lives_at_property": True,
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
        headers=parent,
        json={"cycle_id": cycle_id, "child_id": child_id, "submit": True},
    )
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["batch"]["code"] == "hukou_property_sole"
    return str(submitted.json()["id"])


async def test_admission_published_by_the_platform_worker_and_verified_by_anyone(
    live_platform: Platform, issuer: TestIssuer, cleanup: None
) -> None:
    base = service_url(live_platform, "enrolment")
    city = issuer.city_admin()
    district = issuer.district_admin(DISTRICT)
    now = datetime.now(UTC)
    parents = [issuer.parent(uuid.uuid4()) for _ in range(3)]

    async with httpx.AsyncClient(base_url=base, timeout=20) as api:
        cycle = await api.post(
            "/v1/cycles",
            headers=city,
            json={
                "year": now.year + 1,
                "stage": "primary_g1",
                "district_code": DISTRICT,
                "name": "端到端录取测试",
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
                "seats": 2,
                "classes": 1,
            },
        )
        assert offering.status_code == 201, offering.text
        await api.post(
            f"/v1/offerings/{offering.json()['id']}/catchment-units",
            headers=city,
            json={"district_code": DISTRICT, "road": "衡阳路"},
        )
        assert (await api.post(f"/v1/cycles/{cycle_id}/publish", headers=city)).status_code == 200

        # Three families in the first batch, ordered by 户籍迁入日期, for two seats.
        ids = []
        for index, (parent, move_in) in enumerate(
            zip(parents, ("2018-03-01", "2019-03-01", "2020-03-01"), strict=True)
        ):
            number = make(DISTRICT, date(now.year - 6, 1, 10 + index), 21 + index)
            ids.append(await apply(api, cycle_id, parent, number, move_in))
        for application_id in ids:
            approved = await api.post(
                f"/v1/review/applications/{application_id}/decision",
                headers=district,
                json={"decision": "approve", "reason_code": "materials_complete"},
            )
            assert approved.json()["status"] == "verified", approved.text

        commitment = (
            await api.post(f"/v1/cycles/{cycle_id}/lottery/commit", headers=district)
        ).json()["commitment"]
        run = await api.post(f"/v1/cycles/{cycle_id}/admission-runs", headers=district, json={})
        assert run.status_code == 202, run.text
        run_url = f"/v1/admission-runs/{run.json()['id']}"

        async def finished() -> Any:
            body = (await api.get(run_url, headers=district)).json()
            return body if body["status"] in ("succeeded", "failed") else None

        done = await until(finished)
        assert done["status"] == "succeeded", done
        assert (done["placed"], done["unplaced"]) == (2, 1)
        roster = (await api.get(f"{run_url}/schools/{SCHOOL}/roster", headers=district)).json()
        # Batch 1 in order of 户籍迁入日期: the first two families.
        publics = [
            (await api.get(f"/v1/applications/{i}", headers=p)).json()["public_id"]
            for i, p in zip(ids, parents, strict=True)
        ]
        assert [e["public_id"] for e in roster["entries"]] == publics[:2]

        published = await api.post(
            f"{run_url}/publication",
            headers=district,
            json={"respond_by": (now + timedelta(days=3)).isoformat()},
        )
        assert published.status_code == 202, published.text

        async def is_published() -> Any:
            body = (await api.get(run_url, headers=district)).json()
            return body["publication_status"] == "published"

        await until(is_published)
        result = (await api.get(f"/v1/applications/{ids[0]}/admission", headers=parents[0])).json()
        assert result["status"] == "admitted"
        assert result["lottery"]["number"] == str(
            lottery_number(result["lottery"]["seed"], cycle_id, publics[0])
        )
        assert result["lottery"]["commitment"] == commitment
        confirmed = await api.post(
            f"/v1/applications/{ids[0]}/admission/confirm", headers=parents[0]
        )
        assert confirmed.json()["status"] == "confirmed"
        last = (await api.get(f"/v1/applications/{ids[2]}/admission", headers=parents[2])).json()
        assert last["status"] == "unplaced"
        assert "调剂" in last["summary"]

        document = (await api.get(f"/v1/public/cycles/{cycle_id}/results")).json()
        report = verify_published(load_published(document))
        assert report.ok, report.mismatches
        assert document["inputs_digest"] == done["inputs_digest"]
