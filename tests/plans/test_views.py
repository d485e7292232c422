"""Progress by unit and by key work, the monthly bulletin (JSON and xlsx), the to-do list, and
the progress endpoint supervision's 督政 calls."""

import io
from datetime import date
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import update

from plans.models import Assignment, ProgressReport
from shared.auth import Role
from shared.clients.plans import PROGRESS_SCOPE, PlansClient, UnitProgress
from shared.http import StaticToken

Client = httpx.AsyncClient


async def close(
    client: Client, auth: Any, assignment: dict[str, Any], org: str, today_is: Any, day: date
) -> None:
    """The unit asks for closure on `day`; the owner accepts it."""
    today_is(day)
    report = await client.post(
        f"/v1/assignments/{assignment['id']}/reports",
        json={"status": "completed", "percent": 100, "narrative": "已完成"},
        headers=auth.reporter(org),
    )
    assert report.status_code == 201, report.text
    review = await client.post(
        f"/v1/reports/{report.json()['id']}/review",
        json={"decision": "accept", "grade": "pass"},
        headers=auth.city,
    )
    assert review.status_code == 200


@pytest.fixture
async def worked_plan(
    client: Client,
    auth: Any,
    import_plan: Any,
    small_plan: str,
    walk: Any,
    today_is: Any,
    session: Any,
) -> dict[str, Any]:
    """The small plan in July 2019: 青秀区 closed 一/1 on time, 江南区 late, 市教育局 not at all.

    Closure dates are what the units' reports were submitted on; the test transaction pins them.
    """
    plan = await import_plan(small_plan)
    task = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())[
        "一/1"
    ]
    by_org = {a["org_name"]: a for a in task["assignments"]}
    await close(
        client, auth, by_org["青秀区人民政府"], "青秀区人民政府", today_is, date(2019, 6, 20)
    )
    await close(
        client, auth, by_org["江南区人民政府"], "江南区人民政府", today_is, date(2019, 7, 3)
    )
    # Reports are stamped with the real time; give them the business days of the story.
    for org, day in (("青秀区人民政府", date(2019, 6, 20)), ("江南区人民政府", date(2019, 7, 3))):
        await session.execute(
            update(ProgressReport)
            .where(ProgressReport.assignment_id == by_org[org]["id"])
            .values(submitted_on=day)
        )
    for org, day in (("青秀区人民政府", date(2019, 6, 20)), ("江南区人民政府", date(2019, 7, 3))):
        await session.execute(
            update(Assignment).where(Assignment.id == by_org[org]["id"]).values(completed_on=day)
        )
    await session.flush()
    today_is(date(2019, 7, 10))
    return plan


async def test_progress_by_unit_counts_on_time_late_and_overdue(
    client: Client, auth: Any, worked_plan: dict[str, Any]
) -> None:
    view = (
        await client.get(f"/v1/plans/{worked_plan['id']}/progress/units", headers=auth.city)
    ).json()

    assert view["complete"] is True
    rows = {row["org_name"]: row for row in view["units"]}
    qingxiu, jiangnan, bureau = rows["青秀区人民政府"], rows["江南区人民政府"], rows["南宁市教育局"]
    # 青秀区: 一/1 closed on time; 一/2 (due 09-30) and 二/1 (12-31) not yet due.
    assert (qingxiu["tasks"], qingxiu["completed_on_time"], qingxiu["due"], qingxiu["overdue"]) == (
        3,
        1,
        1,
        0,
    )
    assert qingxiu["on_time_rate"] == 1.0
    assert (jiangnan["completed_late"], jiangnan["on_time_rate"]) == (1, 0.0)
    assert (bureau["overdue"], bureau["on_time_rate"], bureau["lights"]["red"]) == (1, 0.0, 1)
    assert "市财政局" not in rows  # cooperating units are not counted

    mine = (
        await client.get(
            f"/v1/plans/{worked_plan['id']}/progress/units", headers=auth.reporter("青秀区人民政府")
        )
    ).json()
    assert mine["complete"] is False
    assert [row["org_name"] for row in mine["units"]] == ["青秀区人民政府"]


async def test_progress_by_key_work(client: Client, auth: Any, worked_plan: dict[str, Any]) -> None:
    view = (
        await client.get(f"/v1/plans/{worked_plan['id']}/progress/key-works", headers=auth.city)
    ).json()

    works = {row["node_ref"]: row for row in view["key_works"]}
    assert [row["title"] for row in view["key_works"]] == ["学前教育", "义务教育"]
    # 一/1 is not closed (市教育局 has not closed it) and is overdue; 一/2 not due.
    assert (works["一"]["tasks"], works["一"]["completed"], works["一"]["overdue"]) == (2, 0, 1)
    assert works["二"]["tasks"] == 2
    assert works["二"]["lights"]["green"] == 2


async def test_monthly_bulletin_json_and_xlsx(
    client: Client, auth: Any, worked_plan: dict[str, Any]
) -> None:
    june = (
        await client.get(
            "/v1/bulletins/monthly",
            params={"month": "2019-06", "plan_id": worked_plan["id"]},
            headers=auth.city,
        )
    ).json()
    assert june["as_of"] == "2019-06-30"
    june_rows = {row["org_name"]: row for row in june["rows"]}
    assert june_rows["青秀区人民政府"]["completed_on_time"] == 1
    assert june_rows["江南区人民政府"]["overdue"] == 0  # due on the last day of June, not late yet
    assert june_rows["江南区人民政府"]["due_in_month"] == 1

    july = (
        await client.get(
            "/v1/bulletins/monthly",
            params={"month": "2019-07", "plan_id": worked_plan["id"]},
            headers=auth.city,
        )
    ).json()
    assert july["as_of"] == "2019-07-10"  # the month is not over yet
    rows = {row["org_name"]: row for row in july["rows"]}
    assert rows["青秀区人民政府"]["rank"] == 1
    assert rows["江南区人民政府"]["completed_late"] == 1
    assert rows["南宁市教育局"]["overdue"] == 1
    assert rows["南宁市教育局"]["red"] == 1
    assert july["totals"]["tasks"] == sum(row["tasks"] for row in july["rows"])
    assert [t["org_name"] for t in july["overdue_tasks"]] == ["南宁市教育局"]
    assert july["overdue_tasks"][0]["days_overdue"] == 10

    xlsx = await client.get(
        "/v1/bulletins/monthly.xlsx",
        params={"month": "2019-07", "plan_id": worked_plan["id"]},
        headers=auth.city,
    )
    assert xlsx.status_code == 200
    assert "bulletin-2019-07.xlsx" in xlsx.headers["content-disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = workbook["按期办结率"]
    header = [cell.value for cell in sheet[3]]
    assert header[:2] == ["排名", "单位"]
    table = {row[1]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert table["青秀区人民政府"][header.index("按期办结率")] == 1.0
    assert table["南宁市教育局"][header.index("逾期未办结")] == 1
    assert table["合计"][header.index("承担任务")] == july["totals"]["tasks"]
    overdue_sheet = list(workbook["逾期任务"].iter_rows(min_row=2, values_only=True))
    assert overdue_sheet[0][0] == "南宁市教育局"
    assert overdue_sheet[0][6] == "红色"

    future = await client.get(
        "/v1/bulletins/monthly", params={"month": "2019-08"}, headers=auth.city
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "query.month"
    bad = await client.get("/v1/bulletins/monthly", params={"month": "2019-13"}, headers=auth.city)
    assert bad.status_code == 422
    reporter = (
        await client.get(
            "/v1/bulletins/monthly",
            params={"month": "2019-07"},
            headers=auth.reporter("江南区人民政府"),
        )
    ).json()
    assert [row["org_name"] for row in reporter["rows"]] == ["江南区人民政府"]
    assert reporter["complete"] is False


async def test_todo_for_a_unit_and_for_the_owner(
    client: Client, auth: Any, worked_plan: dict[str, Any], today_is: Any
) -> None:
    bureau = auth.org_grant(Role.unit_reporter, auth.directory.id("南宁市教育局"))
    todo = (await client.get("/v1/todo", headers=bureau)).json()
    assert [(item["kind"], item["node_ref"]) for item in todo] == [
        ("overdue", "一/1"),
    ]
    assert todo[0]["days_overdue"] == 10

    today_is(date(2019, 9, 25))
    qingxiu = (await client.get("/v1/todo", headers=auth.reporter("青秀区人民政府"))).json()
    assert [(i["kind"], i["node_ref"]) for i in qingxiu] == [("due_soon", "一/2")]
    one_unit = (
        await client.get(
            "/v1/todo",
            params={"org_id": str(auth.directory.id("江南区人民政府"))},
            headers=auth.reporter("青秀区人民政府"),
        )
    ).json()
    assert one_unit == []
    owner = (await client.get("/v1/todo", headers=auth.city)).json()
    kinds = {item["kind"] for item in owner}
    assert {"red_task", "map_unit_names"} <= kinds
    unmapped = next(i for i in owner if i["kind"] == "map_unit_names")
    assert unmapped["count"] == 1  # 五象新区管委会


async def test_service_progress_endpoint_speaks_the_client_contract(
    client: Client, auth: Any, worked_plan: dict[str, Any], fake_directory: Any
) -> None:
    response = await client.get(
        "/v1/progress/units",
        params={"org_code": "450103", "plan_id": worked_plan["id"]},
        headers=auth.service((PROGRESS_SCOPE,)),
    )
    assert response.status_code == 200, response.text
    progress = UnitProgress.model_validate(response.json())
    assert (progress.tasks, progress.completed, progress.completed_on_time, progress.overdue) == (
        3,
        1,
        1,
        0,
    )
    assert progress.on_time_rate == 1.0
    assert {k.node_ref: k.tasks for k in progress.by_key_work} == {"一": 2, "二": 1}

    jiangnan = (
        await client.get(
            "/v1/progress/units", params={"org_code": "450105"}, headers=auth.service()
        )
    ).json()
    assert (jiangnan["completed"], jiangnan["on_time_rate"]) == (1, 0.0)
    assert jiangnan["plan_id"] is None
    nobody = (
        await client.get("/v1/progress/units", params={"org_code": "999999"}, headers=auth.city)
    ).json()
    assert (nobody["tasks"], nobody["on_time_rate"]) == (0, None)
    for headers in (auth.district("450103"), auth.reporter("青秀区人民政府")):
        assert (
            await client.get("/v1/progress/units", params={"org_code": "450103"}, headers=headers)
        ).status_code == 403
    agency = auth.issuer.agency_client("gov-portal", [PROGRESS_SCOPE])
    assert (
        await client.get("/v1/progress/units", params={"org_code": "450103"}, headers=agency)
    ).status_code == 200
    no_scope = auth.issuer.agency_client("gov-portal", [])
    assert (
        await client.get("/v1/progress/units", params={"org_code": "450103"}, headers=no_scope)
    ).status_code == 403
    missing = await client.get("/v1/progress/units", headers=auth.service())
    assert missing.json()["errors"][0]["field"] == "query.org_code"


async def test_the_typed_client_reads_it_over_http(
    client: Client, auth: Any, worked_plan: dict[str, Any]
) -> None:
    """`shared.clients.plans.PlansClient` against this endpoint, through a real HTTP hop."""
    transport_app = client._transport.app  # type: ignore[attr-defined]
    peer = PlansClient(
        peer="plans",
        base_url="http://plans",
        http=httpx.AsyncClient(transport=httpx.ASGITransport(app=transport_app)),
        token_source=StaticToken(auth.service((PROGRESS_SCOPE,))["Authorization"].split()[1]),
    )
    progress = await peer.unit_progress(org_code="450103", plan_id=worked_plan["id"])
    await peer.http.aclose()
    assert progress.completed_on_time == 1


async def test_the_workbook_survives_titles_excel_cannot_hold(
    client: Client, auth: Any, import_plan: Any, small_plan: str
) -> None:
    plan = await import_plan(small_plan.replace("重点工作督办方案", "重点工作\x07督办方案"))

    xlsx = await client.get(
        "/v1/bulletins/monthly.xlsx",
        params={"month": "2019-07", "plan_id": plan["id"]},
        headers=auth.city,
    )

    assert xlsx.status_code == 200
    title = openpyxl.load_workbook(io.BytesIO(xlsx.content))["按期办结率"]["A1"].value
    assert "重点工作督办方案" in title
