"""Review: scope in every query, queues with filters and keyset pages, decisions, bulk, audit."""

import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import AuditLog, Notification, OutboxMessage
from shared.testing.tokens import TestIssuer

from .conftest import (
    BINHU,
    FENGLING,
    QINGXIU,
    XINGNING,
    World,
    batch_one_facts,
    make_family,
    submit,
)


async def submitted(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    number: str = "99号",
    sequence: int = 1,
) -> tuple[str, object]:
    family = await make_family(
        client, issuer, facts=batch_one_facts(number=number), sequence=sequence
    )
    response = await submit(client, world, family)
    assert response.status_code == 201, response.text
    return response.json()["id"], family


async def test_return_correct_resubmit_approve(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    application_id, family = await submitted(client, issuer, world)
    reviewer = issuer.school_staff(BINHU)

    started = await client.post(f"/v1/review/applications/{application_id}/start", headers=reviewer)
    assert started.json()["status"] == "under_review"
    returned = await client.post(
        f"/v1/review/applications/{application_id}/decision",
        json={
            "decision": "return",
            "reason_code": "document_unclear",
            "message": "房产证照片看不清",
            "corrections": [
                {
                    "field": "documents.real_estate_certificate",
                    "message": "请重新拍摄不动产权证书首页",
                }
            ],
        },
        headers=reviewer,
    )
    assert returned.status_code == 200, returned.text

    seen = (await client.get(f"/v1/applications/{application_id}", headers=family.headers)).json()  # type: ignore[attr-defined]
    assert seen["status"] == "returned"
    assert seen["return_message"] == "房产证照片看不清"
    assert seen["corrections"] == [
        {"field": "documents.real_estate_certificate", "message": "请重新拍摄不动产权证书首页"}
    ]
    assert [e["to_status"] for e in seen["timeline"]] == [
        "draft",
        "submitted",
        "under_review",
        "returned",
    ]

    resubmitted = await client.post(
        f"/v1/applications/{application_id}/submit", headers=family.headers
    )  # type: ignore[attr-defined]
    assert resubmitted.json()["status"] == "resubmitted"
    assert resubmitted.json()["corrections"] == []

    approved = await client.post(
        f"/v1/review/applications/{application_id}/decision",
        json={"decision": "approve", "reason_code": "materials_complete"},
        headers=reviewer,
    )
    assert approved.json()["status"] == "verified"
    actions = (
        await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.resource_id == application_id)
            .order_by(AuditLog.id)
        )
    ).all()
    assert actions == [
        "application.submitted",
        "application.under_review",
        "application.returned",
        "application.resubmitted",
        "application.verified",
    ]
    sms = (
        await session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.topic == "enrolment.notification.sms")
        )
    ).all()
    templates = [p["template"] for p in sms if p["application_id"] == application_id]
    assert templates == ["submitted", "returned", "resubmitted", "verified"]
    assert "房产证照片看不清" in next(p["message"] for p in sms if p["template"] == "returned")


async def test_decisions_need_fitting_reason_codes_and_legal_moves(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    application_id, _ = await submitted(client, issuer, world)
    reviewer = issuer.district_admin(QINGXIU)
    bad = await client.post(
        f"/v1/review/applications/{application_id}/decision",
        json={"decision": "reject", "reason_code": "materials_complete", "message": "x"},
        headers=reviewer,
    )
    assert bad.status_code == 422
    no_corrections = await client.post(
        f"/v1/review/applications/{application_id}/decision",
        json={"decision": "return", "reason_code": "other", "message": "x"},
        headers=reviewer,
    )
    assert no_corrections.status_code == 422
    rejected = await client.post(
        f"/v1/review/applications/{application_id}/decision",
        json={"decision": "reject", "reason_code": "false_information", "message": "房产信息不实"},
        headers=reviewer,
    )
    assert rejected.json()["status"] == "rejected"
    again = await client.post(
        f"/v1/review/applications/{application_id}/decision",
        json={"decision": "approve", "reason_code": "materials_complete"},
        headers=reviewer,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "enrolment.application.invalid_transition"


async def test_staff_see_only_their_district_or_school(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    binhu_id, family = await submitted(client, issuer, world, number="99号")
    fengling_id, _ = await submitted(client, issuer, world, number="100号", sequence=3)

    async def queue(headers: dict[str, str]) -> set[str]:
        response = await client.get(
            "/v1/review/applications", params={"cycle_id": world.cycle_id}, headers=headers
        )
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await queue(issuer.city_admin()) == {binhu_id, fengling_id}
    assert await queue(issuer.district_admin(QINGXIU)) == {binhu_id, fengling_id}
    assert await queue(issuer.district_admin(XINGNING)) == set()
    assert await queue(issuer.school_staff(BINHU)) == {binhu_id}
    assert await queue(issuer.school_staff(FENGLING)) == {fengling_id}

    endpoints = [
        ("GET", f"/v1/review/applications/{binhu_id}", None),
        ("POST", f"/v1/review/applications/{binhu_id}/start", None),
        (
            "POST",
            f"/v1/review/applications/{binhu_id}/decision",
            {"decision": "approve", "reason_code": "materials_complete"},
        ),
        ("GET", f"/v1/review/applications/{binhu_id}/personal-data", None),
    ]
    for headers in (
        issuer.district_admin(XINGNING, scopes=["enrolment:pii:read"]),
        issuer.school_staff(FENGLING, scopes=["enrolment:pii:read"]),
    ):
        for method, path, body in endpoints:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (method, path, response.text)
    bulk = await client.post(
        "/v1/review/applications/bulk-approve",
        json={"application_ids": [binhu_id]},
        headers=issuer.school_staff(FENGLING),
    )
    assert bulk.json() == {"approved": [], "skipped": [{"id": binhu_id, "reason": "not_found"}]}

    # Parents, inspectors and agencies are not reviewers at all.
    for headers in (
        family.headers,
        issuer.inspector(QINGXIU),
        issuer.agency_client("gov", ["enrolment:stats:read"]),
    ):  # type: ignore[attr-defined]
        assert (await client.get("/v1/review/applications", headers=headers)).status_code == 403
        assert (
            await client.get(f"/v1/review/applications/{binhu_id}", headers=headers)
        ).status_code == 403


async def test_the_queue_filters_and_pages_by_keyset(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    ids = []
    for sequence in range(1, 8):
        application_id, _ = await submitted(
            client, issuer, world, number=f"{2 * sequence + 1}号", sequence=2 * sequence + 1
        )
        ids.append(application_id)
    headers = issuer.district_admin(QINGXIU)
    seen: list[str] = []
    cursor = None
    while True:
        params = {
            "cycle_id": world.cycle_id,
            "limit": 3,
            "status": "submitted",
            "batch_code": "hukou_property_sole",
            "school_code": BINHU,
        }
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/review/applications", params=params, headers=headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids)
    flagged = await client.get(
        "/v1/review/applications", params={"flag": "hukou_mismatch"}, headers=headers
    )
    assert flagged.json()["items"] == []
    bad_cursor = await client.get(
        "/v1/review/applications", params={"cursor": "!!"}, headers=headers
    )
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["field"] == "query.cursor"


async def test_bulk_approve_skips_what_it_must(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    first, _ = await submitted(client, issuer, world, number="1号", sequence=5)
    second, _ = await submitted(client, issuer, world, number="3号", sequence=7)
    missing = str(uuid.uuid4())
    headers = issuer.district_admin(QINGXIU)
    from enrolment.models import Application

    flagged = await session.get(Application, uuid.UUID(second))
    assert flagged is not None
    flagged.flags = ["hukou_mismatch"]
    await session.flush()

    response = await client.post(
        "/v1/review/applications/bulk-approve",
        json={"application_ids": [first, second, missing]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    result = response.json()

    assert result["approved"] == [first]
    assert {s["id"]: s["reason"] for s in result["skipped"]} == {
        second: "flagged:hukou_mismatch",
        missing: "not_found",
    }
    assert (
        await session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "application.verified")
        )
        == 1
    )


async def test_full_numbers_need_their_own_scope_and_are_audited(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    application_id, family = await submitted(client, issuer, world)
    plain = await client.get(
        f"/v1/review/applications/{application_id}", headers=issuer.district_admin(QINGXIU)
    )
    body = plain.json()
    assert body["child"]["id_number"] == family.id_number[:4] + "*" * 10 + family.id_number[-4:]  # type: ignore[attr-defined]
    assert body["facts"]["property_certificate_number"].count("*") > 5
    assert family.id_number not in plain.text  # type: ignore[attr-defined]
    assert "0123456" not in plain.text

    denied = await client.get(
        f"/v1/review/applications/{application_id}/personal-data",
        headers=issuer.district_admin(QINGXIU),
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "enrolment.personal_data.forbidden"

    allowed = await client.get(
        f"/v1/review/applications/{application_id}/personal-data",
        headers=issuer.district_admin(QINGXIU, scopes=["enrolment:pii:read"]),
    )
    assert allowed.status_code == 200
    assert allowed.json()["child_id_number"] == family.id_number  # type: ignore[attr-defined]
    assert allowed.json()["property_certificate_number"] == "桂(2018)南宁市不动产权第0123456号"
    assert allowed.json()["guardians"][0]["phone"] == "13800001234"
    reads = await session.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(
            AuditLog.action == "application.personal_data.read",
            AuditLog.resource_id == application_id,
        )
    )
    assert reads == 1


async def test_reviewers_download_documents_in_scope_only(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    application_id, family = await submitted(client, issuer, world)
    detail = (
        await client.get(
            f"/v1/review/applications/{application_id}", headers=issuer.school_staff(BINHU)
        )
    ).json()
    document_id = detail["documents"][0]["id"]
    path = f"/v1/review/applications/{application_id}/documents/{document_id}/content"
    ok = await client.get(path, headers=issuer.school_staff(BINHU))
    assert ok.status_code == 200
    assert ok.content.startswith(b"\x89PNG")
    assert (await client.get(path, headers=issuer.school_staff(FENGLING))).status_code == 404


async def test_reason_codes_are_listed(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    codes = (await client.get("/v1/review/reason-codes", headers=issuer.school_staff(BINHU))).json()
    assert {"decision": "return", "code": "document_unclear", "label": "材料不清晰"} in codes


async def test_notifications_are_sent_from_the_outbox(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    from enrolment.notifications import DevelopmentSmsSender

    application_id, family = await submitted(client, issuer, world)
    payload = next(
        p
        for p in (
            await session.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.topic == "enrolment.notification.sms"
                )
            )
        ).all()
        if p["application_id"] == application_id
    )
    sender = DevelopmentSmsSender()
    await sender.send(session, payload)
    await sender.send(session, payload)  # re-delivered: sent once
    sent = (
        await session.scalars(
            select(Notification).where(Notification.application_id == uuid.UUID(application_id))
        )
    ).all()
    assert len(sent) == 1
    assert sent[0].parent_subject == f"parent:{family.parent_id}"  # type: ignore[attr-defined]
    assert "第一批次" in sent[0].message
