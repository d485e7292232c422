"""Overdue alerts from the daily scan: ≥ 1 visit per school per month, rectification deadlines
escalating blue → yellow → red; idempotent per day, also when run by a real arq worker."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from arq import create_pool
from arq.worker import Worker
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.db import create_sessionmaker
from shared.worker import build_worker_settings, queue_name_for, redis_settings_from_url
from supervision.alerts.service import alert_service, escalation_level
from supervision.alerts.tasks import SCAN_JOB, scan_alerts
from supervision.clock import today as business_today
from supervision.config import Settings
from supervision.models import (
    Alert,
    DailyScan,
    Inspector,
    InspectorAssignment,
    Visit,
    VisitStatus,
)

from .conftest import FULL_CHECKLIST, Who, problem, register_inspector

SETTINGS = Settings(env="testing")


async def assign_since(
    client: httpx.AsyncClient, who: Who, inspector: dict[str, Any], school: str, starts_on: str
) -> None:
    response = await client.post(
        f"/v1/inspectors/{inspector['id']}/assignments",
        json={"school_code": school, "starts_on": starts_on},
        headers=who.district(inspector["district_code"]),
    )
    assert response.status_code == 201, response.text


async def past_visit(
    session: AsyncSession, inspector: dict[str, Any], school: str, day: date
) -> None:
    """A visit recorded in the past (the API only takes recent ones)."""
    assignment = await session.scalar(
        select(InspectorAssignment).where(InspectorAssignment.school_code == school)
    )
    assert assignment is not None
    session.add(
        Visit(
            inspector_id=uuid.UUID(inspector["id"]),
            assignment_id=assignment.id,
            school_code=school,
            school_name=school,
            district_code=inspector["district_code"],
            status=VisitStatus.completed,
            visited_on=day,
            checked_in_at=datetime(day.year, day.month, day.day, 2, tzinfo=UTC),
            latitude=22.8,
            longitude=108.3,
            checklist=FULL_CHECKLIST,
            methods=[],
            photo_ids=[],
            feedback="ok",
        )
    )
    await session.flush()


async def alerts(session: AsyncSession) -> list[Alert]:
    return list((await session.scalars(select(Alert).order_by(Alert.dedupe_key))).all())


async def test_a_school_without_a_visit_last_month_is_overdue(
    client: httpx.AsyncClient, who: Who, session: AsyncSession
) -> None:
    inspector, me = await register_inspector(client, who)
    await assign_since(client, who, inspector, "4501030001", "2025-09-01")
    await assign_since(client, who, inspector, "4501030002", "2025-09-01")
    await assign_since(client, who, inspector, "4501030003", "2025-10-15")  # not a full month yet
    await past_visit(session, inspector, "4501030002", date(2025, 10, 20))

    summary = await alert_service.scan(session, SETTINGS, date(2025, 11, 3))

    assert summary["visit_overdue"] == 1
    raised = await alerts(session)
    assert [(a.kind.value, a.school_code, a.period, a.severity) for a in raised] == [
        ("visit_overdue", "4501030001", "2025-10", "yellow")
    ]
    assert "每月至少1次" in raised[0].message
    # The inspector, the district and the city see it; another district and school do not.
    for headers in (me, who.district("450103"), who.city(), who.school("4501030001")):
        listed = await client.get("/v1/alerts", headers=headers)
        assert [a["kind"] for a in listed.json()["items"]] == ["visit_overdue"]
    for headers in (who.district("450105"), who.school("4501030002")):
        assert (await client.get("/v1/alerts", headers=headers)).json()["items"] == []
    acknowledged = await client.post(f"/v1/alerts/{raised[0].id}/acknowledge", headers=me)
    assert acknowledged.json()["acknowledged_at"] is not None
    problem(
        await client.post(f"/v1/alerts/{raised[0].id}/acknowledge", headers=who.district("450105")),
        404,
    )


async def test_the_scan_is_idempotent_per_day(
    client: httpx.AsyncClient, who: Who, session: AsyncSession
) -> None:
    inspector, _ = await register_inspector(client, who)
    await assign_since(client, who, inspector, "4501030001", "2025-09-01")

    first = await alert_service.scan(session, SETTINGS, date(2025, 11, 3))
    second = await alert_service.scan(session, SETTINGS, date(2025, 11, 3))
    forced = await alert_service.scan(session, SETTINGS, date(2025, 11, 3), force=True)
    next_day = await alert_service.scan(session, SETTINGS, date(2025, 11, 4))

    assert first["visit_overdue"] == 1
    assert second["skipped"] is True
    assert forced["visit_overdue"] == 0
    assert next_day["visit_overdue"] == 0  # the same month's miss is alerted once
    assert len(await alerts(session)) == 1
    days = await session.scalar(
        select(func.count())
        .select_from(DailyScan)
        .where(DailyScan.day.in_([date(2025, 11, 3), date(2025, 11, 4)]))
    )
    assert days == 2


async def test_the_current_month_falls_due_near_its_end_until_a_visit(
    client: httpx.AsyncClient, who: Who, session: AsyncSession
) -> None:
    inspector, _ = await register_inspector(client, who)
    await assign_since(client, who, inspector, "4501030001", "2025-09-01")
    for month in (9, 10):
        await past_visit(session, inspector, "4501030001", date(2025, month, 10))

    assert (await alert_service.scan(session, SETTINGS, date(2025, 11, 20)))["visit_due"] == 0
    assert (await alert_service.scan(session, SETTINGS, date(2025, 11, 27)))["visit_due"] == 1
    due = (await alerts(session))[0]
    assert (due.kind.value, due.severity, due.period) == ("visit_due", "blue", "2025-11")


async def test_a_recorded_visit_resolves_this_months_due_alert(
    client: httpx.AsyncClient, who: Who, session: AsyncSession
) -> None:
    inspector, me = await register_inspector(client, who)
    await assign_since(client, who, inspector, "4501030001", "2025-09-01")
    today = business_today()
    await alert_service.scan(
        session, SETTINGS.model_copy(update={"visit_due_days_before_month_end": 31}), today
    )
    assert [a.kind.value for a in await alerts(session) if a.kind.value == "visit_due"] == [
        "visit_due"
    ]

    recorded = await client.post(
        "/v1/visits",
        json={
            "school_code": "4501030001",
            "latitude": 22.8,
            "longitude": 108.3,
            "record": {"checklist": FULL_CHECKLIST, "feedback": "良好"},
        },
        headers=me,
    )
    assert recorded.status_code == 201

    open_alerts = await client.get("/v1/alerts?kind=visit_due", headers=me)
    assert open_alerts.json()["items"] == []


@pytest.mark.parametrize(
    ("days", "level"), [(0, 0), (1, 1), (14, 1), (15, 2), (29, 2), (30, 3), (400, 3)]
)
def test_escalation_levels(days: int, level: int) -> None:
    assert escalation_level(days, SETTINGS) == level


async def test_overdue_rectification_escalates_and_closing_resolves(
    client: httpx.AsyncClient, who: Who, session: AsyncSession
) -> None:
    created = await client.post(
        "/v1/findings",
        json={"school_code": "4501030001", "title": "围墙破损", "description": "东侧围墙倒塌"},
        headers=who.city(),
    )
    finding = created.json()
    deadline = date.fromisoformat(finding["deadline"])

    for offset, expected in ((1, "blue"), (15, "yellow"), (31, "red")):
        await alert_service.scan(session, SETTINGS, deadline + timedelta(days=offset))
        latest = (await alerts(session))[-1]
        assert latest.severity == expected
    raised = await alerts(session)
    assert [a.severity for a in raised] == ["blue", "yellow", "red"]
    detail = await client.get(f"/v1/findings/{finding['id']}", headers=who.city())
    assert detail.json()["escalation_level"] == 3
    overdue = await client.get("/v1/findings?overdue=true", headers=who.district("450103"))
    assert overdue.json()["items"] == []  # not overdue *today*

    school = who.school("4501030001")
    await client.post(
        f"/v1/findings/{finding['id']}/rectifications", json={"summary": "已修复"}, headers=school
    )
    await client.post(
        f"/v1/findings/{finding['id']}/review", json={"outcome": "pass"}, headers=who.city()
    )
    await client.post(f"/v1/findings/{finding['id']}/close", headers=who.city())
    open_alerts = await client.get("/v1/alerts?kind=rectification_overdue", headers=who.city())
    assert open_alerts.json()["items"] == []
    everything = await client.get(
        "/v1/alerts?kind=rectification_overdue&open_only=false", headers=who.city()
    )
    assert len(everything.json()["items"]) == 3


async def test_scan_endpoint_is_for_city_staff(client: httpx.AsyncClient, who: Who) -> None:
    problem(await client.post("/v1/alerts/scan", headers=who.district("450103")), 403)
    ran = await client.post("/v1/alerts/scan?day=2025-11-03", headers=who.city())
    assert ran.status_code == 200
    assert ran.json()["day"] == "2025-11-03"


# --- the arq job ------------------------------------------------------------------------------


@pytest.fixture
async def committed_assignment(engine: AsyncEngine) -> AsyncIterator[uuid.UUID]:
    """An inspector with one school since September, committed so a worker can see it."""
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        inspector = Inspector(
            name="工作进程测试",
            certificate_no=f"JOB-{uuid.uuid4().hex[:8]}",
            district_code="450110",
            phone="0771-0000000",
            active=True,
        )
        session.add(inspector)
        await session.flush()
        session.add(
            InspectorAssignment(
                inspector_id=inspector.id,
                school_code="4501109999",
                school_name="武鸣区测试小学",
                district_code="450110",
                starts_on=date(2025, 9, 1),
            )
        )
    try:
        yield inspector.id
    finally:
        async with sessionmaker() as session, session.begin():
            await session.execute(delete(Alert).where(Alert.inspector_id == inspector.id))
            await session.execute(delete(DailyScan).where(DailyScan.day == date(2025, 11, 3)))
            await session.execute(
                delete(InspectorAssignment).where(InspectorAssignment.inspector_id == inspector.id)
            )
            await session.execute(delete(Inspector).where(Inspector.id == inspector.id))


async def test_the_daily_job_runs_in_a_real_worker_once_per_day(
    database_url: str, redis_url: str, engine: AsyncEngine, committed_assignment: uuid.UUID
) -> None:
    settings = Settings(database_url=database_url, redis_url=redis_url, env="testing")
    worker_settings = build_worker_settings(settings=settings, functions=[scan_alerts])
    options = {k: v for k, v in vars(worker_settings).items() if not k.startswith("_")}

    async def run_once() -> Worker:
        pool = await create_pool(redis_settings_from_url(redis_url))
        await pool.enqueue_job(SCAN_JOB, "2025-11-03", _queue_name=queue_name_for("supervision"))
        await pool.aclose()
        worker = Worker(**{**options, "burst": True, "poll_delay": 0})
        await worker.main()
        await worker.close()
        return worker

    first = await run_once()
    second = await run_once()

    assert first.jobs_complete == second.jobs_complete == 1
    assert first.jobs_failed == second.jobs_failed == 0
    async with create_sessionmaker(engine)() as session:
        raised = (
            await session.scalars(select(Alert).where(Alert.inspector_id == committed_assignment))
        ).all()
    assert [(a.school_code, a.period) for a in raised] == [("4501109999", "2025-10")]
