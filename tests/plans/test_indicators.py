"""Indicators the DHIS2 way: Σnum/Σden, comparator targets, attainment and lights, 序时进度,
gross ratios over 100 %, the SVG chart, and values pulled from enrolment over HTTP."""

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from plans.config import Settings
from plans.peers import enrolment_client
from plans.worker import pull_indicators
from shared.auth import TokenVerifier
from shared.clients.enrolment import STATS_SCOPE, EnrolmentStats, SchoolStats
from shared.errors import AppError
from shared.testing.fixtures import joined_sessionmaker

Client = httpx.AsyncClient
SVG = "{http://www.w3.org/2000/svg}"


async def indicator_named(client: Client, auth: Any, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        i
        for i in (await client.get("/v1/indicators", headers=auth.city)).json()
        if i["name"] == name
    )
    return found


async def report(
    client: Client, headers: dict[str, str], indicator: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/indicators/{indicator}/values", json=body, headers=headers)


@pytest.fixture
async def kindergarten(client: Client, auth: Any, import_plan: Any, seed001: str) -> dict[str, Any]:
    plan = await import_plan(seed001)
    indicator = await indicator_named(client, auth, "学前三年毛入园率")
    return {"plan": plan, "indicator": indicator}


async def test_city_values_aggregate_districts_as_sum_over_sum(
    client: Client, auth: Any, kindergarten: dict[str, Any], today_is: Any
) -> None:
    indicator = kindergarten["indicator"]["id"]
    # 西乡塘区 counts more pupils than it has 3–5-year-olds: a gross ratio over 100 %.
    figures = {"450103": (24_100, 25_300), "450107": (21_200, 20_700), "450126": (30_100, 32_400)}
    for district, (numerator, denominator) in figures.items():
        stored = await report(
            client,
            auth.city,
            indicator,
            scope_code=district,
            period="2018",
            numerator=numerator,
            denominator=denominator,
            population_source="常住人口",
        )
        assert stored.status_code == 201, stored.text
    over = (
        await client.get(
            f"/v1/indicators/{indicator}/values", params={"scope": "450107"}, headers=auth.city
        )
    ).json()
    assert over[0]["value"] == pytest.approx(102.415, abs=1e-3)
    assert (over[0]["over_100"], over[0]["plausible"]) == (True, True)
    assert over[0]["parent_scope_code"] == "450100"

    today_is(date(2019, 3, 1))
    attainment = (
        await client.get(
            f"/v1/indicators/{indicator}/attainment",
            params={"plan_id": kindergarten["plan"]["id"]},
            headers=auth.city,
        )
    ).json()
    years = {row["year"]: row for row in attainment["years"]}
    total_num, total_den = 24_100 + 21_200 + 30_100, 25_300 + 20_700 + 32_400
    assert years[2018]["aggregated"] is True
    assert years[2018]["areas"] == 3
    assert (years[2018]["numerator"], years[2018]["denominator"]) == (total_num, total_den)
    assert years[2018]["value"] == pytest.approx(total_num / total_den * 100)
    # Not the mean of the three percentages, which would read 97.34.
    assert years[2018]["value"] == pytest.approx(96.173, abs=1e-3)
    assert years[2018]["target"] == {"comparator": ">=", "value": 96.0, "year_inferred": False}
    assert (years[2018]["met"], years[2018]["light"]) == (True, "green")
    assert years[2018]["attainment"] == pytest.approx(96.173 / 96, abs=1e-4)
    assert years[2019]["value"] is None
    assert years[2019]["light"] == "grey"

    # A direct city value wins over the aggregate.
    await report(
        client,
        auth.city,
        indicator,
        scope_code="450100",
        period="2018",
        numerator=95,
        denominator=100,
    )
    direct = (await client.get(f"/v1/indicators/{indicator}/attainment", headers=auth.city)).json()
    row = next(r for r in direct["years"] if r["year"] == 2018)
    assert (row["value"], row["aggregated"], row["met"], row["light"]) == (
        95.0,
        False,
        False,
        "yellow",
    )


async def test_expected_to_date_and_lights_during_the_year(
    client: Client, auth: Any, kindergarten: dict[str, Any], today_is: Any
) -> None:
    indicator = kindergarten["indicator"]["id"]
    await report(
        client,
        auth.city,
        indicator,
        scope_code="450100",
        period="2018",
        numerator=960,
        denominator=1000,
    )
    # June 2019: half the way from 2018's 96.0 to 2019's target 96.5 is 96.25.
    await report(
        client,
        auth.city,
        indicator,
        scope_code="450100",
        period="2019-06",
        numerator=9630,
        denominator=10000,
    )
    today_is(date(2019, 7, 15))
    rows = {
        r["year"]: r
        for r in (
            await client.get(f"/v1/indicators/{indicator}/attainment", headers=auth.city)
        ).json()["years"]
    }
    assert rows[2019]["period"] == "2019-06"
    assert rows[2019]["expected_to_date"] == pytest.approx(96.25)
    assert (rows[2019]["met"], rows[2019]["light"]) == (True, "green")
    await report(
        client,
        auth.city,
        indicator,
        scope_code="450100",
        period="2019-06",
        numerator=9000,
        denominator=10000,
    )
    rows = {
        r["year"]: r
        for r in (
            await client.get(f"/v1/indicators/{indicator}/attainment", headers=auth.city)
        ).json()["years"]
    }
    assert (rows[2019]["value"], rows[2019]["light"]) == (90.0, "red")
    history = (
        await client.get(
            f"/v1/indicators/{indicator}/values",
            params={"year": 2019, "history": "true"},
            headers=auth.city,
        )
    ).json()
    assert [v["value"] for v in history] == [96.3, 90.0]
    assert history[0]["superseded_at"] is not None


async def test_counts_and_lower_is_better(client: Client, auth: Any, today_is: Any) -> None:
    plan = (
        await client.post(
            "/v1/plans", json={"kind": "special", "title": "大班额专项"}, headers=auth.city
        )
    ).json()
    created = await client.post(
        "/v1/indicators",
        json={
            "name": "大班额比例",
            "direction": "lower",
            "numerator_label": "56人以上班级数",
            "denominator_label": "班级总数",
        },
        headers=auth.city,
    )
    assert created.status_code == 201
    indicator = created.json()["id"]
    target = await client.put(
        f"/v1/indicators/{indicator}/targets",
        json={
            "plan_id": plan["id"],
            "scope_code": "450100",
            "year": 2019,
            "comparator": "<=",
            "value": 5,
        },
        headers=auth.city,
    )
    assert target.status_code == 200, target.text
    await report(
        client,
        auth.city,
        indicator,
        scope_code="450100",
        period="2019",
        numerator=40,
        denominator=1000,
    )
    today_is(date(2020, 1, 5))
    row = (await client.get(f"/v1/indicators/{indicator}/attainment", headers=auth.city)).json()[
        "years"
    ][0]
    assert (row["value"], row["met"], row["light"]) == (4.0, True, "green")
    assert row["attainment"] == pytest.approx(1.25)
    duplicate = await client.post("/v1/indicators", json={"name": "大班额比例"}, headers=auth.city)
    assert duplicate.status_code == 409
    no_den = await report(
        client, auth.city, indicator, scope_code="450100", period="2019", numerator=1
    )
    assert no_den.json()["errors"][0]["field"] == "body.denominator"
    bad_period = await report(
        client,
        auth.city,
        indicator,
        scope_code="450100",
        period="2019-13",
        numerator=1,
        denominator=2,
    )
    assert bad_period.json()["errors"][0]["field"] == "body.period"
    zero = await report(
        client, auth.city, indicator, scope_code="450100", period="2019", numerator=1, denominator=0
    )
    assert zero.json()["errors"][0]["field"] == "body.denominator"


async def test_areas_are_scoped_and_targets_belong_to_plan_owners(
    client: Client, auth: Any, kindergarten: dict[str, Any]
) -> None:
    indicator = kindergarten["indicator"]["id"]
    own = await report(
        client,
        auth.district("450103"),
        indicator,
        scope_code="450103",
        period="2019",
        numerator=1,
        denominator=2,
    )
    assert own.status_code == 201
    other = await report(
        client,
        auth.district("450103"),
        indicator,
        scope_code="450105",
        period="2019",
        numerator=1,
        denominator=2,
    )
    assert other.status_code == 403
    assert (
        await report(
            client,
            auth.reporter("青秀区人民政府"),
            indicator,
            scope_code="450103",
            period="2019",
            numerator=1,
            denominator=2,
        )
    ).status_code == 403
    assert (
        await client.get(
            f"/v1/indicators/{indicator}/values",
            params={"scope": "450105"},
            headers=auth.district("450103"),
        )
    ).status_code == 403
    assert (
        await client.get(f"/v1/indicators/{indicator}/attainment", headers=auth.district("450103"))
    ).status_code == 403  # the city's figures
    assert (
        await client.get(f"/v1/indicators/{indicator}/targets", headers=auth.district("450103"))
    ).json() == []
    assert (
        await client.put(
            f"/v1/indicators/{indicator}/targets",
            json={
                "plan_id": kindergarten["plan"]["id"],
                "scope_code": "450103",
                "year": 2019,
                "value": 97,
            },
            headers=auth.district("450103"),
        )
    ).status_code == 403
    assert (
        await client.post("/v1/indicators", json={"name": "x"}, headers=auth.district("450103"))
    ).status_code == 403


async def test_the_chart_draws_values_against_targets(
    client: Client, auth: Any, kindergarten: dict[str, Any], today_is: Any
) -> None:
    indicator = kindergarten["indicator"]["id"]
    await report(
        client,
        auth.city,
        indicator,
        scope_code="450100",
        period="2018",
        numerator=961,
        denominator=1000,
    )
    await report(
        client,
        auth.city,
        indicator,
        scope_code="450100",
        period="2019",
        numerator=958,
        denominator=1000,
    )
    today_is(date(2020, 2, 1))

    response = await client.get(
        f"/v1/indicators/{indicator}/chart.svg",
        params={"plan_id": kindergarten["plan"]["id"]},
        headers=auth.city,
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    svg = ET.fromstring(response.text)
    assert svg.find(f"{SVG}title").text == "学前三年毛入园率（450100）"
    targets = {
        g.get("data-year"): float(g.get("data-value"))
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "target"
    }
    assert targets == {"2018": 96.0, "2019": 96.5, "2020": 97.0}
    values = {
        g.get("data-year"): g.get("data-light")
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "value"
    }
    assert values == {"2018": "green", "2019": "yellow"}
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "year"] == [
        "2018",
        "2019",
        "2020",
    ]
    # Higher values sit higher: 96.1 is drawn above 95.8.
    circles = {
        g.get("data-year"): float(g.find(f"{SVG}circle").get("cy"))
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "value"
    }
    assert circles["2018"] < circles["2019"]
    empty = await client.post("/v1/indicators", json={"name": "空指标"}, headers=auth.city)
    blank = await client.get(f"/v1/indicators/{empty.json()['id']}/chart.svg", headers=auth.city)
    assert "暂无" in blank.text
    assert (
        await client.get(
            f"/v1/indicators/{indicator}/chart.svg", headers=auth.reporter("青秀区人民政府")
        )
    ).status_code == 403


# --- values computed by enrolment, pulled over HTTP ---------------------------------------------


def fake_enrolment(issuer: Any, calls: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()
    verifier = TokenVerifier(issuer.key_set(), issuer="xuezai-directory")

    @app.get("/v1/stats/enrolment")
    async def stats(
        request: Request, year: int, stage: str, district_code: str | None = None
    ) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            principal = await verifier.verify(token)
        except AppError:
            return JSONResponse({"code": "auth.unauthenticated"}, status_code=401)
        if STATS_SCOPE not in principal.scopes:
            return JSONResponse({"code": "auth.forbidden"}, status_code=403)
        calls.append(
            {"year": year, "stage": stage, "district": district_code, "subject": principal.subject}
        )
        if year < 2026:
            return JSONResponse(
                {"code": "enrolment.cycle.not_found", "title": "no cycle"}, status_code=404
            )
        admitted = 1000 if district_code else 5000
        in_catchment = 930 if district_code else 4600
        body = EnrolmentStats(
            year=year,
            stage=stage,
            district_code=district_code,
            applications=admitted + 100,
            verified=admitted + 50,
            admitted=admitted,
            unplaced=10,
            catchment_share=in_catchment / admitted,
            migrant_share_in_public=0.87,
            schools=[
                SchoolStats(
                    school_code="4501030001",
                    applications=0,
                    admitted=admitted // 2,
                    admitted_in_catchment=in_catchment // 2,
                ),
                SchoolStats(
                    school_code="4501030002",
                    applications=0,
                    admitted=admitted // 2,
                    admitted_in_catchment=in_catchment - in_catchment // 2,
                ),
            ],
            as_of=datetime(2026, 8, 1, tzinfo=UTC),
        )
        return JSONResponse(body.model_dump(mode="json"))

    return app


async def test_an_indicator_takes_its_values_from_enrolment_statistics(
    client: Client,
    auth: Any,
    issuer: Any,
    serve_app: Any,
    fake_directory: Any,
    db_connection: AsyncConnection,
    today_is: Any,
) -> None:
    calls: list[dict[str, Any]] = []
    enrolment_url = await serve_app(fake_enrolment(issuer, calls))
    plan = (
        await client.post(
            "/v1/plans", json={"kind": "special", "title": "义务教育招生"}, headers=auth.city
        )
    ).json()
    indicator = (
        await client.post(
            "/v1/indicators",
            json={
                "name": "小学一年级就近入学比例",
                "source": "enrolment_stats",
                "source_config": {"stage": "primary_g1", "measure": "catchment_share"},
            },
            headers=auth.city,
        )
    ).json()
    for scope in ("450100", "450103"):
        await client.put(
            f"/v1/indicators/{indicator['id']}/targets",
            json={"plan_id": plan["id"], "scope_code": scope, "year": 2026, "value": 95},
            headers=auth.city,
        )
    await client.put(
        f"/v1/indicators/{indicator['id']}/targets",
        json={"plan_id": plan["id"], "scope_code": "450100", "year": 2025, "value": 94},
        headers=auth.city,
    )
    settings = Settings(
        enrolment_url=enrolment_url, directory_url=fake_directory.base_url, http_retries=1
    )
    async with httpx.AsyncClient() as http:
        ctx: Any = {
            "sessionmaker": joined_sessionmaker(db_connection),
            "settings": settings,
            "resources": {
                "clock": lambda: date(2026, 9, 1),
                "enrolment": enrolment_client(settings, http),
            },
        }
        first = await pull_indicators.coroutine(ctx, indicator["id"])
        second = await pull_indicators.coroutine(ctx, indicator["id"])

    assert first == {"stored": 2, "unchanged": 0, "missing": 2, "failed": 0}
    assert second == {"stored": 0, "unchanged": 2, "missing": 2, "failed": 0}
    assert {(c["year"], c["district"], c["subject"]) for c in calls} == {
        (2025, None, "service:plans"),
        (2026, None, "service:plans"),
        (2025, "450103", "service:plans"),
        (2026, "450103", "service:plans"),
    }
    today_is(date(2026, 9, 1))
    city = (await client.get(f"/v1/indicators/{indicator['id']}/values", headers=auth.city)).json()
    assert [(v["numerator"], v["denominator"], v["value"], v["source"]) for v in city] == [
        (4600.0, 5000.0, 92.0, "enrolment:stats")
    ]
    row = next(
        r
        for r in (
            await client.get(f"/v1/indicators/{indicator['id']}/attainment", headers=auth.city)
        ).json()["years"]
        if r["year"] == 2026
    )
    assert (row["value"], row["light"]) == (92.0, "yellow")
    queued = await client.post(f"/v1/indicators/{indicator['id']}/pull", headers=auth.city)
    assert queued.status_code == 202
    manual = await client.post("/v1/indicators", json={"name": "手工指标"}, headers=auth.city)
    assert (
        await client.post(f"/v1/indicators/{manual.json()['id']}/pull", headers=auth.city)
    ).status_code == 422
    assert (
        await client.post(f"/v1/indicators/{indicator['id']}/pull", headers=auth.district("450103"))
    ).status_code == 403


async def test_a_pull_without_enrolment_fails_for_a_retry(
    fake_directory: Any,
    closed_port_url: str,
    db_connection: AsyncConnection,
    client: Client,
    auth: Any,
) -> None:
    indicator = (
        await client.post(
            "/v1/indicators",
            json={
                "name": "随迁子女公办就读比例",
                "source": "enrolment_stats",
                "source_config": {"stage": "primary_g1", "measure": "migrant_share_in_public"},
            },
            headers=auth.city,
        )
    ).json()
    settings = Settings(
        enrolment_url=closed_port_url, directory_url=fake_directory.base_url, http_retries=1
    )
    async with httpx.AsyncClient() as http:
        ctx: Any = {
            "sessionmaker": joined_sessionmaker(db_connection),
            "settings": settings,
            "resources": {
                "clock": lambda: date(2026, 9, 1),
                "enrolment": enrolment_client(settings, http),
            },
        }
        with pytest.raises(RuntimeError, match="enrolment statistics unavailable"):
            await pull_indicators.coroutine(ctx, indicator["id"])


async def test_an_empty_code_is_no_code(client: Client, auth: Any) -> None:
    first = await client.post("/v1/indicators", json={"name": "甲", "code": ""}, headers=auth.city)
    second = await client.post(
        "/v1/indicators", json={"name": "乙", "code": " "}, headers=auth.city
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["code"] is None
    clash = await client.put(
        f"/v1/indicators/{second.json()['id']}", json={"name": "甲"}, headers=auth.city
    )
    assert (clash.status_code, clash.json()["code"]) == (409, "plans.indicator.name_taken")
