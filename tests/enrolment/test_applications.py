"""Families submit: batch and reason, window and daily hours, age, documents, one per child."""

from datetime import date, datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import Application, ApplicationEvent, AuditLog, OutboxMessage, Verification
from enrolment.windows import SHANGHAI
from shared.testing.tokens import TestIssuer

from .conftest import (
    BINHU,
    FENGLING,
    LUNCH_BREAK,
    PRIVATE,
    World,
    address,
    batch_one_facts,
    make_family,
    submit,
)


async def count(session: AsyncSession, model: type, *where: object) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def test_submission_tells_the_family_their_school_batch_and_why(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    family = await make_family(client, issuer)

    response = await submit(client, world, family)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "submitted"
    assert body["catchment_school"]["school_code"] == BINHU
    assert body["catchment_school"]["rule"] == "民族大道 1–199号（单号）"
    assert body["batch"]["code"] == "hukou_property_sole"
    assert body["batch"]["order"] == 1
    assert body["batch"]["reason"] == "户籍与房产均在学区内，房产为独有产权，按户籍迁入时间排序"
    assert body["batch"]["priority_key"] == [1.0, float(date(2020, 3, 1).toordinal())]
    assert body["verification_status"] == "pending"
    # Verification waits in the outbox, one message per agency asked.
    topics = (
        await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.topic == "enrolment.verification.check"
            )
        )
    ).all()
    assert sorted(p["agency"] for p in topics if p["application_id"] == body["id"]) == [
        "property_registry",
        "public_security",
    ]
    assert (
        await count(
            session,
            AuditLog,
            AuditLog.action == "application.submitted",
            AuditLog.resource_id == body["id"],
        )
        == 1
    )


async def test_the_reason_names_why_not_an_earlier_batch(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    facts = batch_one_facts(number="100号")  # even: 凤岭小学
    facts["property_ownership"] = "shared"
    facts["property_share"] = "0.5"
    family = await make_family(client, issuer, facts=facts)

    body = (await submit(client, world, family)).json()

    assert body["catchment_school"]["school_code"] == FENGLING
    assert body["batch"]["code"] == "property_shared"
    assert body["batch"]["not_in_earlier"][0].startswith(
        "未进入「第一批次：房户一致（独有产权）」：房产不是独有产权"
    )
    assert body["batch"]["priority_key"][:2] == [3.0, -0.5]


async def test_a_family_without_property_falls_into_the_hukou_batches(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    facts = {
        "hukou_address": address(estate="阳光小区", road="竹溪大道", number="8号"),
        "hukou_move_in_date": "2021-01-10",
    }
    family = await make_family(client, issuer, facts=facts, documents=("hukou_book",))

    body = (await submit(client, world, family)).json()

    assert body["catchment_school"]["school_code"] == BINHU
    assert body["catchment_school"]["rule"] == "阳光小区（小区）"
    assert body["batch"]["code"] == "hukou_no_property_1y"


async def test_submitting_at_1300_on_a_nanning_day_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    family = await make_family(client, issuer)
    clock(LUNCH_BREAK)  # type: ignore[operator]

    response = await submit(client, world, family)

    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "enrolment.application.window_closed"
    assert problem["errors"][0]["field"] == "cycle.daily_hours"
    assert "08:30–12:30、14:30–22:00" in problem["errors"][0]["message"]
    assert "13:00" in problem["errors"][0]["message"]
    assert await count(session, Application, Application.child_id == family.child_id) == 0
    assert (
        await count(session, OutboxMessage, OutboxMessage.topic == "enrolment.verification.check")
        == 0
    )


async def test_the_last_day_has_its_own_hours_and_the_window_closes(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    family = await make_family(client, issuer)
    clock(datetime(2026, 7, 7, 18, 0, tzinfo=SHANGHAI))  # type: ignore[operator]
    late = await submit(client, world, family)
    assert late.status_code == 422
    assert "17:30" in late.json()["errors"][0]["message"]

    clock(datetime(2026, 7, 8, 9, 0, tzinfo=SHANGHAI))  # type: ignore[operator]
    closed = await submit(client, world, family)
    assert closed.json()["errors"][0]["field"] == "cycle.registration_window"


async def test_an_under_age_child_is_refused_naming_the_child(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    family = await make_family(client, issuer, birth=date(2020, 9, 1))

    response = await submit(client, world, family)

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "body.child_id"
    assert "2020-09-01" in error["message"]
    assert "未满 6 周岁" in error["message"]
    assert await count(session, Application, Application.child_id == family.child_id) == 0


async def test_born_on_31_august_is_six_in_time(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    family = await make_family(client, issuer, birth=date(2020, 8, 31))
    assert (await submit(client, world, family)).status_code == 201


async def test_a_second_application_for_the_same_child_from_the_same_account_is_a_conflict(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    first = await make_family(client, issuer)
    assert (await submit(client, world, first)).status_code == 201
    again = await submit(client, world, first)
    assert again.status_code == 409
    assert again.json()["code"] == "enrolment.application.duplicate"
    assert again.json()["errors"][0]["field"] == "body.child_id"
    # Another account's submission for the same ID number is never refused: see
    # test_duplicate_child.py.
    assert await count(session, Application, Application.cycle_id == world.cycle_id) == 1


async def test_missing_documents_are_named(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    family = await make_family(client, issuer, documents=("hukou_book",))

    response = await submit(client, world, family)

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "enrolment.application.missing_documents"
    assert problem["errors"] == [
        {
            "field": "documents",
            "message": "请上传：房屋所有权证或不动产权证书或购房合同",
            "type": "missing_document",
        }
    ]


async def test_public_and_private_cannot_be_combined_and_private_is_one_school(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    family = await make_family(client, issuer)
    both = await submit(client, world, family, private_choices=[world.offerings[PRIVATE]])
    assert both.status_code == 422
    assert both.json()["errors"][0]["field"] == "body.private_choices"

    public_as_private = await submit(
        client, world, family, track="private", private_choices=[world.offerings[BINHU]]
    )
    assert public_as_private.json()["errors"][0]["field"] == "body.private_choices.0"

    private = await submit(
        client, world, family, track="private", private_choices=[world.offerings[PRIVATE]]
    )
    assert private.status_code == 201, private.text
    assert private.json()["batch"]["code"] == "private_lottery"
    assert private.json()["catchment_school"]["school_code"] == BINHU  # 公民同招 fall-back


async def test_draft_then_submit_then_withdraw_then_apply_again(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    family = await make_family(client, issuer)
    draft = await client.post(
        "/v1/applications",
        json={"cycle_id": world.cycle_id, "child_id": family.child_id},
        headers=family.headers,
    )
    assert draft.status_code == 201
    assert draft.json()["status"] == "draft"
    application_id = draft.json()["id"]

    submitted = await client.post(
        f"/v1/applications/{application_id}/submit", headers=family.headers
    )
    assert submitted.status_code == 200, submitted.text
    assert [e["to_status"] for e in submitted.json()["timeline"]] == ["draft", "submitted"]

    withdrawn = await client.post(
        f"/v1/applications/{application_id}/withdraw",
        json={"reason": "搬家"},
        headers=family.headers,
    )
    assert withdrawn.json()["status"] == "withdrawn"
    again = await submit(client, world, family)
    assert again.status_code == 201

    status = await client.get(
        f"/v1/applications/{again.json()['id']}/status", headers=family.headers
    )
    assert status.json()["status_text"] == "已提交，等待审核"


async def test_facts_are_locked_while_under_review(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    family = await make_family(client, issuer)
    await submit(client, world, family)
    response = await client.put(
        f"/v1/children/{family.child_id}/facts", json=batch_one_facts(), headers=family.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "enrolment.child.locked"


async def test_verification_rows_start_pending(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    family = await make_family(client, issuer)
    body = (await submit(client, world, family)).json()
    outcomes = (
        await session.scalars(
            select(Verification.outcome).where(Verification.application_id == body["id"])
        )
    ).all()
    assert sorted(o.value for o in outcomes) == ["pending", "pending"]
    events = (
        await session.scalars(
            select(ApplicationEvent.to_status).where(ApplicationEvent.application_id == body["id"])
        )
    ).all()
    assert [e.value for e in events] == ["draft", "submitted"]


async def test_a_parent_never_sees_another_familys_application(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    import uuid

    family = await make_family(client, issuer)
    application_id = (await submit(client, world, family)).json()["id"]
    stranger = issuer.parent(uuid.uuid4())
    for method, path, body in (
        ("GET", f"/v1/applications/{application_id}", None),
        ("GET", f"/v1/applications/{application_id}/status", None),
        ("PATCH", f"/v1/applications/{application_id}", {"track": "public"}),
        ("POST", f"/v1/applications/{application_id}/submit", None),
        ("POST", f"/v1/applications/{application_id}/withdraw", {}),
    ):
        response = await client.request(method, path, json=body, headers=stranger)
        assert response.status_code == 404, (method, path, response.text)
    assert (await client.get("/v1/applications", headers=stranger)).json() == []
    # Nor can a stranger apply with someone else's child.
    taken = await client.post(
        "/v1/applications",
        json={"cycle_id": world.cycle_id, "child_id": family.child_id, "submit": True},
        headers=stranger,
    )
    assert taken.status_code == 404
    assert taken.json()["errors"][0]["field"] == "body.child_id"
    # Staff and agencies are not parents.
    assert (
        await client.get(f"/v1/applications/{application_id}", headers=issuer.city_admin())
    ).status_code == 403
    assert (
        await client.get(
            "/v1/applications", headers=issuer.agency_client("x", ["enrolment:stats:read"])
        )
    ).status_code == 403
