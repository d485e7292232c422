"""The demo data `make run` loads: idempotent, and the 青秀区 优质均衡 assessment it creates
evaluates to a verdict over HTTP once enrolment answers."""

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.seed.nanning import SCHOOLS
from supervision.models import Assessment, Inspector, InspectorAssignment, SchoolReturn
from supervision.seed import DEMO_COUNTY, DemoSchool, load_demo_supervision

from .conftest import Peers, Who

DEMO = [
    DemoSchool(school.code, school.name, district, school.stages)
    for district, schools in SCHOOLS.items()
    for school in schools
]


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_seed_is_idempotent(session: AsyncSession) -> None:
    first = await load_demo_supervision(session, DEMO)
    again = await load_demo_supervision(session, DEMO)

    assert first["frameworks"] == 0  # the migration stored them already
    assert first["inspectors"] == again["inspectors"] == 5
    assert first["assignments"] > 0
    assert again["assignments"] == again["school_returns"] == again["assessments"] == 0
    assert await count(session, Assessment) == 1
    per_inspector = (
        await session.execute(
            select(func.count())
            .select_from(InspectorAssignment)
            .group_by(InspectorAssignment.inspector_id)
        )
    ).scalars()
    assert max(per_inspector) <= 5
    teacher = await session.scalar(
        select(Inspector).where(Inspector.certificate_no == "GXDX-450103-002")
    )
    assert teacher is not None
    own = await session.scalar(
        select(func.count())
        .select_from(InspectorAssignment)
        .where(
            InspectorAssignment.inspector_id == teacher.id,
            InspectorAssignment.school_code == teacher.employer_org_code,
        )
    )
    assert own == 0
    assert await count(session, SchoolReturn) == 6


async def test_the_demo_assessment_evaluates(
    client: httpx.AsyncClient, who: Who, peers: Peers, session: AsyncSession
) -> None:
    await load_demo_supervision(session, DEMO)
    for stage in ("primary_g1", "junior_g7"):
        peers.state.stats[(2025, stage, DEMO_COUNTY)] = {
            "catchment_share": 1.0,
            "migrant_share_in_public": 0.9,
        }
    assessment = (await client.get("/v1/assessments", headers=who.city())).json()["items"][0]
    detail = (await client.get(f"/v1/assessments/{assessment['id']}", headers=who.city())).json()
    target = detail["targets"][0]["id"]

    evaluation = await client.post(
        f"/v1/assessments/{assessment['id']}/targets/{target}/evaluate", headers=who.city()
    )

    assert evaluation.status_code == 201, evaluation.text
    assert evaluation.json()["outcome"] == "pass", evaluation.json()["result"]["framework"][
        "reasons"
    ]
    balance = evaluation.json()["result"]["balance"]
    # 0001–0003 and the primary parts of the 一贯制 schools 0004 and 0008.
    assert len(balance["primary"]["schools"]) == 5
    assert {s["id"] for s in balance["junior"]["schools"]} == {
        "4501030004",
        "4501030005",
        "4501030008",
    }
