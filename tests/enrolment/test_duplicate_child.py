"""Nobody can take another child's place: a draft holds nothing, and when several accounts submit
for one ID number none is refused — every live one is flagged `duplicate_child` for the
district's reviewers, who compare them side by side and keep one. Families see nothing of it."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.app import create_app
from enrolment.config import Settings
from enrolment.models import Application, AuditLog
from shared.testing.tokens import TestIssuer

from .conftest import BLOB_DIR, QINGXIU, XINGNING, Family, World, app_of, make_family, submit

DUPLICATE = "duplicate_child"


async def flags_of(session: AsyncSession, application_id: str) -> list[str]:
    flags = await session.scalar(
        select(Application.flags).where(Application.id == uuid.UUID(application_id))
    )
    return list(flags or [])


async def draft(client: httpx.AsyncClient, world: World, family: Family) -> httpx.Response:
    return await client.post(
        "/v1/applications",
        json={"cycle_id": world.cycle_id, "child_id": family.child_id},
        headers=family.headers,
    )


async def test_a_strangers_draft_does_not_stop_the_real_familys_submission(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    stranger = await make_family(client, issuer)
    assert (await draft(client, world, stranger)).status_code == 201

    family = await make_family(client, issuer)
    assert family.id_number == stranger.id_number
    response = await submit(client, world, family)

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "submitted"
    # A draft is nobody's claim: nothing for reviewers to untangle either.
    assert DUPLICATE not in await flags_of(session, response.json()["id"])


async def test_a_second_account_submitting_is_not_refused_and_both_are_flagged_silently(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    first = await make_family(client, issuer)
    second = await make_family(client, issuer)
    first_response = await submit(client, world, first)
    second_response = await submit(client, world, second)

    assert first_response.status_code == 201, first_response.text
    assert second_response.status_code == 201, second_response.text
    ids = [first_response.json()["id"], second_response.json()["id"]]
    for application_id in ids:
        assert DUPLICATE in await flags_of(session, application_id)
    # Neither family learns that someone else applied with this ID number.
    for family, application_id in ((first, ids[0]), (second, ids[1])):
        for path in (
            f"/v1/applications/{application_id}",
            f"/v1/applications/{application_id}/status",
        ):
            seen = await client.get(path, headers=family.headers)
            assert seen.json()["status"] == "submitted"
            assert seen.json()["status_text"] == "已提交，等待审核"
            assert "duplicate" not in seen.text
    assert "duplicate" not in first_response.text + second_response.text
    # The district's reviewers find both in their queue.
    queue = await client.get(
        "/v1/review/applications",
        params={"cycle_id": world.cycle_id, "flag": DUPLICATE},
        headers=issuer.district_admin(QINGXIU),
    )
    assert sorted(item["id"] for item in queue.json()["items"]) == sorted(ids)
    audited = await session.scalar(
        select(AuditLog.details).where(
            AuditLog.action == "application.duplicate_child",
            AuditLog.resource_id == ids[1],
        )
    )
    assert audited == {"with": [ids[0]]}

    # A third account joins the flagged group; still nobody is refused.
    third = await make_family(client, issuer)
    third_response = await submit(client, world, third)
    assert third_response.status_code == 201
    assert DUPLICATE in await flags_of(session, third_response.json()["id"])


async def test_a_draft_submitted_while_another_account_holds_the_child_is_flagged_not_refused(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    late = await make_family(client, issuer)
    late_draft = (await draft(client, world, late)).json()["id"]
    early = await make_family(client, issuer)
    early_id = (await submit(client, world, early)).json()["id"]
    assert DUPLICATE not in await flags_of(session, early_id)

    submitted = await client.post(f"/v1/applications/{late_draft}/submit", headers=late.headers)

    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"
    assert DUPLICATE in await flags_of(session, early_id)
    assert DUPLICATE in await flags_of(session, late_draft)


async def test_reviewers_compare_the_duplicates_side_by_side_and_keep_one(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    impostor = await make_family(client, issuer)
    family = await make_family(client, issuer)
    impostor_id = (await submit(client, world, impostor)).json()["id"]
    family_id = (await submit(client, world, family)).json()["id"]
    reviewer = issuer.district_admin(QINGXIU)

    group = await client.get(f"/v1/review/applications/{impostor_id}/duplicates", headers=reviewer)
    assert group.status_code == 200, group.text
    body = group.json()
    assert body["unresolved"] is True
    assert body["id_number"].startswith("4501")
    assert "*" in body["id_number"]
    assert [item["id"] for item in body["applications"]] == [impostor_id, family_id]
    accounts = {item["parent_account"] for item in body["applications"]}
    assert accounts == {f"parent:{impostor.parent_id}", f"parent:{family.parent_id}"}
    assert all(item["facts"]["guardians"] for item in body["applications"])

    # Neither can be approved until one is chosen, one at a time or in bulk.
    approve = {"decision": "approve", "reason_code": "materials_complete"}
    refused = await client.post(
        f"/v1/review/applications/{family_id}/decision", json=approve, headers=reviewer
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "enrolment.review.duplicate_unresolved"
    bulk = await client.post(
        "/v1/review/applications/bulk-approve",
        json={"application_ids": [impostor_id, family_id], "skip_flagged": False},
        headers=reviewer,
    )
    assert bulk.json() == {
        "approved": [],
        "skipped": [
            {"id": impostor_id, "reason": DUPLICATE},
            {"id": family_id, "reason": DUPLICATE},
        ],
    }

    resolved = await client.post(
        f"/v1/review/applications/{impostor_id}/duplicates/resolution",
        json={"keep": family_id, "message": "请由儿童的监护人本人报名；如有疑问请联系区教育局"},
        headers=reviewer,
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["unresolved"] is False
    statuses = {item["id"]: item["status"] for item in resolved.json()["applications"]}
    assert statuses == {impostor_id: "rejected", family_id: "submitted"}
    assert DUPLICATE not in await flags_of(session, family_id)

    # The impostor's account sees a rejection with the reviewer's words, nothing about others.
    seen = (await client.get(f"/v1/applications/{impostor_id}", headers=impostor.headers)).json()
    assert seen["status"] == "rejected"
    assert seen["timeline"][-1]["message"].startswith("请由儿童的监护人本人报名")
    assert seen["timeline"][-1]["reason_code"] == DUPLICATE
    assert (
        await session.scalar(
            select(AuditLog.details).where(
                AuditLog.action == "application.duplicate_child.resolved"
            )
        )
    ) == {"kept": family_id, "rejected": [impostor_id]}

    approved = await client.post(
        f"/v1/review/applications/{family_id}/decision", json=approve, headers=reviewer
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "verified"

    # A later account submitting for the child is flagged with the kept one, not refused.
    later = await make_family(client, issuer)
    later_response = await submit(client, world, later)
    assert later_response.status_code == 201
    assert DUPLICATE in await flags_of(session, family_id)
    assert DUPLICATE in await flags_of(session, later_response.json()["id"])


async def test_another_districts_staff_cannot_see_or_resolve_the_duplicates(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    first = await make_family(client, issuer)
    second = await make_family(client, issuer)
    first_id = (await submit(client, world, first)).json()["id"]
    second_id = (await submit(client, world, second)).json()["id"]
    outsider = issuer.district_admin(XINGNING)

    group = await client.get(f"/v1/review/applications/{first_id}/duplicates", headers=outsider)
    resolution = await client.post(
        f"/v1/review/applications/{first_id}/duplicates/resolution",
        json={"keep": first_id, "message": "x"},
        headers=outsider,
    )

    assert group.status_code == 404
    assert resolution.status_code == 404
    # Keeping something that is not in the group is a clear 422 for the district's own staff.
    wrong = await client.post(
        f"/v1/review/applications/{first_id}/duplicates/resolution",
        json={"keep": str(uuid.uuid4()), "message": "x"},
        headers=issuer.district_admin(QINGXIU),
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.keep"
    assert second_id


async def test_an_account_adds_at_most_five_children(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    from datetime import date

    from .conftest import child_id_number

    headers = issuer.parent(uuid.uuid4())
    for sequence in range(1, 6):
        added = await client.post(
            "/v1/children",
            json={"name": "李小明", "id_number": child_id_number(date(2019, 5, 6), sequence)},
            headers=headers,
        )
        assert added.status_code == 201, added.text

    sixth = await client.post(
        "/v1/children",
        json={"name": "李小明", "id_number": child_id_number(date(2019, 5, 6), 6)},
        headers=headers,
    )

    assert sixth.status_code == 409
    assert sixth.json()["code"] == "enrolment.child.limit"
    assert len((await client.get("/v1/children", headers=headers)).json()) == 5


async def test_adding_children_is_rate_limited_per_account(
    make_client: Callable[..., Any], client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    from datetime import date

    from .conftest import child_id_number

    limited: httpx.AsyncClient = await make_client(
        create_app,
        Settings,
        cycle_cache_seconds=0.0,
        blob_dir=str(BLOB_DIR),
        child_creation_limit=2,
    )
    app_of(limited).state.schools = app_of(client).state.schools
    headers = issuer.parent(uuid.uuid4())

    answers = [
        await limited.post(
            "/v1/children",
            json={"name": "李小明", "id_number": child_id_number(date(2019, 5, 6), sequence)},
            headers=headers,
        )
        for sequence in (1, 1, 2)
    ]

    # Refused attempts count too: probing ID numbers is what the limit is for.
    assert [answer.status_code for answer in answers] == [201, 409, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    other_account = await limited.post(
        "/v1/children",
        json={"name": "李小明", "id_number": child_id_number(date(2019, 5, 6), 3)},
        headers=issuer.parent(uuid.uuid4()),
    )
    assert other_account.status_code == 201
