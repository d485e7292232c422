"""问题清单 → 整改 → 复查 → 销号: the owner rectifies with evidence, the supervising side
reviews; a failed review reopens with a new deadline; only a verified finding is closed."""

from datetime import timedelta
from typing import Any

import httpx

from supervision.clock import today as business_today

from .conftest import PDF, Who, assign, fields, problem, register_inspector, upload


async def raise_on_school(
    client: httpx.AsyncClient, headers: dict[str, str], school: str = "4501030001", **body: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/findings",
        json={
            "school_code": school,
            "title": "实验室危化品台账不全",
            "description": "抽查发现两种试剂无出入库记录",
            "severity": "serious",
            "owner_person": "张校长",
            **body,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def act(
    client: httpx.AsyncClient,
    finding: dict[str, Any],
    verb: str,
    headers: dict[str, str],
    **body: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/findings/{finding['id']}/{verb}", json=body or None, headers=headers
    )


async def test_rectify_fail_reopen_and_close(client: httpx.AsyncClient, who: Who) -> None:
    finding = await raise_on_school(client, who.district("450103"))
    assert finding["status"] == "issued"
    assert finding["deadline"] == (business_today() + timedelta(days=30)).isoformat()
    owner = who.school("4501030001")
    district = who.district("450103")

    assert (await act(client, finding, "acknowledge", owner)).json()["status"] == "in_progress"
    scan = await upload(client, owner, PDF, "ledger.pdf")
    first = await act(
        client, finding, "rectifications", owner, summary="补建台账", evidence_ids=[scan["id"]]
    )
    assert first.status_code == 201
    assert first.json()["status"] == "submitted"
    assert first.json()["rectifications"][0]["evidence_ids"] == [scan["id"]]

    no_reason = await act(client, finding, "review", district, outcome="fail")
    assert "body" in fields(no_reason)
    failed = await act(client, finding, "review", district, outcome="fail", comment="台账未签字")
    assert failed.json()["status"] == "failed"
    problem(await act(client, finding, "close", district), 409)
    problem(await act(client, finding, "rectifications", owner, summary="again"), 409)

    new_deadline = (business_today() + timedelta(days=14)).isoformat()
    reopened = await act(
        client, finding, "reopen", district, reason="复查未通过", deadline=new_deadline
    )
    assert reopened.json()["status"] == "reopened"
    assert reopened.json()["deadline"] == new_deadline
    assert reopened.json()["reopen_count"] == 1

    await act(client, finding, "rectifications", owner, summary="台账已签字并公示")
    passed = await act(client, finding, "review", district, outcome="pass", comment="符合要求")
    assert passed.json()["status"] == "verified"
    closed = await act(client, finding, "close", district)
    body = closed.json()
    assert body["status"] == "closed"
    assert [(r["round"], r["review_outcome"]) for r in body["rectifications"]] == [
        (1, "fail"),
        (2, "pass"),
    ]


async def test_owner_and_reviewer_sides(client: httpx.AsyncClient, who: Who) -> None:
    finding = await raise_on_school(client, who.city())

    problem(await act(client, finding, "acknowledge", who.school("4501030002")), 404)
    problem(await act(client, finding, "rectifications", who.district("450105"), summary="x"), 404)
    await act(client, finding, "rectifications", who.school("4501030001"), summary="已整改")
    # The school cannot pass its own work.
    assert (
        problem(
            await act(client, finding, "review", who.school("4501030001"), outcome="pass"), 403
        )["code"]
        == "supervision.finding.not_reviewer"
    )

    inspector, me = await register_inspector(client, who)
    problem(await act(client, finding, "review", me, outcome="pass"), 404)
    await assign(client, who, inspector, "4501030001")
    # The school's responsible inspector does the 复查.
    assert (await act(client, finding, "review", me, outcome="pass")).json()["status"] == "verified"
    assert (await act(client, finding, "close", me)).json()["status"] == "closed"


async def test_a_county_governments_problem_is_reviewed_by_the_city_only(
    client: httpx.AsyncClient, who: Who
) -> None:
    assessment = await client.post(
        "/v1/assessments",
        json={"kind": "government_duty", "title": "督政", "year": 2025, "district_code": "450103"},
        headers=who.city(),
    )
    target = assessment.json()["targets"][0]
    created = await client.post(
        "/v1/findings",
        json={
            "assessment_id": assessment.json()["id"],
            "target_id": target["id"],
            "title": "学前教育公办园占比不足",
            "description": "公办园在园幼儿占比 41%",
        },
        headers=who.city(),
    )
    assert created.status_code == 201, created.text
    finding = created.json()
    assert (finding["school_code"], finding["owner_name"]) == (None, "青秀区")

    county = who.district("450103")
    await act(client, finding, "rectifications", county, summary="新建两所公办园")
    problem(await act(client, finding, "review", county, outcome="pass"), 403)
    assert (await act(client, finding, "review", who.city(), outcome="pass")).status_code == 200
    problem(
        await client.get(f"/v1/findings/{finding['id']}", headers=who.school("4501030001")), 404
    )


async def test_finding_input_is_checked(client: httpx.AsyncClient, who: Who) -> None:
    both = await client.post(
        "/v1/findings",
        json={
            "school_code": "4501030001",
            "target_id": "00000000-0000-0000-0000-000000000000",
            "title": "t",
            "description": "d",
        },
        headers=who.city(),
    )
    assert problem(both, 422)
    past = await client.post(
        "/v1/findings",
        json={
            "school_code": "4501030001",
            "title": "t",
            "description": "d",
            "deadline": "2020-01-01",
        },
        headers=who.city(),
    )
    assert "body.deadline" in fields(past)
    elsewhere = await client.post(
        "/v1/findings",
        json={"school_code": "4501050001", "title": "t", "description": "d"},
        headers=who.district("450103"),
    )
    problem(elsewhere, 403)
    problem(
        await client.post(
            "/v1/findings",
            json={"school_code": "4501030001", "title": "t", "description": "d"},
            headers=who.school("4501030001"),
        ),
        403,
    )
    finding = await raise_on_school(client, who.city())
    bad_reopen = await act(client, finding, "reopen", who.city(), reason="x", deadline="2020-01-01")
    problem(bad_reopen, 409)  # an issued finding is not reopened


async def test_listing_is_scoped_and_filters_overdue(client: httpx.AsyncClient, who: Who) -> None:
    ours = await raise_on_school(client, who.city(), "4501030001")
    await raise_on_school(client, who.city(), "4501050001")

    district = await client.get("/v1/findings", headers=who.district("450103"))
    assert [f["id"] for f in district.json()["items"]] == [ours["id"]]
    school = await client.get("/v1/findings", headers=who.school("4501030001"))
    assert [f["id"] for f in school.json()["items"]] == [ours["id"]]
    city = await client.get("/v1/findings", headers=who.city())
    assert len(city.json()["items"]) == 2
    overdue = await client.get("/v1/findings?overdue=true", headers=who.city())
    assert overdue.json()["items"] == []
