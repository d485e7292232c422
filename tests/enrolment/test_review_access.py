"""Who reviews an application is never the family's choice, and only those who may decide do.

- A district's cycle: the application is that district's, whatever address the family typed.
- A city-wide cycle: the district of the school it names, else the 户籍 district if the cycle
  has schools there, else the city's own staff (the cycle's managers).
- Named private schools read an application; only the district (or the school the child is
  registered or placed at) decides.
"""

import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import Application
from shared.testing.tokens import TestIssuer

from .conftest import (
    BINHU,
    PRIVATE,
    QINGXIU,
    XINGNING,
    World,
    address,
    batch_one_facts,
    cycle_body,
    make_family,
    publish_cycle,
    submit,
)

XIXIANGTANG = "450107"
XINGNING_PRIVATE = "4501020005"  # 南宁市兴宁区育才实验学校 (private)


def unmatched_facts(district: str) -> dict[str, Any]:
    """A 户籍 address in `district` on a road no catchment lists: no school, the last batch."""
    return {
        "hukou_address": address(road="不存在路", number="1号", district=district),
        "hukou_move_in_date": "2020-03-01",
    }


async def district_of(session: AsyncSession, application_id: str) -> str | None:
    return await session.scalar(
        select(Application.district_code).where(Application.id == uuid.UUID(application_id))
    )


async def test_a_district_cycles_application_is_that_districts_whatever_the_family_typed(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    family = await make_family(
        client, issuer, facts=unmatched_facts(XINGNING), documents=("hukou_book",)
    )

    response = await submit(client, world, family)

    assert response.status_code == 201, response.text
    application_id = response.json()["id"]
    assert response.json()["catchment_school"] is None
    assert await district_of(session, application_id) == QINGXIU
    qingxiu = await client.get(
        f"/v1/review/applications/{application_id}", headers=issuer.district_admin(QINGXIU)
    )
    assert qingxiu.status_code == 200
    chosen = await client.post(
        f"/v1/review/applications/{application_id}/decision",
        json={"decision": "reject", "reason_code": "other", "message": "x"},
        headers=issuer.district_admin(XINGNING),
    )
    assert chosen.status_code == 404


async def city_world(client: httpx.AsyncClient, issuer: TestIssuer) -> World:
    """A city-wide cycle (2027) with schools in 青秀区 and 兴宁区, two private choices allowed."""
    city = issuer.city_admin()
    body = cycle_body(None, year=2027, name="2027年南宁市小学一年级招生", max_private_choices=2)
    body.update(
        registration_opens_at="2027-07-02T08:30:00+08:00",
        registration_closes_at="2027-07-07T17:30:00+08:00",
        daily_hours_overrides={},
        review_closes_at="2027-07-20T18:00:00+08:00",
    )
    return await publish_cycle(
        client,
        city,
        body,
        [
            (BINHU, QINGXIU, "public"),
            (PRIVATE, QINGXIU, "private"),
            (XINGNING_PRIVATE, XINGNING, "private"),
        ],
        {
            BINHU: [
                {"district_code": QINGXIU, "road": "民族大道", "number_from": 1, "number_to": 199}
            ]
        },
    )


async def test_a_city_wide_cycle_takes_the_hukou_district_only_where_the_cycle_has_schools(
    client: httpx.AsyncClient, issuer: TestIssuer, clock: Any, session: AsyncSession
) -> None:
    from datetime import datetime

    from enrolment.windows import SHANGHAI

    world = await city_world(client, issuer)
    clock(datetime(2027, 7, 2, 9, 0, tzinfo=SHANGHAI))

    in_xingning = await make_family(
        client, issuer, facts=unmatched_facts(XINGNING), documents=("hukou_book",)
    )
    # 户籍 in 西乡塘区, where the cycle has no school; the home it names is typed as 兴宁区.
    elsewhere_facts = unmatched_facts(XIXIANGTANG)
    elsewhere_facts["residence_address"] = address(road="不存在路", district=XINGNING)
    elsewhere = await make_family(
        client, issuer, facts=elsewhere_facts, documents=("hukou_book",), sequence=2
    )
    first = await submit(client, world, in_xingning)
    second = await submit(client, world, elsewhere)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert await district_of(session, first.json()["id"]) == XINGNING
    assert await district_of(session, second.json()["id"]) is None
    # Nobody's district: the city's staff (the cycle's managers) review it.
    for headers, expected in (
        (issuer.city_admin(), 200),
        (issuer.district_admin(XINGNING), 404),
        (issuer.district_admin(XIXIANGTANG), 404),
    ):
        seen = await client.get(f"/v1/review/applications/{second.json()['id']}", headers=headers)
        assert seen.status_code == expected


async def test_a_named_private_school_reads_but_only_the_registered_one_decides(
    client: httpx.AsyncClient, issuer: TestIssuer, clock: Any, session: AsyncSession
) -> None:
    from datetime import datetime

    from enrolment.windows import SHANGHAI

    world = await city_world(client, issuer)
    clock(datetime(2027, 7, 2, 9, 0, tzinfo=SHANGHAI))
    family = await make_family(client, issuer, facts=batch_one_facts())
    response = await submit(
        client,
        world,
        family,
        track="private",
        private_choices=[world.offerings[PRIVATE], world.offerings[XINGNING_PRIVATE]],
    )
    assert response.status_code == 201, response.text
    application_id = response.json()["id"]
    assert await district_of(session, application_id) == QINGXIU
    reject = {"decision": "reject", "reason_code": "not_eligible", "message": "不符合条件"}

    second_choice = issuer.school_staff(XINGNING_PRIVATE)
    read = await client.get(f"/v1/review/applications/{application_id}", headers=second_choice)
    rejected = await client.post(
        f"/v1/review/applications/{application_id}/decision", json=reject, headers=second_choice
    )
    started = await client.post(
        f"/v1/review/applications/{application_id}/start", headers=second_choice
    )
    bulk = await client.post(
        "/v1/review/applications/bulk-approve",
        json={"application_ids": [application_id]},
        headers=second_choice,
    )

    assert read.status_code == 200
    assert rejected.status_code == 403
    assert rejected.json()["code"] == "enrolment.review.read_only"
    assert started.status_code == 403
    assert bulk.json()["skipped"] == [{"id": application_id, "reason": "read_only"}]
    status = (await client.get(f"/v1/applications/{application_id}", headers=family.headers)).json()
    assert status["status"] == "submitted"

    # The school it is registered at (the first choice) and the district decide.
    registered = await client.post(
        f"/v1/review/applications/{application_id}/start", headers=issuer.school_staff(PRIVATE)
    )
    assert registered.status_code == 200, registered.text
    decided = await client.post(
        f"/v1/review/applications/{application_id}/decision",
        json={"decision": "approve", "reason_code": "materials_complete"},
        headers=issuer.district_admin(QINGXIU),
    )
    assert decided.status_code == 200, decided.text
