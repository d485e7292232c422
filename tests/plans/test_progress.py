"""Progress reports per task and unit, review by the plan's owner, extensions, attachments —
and who may do each of them."""

from datetime import date
from typing import Any

import httpx
import pytest

Client = httpx.AsyncClient


@pytest.fixture
async def plan(import_plan: Any, small_plan: str) -> dict[str, Any]:
    created: dict[str, Any] = await import_plan(small_plan)
    return created


async def assignment_of(
    client: Client, auth: Any, walk: Any, plan: dict[str, Any], ref: str, org: str
) -> dict[str, Any]:
    tree = (await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json()
    found: dict[str, Any] = next(a for a in walk(tree)[ref]["assignments"] if a["org_name"] == org)
    return found


async def test_a_unit_reports_and_the_owner_returns_then_accepts_with_a_grade(
    client: Client, auth: Any, walk: Any, plan: dict[str, Any], today_is: Any
) -> None:
    qingxiu = await assignment_of(client, auth, walk, plan, "一/1", "青秀区人民政府")
    reporter = auth.reporter("青秀区人民政府", subject="user:qx-1")

    progress = await client.post(
        f"/v1/assignments/{qingxiu['id']}/reports",
        json={"status": "on_track", "percent": 40, "narrative": "2 所已动工", "period": "2019-03"},
        headers=reporter,
    )
    assert progress.status_code == 201, progress.text
    body = progress.json()
    assert (body["review_state"], body["org_name"], body["node_ref"]) == (
        "submitted",
        "青秀区人民政府",
        "一/1",
    )
    second = await client.post(
        f"/v1/assignments/{qingxiu['id']}/reports",
        json={"status": "on_track", "percent": 50, "narrative": "x"},
        headers=reporter,
    )
    assert (second.status_code, second.json()["code"]) == (409, "plans.report.pending_review")

    returned = await client.post(
        f"/v1/reports/{body['id']}/review", json={"decision": "return"}, headers=auth.city
    )
    assert returned.status_code == 422
    assert returned.json()["errors"][0]["field"] == "body.reason"
    returned = await client.post(
        f"/v1/reports/{body['id']}/review",
        json={"decision": "return", "reason": "请附开工照片"},
        headers=auth.city,
    )
    assert returned.json()["review_state"] == "returned"
    todo = (await client.get("/v1/todo", headers=reporter)).json()
    assert todo[0]["kind"] == "resubmit_report"
    assert "请附开工照片" in todo[0]["title"]
    again = await client.post(
        f"/v1/reports/{body['id']}/review",
        json={"decision": "accept", "grade": "good"},
        headers=auth.city,
    )
    assert (again.status_code, again.json()["code"]) == (409, "plans.report.already_reviewed")

    today_is(date(2019, 6, 20))
    closing = await client.post(
        f"/v1/assignments/{qingxiu['id']}/reports",
        json={"status": "completed", "percent": 100, "narrative": "5 所全部开园"},
        headers=reporter,
    )
    assert closing.status_code == 201
    no_grade = await client.post(
        f"/v1/reports/{closing.json()['id']}/review", json={"decision": "accept"}, headers=auth.city
    )
    assert no_grade.json()["errors"][0]["field"] == "body.grade"
    accepted = await client.post(
        f"/v1/reports/{closing.json()['id']}/review",
        json={"decision": "accept", "grade": "excellent", "comment": "提前完成"},
        headers=auth.city,
    )
    assert accepted.json()["grade"] == "excellent"
    qingxiu = await assignment_of(client, auth, walk, plan, "一/1", "青秀区人民政府")
    assert (qingxiu["state"], qingxiu["grade"], qingxiu["percent"], qingxiu["light"]) == (
        "completed",
        "excellent",
        100,
        "done",
    )
    closed = await client.post(
        f"/v1/assignments/{qingxiu['id']}/reports",
        json={"status": "on_track", "percent": 100, "narrative": "x"},
        headers=reporter,
    )
    assert (closed.status_code, closed.json()["code"]) == (409, "plans.assignment.closed")
    inbox = (await client.get("/v1/notifications", headers=reporter)).json()["items"]
    assert {n["kind"] for n in inbox} == {"report_returned", "report_accepted"}


async def test_reports_are_validated_by_field(
    client: Client, auth: Any, walk: Any, plan: dict[str, Any]
) -> None:
    qingxiu = await assignment_of(client, auth, walk, plan, "一/1", "青秀区人民政府")
    reporter = auth.reporter("青秀区人民政府")
    cases = [
        ({"status": "completed", "percent": 80, "narrative": "x"}, "body"),
        ({"status": "on_track", "percent": 101, "narrative": "x"}, "body.percent"),
        ({"status": "sleeping", "percent": 1, "narrative": "x"}, "body.status"),
        ({"status": "on_track", "percent": 1, "narrative": ""}, "body.narrative"),
        (
            {"status": "on_track", "percent": 1, "narrative": "x", "period": "2019-13"},
            "body.period",
        ),
    ]
    for body, field in cases:
        response = await client.post(
            f"/v1/assignments/{qingxiu['id']}/reports", json=body, headers=reporter
        )
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"] == field, body


async def test_only_the_responsible_unit_reports_and_only_the_owner_reviews(
    client: Client, auth: Any, walk: Any, plan: dict[str, Any]
) -> None:
    qingxiu = await assignment_of(client, auth, walk, plan, "一/1", "青秀区人民政府")
    body = {"status": "on_track", "percent": 10, "narrative": "x"}
    url = f"/v1/assignments/{qingxiu['id']}/reports"

    assert (
        await client.post(url, json=body, headers=auth.reporter("江南区人民政府"))
    ).status_code == 404
    assert (await client.post(url, json=body, headers=auth.district("450105"))).status_code == 404
    # The owner sees it but is not the unit.
    assert (await client.post(url, json=body, headers=auth.city)).status_code == 403
    assert (await client.post(url, json=body, headers=auth.school("4501030001"))).status_code == 404
    # District staff report for the units of their district.
    by_district = await client.post(url, json=body, headers=auth.district("450103"))
    assert by_district.status_code == 201
    report_id = by_district.json()["id"]

    review = {"decision": "accept"}
    assert (
        await client.post(
            f"/v1/reports/{report_id}/review", json=review, headers=auth.district("450103")
        )
    ).status_code == 403
    assert (
        await client.post(
            f"/v1/reports/{report_id}/review", json=review, headers=auth.district("450105")
        )
    ).status_code == 404
    assert (
        await client.get(f"/v1/reports/{report_id}", headers=auth.reporter("江南区人民政府"))
    ).status_code == 404
    assert (
        await client.get(f"/v1/reports/{report_id}", headers=auth.reporter("青秀区人民政府"))
    ).status_code == 200
    listed = (await client.get("/v1/reports", headers=auth.reporter("江南区人民政府"))).json()[
        "items"
    ]
    assert listed == []
    owner_list = (
        await client.get("/v1/reports", params={"review_state": "submitted"}, headers=auth.city)
    ).json()["items"]
    assert [r["id"] for r in owner_list] == [report_id]
    owner_todo = (await client.get("/v1/todo", headers=auth.city)).json()
    assert any(
        item["kind"] == "review_report" and item["report_id"] == report_id for item in owner_todo
    )


async def test_attachments_belong_to_a_pending_report_of_the_unit(
    client: Client, auth: Any, walk: Any, plan: dict[str, Any]
) -> None:
    qingxiu = await assignment_of(client, auth, walk, plan, "一/1", "青秀区人民政府")
    reporter = auth.reporter("青秀区人民政府")
    report = (
        await client.post(
            f"/v1/assignments/{qingxiu['id']}/reports",
            json={"status": "on_track", "percent": 30, "narrative": "见附件"},
            headers=reporter,
        )
    ).json()
    url = f"/v1/reports/{report['id']}/attachments"
    content = "开工照片说明".encode()

    uploaded = await client.post(
        url, files={"file": ("说明.txt", content, "text/plain")}, headers=reporter
    )
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    assert attachment["size"] == len(content)
    download = await client.get(f"{url}/{attachment['id']}", headers=auth.city)
    assert download.content == content
    assert download.headers["x-content-sha256"] == attachment["sha256"]
    assert (
        await client.get(f"{url}/{attachment['id']}", headers=auth.reporter("江南区人民政府"))
    ).status_code == 404
    shown = (await client.get(f"/v1/reports/{report['id']}", headers=auth.city)).json()
    assert [a["filename"] for a in shown["attachments"]] == ["说明.txt"]

    assert (
        await client.post(url, files={"file": ("a.txt", b"x", "text/plain")}, headers=auth.city)
    ).status_code == 403
    assert (
        await client.post(url, files={"file": ("a.txt", b"", "text/plain")}, headers=reporter)
    ).status_code == 422
    assert (await client.post(url, json={"file": "x"}, headers=reporter)).status_code == 415
    too_big = await client.post(
        url,
        files={"file": ("a.bin", b"0" * (10 * 1024 * 1024 + 1), "application/octet-stream")},
        headers=reporter,
    )
    assert too_big.status_code == 413
    await client.post(
        f"/v1/reports/{report['id']}/review", json={"decision": "accept"}, headers=auth.city
    )
    late = await client.post(url, files={"file": ("b.txt", b"y", "text/plain")}, headers=reporter)
    assert late.status_code == 409


async def test_extensions_before_the_deadline_decided_by_the_owner(
    client: Client, auth: Any, walk: Any, plan: dict[str, Any], today_is: Any
) -> None:
    jiangnan = await assignment_of(client, auth, walk, plan, "一/1", "江南区人民政府")
    url = f"/v1/assignments/{jiangnan['id']}/extensions"
    reporter = auth.reporter("江南区人民政府")

    today_is(date(2019, 7, 1))
    late = await client.post(
        url, json={"requested_due": "2019-08-31", "reason": "x"}, headers=reporter
    )
    assert (late.status_code, late.json()["code"]) == (409, "plans.extension.too_late")
    today_is(date(2019, 6, 1))
    earlier = await client.post(
        url, json={"requested_due": "2019-06-01", "reason": "x"}, headers=reporter
    )
    assert earlier.json()["errors"][0]["field"] == "body.requested_due"
    assert (
        await client.post(
            url,
            json={"requested_due": "2019-08-31", "reason": "x"},
            headers=auth.reporter("青秀区人民政府"),
        )
    ).status_code == 404
    made = await client.post(
        url, json={"requested_due": "2019-08-31", "reason": "用地未批"}, headers=reporter
    )
    assert made.status_code == 201
    assert made.json()["current_due"] == "2019-06-30"
    twice = await client.post(
        url, json={"requested_due": "2019-09-30", "reason": "x"}, headers=reporter
    )
    assert twice.json()["code"] == "plans.extension.pending"

    decision = f"/v1/extensions/{made.json()['id']}/decision"
    assert (
        await client.post(decision, json={"decision": "approve"}, headers=reporter)
    ).status_code == 403
    assert (
        await client.post(decision, json={"decision": "reject"}, headers=auth.city)
    ).status_code == 422
    rejected = await client.post(
        decision, json={"decision": "reject", "reason": "不影响用地"}, headers=auth.city
    )
    assert rejected.json()["state"] == "rejected"
    assert (
        await client.post(decision, json={"decision": "approve"}, headers=auth.city)
    ).status_code == 409
    assert (await assignment_of(client, auth, walk, plan, "一/1", "江南区人民政府"))[
        "due"
    ] == "2019-06-30"
    mine = (await client.get("/v1/extensions", headers=reporter)).json()
    assert [e["state"] for e in mine] == ["rejected"]
    assert (
        await client.get("/v1/extensions", headers=auth.reporter("青秀区人民政府"))
    ).json() == []


async def test_tasks_list_shows_a_reporter_only_its_own_units(
    client: Client, auth: Any, plan: dict[str, Any], today_is: Any
) -> None:
    today_is(date(2019, 7, 2))
    owner = (
        await client.get("/v1/tasks", params={"plan_id": plan["id"]}, headers=auth.city)
    ).json()
    assert [t["ref"] for t in owner["items"]] == ["一/1", "一/2", "二/1", "二/2"]
    assert len(next(t for t in owner["items"] if t["ref"] == "二/1")["assignments"]) == 12
    # 二/2 names only an unknown unit: the owner still sees the task, nobody reports on it yet.
    assert next(t for t in owner["items"] if t["ref"] == "二/2")["assignments"] == []

    qingxiu = (await client.get("/v1/tasks", headers=auth.reporter("青秀区人民政府"))).json()[
        "items"
    ]
    assert [t["ref"] for t in qingxiu] == ["一/1", "一/2", "二/1"]
    assert all(a["org_name"] == "青秀区人民政府" for t in qingxiu for a in t["assignments"])
    overdue = (
        await client.get(
            "/v1/tasks", params={"overdue": "true"}, headers=auth.reporter("青秀区人民政府")
        )
    ).json()["items"]
    assert [t["ref"] for t in overdue] == ["一/1"]
    assert overdue[0]["light"] == "yellow"
    outsider = (await client.get("/v1/tasks", headers=auth.district("450191"))).json()["items"]
    assert outsider == []  # 各县区人民政府 are the twelve counties, not the development zones

    page = (await client.get("/v1/tasks", params={"limit": 2}, headers=auth.city)).json()
    rest = (
        await client.get(
            "/v1/tasks", params={"limit": 2, "cursor": page["next_cursor"]}, headers=auth.city
        )
    ).json()
    assert len(page["items"]) == 2
    assert len(rest["items"]) == 2

    detail = await client.get(
        f"/v1/tasks/{qingxiu[0]['id']}", headers=auth.reporter("青秀区人民政府")
    )
    assert [a["org_name"] for a in detail.json()["assignments"]] == ["青秀区人民政府"]
    assert (
        await client.get(f"/v1/tasks/{qingxiu[0]['id']}", headers=auth.district("450191"))
    ).status_code == 404
    assert (
        len(
            (await client.get(f"/v1/tasks/{qingxiu[0]['id']}", headers=auth.city)).json()[
                "assignments"
            ]
        )
        == 3
    )
