"""Every endpoint, asked by someone who does not belong: no token, a parent, an inspector, and
a district that has no task in the plan. Nobody gets in; nothing leaks into lists."""

import uuid
from typing import Any

import httpx
import pytest

Client = httpx.AsyncClient


@pytest.fixture
async def world(
    client: Client, auth: Any, import_plan: Any, small_plan: str, walk: Any
) -> dict[str, str]:
    plan = await import_plan(small_plan)
    tree = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())
    assignment = next(a for a in tree["一/1"]["assignments"] if a["org_name"] == "青秀区人民政府")
    reporter = auth.reporter("青秀区人民政府")
    report = (
        await client.post(
            f"/v1/assignments/{assignment['id']}/reports",
            json={"status": "on_track", "percent": 10, "narrative": "x"},
            headers=reporter,
        )
    ).json()
    attachment = (
        await client.post(
            f"/v1/reports/{report['id']}/attachments",
            files={"file": ("a.txt", b"a", "text/plain")},
            headers=reporter,
        )
    ).json()
    indicator = (
        await client.post("/v1/indicators", json={"name": "测试指标"}, headers=auth.city)
    ).json()
    preview = (
        await client.post("/v1/plans/imports", json={"text": small_plan}, headers=auth.city)
    ).json()
    return {
        "plan": plan["id"],
        "node": tree["一/1"]["id"],
        "assignment": assignment["id"],
        "report": report["id"],
        "attachment": attachment["id"],
        "indicator": indicator["id"],
        "import": preview["id"],
    }


ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/plans/{plan}", None),
    ("PATCH", "/v1/plans/{plan}", {"version": 1, "title": "x"}),
    ("GET", "/v1/plans/{plan}/tree", None),
    ("GET", "/v1/plans/{plan}/source", None),
    (
        "POST",
        "/v1/plans/{plan}/nodes",
        {"version": 1, "numbering": "九、", "kind": "heading", "title": "x"},
    ),
    ("PATCH", "/v1/plans/{plan}/nodes/{node}", {"version": 1, "title": "x"}),
    ("DELETE", "/v1/plans/{plan}/nodes/{node}?version=1", None),
    ("GET", "/v1/plans/{plan}/versions", None),
    ("GET", "/v1/plans/{plan}/versions/1", None),
    ("GET", "/v1/plans/{plan}/unit-names", None),
    (
        "POST",
        "/v1/plans/{plan}/unit-names/mapping",
        {"name": "五象新区管委会", "organization_ids": []},
    ),
    ("POST", "/v1/plans/{plan}/unit-names/resolve", None),
    ("GET", "/v1/plans/{plan}/progress/units", None),
    ("GET", "/v1/plans/{plan}/progress/key-works", None),
    ("GET", "/v1/tasks/{node}", None),
    ("PATCH", "/v1/assignments/{assignment}", {"leader_name": "x"}),
    (
        "POST",
        "/v1/assignments/{assignment}/reports",
        {"status": "on_track", "percent": 1, "narrative": "x"},
    ),
    (
        "POST",
        "/v1/assignments/{assignment}/extensions",
        {"requested_due": "2030-01-01", "reason": "x"},
    ),
    ("GET", "/v1/reports/{report}", None),
    ("POST", "/v1/reports/{report}/review", {"decision": "accept"}),
    ("GET", "/v1/reports/{report}/attachments/{attachment}", None),
    ("GET", "/v1/plans/imports/{import}", None),
    ("PUT", "/v1/plans/imports/{import}", {"plan": {"title": "x", "kind": "other"}, "nodes": []}),
    ("POST", "/v1/plans/imports/{import}/confirm", {}),
]
LISTS = [
    "/v1/plans",
    "/v1/tasks",
    "/v1/reports",
    "/v1/extensions",
    "/v1/notifications",
    "/v1/todo",
    "/v1/bulletins/monthly?month=2019-07",
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_outsiders_never_reach_a_plans_resources(
    client: Client,
    auth: Any,
    world: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    url = path.format(**world)
    outsiders = {
        "anonymous": {},
        "parent": auth.issuer.parent(uuid.uuid4()),
        "inspector": auth.issuer.inspector("450103"),
        "agency": auth.issuer.agency_client("x", ["plans:progress:read"]),
        "zone": auth.district("450191"),
        "zone reporter": auth.reporter("南宁高新区管委会"),
        "school": auth.school("4501030001"),
    }
    for who, headers in outsiders.items():
        response = await client.request(method, url, json=body, headers=headers)
        expected = {401} if who == "anonymous" else {403, 404}
        if who in ("zone", "zone reporter", "school") and "/imports" in url:
            expected = {403, 404}
        assert response.status_code in expected, (
            who,
            method,
            url,
            response.status_code,
            response.text,
        )
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", LISTS)
async def test_lists_show_an_outsider_nothing(
    client: Client, auth: Any, world: dict[str, str], path: str
) -> None:
    for headers in (auth.district("450191"), auth.reporter("南宁高新区管委会")):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items = body if isinstance(body, list) else body.get("items", body.get("rows"))
        assert items == [], (path, items)
    for headers in ({}, auth.issuer.parent(uuid.uuid4()), auth.issuer.inspector("450103")):
        assert (await client.get(path, headers=headers)).status_code in (401, 403)


async def test_the_owner_and_the_unit_do_reach_them(
    client: Client, auth: Any, world: dict[str, str]
) -> None:
    for path in ("/v1/plans/{plan}/tree", "/v1/tasks/{node}", "/v1/reports/{report}"):
        url = path.format(**world)
        assert (await client.get(url, headers=auth.city)).status_code == 200
        assert (await client.get(url, headers=auth.reporter("青秀区人民政府"))).status_code == 200
        assert (await client.get(url, headers=auth.district("450103"))).status_code == 200
