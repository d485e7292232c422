"""Acceptance: a 优质均衡 assessment of 青秀区 runs from creation to publication over HTTP —
school data collected and approved, the team's scores with evidence, enrolment shares pulled from
the (fake, real-HTTP) enrolment service, a finding rectified, failed at review, reopened and
closed, the report, and approve → redact → publish with public results, CSV and statistics."""

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from supervision.clock import today as business_today
from supervision.models import AuditLog
from supervision.seed import DEMO_INPUTS

from .conftest import PDF, Peers, Who, problem, register_inspector, upload
from .test_balance_api import statistics

COUNTY = "450103"


async def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def phase(client: httpx.AsyncClient, who: Who, assessment_id: str, name: str) -> None:
    await ok(
        await client.post(
            f"/v1/assessments/{assessment_id}/phase", json={"phase": name}, headers=who.city()
        )
    )


async def test_quality_balance_assessment_from_creation_to_publication(
    client: httpx.AsyncClient, who: Who, peers: Peers, session: AsyncSession
) -> None:
    city, county = who.city(), who.district(COUNTY)
    peers.state.stats[(2025, "primary_g1", COUNTY)] = {
        "catchment_share": 1.0,
        "migrant_share_in_public": 0.92,
    }
    peers.state.stats[(2025, "junior_g7", COUNTY)] = {
        "catchment_share": 0.97,
        "migrant_share_in_public": 0.9,
    }

    # 1. The city creates the assessment; its target is the county.
    assessment = await ok(
        await client.post(
            "/v1/assessments",
            json={
                "kind": "quality_balance",
                "title": "青秀区2025年县域义务教育优质均衡发展督导评估",
                "year": 2025,
                "district_code": COUNTY,
                "as_of": "2025-12-31",
                "starts_on": "2025-09-01",
            },
            headers=city,
        ),
        201,
    )
    aid = assessment["id"]
    target = assessment["targets"][0]["id"]
    leader, leader_login = await register_inspector(client, who, name="韦志坚")
    await ok(
        await client.post(
            f"/v1/assessments/{aid}/team",
            json={"inspector_id": leader["id"], "role": "leader"},
            headers=city,
        )
    )

    # 2. Self-assessment: the county reports; schools file their statistics, the county approves.
    await phase(client, who, aid, "self_assessment")
    await ok(
        await client.post(
            f"/v1/assessments/{aid}/documents",
            json={
                "kind": "self_report",
                "target_id": target,
                "title": "青秀区优质均衡自评报告",
                "body": "资源配置7项指标均达标……",
            },
            headers=county,
        ),
        201,
    )
    for code, parts in (
        ("4501030001", {"primary": 1100}),
        ("4501030004", {"primary": 1000, "junior": 800}),
        ("4501030005", {"junior": 900}),
    ):
        staff = who.school(code)
        saved = await ok(
            await client.put(
                f"/v1/school-data/{code}/2025", json={"data": statistics(parts)}, headers=staff
            ),
            201,
        )
        await ok(await client.post(f"/v1/school-data/{saved['id']}/submit", headers=staff))
        await ok(await client.post(f"/v1/school-data/{saved['id']}/approve", headers=county))

    # 3. Site visit: the team leader records the county items with evidence.
    await phase(client, who, aid, "site_visit")
    photo = await upload(client, leader_login)
    values = {k: {"value": v} for k, v in DEMO_INPUTS.items()}
    values["max_class_size_primary"] = {
        "value": 44,
        "evidence_ids": [photo["id"]],
        "comment": "抽查12个班",
    }
    inputs = await ok(
        await client.put(
            f"/v1/assessments/{aid}/targets/{target}/inputs",
            json={"values": values},
            headers=leader_login,
        )
    )
    assert len(inputs["recorded"]) == len(DEMO_INPUTS)
    await ok(
        await client.post(
            f"/v1/assessments/{aid}/documents",
            json={
                "kind": "site_check",
                "target_id": target,
                "title": "现场核查记录",
                "body": "走访3所学校",
            },
            headers=leader_login,
        ),
        201,
    )

    # 4. Scoring: the evaluation pulls enrolment shares and the approved school data.
    await phase(client, who, aid, "scoring")
    evaluation = await ok(
        await client.post(f"/v1/assessments/{aid}/targets/{target}/evaluate", headers=leader_login),
        201,
    )
    assert evaluation["outcome"] == "pass", evaluation["result"]["framework"]["reasons"]
    assert evaluation["sources"]["enrolment"]["status"] == "ok"
    assert evaluation["sources"]["school_data"] == {
        "status": "ok",
        "year": 2025,
        "primary": 2,
        "junior": 2,
    }
    assert set(evaluation["result"]["balance"]) == {"primary", "junior"}
    assert evaluation["framework_version"] == "2017.1"

    # 5. Feedback: a problem for the county, with an owner and a deadline.
    await phase(client, who, aid, "feedback")
    finding = await ok(
        await client.post(
            "/v1/findings",
            json={
                "assessment_id": aid,
                "target_id": target,
                "title": "部分学校音乐教室面积不足96㎡",
                "description": "凤岭初级中学音乐教室 80㎡",
                "severity": "general",
                "category": "G.3.2",
                "owner_person": "区教育局基建科 李科长",
                "deadline": (business_today() + timedelta(days=60)).isoformat(),
            },
            headers=city,
        ),
        201,
    )
    fid = finding["id"]
    await ok(
        await client.post(
            f"/v1/assessments/{aid}/documents",
            json={
                "kind": "rectification_plan",
                "target_id": target,
                "title": "整改方案",
                "body": "……",
            },
            headers=county,
        ),
        201,
    )

    # 6. Rectification: submitted, failed at review, reopened, rectified again, closed.
    await phase(client, who, aid, "rectification")
    await ok(await client.post(f"/v1/findings/{fid}/acknowledge", headers=county))
    plan = await upload(client, county, PDF, "plan.pdf")
    await ok(
        await client.post(
            f"/v1/findings/{fid}/rectifications",
            json={"summary": "已制定改造计划", "evidence_ids": [plan["id"]]},
            headers=county,
        ),
        201,
    )
    failed = await ok(
        await client.post(
            f"/v1/findings/{fid}/review",
            json={"outcome": "fail", "comment": "只有计划，未完成改造"},
            headers=city,
        )
    )
    assert failed["status"] == "failed"
    reopened = await ok(
        await client.post(
            f"/v1/findings/{fid}/reopen",
            json={
                "reason": "复查未通过",
                "deadline": (business_today() + timedelta(days=30)).isoformat(),
            },
            headers=city,
        )
    )
    assert reopened["status"] == "reopened"
    photo_after = await upload(client, county)
    await ok(
        await client.post(
            f"/v1/findings/{fid}/rectifications",
            json={"summary": "音乐教室扩建至100㎡", "evidence_ids": [photo_after["id"]]},
            headers=county,
        ),
        201,
    )
    await ok(
        await client.post(f"/v1/findings/{fid}/review", json={"outcome": "pass"}, headers=city)
    )
    closed = await ok(await client.post(f"/v1/findings/{fid}/close", headers=city))
    assert closed["status"] == "closed"
    assert [r["review_outcome"] for r in closed["rectifications"]] == ["fail", "pass"]
    actions = (
        await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.resource_type == "finding", AuditLog.resource_id == fid)
            .order_by(AuditLog.id)
        )
    ).all()
    assert actions == [
        "finding.raise",
        "finding.acknowledge",
        "finding.submit",
        "finding.review",
        "finding.reopen",
        "finding.submit",
        "finding.review",
        "finding.close",
    ]

    # 7. Follow-up and the report.
    await phase(client, who, aid, "follow_up")
    report = await ok(await client.post(f"/v1/assessments/{aid}/report", headers=city), 201)
    assert report["data"]["targets"][0]["outcome"] == "pass"
    assert report["data"]["findings"]["closed"] == 1
    assert "青秀区（450103）：达标" in report["body"]
    assert "校际差异系数" in report["body"]
    assert (await client.get(f"/v1/assessments/{aid}/report", headers=county)).json()[
        "id"
    ] == report["id"]

    # 8. Disclosure: approve → redact → publish, in that order, by the right people.
    problem(await client.post(f"/v1/assessments/{aid}/publications", headers=county), 403)
    draft = await ok(await client.post(f"/v1/assessments/{aid}/publications", headers=city), 201)
    pid = draft["id"]
    problem(await client.post(f"/v1/publications/{pid}/redact", json={}, headers=city), 409)
    problem(await client.post(f"/v1/publications/{pid}/approve", headers=county), 403)
    await ok(await client.post(f"/v1/publications/{pid}/approve", headers=city))
    early = await client.post(
        f"/v1/publications/{pid}/publish",
        json={"as_of": business_today().isoformat()},
        headers=city,
    )
    problem(early, 409)
    redacted = await ok(
        await client.post(
            f"/v1/publications/{pid}/redact",
            json={"replacements": [{"find": "凤岭初级中学", "replace": "某初级中学"}]},
            headers=city,
        )
    )
    item = redacted["public_content"]["findings"]["items"][0]
    assert "owner_person" not in item
    assert "凤岭" not in str(redacted["public_content"])
    assert "evaluation_id" not in redacted["public_content"]["targets"][0]
    assert redacted["content"]["findings"]["items"][0]["owner_person"] == "区教育局基建科 李科长"
    as_of = business_today().isoformat()
    published = await ok(
        await client.post(f"/v1/publications/{pid}/publish", json={"as_of": as_of}, headers=city)
    )
    assert published["status"] == "published"
    await phase(client, who, aid, "closed")

    # 9. The public sees it, dated, as JSON and CSV, and in the county ranking.
    listing = await ok(await client.get("/v1/public/results?year=2025"))
    assert [(r["id"], r["as_of"], r["passed"]) for r in listing["items"]] == [(pid, as_of, 1)]
    public = await ok(await client.get(f"/v1/public/results/{pid}"))
    assert public["content"]["targets"][0]["org_name"] == "青秀区"
    assert "李科长" not in str(public)

    results_csv = await client.get("/v1/public/results.csv")
    assert results_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(results_csv.text.lstrip("\ufeff"))))
    assert [(r["org_code"], r["outcome"], r["结论"], r["as_of"]) for r in rows] == [
        ("450103", "pass", "达标", as_of)
    ]
    cv_csv = await client.get(f"/v1/public/results/{pid}/cv.csv")
    cv_rows = list(csv.DictReader(io.StringIO(cv_csv.text.lstrip("\ufeff"))))
    assert len(cv_rows) == 14  # 7 indicators × primary and junior
    assert {r["stage"] for r in cv_rows} == {"primary", "junior"}
    assert all(r["met"] == "yes" for r in cv_rows)
    assert {r["limit"] for r in cv_rows} == {"0.50", "0.45"}

    statistics_ = await ok(await client.get("/v1/public/statistics/counties?year=2025"))
    assert statistics_["counties"][0] == {
        "district_code": COUNTY,
        "rank": 1,
        "targets": 1,
        "passed": 1,
        "failed": 0,
        "insufficient_data": 0,
        "pass_rate": 1.0,
        "findings": 1,
        "findings_closed": 1,
        "close_rate": 1.0,
    }

    # 10. Withdrawn results leave the public view.
    await ok(
        await client.post(
            f"/v1/publications/{pid}/withdraw", json={"reason": "数据更正"}, headers=city
        )
    )
    assert (await ok(await client.get("/v1/public/results")))["items"] == []
    problem(await client.get(f"/v1/public/results/{pid}"), 404)
