"""The 督办 ladder: reminders T−7/T−3/T−1, yellow then red after the deadline, once per step.

Acceptance: a task whose deadline passes without an accepted report turns yellow, then red on
schedule, and the reminders are sent once per step even if the cron job runs twice — here with
an injected clock; `test_worker_ladder.py` does it with a real arq worker.
"""

from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from plans.config import Settings
from plans.models import Level, Notification, OutboxMessage, SupervisionStep
from plans.notifications.sender import register_sender, use_sender
from plans.notifications.service import SEND_TOPIC, send_notification
from plans.oversight.ladder import Ladder, level_on, steps_on
from plans.worker import scan
from shared.outbox import drain
from shared.testing.fixtures import joined_sessionmaker

Client = httpx.AsyncClient
LADDER = Ladder()
DUE = date(2019, 6, 30)


# --- the ladder as pure functions ------------------------------------------------------------


def test_the_default_ladder_day_by_day() -> None:
    taken: dict[date, list[str]] = {}
    seen: set[str] = set()
    for offset in range(-10, 12):
        day = DUE + timedelta(days=offset)
        new = [s.key for s in steps_on(DUE, day, LADDER) if s.key not in seen]
        seen.update(new)
        if new:
            taken[day] = new

    assert taken == {
        date(2019, 6, 23): ["before:7"],
        date(2019, 6, 27): ["before:3"],
        date(2019, 6, 29): ["before:1"],
        date(2019, 7, 1): ["level:yellow"],
        date(2019, 7, 4): ["overdue:1"],
        date(2019, 7, 6): ["level:red"],
        date(2019, 7, 7): ["overdue:2"],
        date(2019, 7, 10): ["overdue:3"],
    }
    assert level_on(DUE, date(2019, 6, 22), LADDER) == Level.none
    assert level_on(DUE, DUE, LADDER) == Level.blue
    assert level_on(DUE, date(2019, 7, 1), LADDER) == Level.yellow
    assert level_on(DUE, date(2019, 7, 6), LADDER) == Level.red
    assert level_on(DUE, date(2019, 7, 6), LADDER, completed=True) == Level.none
    assert level_on(None, DUE, LADDER) == Level.none


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(st.integers(1, 30), min_size=1, max_size=4, unique=True),
    yellow=st.integers(1, 5),
    red_gap=st.integers(0, 10),
    repeat=st.integers(1, 7),
    scanned=st.lists(st.booleans(), min_size=60, max_size=60),
)
def test_levels_never_go_down_and_steps_come_once(
    before: list[int], yellow: int, red_gap: int, repeat: int, scanned: list[bool]
) -> None:
    ladder = Ladder(tuple(sorted(before, reverse=True)), yellow, yellow + red_gap, repeat)
    seen: Counter[str] = Counter()
    previous = Level.none
    order = {Level.none: 0, Level.blue: 1, Level.yellow: 2, Level.red: 3}
    for offset, runs in zip(range(-30, 30), scanned, strict=True):
        day = DUE + timedelta(days=offset)
        level = level_on(DUE, day, ladder)
        assert order[level] >= order[previous]
        previous = level
        if runs:  # a worker that was down some days takes only today's step
            for step in steps_on(DUE, day, ladder):
                assert step.level == level
                seen[step.key] += 1
    # The unique key is what the database enforces; here: the same key never means two things.
    assert all(key.split(":")[0] in {"before", "level", "overdue"} for key in seen)
    assert level_on(DUE, DUE + timedelta(days=yellow + red_gap), ladder) == Level.red


# --- the daily scan against the database, with an injected clock ------------------------------


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    async def send(self, notification: Notification) -> None:
        self.sent.append(notification)


async def run_scan(connection: AsyncConnection, day: date) -> dict[str, Any]:
    """The cron job exactly as arq calls it, with the clock it was given."""
    ctx: Any = {
        "sessionmaker": joined_sessionmaker(connection),
        "settings": Settings(),
        "resources": {"clock": lambda: day},
    }
    result: dict[str, Any] = await scan.coroutine(ctx)
    return result


async def task_light(client: Client, auth: Any, plan_id: str, ref: str, walk: Any) -> str:
    tree = (await client.get(f"/v1/plans/{plan_id}/tree", headers=auth.city)).json()
    light: str = walk(tree)[ref]["light"]
    return light


async def test_a_missed_deadline_turns_yellow_then_red_and_each_step_is_sent_once(
    client: Client,
    auth: Any,
    import_plan: Any,
    small_plan: str,
    walk: Any,
    today_is: Any,
    db_connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    plan = await import_plan(
        small_plan, confirm={"leader_name": "李副局长", "leader_subject": "user:li"}
    )
    nodes = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())
    task = nodes["一/1"]  # due 2019-06-30: 市教育局 leads, 青秀区 and 江南区 implement
    assert task["deadline"]["due"] == "2019-06-30"
    qingxiu = next(a for a in task["assignments"] if a["org_name"] == "青秀区人民政府")
    await client.patch(
        f"/v1/assignments/{qingxiu['id']}",
        json={"leader_name": "王区长", "leader_subject": "user:wang"},
        headers=auth.reporter("青秀区人民政府"),
    )

    expected_light = {
        date(2019, 6, 20): "green",
        date(2019, 6, 23): "blue",
        date(2019, 6, 30): "blue",
        date(2019, 7, 1): "yellow",
        date(2019, 7, 5): "yellow",
        date(2019, 7, 6): "red",
        date(2019, 7, 9): "red",
    }
    day = date(2019, 6, 20)
    while day <= date(2019, 7, 9):
        first = await run_scan(db_connection, day)
        second = await run_scan(db_connection, day)  # the cron job ran twice
        assert second["notifications"] == 0, day
        if day in expected_light:
            today_is(day)
            assert await task_light(client, auth, plan["id"], "一/1", walk) == expected_light[day]
        if day == date(2019, 7, 1):
            assert first["notifications"] >= 3
        day += timedelta(days=1)

    steps = (
        await session.execute(
            select(SupervisionStep.step, SupervisionStep.scan_date, func.count())
            .where(SupervisionStep.assignment_id == qingxiu["id"])
            .group_by(SupervisionStep.step, SupervisionStep.scan_date)
            .order_by(SupervisionStep.scan_date)
        )
    ).all()
    assert [(s, d, n) for s, d, n in steps] == [
        ("before:7", date(2019, 6, 23), 1),
        ("before:3", date(2019, 6, 27), 1),
        ("before:1", date(2019, 6, 29), 1),
        ("level:yellow", date(2019, 7, 1), 1),
        ("overdue:1", date(2019, 7, 4), 1),
        ("level:red", date(2019, 7, 6), 1),
        ("overdue:2", date(2019, 7, 7), 1),
    ]
    notices = (
        await session.scalars(
            select(Notification)
            .where(Notification.assignment_id == qingxiu["id"])
            .order_by(Notification.created_at)
        )
    ).all()
    assert len(notices) == 7
    assert [n.level for n in notices] == [
        Level.blue,
        Level.blue,
        Level.blue,
        Level.yellow,
        Level.yellow,
        Level.red,
        Level.red,
    ]
    yellow = notices[3]
    assert yellow.title.startswith("【黄色督办】1.扩大普惠性资源")
    assert {c["subject"] for c in yellow.cc} == {
        "user:wang",
        "user:li",
    }  # unit's and plan's leaders
    assert notices[0].cc == []  # reminders before the deadline copy nobody
    assert yellow.recipient_org_id is not None

    # The inbox of the unit shows them; another district's shows none of them.
    inbox = (
        await client.get(
            "/v1/notifications",
            params={"plan_id": plan["id"]},
            headers=auth.reporter("青秀区人民政府"),
        )
    ).json()["items"]
    assert {n["assignment_id"] for n in inbox} == {qingxiu["id"]}
    assert len(inbox) == 7
    other = (
        await client.get(
            "/v1/notifications", params={"plan_id": plan["id"]}, headers=auth.district("450191")
        )
    ).json()["items"]
    assert other == []


async def test_an_accepted_completion_stops_the_ladder(
    client: Client,
    auth: Any,
    import_plan: Any,
    small_plan: str,
    walk: Any,
    today_is: Any,
    db_connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    plan = await import_plan(small_plan)
    task = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())[
        "一/1"
    ]
    qingxiu = next(a for a in task["assignments"] if a["org_name"] == "青秀区人民政府")
    await run_scan(db_connection, date(2019, 6, 23))
    report = await client.post(
        f"/v1/assignments/{qingxiu['id']}/reports",
        json={"status": "completed", "percent": 100, "narrative": "新建幼儿园 5 所已开园"},
        headers=auth.reporter("青秀区人民政府"),
    )
    assert report.status_code == 201, report.text
    # Submitted is not closed: the ladder goes on until the owner accepts.
    await run_scan(db_connection, date(2019, 6, 27))
    accepted = await client.post(
        f"/v1/reports/{report.json()['id']}/review",
        json={"decision": "accept", "grade": "good"},
        headers=auth.city,
    )
    assert accepted.status_code == 200, accepted.text

    for offset in range(0, 15):
        await run_scan(db_connection, date(2019, 6, 28) + timedelta(days=offset))

    steps = (
        await session.scalars(
            select(SupervisionStep.step).where(SupervisionStep.assignment_id == qingxiu["id"])
        )
    ).all()
    assert sorted(steps) == ["before:3", "before:7"]
    today_is(date(2019, 7, 10))
    task = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())[
        "一/1"
    ]
    lights = {a["org_name"]: a["light"] for a in task["assignments"]}
    assert lights == {"青秀区人民政府": "done", "江南区人民政府": "red", "南宁市教育局": "red"}
    assert task["light"] == "red"


async def test_an_approved_extension_restarts_the_ladder_from_the_new_date(
    client: Client,
    auth: Any,
    import_plan: Any,
    small_plan: str,
    walk: Any,
    today_is: Any,
    db_connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    plan = await import_plan(small_plan)
    task = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())[
        "一/1"
    ]
    jiangnan = next(a for a in task["assignments"] if a["org_name"] == "江南区人民政府")
    await run_scan(db_connection, date(2019, 6, 27))
    today_is(date(2019, 6, 28))
    requested = await client.post(
        f"/v1/assignments/{jiangnan['id']}/extensions",
        json={"requested_due": "2019-08-31", "reason": "用地手续未批"},
        headers=auth.reporter("江南区人民政府"),
    )
    assert requested.status_code == 201, requested.text
    decided = await client.post(
        f"/v1/extensions/{requested.json()['id']}/decision",
        json={"decision": "approve"},
        headers=auth.city,
    )
    assert decided.json()["state"] == "approved"

    for offset in range(0, 70):
        await run_scan(db_connection, date(2019, 6, 28) + timedelta(days=offset))

    steps = (
        await session.execute(
            select(SupervisionStep.due_date, SupervisionStep.step)
            .where(SupervisionStep.assignment_id == jiangnan["id"])
            .order_by(SupervisionStep.created_at)
        )
    ).all()
    assert [(d.isoformat(), s) for d, s in steps][:5] == [
        ("2019-06-30", "before:3"),
        ("2019-08-31", "before:7"),
        ("2019-08-31", "before:3"),
        ("2019-08-31", "before:1"),
        ("2019-08-31", "level:yellow"),
    ]
    today_is(date(2019, 7, 10))
    task = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())[
        "一/1"
    ]
    by_org = {a["org_name"]: a for a in task["assignments"]}
    assert by_org["江南区人民政府"]["light"] == "green"
    assert by_org["江南区人民政府"]["due"] == "2019-08-31"
    assert by_org["青秀区人民政府"]["light"] == "red"


async def test_notifications_leave_through_the_outbox_once(
    client: Client,
    auth: Any,
    import_plan: Any,
    small_plan: str,
    db_connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    sender = RecordingSender()
    register_sender("recording", sender)
    use_sender("recording")
    try:
        await import_plan(small_plan)
        await run_scan(db_connection, date(2019, 7, 1))
        maker = joined_sessionmaker(db_connection)
        queued = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == SEND_TOPIC)
        )
        first = await drain(maker, OutboxMessage, {SEND_TOPIC: send_notification})
        second = await drain(maker, OutboxMessage, {SEND_TOPIC: send_notification})
    finally:
        use_sender("log")

    assert queued
    assert first.processed == queued
    assert second.processed == 0
    assert len(sender.sent) == queued
    assert len({n.id for n in sender.sent}) == queued
    titles = Counter(n.title.split("】")[0] for n in sender.sent)
    assert titles["【黄色督办"] == 3  # 一/1's three units, one day past the deadline
    unsent = await session.scalar(
        select(func.count()).select_from(Notification).where(Notification.sent_at.is_(None))
    )
    assert unsent == 0
