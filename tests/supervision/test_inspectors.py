"""责任督学挂牌督导: the register, assignments (about five schools each, one inspector per school,
never one's own school), and visit records from the inspector app — an inspector sees and records
only the schools assigned to them."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .conftest import (
    FULL_CHECKLIST,
    Who,
    assign,
    fields,
    problem,
    register_inspector,
    upload,
)


def record(**overrides: Any) -> dict[str, Any]:
    return {
        "checklist": FULL_CHECKLIST,
        "methods": ["campus_patrol", "document_review"],
        "summary": "校园巡视，查阅安全台账",
        "feedback": "食堂留样记录需每日签字；其余良好",
        **overrides,
    }


async def check_in(
    client: httpx.AsyncClient, headers: dict[str, str], school: str, **body: Any
) -> httpx.Response:
    return await client.post(
        "/v1/visits",
        json={"school_code": school, "latitude": 22.817, "longitude": 108.366, **body},
        headers=headers,
    )


async def test_register_and_duplicates(client: httpx.AsyncClient, who: Who) -> None:
    inspector, _ = await register_inspector(client, who)
    assert inspector["district_code"] == "450103"

    duplicate = await client.post(
        "/v1/inspectors",
        json={
            "name": "另一人",
            "certificate_no": inspector["certificate_no"],
            "district_code": "450103",
            "phone": "13800000000",
        },
        headers=who.district("450103"),
    )
    assert problem(duplicate, 409)["code"] == "supervision.inspector.exists"
    other_district = await client.post(
        "/v1/inspectors",
        json={"name": "x", "certificate_no": "C-1", "district_code": "450103", "phone": "123456"},
        headers=who.district("450105"),
    )
    problem(other_district, 403)
    bad_phone = await client.post(
        "/v1/inspectors",
        json={"name": "x", "certificate_no": "C-2", "district_code": "450103", "phone": "call me"},
        headers=who.district("450103"),
    )
    assert "body.phone" in fields(bad_phone)


async def test_assignment_rules(client: httpx.AsyncClient, who: Who, make_client: Any) -> None:
    inspector, _ = await register_inspector(client, who, employer="4501030005")
    other, _ = await register_inspector(client, who, name="黄丽萍")

    recusal = await client.post(
        f"/v1/inspectors/{inspector['id']}/assignments",
        json={"school_code": "4501030005"},
        headers=who.district("450103"),
    )
    assert "回避" in problem(recusal, 409)["detail"]
    cross = await client.post(
        f"/v1/inspectors/{inspector['id']}/assignments",
        json={"school_code": "4501050001"},
        headers=who.district("450103"),
    )
    assert problem(cross, 409)["code"] == "supervision.assignment.refused"

    for code in ("4501030001", "4501030002", "4501030003", "4501030004", "4501030010"):
        await assign(client, who, inspector, code)
    sixth = await client.post(
        f"/v1/inspectors/{inspector['id']}/assignments",
        json={"school_code": "4501030011"},
        headers=who.district("450103"),
    )
    assert "上限 5 所" in problem(sixth, 409)["detail"]

    taken = await client.post(
        f"/v1/inspectors/{other['id']}/assignments",
        json={"school_code": "4501030001"},
        headers=who.district("450103"),
    )
    assert "已有责任督学" in problem(taken, 409)["detail"]

    listing = await client.get(
        f"/v1/assignments?inspector_id={inspector['id']}", headers=who.district("450103")
    )
    first = listing.json()["items"][0]
    ended = await client.post(
        f"/v1/assignments/{first['id']}/end", json={}, headers=who.district("450103")
    )
    assert ended.json()["ends_on"] is not None
    again = await assign(client, who, other, first["school_code"])
    assert again["inspector_id"] == other["id"]
    problem(
        await client.post(
            f"/v1/assignments/{first['id']}/end", json={}, headers=who.district("450105")
        ),
        404,
    )


async def test_inspector_sees_and_records_only_assigned_schools(
    client: httpx.AsyncClient, who: Who
) -> None:
    """Acceptance: an inspector sees and records only the schools assigned to them."""
    mine, me = await register_inspector(client, who)
    colleague, them = await register_inspector(client, who, name="覃海")
    await assign(client, who, mine, "4501030001")
    await assign(client, who, colleague, "4501030002")

    # Recording: the assigned school yes, the colleague's school and another district's no.
    visit = await check_in(client, me, "4501030001", record=record())
    assert visit.status_code == 201, visit.text
    assert visit.json()["status"] == "completed"
    refused = await check_in(client, me, "4501030002", record=record())
    assert problem(refused, 403)["code"] == "supervision.visit.not_assigned"
    problem(await check_in(client, me, "4501050001"), 403)
    theirs = await check_in(client, them, "4501030002", record=record())
    assert theirs.status_code == 201

    # Seeing: visits, assignments, inspectors, findings, school data and coverage.
    visits = await client.get("/v1/visits", headers=me)
    assert [v["school_code"] for v in visits.json()["items"]] == ["4501030001"]
    problem(await client.get(f"/v1/visits/{theirs.json()['id']}", headers=me), 404)
    assignments = await client.get("/v1/assignments", headers=me)
    assert [a["school_code"] for a in assignments.json()["items"]] == ["4501030001"]
    inspectors = await client.get("/v1/inspectors", headers=me)
    assert [i["id"] for i in inspectors.json()["items"]] == [mine["id"]]
    problem(await client.get(f"/v1/inspectors/{colleague['id']}", headers=me), 404)
    coverage = await client.get("/v1/visits/coverage", headers=me)
    assert [r["school_code"] for r in coverage.json()["rows"]] == ["4501030001"]

    finding = await client.post(
        "/v1/findings",
        json={"school_code": "4501030002", "title": "t", "description": "d"},
        headers=me,
    )
    problem(finding, 403)
    own_finding = await client.post(
        "/v1/findings",
        json={"school_code": "4501030001", "title": "消防通道堆放杂物", "description": "d"},
        headers=me,
    )
    assert own_finding.status_code == 201
    theirs_finding = await client.post(
        "/v1/findings",
        json={"school_code": "4501030002", "title": "t", "description": "d"},
        headers=them,
    )
    findings = await client.get("/v1/findings", headers=me)
    assert {f["school_code"] for f in findings.json()["items"]} == {"4501030001"}
    problem(await client.get(f"/v1/findings/{theirs_finding.json()['id']}", headers=me), 404)

    # The district sees both schools; another district neither.
    district = await client.get("/v1/visits", headers=who.district("450103"))
    assert {v["school_code"] for v in district.json()["items"]} == {"4501030001", "4501030002"}
    assert (await client.get("/v1/visits", headers=who.district("450105"))).json()["items"] == []

    # An inspector whose login is not registered sees nothing and records nothing.
    stranger = who.inspector("450103", f"user:{uuid.uuid4()}")
    assert (await client.get("/v1/visits", headers=stranger)).json()["items"] == []
    assert problem(await check_in(client, stranger, "4501030001"), 403)["code"] == (
        "supervision.inspector.unregistered"
    )


async def test_an_ended_assignment_ends_access(client: httpx.AsyncClient, who: Who) -> None:
    inspector, me = await register_inspector(client, who)
    assignment = await assign(client, who, inspector, "4501030003")
    assert (await check_in(client, me, "4501030003")).status_code == 201

    await client.post(
        f"/v1/assignments/{assignment['id']}/end", json={}, headers=who.district("450103")
    )

    problem(await check_in(client, me, "4501030003"), 403)
    assert (await client.get("/v1/visits", headers=me)).json()["items"] != []  # their own record


async def test_visit_in_two_steps_with_photos_and_findings(
    client: httpx.AsyncClient, who: Who
) -> None:
    inspector, me = await register_inspector(client, who)
    await assign(client, who, inspector, "4501030001")
    photo = await upload(client, me)

    started = await check_in(client, me, "4501030001", accuracy_m=12.5)
    assert started.json()["status"] == "checked_in"
    assert started.json()["feedback"] is None
    recorded = await client.post(
        f"/v1/visits/{started.json()['id']}/record",
        json=record(
            photo_ids=[photo["id"]],
            findings=[
                {
                    "title": "食堂留样不足48小时",
                    "description": "抽查3天留样，1天缺失",
                    "severity": "serious",
                    "category": "canteen_hygiene",
                }
            ],
        ),
        headers=me,
    )

    assert recorded.status_code == 200, recorded.text
    visit = recorded.json()
    assert visit["status"] == "completed"
    assert visit["photo_ids"] == [photo["id"]]
    assert visit["feedback_given_at"] is not None
    assert len(visit["finding_ids"]) == 1
    finding = await client.get(f"/v1/findings/{visit['finding_ids'][0]}", headers=me)
    assert finding.json()["owner_name"] == "南宁市青秀区滨湖路小学"
    assert finding.json()["visit_id"] == visit["id"]
    # The photo is now visible to the school's district, not to another district.
    assert (
        await client.get(f"/v1/attachments/{photo['id']}", headers=who.district("450103"))
    ).status_code == 200
    problem(await client.get(f"/v1/attachments/{photo['id']}", headers=who.district("450105")), 404)
    twice = await client.post(f"/v1/visits/{visit['id']}/record", json=record(), headers=me)
    assert problem(twice, 409)["code"] == "supervision.visit.state"
    school_view = await client.get(f"/v1/visits/{visit['id']}", headers=who.school("4501030001"))
    assert school_view.json()["feedback"].startswith("食堂留样")


async def test_visit_record_validation(client: httpx.AsyncClient, who: Who) -> None:
    inspector, me = await register_inspector(client, who)
    await assign(client, who, inspector, "4501030001")

    partial = await check_in(client, me, "4501030001", record=record(checklist=FULL_CHECKLIST[:7]))
    assert "校风、教风、学风建设" in problem(partial, 422)["errors"][0]["message"]
    no_feedback = await check_in(client, me, "4501030001", record=record(feedback=""))
    assert "body.record.feedback" in fields(no_feedback)
    bad_place = await client.post(
        "/v1/visits",
        json={"school_code": "4501030001", "latitude": 200, "longitude": 108.3},
        headers=me,
    )
    assert "body.latitude" in fields(bad_place)
    future = await check_in(
        client, me, "4501030001", checked_in_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat()
    )
    assert "body.checked_in_at" in fields(future)
    stale = await check_in(
        client, me, "4501030001", checked_in_at=(datetime.now(UTC) - timedelta(days=30)).isoformat()
    )
    assert "body.checked_in_at" in fields(stale)
    other_photo = await upload(client, who.city())
    hijack = await check_in(client, me, "4501030001", record=record(photo_ids=[other_photo["id"]]))
    assert "body.record.photo_ids[0]" in fields(hijack)


async def test_an_offline_visit_counts_for_the_day_it_happened(
    client: httpx.AsyncClient, who: Who
) -> None:
    inspector, me = await register_inspector(client, who)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    late = await check_in(client, me, "4501030001", checked_in_at=yesterday.isoformat())
    problem(late, 403)  # not assigned yet
    assigned = await client.post(
        f"/v1/inspectors/{inspector['id']}/assignments",
        json={"school_code": "4501030001", "starts_on": "2025-09-01"},
        headers=who.district("450103"),
    )
    assert assigned.status_code == 201

    visit = await check_in(
        client, me, "4501030001", checked_in_at=yesterday.isoformat(), record=record()
    )

    body = visit.json()
    assert body["client_checked_in_at"] is not None
    assert body["checked_in_at"] > body["client_checked_in_at"]
    assert body["visited_on"] == (yesterday + timedelta(hours=8)).date().isoformat()


async def test_visit_posts_are_idempotent(client: httpx.AsyncClient, who: Who) -> None:
    inspector, me = await register_inspector(client, who)
    await assign(client, who, inspector, "4501030001")
    headers = {**me, "Idempotency-Key": "visit-0001"}
    body = {"school_code": "4501030001", "latitude": 22.8, "longitude": 108.3, "record": record()}

    first = await client.post("/v1/visits", json=body, headers=headers)
    again = await client.post("/v1/visits", json=body, headers=headers)
    other = await client.post("/v1/visits", json={**body, "latitude": 22.9}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert problem(other, 409)["code"] == "idempotency.key_reused"
    assert len((await client.get("/v1/visits", headers=me)).json()["items"]) == 1


async def test_me_guide_and_the_public_sign(client: httpx.AsyncClient, who: Who) -> None:
    inspector, me = await register_inspector(client, who)
    await assign(client, who, inspector, "4501030001")

    assert (await client.get("/v1/inspectors/me", headers=me)).json()["id"] == inspector["id"]
    problem(await client.get("/v1/inspectors/me", headers=who.district("450103")), 403)
    guide = await client.get("/v1/visits/guide", headers=me)
    assert len(guide.json()["checklist"]) == 8
    assert len(guide.json()["duties"]) == 5

    sign = await client.get("/v1/public/schools/4501030001/inspector")
    assert sign.status_code == 200
    assert sign.json()["inspector_name"] == "韦志坚"
    assert sign.json()["phone"] == "0771-5550101"
    assert "招生、收费、择校" in sign.json()["items"]
    problem(await client.get("/v1/public/schools/4501030002/inspector"), 404)


async def test_linking_a_login_and_deactivating(client: httpx.AsyncClient, who: Who) -> None:
    inspector, me = await register_inspector(client, who)
    await assign(client, who, inspector, "4501030001")

    off = await client.patch(
        f"/v1/inspectors/{inspector['id']}", json={"active": False}, headers=who.district("450103")
    )
    assert off.json()["active"] is False
    # An inactive inspector's login no longer resolves to the record.
    problem(await check_in(client, me, "4501030001"), 403)
    taken = await client.patch(
        f"/v1/inspectors/{inspector['id']}",
        json={"account_subject": "user:someone"},
        headers=who.district("450105"),
    )
    problem(taken, 404)


async def test_coverage_reports_visits_per_school_this_month(
    client: httpx.AsyncClient, who: Who
) -> None:
    inspector, me = await register_inspector(client, who)
    await assign(client, who, inspector, "4501030001")
    await assign(client, who, inspector, "4501030002")
    await check_in(client, me, "4501030001", record=record())
    await check_in(client, me, "4501030001")  # checked in, never recorded: does not count

    coverage = await client.get("/v1/visits/coverage", headers=who.district("450103"))

    rows = {r["school_code"]: r for r in coverage.json()["rows"]}
    assert rows["4501030001"]["visits"] == 1
    assert rows["4501030001"]["status"] == "ok"
    assert rows["4501030002"]["visits"] == 0
    assert rows["4501030002"]["status"] in ("pending", "due")
    assert (coverage.json()["schools"], coverage.json()["visited"]) == (2, 1)
    bad = await client.get("/v1/visits/coverage?month=2026-13", headers=who.city())
    assert "query.month" in fields(bad)


async def test_a_visit_before_the_assignment_began_is_refused(
    client: httpx.AsyncClient, who: Who
) -> None:
    inspector, me = await register_inspector(client, who)
    await assign(client, who, inspector, "4501030001")  # starts today

    early = await check_in(
        client,
        me,
        "4501030001",
        checked_in_at=(datetime.now(UTC) - timedelta(days=2)).isoformat(),
    )

    assert "body.checked_in_at" in fields(early)
