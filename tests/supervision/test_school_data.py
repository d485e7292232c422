"""School statistics per school and year: draft → submitted → approved / returned, with the
district's bulk xlsx import (all rows or none, row-level errors) and scope on every step."""

import io
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from supervision.models import SchoolReturn

from .conftest import Peers, Who, fields, problem
from .test_balance_api import statistics

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def save(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    data: dict[str, Any],
    year: int = 2025,
) -> httpx.Response:
    return await client.put(f"/v1/school-data/{code}/{year}", json={"data": data}, headers=headers)


async def test_school_fills_submits_and_the_district_approves(
    client: httpx.AsyncClient, who: Who
) -> None:
    staff = who.school("4501030001")
    created = await save(client, staff, "4501030001", statistics({"primary": 800}))
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["school_name"], body["district_code"]) == (
        "draft",
        "南宁市青秀区滨湖路小学",
        "450103",
    )
    assert body["indicators"]["primary"]["qualified_teachers_per_100"] == 5.0

    submitted = await client.post(f"/v1/school-data/{body['id']}/submit", headers=staff)
    assert submitted.json()["status"] == "submitted"
    problem(await client.post(f"/v1/school-data/{body['id']}/approve", headers=staff), 403)
    approved = await client.post(
        f"/v1/school-data/{body['id']}/approve", headers=who.district("450103")
    )
    assert approved.json()["status"] == "approved"

    locked = await save(client, staff, "4501030001", statistics({"primary": 801}))
    assert problem(locked, 409)["code"] == "supervision.school_return.locked"

    returned = await client.post(
        f"/v1/school-data/{body['id']}/return",
        json={"reason": "体育场馆面积与年报不一致"},
        headers=who.district("450103"),
    )
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_reason"] == "体育场馆面积与年报不一致"
    again = await save(client, staff, "4501030001", statistics({"primary": 801}))
    assert again.status_code == 200
    assert again.json()["status"] == "draft"


async def test_an_incomplete_return_cannot_be_submitted(
    client: httpx.AsyncClient, who: Who
) -> None:
    data = statistics({"primary": 800})
    data["sports_space_m2"] = None
    del data["parts"]["primary"]["backbone_teachers"]
    created = await save(client, who.school("4501030002"), "4501030002", data)

    response = await client.post(
        f"/v1/school-data/{created.json()['id']}/submit", headers=who.school("4501030002")
    )

    assert fields(response) >= {"data.sports_space_m2", "data.parts.primary.backbone_teachers"}
    assert problem(response, 422)


async def test_stages_must_match_the_school_and_unknown_schools_are_refused(
    client: httpx.AsyncClient, who: Who
) -> None:
    junior_at_primary = await save(
        client, who.district("450103"), "4501030001", statistics({"primary": 500, "junior": 400})
    )
    assert "body.data.parts.junior" in fields(junior_at_primary)

    unknown = await save(client, who.city(), "4501039999", statistics({"primary": 500}))
    assert problem(unknown, 422)["errors"][0]["field"] == "path.school_code"

    kindergarten = await save(client, who.city(), "4501030007", statistics({"primary": 100}))
    assert problem(kindergarten, 422)

    no_stage = await save(client, who.city(), "4501030001", {"kind": "school", "parts": {}})
    assert problem(no_stage, 422)


async def test_scope_school_staff_see_and_write_only_their_school(
    client: httpx.AsyncClient, who: Who
) -> None:
    mine = await save(client, who.school("4501030001"), "4501030001", statistics({"primary": 800}))
    rid = mine.json()["id"]

    problem(
        await save(client, who.school("4501030002"), "4501030001", statistics({"primary": 1})), 403
    )
    problem(await client.get(f"/v1/school-data/{rid}", headers=who.school("4501030002")), 404)
    problem(await client.get(f"/v1/school-data/{rid}", headers=who.district("450105")), 404)
    problem(
        await save(client, who.district("450105"), "4501030001", statistics({"primary": 1})), 403
    )
    assert (
        await client.get(f"/v1/school-data/{rid}", headers=who.district("450103"))
    ).status_code == 200

    listed = await client.get("/v1/school-data?year=2025", headers=who.school("4501030002"))
    assert listed.json()["items"] == []
    listed = await client.get("/v1/school-data?year=2025", headers=who.district("450105"))
    assert listed.json()["items"] == []
    listed = await client.get("/v1/school-data?year=2025", headers=who.city())
    assert [i["id"] for i in listed.json()["items"]] == [rid]


def workbook(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        header
        or [
            "学校标识码",
            "学校类型（学校/教学点）",
            "小学在校生数",
            "小学专科及以上学历专任教师数",
            "小学县级及以上骨干教师数",
            "小学体育艺术专任教师数",
            "初中在校生数",
            "初中本科及以上学历专任教师数",
            "初中县级及以上骨干教师数",
            "初中体育艺术专任教师数",
            "教学及辅助用房面积（㎡）",
            "体育运动场馆面积（㎡）",
            "教学仪器设备值（元）",
            "网络多媒体教室数（间）",
        ]
    )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GOOD_ROWS = [
    ["4501030001", "学校", 1000, 50, 12, 11, None, None, None, None, 5000, 8000, 2.2e6, 25],
    ["4501030004", "学校", 1000, 50, 12, 11, 1000, 60, 12, 11, 12000, 20000, 5e6, 50],
    [4501030009, "教学点", 40, 1, 0, 0, None, None, None, None, 150, 200, 50000, 1],
]


async def import_file(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes, query: str = "year=2025"
) -> httpx.Response:
    return await client.post(
        f"/v1/school-data/import?{query}",
        files={"file": ("returns.xlsx", data, XLSX)},
        headers=headers,
    )


async def count_returns(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(SchoolReturn)) or 0)


async def test_import_creates_drafts_for_every_row(
    client: httpx.AsyncClient, who: Who, session: AsyncSession
) -> None:
    response = await import_file(client, who.district("450103"), workbook(GOOD_ROWS))

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["status"]) == (3, 3, "draft")
    point = await client.get(
        "/v1/school-data?school_code=4501030009", headers=who.district("450103")
    )
    assert point.json()["items"][0]["data"]["kind"] == "teaching_point"
    combined = await client.get(
        "/v1/school-data?school_code=4501030004", headers=who.district("450103")
    )
    assert set(combined.json()["items"][0]["data"]["parts"]) == {"primary", "junior"}
    assert await count_returns(session) == 3


async def test_import_with_errors_writes_nothing_and_names_each_row_and_column(
    client: httpx.AsyncClient, who: Who, session: AsyncSession
) -> None:
    rows = [
        *GOOD_ROWS[:1],
        ["4501030002", "学校", "一千", 50, 12, 11, None, None, None, None, 5000, 8000, 2e6, 25],
        ["4501039999", "学校", 500, 25, 6, 5, None, None, None, None, 2500, 4000, 1e6, 12],
        ["4501050001", "学校", 500, 25, 6, 5, None, None, None, None, 2500, 4000, 1e6, 12],
        ["4501030003", "分校", 500, 25, 6, 5, None, None, None, None, 2500, 4000, 1e6, 12],
        ["4501030001", "学校", 500, 25, 6, 5, None, None, None, None, 2500, 4000, 1e6, 12],
    ]

    response = await import_file(client, who.district("450103"), workbook(rows))

    error = problem(response, 422)
    assert fields(response) == {
        "rows[3].primary_students",
        "rows[4].school_code",
        "rows[5].school_code",
        "rows[6].school_kind",
        "rows[7].school_code",
    }
    messages = " ".join(e["message"] for e in error["errors"])
    assert "第3行" in messages
    assert "一千" in messages
    assert "不在您管辖的县区" in messages
    assert "与第2行学校重复" in messages
    assert await count_returns(session) == 0


async def test_import_dry_run_and_submit(
    client: httpx.AsyncClient, who: Who, session: AsyncSession
) -> None:
    dry = await import_file(
        client, who.district("450103"), workbook(GOOD_ROWS), "year=2025&dry_run=true"
    )
    assert dry.json()["dry_run"] is True
    assert await count_returns(session) == 0

    submitted = await import_file(
        client, who.district("450103"), workbook(GOOD_ROWS[:2]), "year=2025&submit=true"
    )
    assert submitted.json()["status"] == "submitted"
    again = await import_file(client, who.district("450103"), workbook(GOOD_ROWS[:1]))
    assert "rows[2].school_code" in fields(again)


async def test_import_refuses_files_that_are_not_spreadsheets(
    client: httpx.AsyncClient, who: Who
) -> None:
    garbage = await import_file(client, who.district("450103"), b"not a spreadsheet")
    assert problem(garbage, 422)["errors"][0]["field"] == "body.file"
    headerless = await import_file(
        client, who.district("450103"), workbook([["x"]], header=["学校名称"])
    )
    assert "学校标识码" in problem(headerless, 422)["detail"]
    assert (
        await import_file(client, who.school("4501030001"), workbook(GOOD_ROWS))
    ).status_code == 403


async def test_the_template_round_trips_through_the_import(
    client: httpx.AsyncClient, who: Who
) -> None:
    response = await client.get("/v1/school-data/template.xlsx", headers=who.district("450103"))
    assert response.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[0] == "学校标识码"
    sheet.append(
        ["4501030001", "南宁市青秀区滨湖路小学", "学校", 1000, 50, 12, 11]
        + [None] * 5
        + [5000, 8000, 2.2e6, 25]
    )
    buffer = io.BytesIO()
    book.save(buffer)

    imported = await import_file(client, who.district("450103"), buffer.getvalue())

    assert imported.status_code == 200, imported.text
    assert imported.json()["school_codes"] == ["4501030001"]


async def test_a_large_import_looks_schools_up_in_batches(
    client: httpx.AsyncClient, who: Who, peers: Peers
) -> None:
    rows = [
        [f"450103{9000 + i:04d}", "学校", 100, 5, 1, 1] + [None] * 4 + [450, 750, 2e5, 3]
        for i in range(1001)
    ]

    response = await import_file(client, who.district("450103"), workbook(rows))

    assert problem(response, 422)
    assert len(response.json()["errors"]) == 1001  # none of them is in the directory
    lookups = [call for call in peers.state.calls if call[0] == "directory.lookup"]
    assert [len(call[1]["codes"].split(",")) for call in lookups] == [1000, 1]


async def test_import_checks_stages_and_school_kind(client: httpx.AsyncClient, who: Who) -> None:
    rows = [
        ["4501030001", "学校", 500, 25, 6, 5, 300, 20, 4, 3, 5000, 8000, 2e6, 25],
        ["4501030007", "学校", 100, 5, 1, 1, None, None, None, None, 500, 800, 2e5, 3],
    ]

    response = await import_file(client, who.district("450103"), workbook(rows))

    assert fields(response) == {"rows[2].junior_students", "rows[3].school_code"}
