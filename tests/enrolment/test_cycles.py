"""Cycles, offerings, catchments: who may configure what, rules as data, look-up, xlsx import."""

import io
import uuid

import httpx
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import CatchmentUnit, Offering
from shared.testing.tokens import TestIssuer

from .conftest import BINHU, FENGLING, QINGXIU, XINGNING, XINGNING_SCHOOL, World, cycle_body


async def test_district_staff_manage_only_their_district(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    xingning = issuer.district_admin(XINGNING)
    refused = await client.post("/v1/cycles", json=cycle_body(QINGXIU), headers=xingning)
    assert refused.status_code == 403
    city_wide = await client.post("/v1/cycles", json=cycle_body(None), headers=xingning)
    assert city_wide.status_code == 403
    created = await client.post("/v1/cycles", json=cycle_body(XINGNING), headers=xingning)
    assert created.status_code == 201, created.text
    cycle = created.json()
    assert cycle["class_size_max"] == 45
    assert cycle["class_size_min"] == 25
    assert cycle["daily_hours"] == [
        {"start": "08:30", "end": "12:30"},
        {"start": "14:30", "end": "22:00"},
    ]
    assert cycle["batches"][0]["code"] == "hukou_property_sole"
    assert cycle["batches"][2]["rule"]["all"][1] == {"not": {"fact": "property_sole"}}

    qingxiu = issuer.district_admin(QINGXIU)
    # A draft of another district does not exist for you.
    assert (await client.get(f"/v1/cycles/{cycle['id']}", headers=qingxiu)).status_code == 404
    assert (
        await client.patch(f"/v1/cycles/{cycle['id']}", json={"name": "x"}, headers=qingxiu)
    ).status_code == 404
    assert (
        await client.post(f"/v1/cycles/{cycle['id']}/publish", headers=qingxiu)
    ).status_code == 404
    listed = (await client.get("/v1/cycles", headers=qingxiu)).json()["items"]
    assert cycle["id"] not in {c["id"] for c in listed}
    offering = {
        "school_code": XINGNING_SCHOOL,
        "district_code": XINGNING,
        "ownership": "public",
        "seats": 45,
        "classes": 1,
    }
    assert (
        await client.post(f"/v1/cycles/{cycle['id']}/offerings", json=offering, headers=qingxiu)
    ).status_code == 404
    assert (
        await client.post(f"/v1/cycles/{cycle['id']}/offerings", json=offering, headers=xingning)
    ).status_code == 201
    # Parents and anonymous callers cannot manage.
    assert (
        await client.post(
            "/v1/cycles", json=cycle_body(XINGNING), headers=issuer.parent(uuid.uuid4())
        )
    ).status_code == 403
    assert (await client.post("/v1/cycles", json=cycle_body(XINGNING))).status_code == 401
    # Published cycles are public.
    assert (await client.get(f"/v1/public/cycles/{cycle['id']}")).status_code == 404
    assert (
        await client.post(f"/v1/cycles/{cycle['id']}/publish", headers=xingning)
    ).status_code == 200
    assert (await client.get(f"/v1/public/cycles/{cycle['id']}")).status_code == 200
    duplicate = await client.post(
        "/v1/cycles", json=cycle_body(XINGNING), headers=issuer.city_admin()
    )
    assert duplicate.status_code == 409


async def test_rules_windows_and_caps_are_checked(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World
) -> None:
    city = issuer.city_admin()
    bad_fact = cycle_body(
        XINGNING, batches=[{"code": "b1", "name": "一", "reason": "r", "rule": {"fact": "is_rich"}}]
    )
    response = await client.post("/v1/cycles", json=bad_fact, headers=city)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("body.batches.0.rule")
    assert "unknown fact 'is_rich'" in response.json()["errors"][0]["message"]

    bad_order = cycle_body(
        XINGNING,
        batches=[
            {
                "code": "b1",
                "name": "一",
                "reason": "r",
                "rule": {"fact": "migrant"},
                "order": [{"fact": "migrant"}],
            }
        ],
    )
    assert (await client.post("/v1/cycles", json=bad_order, headers=city)).status_code == 422
    bad_docs = cycle_body(
        XINGNING,
        batches=[
            {
                "code": "b1",
                "name": "一",
                "reason": "r",
                "rule": {"fact": "migrant"},
                "required_documents": [["passport"]],
            }
        ],
    )
    assert (await client.post("/v1/cycles", json=bad_docs, headers=city)).status_code == 422
    backwards = cycle_body(XINGNING, registration_closes_at="2026-07-01T00:00:00+08:00")
    assert (await client.post("/v1/cycles", json=backwards, headers=city)).status_code == 422
    naive = cycle_body(XINGNING, registration_opens_at="2026-07-02T08:30:00")
    assert (await client.post("/v1/cycles", json=naive, headers=city)).status_code == 422
    hours = cycle_body(XINGNING, daily_hours=[{"start": "12:30", "end": "08:30"}])
    assert (await client.post("/v1/cycles", json=hours, headers=city)).status_code == 422

    too_many_seats = {
        "school_code": "4501030009",
        "district_code": QINGXIU,
        "ownership": "public",
        "seats": 100,
        "classes": 2,
    }
    response = await client.post(
        f"/v1/cycles/{world.cycle_id}/offerings", json=too_many_seats, headers=city
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.seats"
    other_district = {**too_many_seats, "seats": 90, "district_code": XINGNING}
    assert (
        await client.post(
            f"/v1/cycles/{world.cycle_id}/offerings", json=other_district, headers=city
        )
    ).json()["errors"][0]["field"] == "body.district_code"
    again = {**too_many_seats, "school_code": BINHU, "seats": 45}
    assert (
        await client.post(f"/v1/cycles/{world.cycle_id}/offerings", json=again, headers=city)
    ).status_code == 409


async def test_public_catchment_lookup_names_the_rule(
    client: httpx.AsyncClient, world: World
) -> None:
    async def lookup(**query: object) -> dict:  # type: ignore[type-arg]
        response = await client.get(
            f"/v1/public/cycles/{world.cycle_id}/catchment",
            params={"district_code": QINGXIU, **query},
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    odd = await lookup(road=" 民族大道 ", house_number="５５号")
    assert [(m["school_code"], m["rule"]) for m in odd["matches"]] == [
        (BINHU, "民族大道 1–199号（单号）")
    ]
    even = await lookup(road="民族大道", house_number="56-2")
    assert [m["school_code"] for m in even["matches"]] == [FENGLING]
    beyond = await lookup(road="民族大道", house_number="201号")
    assert beyond["matches"] == []
    assert "统筹" in beyond["message"]
    whole_road = await lookup(road="凤岭北路")
    assert whole_road["matches"][0]["rule"] == "凤岭北路（全路段）"
    estate = await lookup(estate="阳光小区", road="民族大道", house_number="56")
    assert estate["matches"][0]["matched_by"] == "estate"
    assert (
        await client.get(
            f"/v1/public/cycles/{world.cycle_id}/catchment", params={"district_code": "x"}
        )
    ).status_code == 422
    assert (
        await client.get(
            f"/v1/public/cycles/{uuid.uuid4()}/catchment", params={"district_code": QINGXIU}
        )
    ).status_code == 404


async def test_a_polygon_catchment_matches_located_addresses(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World
) -> None:
    square = [[[108.30, 22.80], [108.40, 22.80], [108.40, 22.90], [108.30, 22.90], [108.30, 22.80]]]
    patched = await client.patch(
        f"/v1/offerings/{world.offerings[FENGLING]}",
        json={"polygon": square},
        headers=issuer.city_admin(),
    )
    assert patched.status_code == 200, patched.text
    inside = await client.get(
        f"/v1/public/cycles/{world.cycle_id}/catchment",
        params={"district_code": QINGXIU, "road": "无名路", "lng": 108.35, "lat": 22.85},
    )
    assert [(m["school_code"], m["matched_by"]) for m in inside.json()["matches"]] == [
        (FENGLING, "polygon")
    ]
    outside = await client.get(
        f"/v1/public/cycles/{world.cycle_id}/catchment",
        params={"district_code": QINGXIU, "lng": 108.5, "lat": 22.85},
    )
    assert outside.json()["matches"] == []
    open_ring = [[[108.30, 22.80], [108.40, 22.80], [108.40, 22.90], [108.30, 22.90]]]
    assert (
        await client.patch(
            f"/v1/offerings/{world.offerings[FENGLING]}",
            json={"polygon": open_ring},
            headers=issuer.city_admin(),
        )
    ).status_code == 422


def workbook(offerings: list[list[object]], catchments: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "学校"
    sheet.append(["学校标识码", "学校名称", "区县代码", "办学性质", "招生学位", "招生班数"])
    for row in offerings:
        sheet.append(row)
    units = book.create_sheet("地段")
    units.append(
        ["学校标识码", "区县代码", "街道社区", "道路", "起始门牌号", "截止门牌号", "单双号", "小区"]
    )
    for row in catchments:
        units.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_xlsx_import_stores_good_rows_and_reports_bad_ones(
    client: httpx.AsyncClient, issuer: TestIssuer, session: AsyncSession
) -> None:
    city = issuer.city_admin()
    cycle_id = (await client.post("/v1/cycles", json=cycle_body(XINGNING), headers=city)).json()[
        "id"
    ]
    content = workbook(
        [
            ["4501020001", "民主路小学", "450102", "公办", 90, 2],
            ["4501020002", "朝阳小学", "450102", "公办", 200, 2],  # over the class cap
            ["45010200", "短码小学", "450102", "公办", 45, 1],  # bad code
            ["4501020005", "育才实验学校", "450102", "民办", 45, 1],
        ],
        [
            ["4501020001", "450102", "民主街道", "民主路", 1, 99, "单号", None],
            ["4501020001", "450102", None, None, None, None, None, "阳光花园"],
            [
                "4501020002",
                "450102",
                None,
                "朝阳路",
                None,
                None,
                None,
                None,
            ],  # school rejected above
            ["4501020001", "450102", None, "民主路", 50, 10, None, None],  # range backwards
        ],
    )
    files = {
        "file": (
            "plan.xlsx",
            io.BytesIO(content),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    }

    preview = await client.post(
        f"/v1/cycles/{cycle_id}/imports", params={"dry_run": "true"}, files=files, headers=city
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["dry_run"] is True
    assert (
        await session.scalar(
            select(func.count())
            .select_from(Offering)
            .where(Offering.cycle_id == uuid.UUID(cycle_id))
        )
        == 0
    )

    files = {"file": ("plan.xlsx", io.BytesIO(content), "application/octet-stream")}
    report = (await client.post(f"/v1/cycles/{cycle_id}/imports", files=files, headers=city)).json()

    assert (report["offerings_created"], report["catchment_units"], report["rows_rejected"]) == (
        2,
        2,
        4,
    )
    errors = {(e["sheet"], e["row"], e["field"]) for e in report["errors"]}
    assert errors == {
        ("学校", 3, "seats"),
        ("学校", 4, "school_code"),
        ("地段", 4, "school_code"),
        ("地段", 5, "row"),
    }
    assert (
        await session.scalar(
            select(func.count())
            .select_from(CatchmentUnit)
            .where(CatchmentUnit.cycle_id == uuid.UUID(cycle_id))
        )
        == 2
    )

    # Importing again replaces the school's units instead of piling them up.
    again = (
        await client.post(
            f"/v1/cycles/{cycle_id}/imports",
            files={"file": ("plan.xlsx", io.BytesIO(content), "application/octet-stream")},
            headers=city,
        )
    ).json()
    assert (again["offerings_created"], again["offerings_updated"]) == (0, 2)
    assert (
        await session.scalar(
            select(func.count())
            .select_from(CatchmentUnit)
            .where(CatchmentUnit.cycle_id == uuid.UUID(cycle_id))
        )
        == 2
    )

    junk = await client.post(
        f"/v1/cycles/{cycle_id}/imports",
        files={"file": ("plan.xlsx", io.BytesIO(b"PK\x03\x04junk"), "application/octet-stream")},
        headers=city,
    )
    assert junk.status_code == 422
    assert junk.json()["errors"][0]["field"] == "body.file"
    other = await client.post(
        f"/v1/cycles/{cycle_id}/imports",
        files={"file": ("plan.xlsx", io.BytesIO(content), "application/octet-stream")},
        headers=issuer.district_admin(QINGXIU),
    )
    assert other.status_code == 404


async def test_catchment_units_can_be_listed_and_removed(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World
) -> None:
    units = (
        await client.get(
            f"/v1/offerings/{world.offerings[BINHU]}/catchment-units",
            headers=issuer.school_staff(BINHU),
        )
    ).json()
    assert len(units) == 2
    assert (
        await client.delete(
            f"/v1/catchment-units/{units[0]['id']}", headers=issuer.district_admin(XINGNING)
        )
    ).status_code == 403
    assert (
        await client.delete(
            f"/v1/catchment-units/{units[0]['id']}", headers=issuer.district_admin(QINGXIU)
        )
    ).status_code == 204
    bad = await client.post(
        f"/v1/offerings/{world.offerings[BINHU]}/catchment-units",
        json={"district_code": QINGXIU, "number_from": 1},
        headers=issuer.city_admin(),
    )
    assert bad.status_code == 422


async def test_offerings_must_match_the_directorys_register(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    city = issuer.city_admin()
    cycle_id = (await client.post("/v1/cycles", json=cycle_body(QINGXIU), headers=city)).json()[
        "id"
    ]

    def offering(
        code: str, district: str = QINGXIU, ownership: str = "public"
    ) -> dict[str, object]:
        return {
            "school_code": code,
            "district_code": district,
            "ownership": ownership,
            "seats": 45,
            "classes": 1,
        }

    url = f"/v1/cycles/{cycle_id}/offerings"
    cases = {
        "4501039999": ("body.school_code", offering("4501039999")),  # no such school
        "4501030007": ("body.school_code", offering("4501030007")),  # a kindergarten
        "4501030006": ("body.school_code", offering("4501030006")),  # a senior high school
        "4501030008": ("body.ownership", offering("4501030008")),  # private, declared public
    }
    for code, (field, body) in cases.items():
        response = await client.post(url, json=body, headers=city)
        assert response.status_code == 422, code
        assert response.json()["errors"][0]["field"] == field, code

    created = await client.post(url, json=offering(BINHU), headers=city)
    assert created.status_code == 201
    assert created.json()["school_name"] == "南宁市青秀区滨湖路小学"  # the directory's name


async def test_without_the_directory_offerings_wait_rather_than_go_unchecked(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    from enrolment.schools import DirectorySchools
    from shared.clients.directory import DirectoryClient
    from shared.embedded import free_port

    from .conftest import app_of

    app = app_of(client)
    registry = app.state.schools
    async with httpx.AsyncClient() as http:
        app.state.schools = DirectorySchools(
            DirectoryClient(
                peer="directory", base_url=f"http://127.0.0.1:{free_port()}", http=http, retries=1
            )
        )
        try:
            city = issuer.city_admin()
            cycle_id = (
                await client.post("/v1/cycles", json=cycle_body(QINGXIU), headers=city)
            ).json()["id"]
            response = await client.post(
                f"/v1/cycles/{cycle_id}/offerings",
                json={
                    "school_code": BINHU,
                    "district_code": QINGXIU,
                    "ownership": "public",
                    "seats": 45,
                    "classes": 1,
                },
                headers=city,
            )
        finally:
            app.state.schools = registry

    assert response.status_code == 503
    assert response.json()["code"] == "upstream.unavailable"
