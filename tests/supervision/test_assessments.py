"""Assessments and campaigns over HTTP: who runs what, targets, team and phases, scores checked
against the framework, evaluation with inputs pulled from plans and enrolment — and degrading to
"insufficient data" when a peer is down."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from supervision.app import create_app
from supervision.config import Settings
from supervision.seed import DEMO_INPUTS

from .conftest import (
    Peers,
    Who,
    dead_url,
    fields,
    problem,
    register_inspector,
    settings_for,
    upload,
)
from .test_balance_api import approved_return, statistics


def nodes(evaluation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for item in items:
            yield item
            yield from walk(item.get("children", []))

    for node in walk(evaluation["result"]["framework"]["nodes"]):
        out[node["code"]] = node
    return out


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    defaults = {"title": "测试督导", "year": 2025, "kind": "routine_management"}
    return await client.post("/v1/assessments", json={**defaults, **body}, headers=headers)


async def advance(
    client: httpx.AsyncClient, who: Who, assessment: dict[str, Any], *phases: str
) -> None:
    headers = (
        who.city()
        if assessment["district_code"] is None
        or assessment["kind"]
        in (
            "government_duty",
            "quality_balance",
            "preschool_inclusive",
        )
        else who.district(assessment["district_code"])
    )
    for phase in phases:
        response = await client.post(
            f"/v1/assessments/{assessment['id']}/phase", json={"phase": phase}, headers=headers
        )
        assert response.status_code == 200, response.text


async def quality_balance(
    client: httpx.AsyncClient, who: Who, district: str = "450103"
) -> dict[str, Any]:
    response = await create(
        client,
        who.city(),
        kind="quality_balance",
        title="青秀区优质均衡督导评估",
        district_code=district,
        as_of="2025-12-31",
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_only_the_city_runs_county_level_assessments(
    client: httpx.AsyncClient, who: Who
) -> None:
    problem(
        await create(
            client, who.district("450103"), kind="quality_balance", district_code="450103"
        ),
        403,
    )
    problem(await create(client, who.district("450103"), district_code="450105"), 403)
    problem(await create(client, who.inspector("450103", "user:x")), 403)
    missing = await create(client, who.city(), kind="government_duty")
    assert "body.district_code" in fields(missing)
    own = await create(
        client, who.district("450103"), district_code="450103", targets=["4501030001"]
    )
    assert own.status_code == 201, own.text
    body = own.json()
    assert body["framework_code"] == "school_routine_management"
    assert body["phase"] == "planning"
    assert [t["org_code"] for t in body["targets"]] == ["4501030001"]
    county = await quality_balance(client, who)
    assert [(t["org_code"], t["org_name"], t["kind"]) for t in county["targets"]] == [
        ("450103", "青秀区", "county")
    ]


async def test_targets_are_checked_against_kind_and_district(
    client: httpx.AsyncClient, who: Who
) -> None:
    response = await create(
        client,
        who.district("450103"),
        district_code="450103",
        targets=["4501030001", "4501050001", "4501030007"],
    )

    error = problem(response, 422)
    assert error["errors"][0]["field"] == "body.targets[2]"  # a kindergarten is not a school
    response = await create(
        client, who.district("450103"), district_code="450103", targets=["4501030001", "4501050001"]
    )
    assert fields(response) == {"body.targets[1]"}
    unknown = await create(client, who.city(), targets=["4501039999"])
    assert fields(unknown) == {"body.targets"}


async def test_phases_only_move_forward(client: httpx.AsyncClient, who: Who) -> None:
    assessment = (await create(client, who.district("450103"), district_code="450103")).json()
    await advance(client, who, assessment, "self_assessment", "scoring")

    back = await client.post(
        f"/v1/assessments/{assessment['id']}/phase",
        json={"phase": "site_visit"},
        headers=who.district("450103"),
    )
    assert problem(back, 409)["code"] == "supervision.assessment.phase"
    detail = await client.get(f"/v1/assessments/{assessment['id']}", headers=who.city())
    assert [h["phase"] for h in detail.json()["phase_history"]] == [
        "planning",
        "self_assessment",
        "scoring",
    ]
    problem(
        await client.post(
            f"/v1/assessments/{assessment['id']}/phase",
            json={"phase": "closed"},
            headers=who.district("450105"),
        ),
        404,
    )


async def test_scores_are_checked_against_the_framework(
    client: httpx.AsyncClient, who: Who
) -> None:
    assessment = (
        await create(client, who.district("450103"), district_code="450103", targets=["4501030001"])
    ).json()
    target = assessment["targets"][0]["id"]
    url = f"/v1/assessments/{assessment['id']}/targets/{target}/inputs"

    early = await client.put(
        url, json={"values": {"leadership": {"value": 10}}}, headers=who.city()
    )
    assert problem(early, 409)["code"] == "supervision.assessment.phase"

    await advance(client, who, assessment, "site_visit")
    bad = await client.put(
        url,
        json={
            "values": {
                "leadership": {"value": 16},
                "teaching": {"value": True},
                "data_fraud": {"value": 1},
                "no_such_item": {"value": 3},
            }
        },
        headers=who.city(),
    )
    assert fields(bad) == {
        "body.values.leadership",
        "body.values.teaching",
        "body.values.data_fraud",
        "body.values.no_such_item",
    }
    expected = await client.get(url, headers=who.district("450103"))
    keys = {e["key"]: e for e in expected.json()["expected"]}
    assert keys["leadership"]["max_score"] == 15
    assert keys["data_fraud"]["type"] == "yes_no"
    assert expected.json()["recorded"] == []


async def test_team_inspectors_score_every_target_but_their_own_school(
    client: httpx.AsyncClient, who: Who
) -> None:
    inspector, me = await register_inspector(client, who, employer="4501030002")
    outsider, them = await register_inspector(client, who, name="覃海")
    assessment = (
        await create(
            client,
            who.district("450103"),
            district_code="450103",
            targets=["4501030001", "4501030002"],
        )
    ).json()
    joined = await client.post(
        f"/v1/assessments/{assessment['id']}/team",
        json={"inspector_id": inspector["id"], "role": "leader"},
        headers=who.district("450103"),
    )
    assert joined.json()["team"][0]["role"] == "leader"
    await advance(client, who, assessment, "site_visit")
    targets = {t["org_code"]: t["id"] for t in assessment["targets"]}
    base = f"/v1/assessments/{assessment['id']}/targets"
    photo = await upload(client, me)

    scored = await client.put(
        f"{base}/{targets['4501030001']}/inputs",
        json={"values": {"leadership": {"value": 14, "evidence_ids": [photo["id"]]}}},
        headers=me,
    )
    assert scored.status_code == 200, scored.text
    assert scored.json()["recorded"][0]["evidence_ids"] == [photo["id"]]
    recused = await client.put(
        f"{base}/{targets['4501030002']}/inputs",
        json={"values": {"leadership": {"value": 14}}},
        headers=me,
    )
    assert problem(recused, 403)["code"] == "supervision.assessment.not_on_team"
    problem(await client.get(f"/v1/assessments/{assessment['id']}", headers=them), 404)
    problem(
        await client.put(
            f"{base}/{targets['4501030001']}/inputs",
            json={"values": {"leadership": {"value": 1}}},
            headers=them,
        ),
        404,
    )
    listed = await client.get("/v1/assessments", headers=me)
    assert [a["id"] for a in listed.json()["items"]] == [assessment["id"]]
    assert (await client.get("/v1/assessments", headers=them)).json()["items"] == []
    problem(
        await client.put(
            f"{base}/{targets['4501030001']}/inputs",
            json={"values": {"leadership": {"value": 1}}},
            headers=who.school("4501030001"),
        ),
        403,
    )


async def test_routine_management_gives_a_grade_and_a_veto_forces_the_lowest(
    client: httpx.AsyncClient, who: Who
) -> None:
    assessment = (
        await create(client, who.district("450103"), district_code="450103", targets=["4501030001"])
    ).json()
    target = assessment["targets"][0]["id"]
    await advance(client, who, assessment, "scoring")
    scores = {
        "leadership": 14,
        "conditions": 13,
        "management": 18,
        "teaching": 17,
        "quality": 16,
        "outcomes": 8,
        "major_safety_accident": False,
        "serious_ethics_incident": False,
        "data_fraud": False,
    }
    url = f"/v1/assessments/{assessment['id']}/targets/{target}"
    await client.put(
        f"{url}/inputs",
        json={"values": {k: {"value": v} for k, v in scores.items()}},
        headers=who.district("450103"),
    )

    graded = await client.post(f"{url}/evaluate", headers=who.district("450103"))
    assert graded.status_code == 201, graded.text
    assert (graded.json()["outcome"], graded.json()["grade"]) == ("pass", "合格")

    await client.put(
        f"{url}/inputs", json={"values": {"data_fraud": {"value": True}}}, headers=who.city()
    )
    vetoed = await client.post(f"{url}/evaluate", headers=who.city())
    assert (vetoed.json()["outcome"], vetoed.json()["grade"]) == ("fail", "不合格")
    detail = await client.get(f"/v1/assessments/{assessment['id']}", headers=who.city())
    assert detail.json()["targets"][0]["latest_grade"] == "不合格"
    history = await client.get(
        f"/v1/evaluations?target_id={target}", headers=who.district("450103")
    )
    assert [e["grade"] for e in history.json()["items"]] == ["不合格", "合格"]


async def test_government_duty_pulls_the_countys_plan_progress(
    client: httpx.AsyncClient, who: Who, peers: Peers
) -> None:
    peers.state.progress["450103"] = {
        "plan_id": None,
        "tasks": 40,
        "completed": 36,
        "completed_on_time": 34,
        "overdue": 2,
        "on_time_rate": 0.85,
        "by_key_work": [],
    }
    assessment = (
        await create(client, who.city(), kind="government_duty", district_code="450103")
    ).json()
    target = assessment["targets"][0]
    assert target["kind"] == "county"
    await advance(client, who, assessment, "scoring")

    evaluation = await client.post(
        f"/v1/assessments/{assessment['id']}/targets/{target['id']}/evaluate", headers=who.city()
    )

    assert evaluation.status_code == 201, evaluation.text
    body = evaluation.json()
    plan = nodes(body)["PLAN.1"]
    assert plan["outcome"] == "fail"
    assert plan["result"]["value"] == pytest.approx(85.0)
    assert body["sources"]["plans"]["status"] == "ok"
    assert body["inputs"]["values"]["plan_tasks_overdue"] == 2
    assert ("plans.progress", {"org_code": "450103"}) in peers.state.calls
    assert peers.state.tokens_issued >= 1
    # The county may not score its own government: only the city (or its team) does.
    problem(
        await client.put(
            f"/v1/assessments/{assessment['id']}/targets/{target['id']}/inputs",
            json={"values": {"party_policy": {"value": 15}}},
            headers=who.district("450103"),
        ),
        403,
    )
    managed = await client.put(
        f"/v1/assessments/{assessment['id']}/targets/{target['id']}/inputs",
        json={"values": {"plan_tasks_on_time_pct": {"value": 100}}},
        headers=who.city(),
    )
    assert "body.values.plan_tasks_on_time_pct" in fields(managed)


async def test_plans_without_the_unit_leaves_the_plan_item_insufficient(
    client: httpx.AsyncClient, who: Who, peers: Peers
) -> None:
    assessment = (
        await create(client, who.city(), kind="government_duty", district_code="450105")
    ).json()
    await advance(client, who, assessment, "scoring")
    target = assessment["targets"][0]["id"]

    evaluation = await client.post(
        f"/v1/assessments/{assessment['id']}/targets/{target}/evaluate", headers=who.city()
    )

    assert evaluation.status_code == 201
    assert nodes(evaluation.json())["PLAN.1"]["outcome"] == "insufficient_data"
    assert evaluation.json()["sources"]["plans"]["status"] == "unavailable"


async def test_enrolment_shares_feed_the_government_items(
    client: httpx.AsyncClient, who: Who, peers: Peers
) -> None:
    peers.state.stats[(2025, "primary_g1", "450103")] = {
        "catchment_share": 1.0,
        "migrant_share_in_public": 0.93,
    }
    peers.state.stats[(2025, "junior_g7", "450103")] = {
        "catchment_share": 0.96,
        "migrant_share_in_public": 0.88,
    }
    assessment = await quality_balance(client, who)
    await advance(client, who, assessment, "scoring")
    target = assessment["targets"][0]["id"]

    evaluation = await client.post(
        f"/v1/assessments/{assessment['id']}/targets/{target}/evaluate", headers=who.city()
    )

    found = nodes(evaluation.json())
    assert found["G.13.1"]["outcome"] == "pass"
    assert found["G.13.2"]["outcome"] == "pass"
    assert found["G.15.2"]["outcome"] == "pass"
    assert found["G.15.2"]["result"]["value"] == pytest.approx(88.0)
    assert evaluation.json()["sources"]["enrolment"]["status"] == "ok"


async def test_with_enrolment_stopped_its_items_are_insufficient_data_not_an_error(
    make_client: Any, peers: Peers, evidence_dir: Any, who: Who
) -> None:
    """Acceptance: the enrolment service is down (dead URL)."""
    client = await make_client(
        create_app, Settings, **settings_for(peers, evidence_dir, enrolment_url=dead_url())
    )
    for code in ("4501030001", "4501030002"):
        await approved_return(client, who, code, statistics({"primary": 1000}))
    assessment = await quality_balance(client, who)
    target = assessment["targets"][0]["id"]
    await advance(client, who, assessment, "site_visit")
    await client.put(
        f"/v1/assessments/{assessment['id']}/targets/{target}/inputs",
        json={"values": {k: {"value": v} for k, v in DEMO_INPUTS.items()}},
        headers=who.city(),
    )
    await advance(client, who, assessment, "scoring")

    evaluation = await client.post(
        f"/v1/assessments/{assessment['id']}/targets/{target}/evaluate", headers=who.city()
    )

    assert evaluation.status_code == 201, evaluation.text
    body = evaluation.json()
    found = nodes(body)
    for code in ("G.13.1", "G.13.2", "G.15.2"):
        assert found[code]["outcome"] == "insufficient_data", code
        assert "缺少数据" in found[code]["reason"]
    assert body["sources"]["enrolment"]["status"] == "unavailable"
    assert set(body["sources"]["enrolment"]["feeds"]) == {
        "nearby_enrolment_primary_pct",
        "nearby_enrolment_junior_pct",
        "migrant_children_public_pct",
    }
    # Everything else was judged: the resource items from the stored school data pass.
    assert found["R.S"]["outcome"] == "pass"
    assert found["G.5.1"]["outcome"] == "pass"
    assert body["outcome"] == "insufficient_data"
    assert all(
        reason.startswith(("[G.13", "[G.15.2]"))
        for reason in body["result"]["framework"]["reasons"]
    )


async def test_special_campaign_from_a_template(client: httpx.AsyncClient, who: Who) -> None:
    templates = await client.get("/v1/campaign-templates", headers=who.district("450103"))
    codes = {t["code"] for t in templates.json()}
    assert codes == {
        "double_reduction",
        "dropout_control",
        "campus_safety",
        "bullying",
        "drowning_prevention",
        "illegal_fees",
        "large_classes",
    }
    response = await create(
        client,
        who.district("450103"),
        kind="special",
        template_code="double_reduction",
        title="2025年秋季学期“双减”专项督导",
        district_code="450103",
        starts_on="2025-09-15",
        targets=["4501030001", "4501030004"],
    )
    assert response.status_code == 201, response.text
    campaign = response.json()
    assert campaign["framework_code"] == "special_double_reduction"
    assert campaign["due_on"] == "2025-11-14"
    bad = await create(
        client, who.district("450103"), kind="special", template_code="nope", district_code="450103"
    )
    assert "body.template_code" in fields(bad)

    await advance(client, who, campaign, "site_visit")
    target = campaign["targets"][0]["id"]
    values = {
        "homework_time_controlled": True,
        "after_school_service_coverage_pct": 100,
        "after_school_5_plus_2": True,
        "sleep_management": True,
        "no_school_run_tutoring": True,
        "teacher_paid_tutoring_cases": 1,
    }
    await client.put(
        f"/v1/assessments/{campaign['id']}/targets/{target}/inputs",
        json={"values": {k: {"value": v} for k, v in values.items()}},
        headers=who.district("450103"),
    )
    await advance(client, who, campaign, "scoring")
    result = await client.post(
        f"/v1/assessments/{campaign['id']}/targets/{target}/evaluate",
        headers=who.district("450103"),
    )
    assert result.json()["outcome"] == "fail"
    assert nodes(result.json())["T.2"]["outcome"] == "fail"


async def test_documents_by_the_target_and_by_the_team(client: httpx.AsyncClient, who: Who) -> None:
    assessment = (
        await create(
            client,
            who.district("450103"),
            district_code="450103",
            targets=["4501030001", "4501030002"],
        )
    ).json()
    targets = {t["org_code"]: t["id"] for t in assessment["targets"]}
    url = f"/v1/assessments/{assessment['id']}/documents"

    self_report = await client.post(
        url,
        json={
            "kind": "self_report",
            "target_id": targets["4501030001"],
            "title": "自评报告",
            "body": "我校对照六项一级指标开展自评……",
        },
        headers=who.school("4501030001"),
    )
    assert self_report.status_code == 201, self_report.text
    problem(
        await client.post(
            url,
            json={
                "kind": "self_report",
                "target_id": targets["4501030001"],
                "title": "x",
                "body": "y",
            },
            headers=who.school("4501030002"),
        ),
        404,
    )
    problem(
        await client.post(
            url,
            json={
                "kind": "feedback",
                "target_id": targets["4501030001"],
                "title": "x",
                "body": "y",
            },
            headers=who.school("4501030001"),
        ),
        403,
    )
    feedback = await client.post(
        url,
        json={
            "kind": "feedback",
            "target_id": targets["4501030001"],
            "title": "反馈意见",
            "body": "……",
        },
        headers=who.district("450103"),
    )
    assert feedback.status_code == 201

    own = await client.get(url, headers=who.school("4501030001"))
    assert {d["kind"] for d in own.json()} == {"self_report", "feedback"}
    other = await client.get(url, headers=who.school("4501030002"))
    assert other.json() == []


async def test_preschool_and_kindergarten_assessments(client: httpx.AsyncClient, who: Who) -> None:
    preschool = (
        await create(client, who.city(), kind="preschool_inclusive", district_code="450103")
    ).json()
    await advance(client, who, preschool, "scoring")
    target = preschool["targets"][0]["id"]
    recorded = await client.put(
        f"/v1/assessments/{preschool['id']}/targets/{target}/inputs",
        json={
            "values": {
                "gross_enrolment_3y_pct": {"value": 91.2},
                "public_kindergarten_share_pct": {"value": 43.0},
                "staffing_compliant_kindergartens_pct": {"value": 85},
            }
        },
        headers=who.city(),
    )
    assert recorded.status_code == 200, recorded.text
    evaluation = await client.post(
        f"/v1/assessments/{preschool['id']}/targets/{target}/evaluate", headers=who.city()
    )
    found = nodes(evaluation.json())
    assert found["P.1"]["outcome"] == "pass"
    assert found["P.3"]["outcome"] == "fail"  # 公办园在园幼儿占比 43 % < 50 %
    assert found["Q.3.1"]["result"]["grade"] == "基本合格"
    assert found["Q.3.1"]["outcome"] == "pass"
    assert evaluation.json()["outcome"] == "fail"
    assert evaluation.json()["framework_code"] == "preschool_universal_inclusive"

    conduct = await create(
        client,
        who.district("450103"),
        kind="kindergarten_conduct",
        district_code="450103",
        targets=["4501030007"],
    )
    assert conduct.status_code == 201, conduct.text
    assert conduct.json()["targets"][0]["kind"] == "kindergarten"
    wrong = await create(
        client,
        who.district("450103"),
        kind="kindergarten_conduct",
        district_code="450103",
        targets=["4501030001"],
    )
    assert fields(wrong) == {"body.targets"}
