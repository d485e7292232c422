"""The 优质均衡 balance computation over HTTP: the documented verdicts of `evaluate-balance`
(golden CV 0.515, 6 of 7 with the 85 % floor, primary vs junior thresholds, teaching points left
out), results stored with their inputs and rule version, stored school data with 一贯制 schools
apportioned, and overlays from the framework store changing thresholds."""

from typing import Any

import httpx
import pytest

from .conftest import Who, problem

PUPILS = [45, 37, 89, 76, 55]
BOOKS = [279, 137, 935, 160, 402]

GOOD = {  # indicator values per pupil / per 100 pupils, above every primary threshold
    "qualified_teachers": 5.0,
    "backbone_teachers": 1.2,
    "pe_art_teachers": 1.0,
    "teaching_space_m2": 5.0,
    "sports_space_m2": 8.0,
    "equipment_value_yuan": 2200.0,
    "multimedia_classrooms": 2.5,
}
PER_100 = {"qualified_teachers", "backbone_teachers", "pe_art_teachers", "multimedia_classrooms"}


def school(id: str, students: int = 1000, kind: str = "school", **values: float) -> dict[str, Any]:
    raw: dict[str, Any] = {"id": id, "students": students, "kind": kind}
    for key, value in {**GOOD, **values}.items():
        raw[key] = value * students / (100 if key in PER_100 else 1)
    return raw


def county(*schools: dict[str, Any], stage: str = "primary") -> dict[str, Any]:
    return {"county": "450103", "stage": stage, "schools": list(schools)}


def golden() -> dict[str, Any]:
    return county(
        *(
            school(f"450103000{i}", p, equipment_value_yuan=b * 1000 / p)
            for i, (p, b) in enumerate(zip(PUPILS, BOOKS, strict=True), start=1)
        )
    )


async def evaluate(client: httpx.AsyncClient, who: Who, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/balance/evaluate", json=body, headers=who.city())
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_golden_weighted_cv_is_0_515_and_fails_the_primary_limit(
    client: httpx.AsyncClient, who: Who
) -> None:
    run = await evaluate(client, who, golden())

    equipment = run["result"]["cv"]["equipment_value_per_pupil"]
    assert round(equipment["cv"], 3) == 0.515
    assert equipment["threshold"] == 0.50
    assert equipment["met"] is False
    assert run["result"]["county_pass"] is False
    assert any("0.515" in r and "超过" in r for r in run["result"]["reasons"])


async def test_six_of_seven_with_the_85_percent_floor(client: httpx.AsyncClient, who: Who) -> None:
    below = await evaluate(client, who, county(school("A", sports_space_m2=0.84 * 7.5)))
    above = await evaluate(client, who, county(school("A", sports_space_m2=0.86 * 7.5)))

    a_below, a_above = below["result"]["schools"][0], above["result"]["schools"][0]
    assert a_below["met_count"] == a_above["met_count"] == 6
    assert a_below["sports_space_per_pupil"]["floor"] == pytest.approx(6.375)
    assert a_below["compliant"] is False
    assert a_above["compliant"] is True
    assert below["result"]["county_pass"] is False
    assert above["result"]["county_pass"] is True


async def test_primary_and_junior_thresholds_differ(client: httpx.AsyncClient, who: Who) -> None:
    primary = await evaluate(client, who, county(school("A"), school("B"), stage="primary"))
    junior = await evaluate(client, who, county(school("A"), school("B"), stage="junior"))

    assert primary["result"]["county_pass"] is True
    assert junior["result"]["county_pass"] is False
    assert junior["result"]["schools"][0]["qualified_teachers_per_100"]["threshold"] == 5.3
    assert junior["result"]["cv"]["equipment_value_per_pupil"]["threshold"] == 0.45


async def test_teaching_points_under_50_pupils_are_left_out(
    client: httpx.AsyncClient, who: Who
) -> None:
    tiny = school("TP30", 30, "teaching_point", qualified_teachers=1.0, equipment_value_yuan=50000)
    run = await evaluate(client, who, county(school("A"), school("B"), tiny))

    point = next(s for s in run["result"]["schools"] if s["id"] == "TP30")
    assert point["status"] == "excluded"
    assert run["result"]["county_pass"] is True
    assert run["result"]["cv"]["equipment_value_per_pupil"]["school_count"] == 2


async def test_result_is_kept_with_inputs_and_rule_version(
    client: httpx.AsyncClient, who: Who
) -> None:
    run = await evaluate(client, who, golden())

    stored = await client.get(f"/v1/evaluations/{run['evaluation_id']}", headers=who.city())
    assert stored.status_code == 200
    body = stored.json()
    assert body["kind"] == "balance"
    assert (body["framework_code"], body["framework_version"]) == (
        "compulsory_quality_balance",
        "2017.1",
    )
    assert body["inputs"] == golden() | {"schools": body["inputs"]["schools"]}
    assert [s["students"] for s in body["inputs"]["schools"]] == PUPILS
    assert body["rules"]["code"] == "compulsory_quality_balance"
    assert body["outcome"] == "fail"
    # The district sees its own county's stored result; another district does not.
    assert (
        await client.get(f"/v1/evaluations/{run['evaluation_id']}", headers=who.district("450103"))
    ).status_code == 200
    problem(
        await client.get(f"/v1/evaluations/{run['evaluation_id']}", headers=who.district("450105")),
        404,
    )


async def test_bad_input_names_the_school_field(client: httpx.AsyncClient, who: Who) -> None:
    body = county(school("A"))
    body["schools"][0]["students"] = -5

    response = await client.post("/v1/balance/evaluate", json=body, headers=who.city())

    error = problem(response, 422)
    assert any(e["field"] == "body.schools.0.students" for e in error["errors"])


async def test_a_district_evaluates_only_its_own_county(
    client: httpx.AsyncClient, who: Who
) -> None:
    problem(
        await client.post("/v1/balance/evaluate", json=golden(), headers=who.district("450105")),
        403,
    )
    ok = await client.post("/v1/balance/evaluate", json=golden(), headers=who.district("450103"))
    assert ok.status_code == 200
    problem(
        await client.post("/v1/balance/evaluate", json=golden(), headers=who.school("4501030001")),
        403,
    )


async def test_a_city_overlay_changes_the_threshold_from_its_effective_date(
    client: httpx.AsyncClient, who: Who
) -> None:
    overlay = {
        "code": "nanning_quality_balance",
        "name": "南宁市优质均衡补充标准",
        "version": "2026.1",
        "basis": "南宁市实施方案（示例）",
        "level": "city",
        "effective_from": "2026-01-01",
        "parent": {"code": "compulsory_quality_balance"},
        "overrides": [
            {
                "indicator": "R.S",
                "member": "equipment_value_per_pupil",
                "threshold": {"primary": 2500},
            }
        ],
    }
    created = await client.post("/v1/frameworks", json=overlay, headers=who.city())
    assert created.status_code == 201, created.text
    activated = await client.post(
        f"/v1/frameworks/{created.json()['id']}/activate", headers=who.city()
    )
    assert activated.status_code == 200

    body = county(school("A"))  # 2200 元 per pupil
    before = await client.post(
        "/v1/balance/evaluate?as_of=2025-06-30", json=body, headers=who.city()
    )
    after = await client.post(
        "/v1/balance/evaluate?as_of=2026-06-30", json=body, headers=who.city()
    )

    old = before.json()["result"]["schools"][0]["equipment_value_per_pupil"]
    new = after.json()["result"]["schools"][0]["equipment_value_per_pupil"]
    assert (old["threshold"], old["met"]) == (2000, True)
    assert (new["threshold"], new["met"]) == (2500, False)
    assert after.json()["result"]["rule"]["overlays"] == ["nanning_quality_balance@2026.1"]
    stored = await client.get(
        f"/v1/evaluations/{after.json()['evaluation_id']}", headers=who.city()
    )
    assert stored.json()["overlays"] == ["nanning_quality_balance@2026.1"]


# --- on stored school data ------------------------------------------------------------------------


def statistics(parts: dict[str, int], **shared: float) -> dict[str, Any]:
    """A return whose teachers and space meet the thresholds comfortably."""
    total = sum(parts.values())
    return {
        "kind": "school",
        "parts": {
            stage: {
                "students": students,
                "qualified_teachers": students * (0.06 if stage == "junior" else 0.05),
                "backbone_teachers": students * 0.012,
                "pe_art_teachers": students * 0.011,
            }
            for stage, students in parts.items()
        },
        "teaching_space_m2": shared.get("teaching", total * 6.0),
        "sports_space_m2": shared.get("sports", total * 10.5),
        "equipment_value_yuan": shared.get("equipment", total * 2600),
        "multimedia_classrooms": shared.get("classrooms", total * 0.025),
    }


async def approved_return(
    client: httpx.AsyncClient, who: Who, code: str, data: dict[str, Any], year: int = 2025
) -> dict[str, Any]:
    saved = await client.put(
        f"/v1/school-data/{code}/{year}", json={"data": data}, headers=who.district("450103")
    )
    assert saved.status_code in (200, 201), saved.text
    rid = saved.json()["id"]
    assert (
        await client.post(f"/v1/school-data/{rid}/submit", headers=who.district("450103"))
    ).status_code == 200
    approved = await client.post(f"/v1/school-data/{rid}/approve", headers=who.district("450103"))
    assert approved.status_code == 200, approved.text
    return dict(approved.json())


async def test_county_balance_from_approved_returns_apportions_combined_schools(
    client: httpx.AsyncClient, who: Who
) -> None:
    await approved_return(client, who, "4501030001", statistics({"primary": 1000}))
    combined = await approved_return(
        client,
        who,
        "4501030004",
        statistics({"primary": 1000, "junior": 1000}, teaching=21000.0),
    )
    # Weighted enrolment 1000 : 1100 → the primary part gets 21000 × 1000 / 2100 = 10000 ㎡.
    assert combined["indicators"]["primary"]["teaching_space_per_pupil"] == pytest.approx(10.0)
    assert combined["indicators"]["junior"]["teaching_space_per_pupil"] == pytest.approx(11.0)

    response = await client.post(
        "/v1/balance/counties/450103/evaluate?year=2025&stage=primary",
        headers=who.district("450103"),
    )

    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert {s["id"] for s in result["schools"]} == {"4501030001", "4501030004"}
    by_id = {s["id"]: s for s in result["schools"]}
    assert by_id["4501030004"]["teaching_space_per_pupil"]["value"] == pytest.approx(10.0)
    assert result["cv"]["teaching_space_per_pupil"]["cv"] > 0
    junior = await client.post(
        "/v1/balance/counties/450103/evaluate?year=2025&stage=junior", headers=who.city()
    )
    assert [s["id"] for s in junior.json()["result"]["schools"]] == ["4501030004"]


async def test_unapproved_returns_do_not_count(client: httpx.AsyncClient, who: Who) -> None:
    saved = await client.put(
        "/v1/school-data/4501030001/2024",
        json={"data": statistics({"primary": 900})},
        headers=who.school("4501030001"),
    )
    assert saved.status_code == 201

    response = await client.post(
        "/v1/balance/counties/450103/evaluate?year=2024&stage=primary", headers=who.city()
    )

    assert problem(response, 409)["code"] == "supervision.school_return.none"
