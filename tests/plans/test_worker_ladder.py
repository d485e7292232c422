"""The 督办 ladder with a real arq worker on Redis: the scan job run twice a day, the outbox
drained by the worker, every step sent once."""

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from arq import create_pool
from arq.worker import Worker
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from plans.config import Settings
from plans.models import (
    Assignment,
    Level,
    NodeKind,
    Notification,
    OutboxMessage,
    Plan,
    PlanKind,
    PlanNode,
    PlanStatus,
    SupervisionStep,
    UnitRole,
)
from plans.notifications.sender import register_sender, use_sender
from plans.worker import worker_settings
from shared.db import create_sessionmaker
from shared.worker import queue_name_for, redis_settings_from_url

QUEUE = queue_name_for("plans")


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[uuid.UUID, str]] = []

    async def send(self, notification: Notification) -> None:
        self.sent.append((notification.id, notification.title))


@pytest.fixture
async def committed_plan(engine: AsyncEngine) -> AsyncIterator[dict[str, Any]]:
    """A supervised plan with one task and two units, really committed (a worker must see it)."""
    maker = create_sessionmaker(engine)
    plan_id, node_id = uuid.uuid4(), uuid.uuid4()
    async with maker() as session, session.begin():
        session.add(
            Plan(
                id=plan_id,
                kind=PlanKind.special,
                title="worker ladder test plan",
                status=PlanStatus.active,
                owner_org_code="450100",
                leader_name="李副局长",
                version=1,
            )
        )
        await session.flush()
        session.add(
            PlanNode(
                id=node_id,
                plan_id=plan_id,
                position=1,
                ref="1",
                level=1,
                numbering="1.",
                kind=NodeKind.task,
                title="消除大班额",
                text="消除大班额。",
                due_date=date(2019, 6, 30),
                deadline_raw="2019年6月底前",
            )
        )
        await session.flush()
        for name, code in (("青秀区人民政府", "450103"), ("江南区人民政府", "450105")):
            session.add(
                Assignment(
                    plan_id=plan_id,
                    node_id=node_id,
                    role=UnitRole.implementing,
                    roles=["implementing"],
                    source_names=["各县区人民政府"],
                    org_id=uuid.uuid4(),
                    org_code=code,
                    org_name=name,
                    org_kind="government",
                    district_code=code,
                )
            )
    yield {"plan_id": plan_id, "node_id": node_id}
    async with maker() as session, session.begin():
        ids = [
            str(i)
            for i in (
                await session.scalars(
                    select(Notification.id).where(Notification.plan_id == plan_id)
                )
            ).all()
        ]
        if ids:
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.payload["notification_id"].astext.in_(ids)
                )
            )
        await session.execute(delete(Plan).where(Plan.id == plan_id))


async def run_worker(
    database_url: str, redis_url: str, jobs: list[tuple[str, tuple[Any, ...], str]]
) -> Worker:
    pool = await create_pool(redis_settings_from_url(redis_url))
    for function, args, job_id in jobs:
        await pool.enqueue_job(function, *args, _job_id=job_id, _queue_name=QUEUE)
    await pool.aclose()
    built = worker_settings(
        Settings(
            database_url=database_url,
            redis_url=redis_url,
            env="testing",
            notification_sender="recording",
        )
    )
    options = {name: value for name, value in vars(built).items() if not name.startswith("_")}
    options.update(burst=True, poll_delay=0, cron_jobs=[])
    worker = Worker(**options)
    await worker.main()
    await worker.close()
    return worker


async def test_a_real_worker_escalates_once_per_step_even_when_the_job_runs_twice(
    database_url: str, redis_url: str, engine: AsyncEngine, committed_plan: dict[str, Any]
) -> None:
    sender = RecordingSender()
    register_sender("recording", sender)
    run = uuid.uuid4().hex[:8]
    try:
        days = ["2019-06-23", "2019-07-01", "2019-07-06"]
        for day in days:
            worker = await run_worker(
                database_url,
                redis_url,
                [
                    ("plans.oversight.scan", (day,), f"scan:{run}:{day}:a"),
                    ("plans.oversight.scan", (day,), f"scan:{run}:{day}:b"),
                ],
            )
            assert worker.jobs_failed == 0
        drained = await run_worker(
            database_url, redis_url, [("plans.outbox.drain", (), f"drain:{run}")]
        )
        assert drained.jobs_failed == 0
    finally:
        use_sender("log")

    maker = create_sessionmaker(engine)
    async with maker() as session:
        steps = (
            await session.execute(
                select(Assignment.org_name, SupervisionStep.step, SupervisionStep.level)
                .join(Assignment, Assignment.id == SupervisionStep.assignment_id)
                .where(SupervisionStep.plan_id == committed_plan["plan_id"])
                .order_by(Assignment.org_name, SupervisionStep.scan_date, SupervisionStep.step)
            )
        ).all()
        levels = dict(
            (
                await session.execute(
                    select(Assignment.org_name, Assignment.level).where(
                        Assignment.plan_id == committed_plan["plan_id"]
                    )
                )
            ).all()
        )
        notices = (
            await session.scalars(
                select(Notification).where(Notification.plan_id == committed_plan["plan_id"])
            )
        ).all()
    for org in ("江南区人民政府", "青秀区人民政府"):
        assert [(s, lvl) for o, s, lvl in steps if o == org] == [
            ("before:7", Level.blue),
            ("level:yellow", Level.yellow),
            # Days were skipped: today's repeat is recorded with the escalation, not sent twice.
            ("level:red", Level.red),
            ("overdue:1", Level.red),
        ]
    assert levels == {"青秀区人民政府": Level.red, "江南区人民政府": Level.red}
    assert len(notices) == 6
    assert all(n.sent_at is not None for n in notices)
    mine = [
        title
        for notification_id, title in sender.sent
        if notification_id in {n.id for n in notices}
    ]
    assert len(mine) == 6
    assert sum(title.startswith("【红色督办】") for title in mine) == 2
    assert all(
        n.cc == [{"name": "李副局长", "subject": None, "of": "plan"}]
        for n in notices
        if n.level != Level.blue
    )
