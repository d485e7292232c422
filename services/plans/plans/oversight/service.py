"""The daily deadline scan: reminders, escalation and the level every open task stands at."""

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar, cast

import structlog
from sqlalchemy import Table, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from plans.models import (
    Assignment,
    AssignmentState,
    Level,
    NodeKind,
    Notification,
    OutboxMessage,
    Plan,
    PlanNode,
    PlanStatus,
    SupervisionStep,
    UnitRole,
)
from plans.notifications.service import SEND_TOPIC
from plans.oversight.ladder import Ladder, Step, level_on, steps_on
from shared.ids import uuid7

log = structlog.get_logger("plans.oversight")
T = TypeVar("T")

_LEVEL_WORD = {
    Level.blue: ("蓝色提醒", "Blue reminder"),
    Level.yellow: ("黄色督办", "Yellow notice"),
    Level.red: ("红色督办", "Red notice"),
}


@dataclass(frozen=True, slots=True)
class ScanReport:
    scanned: int
    steps: int
    notifications: int


def _message(row: Any, due: date, today: date, step: Step) -> tuple[str, str]:
    days_left = (due - today).days
    zh_level = _LEVEL_WORD.get(step.level, ("督办", "Notice"))[0]
    task = f"{row.numbering}{row.title}"
    if days_left >= 0:
        title = f"【{zh_level}】{task} 将于 {due.isoformat()} 到期（剩余 {days_left} 天）"
    elif step.key.startswith("overdue:"):
        title = f"【催办·{zh_level}】{task} 已逾期 {-days_left} 天，请尽快办结"
    else:
        title = f"【{zh_level}】{task} 已逾期 {-days_left} 天（截止 {due.isoformat()}）"
    body = (
        f"规划：{row.plan_title}\n任务：{row.ref} {row.title}\n完成时限：{due.isoformat()}"
        f"{'（' + row.deadline_raw + '）' if row.deadline_raw else ''}\n"
        "请登录学在规划督办系统报送进展或提交办结申请；确需延期的，请在到期前提出延期申请。"
    )
    return title[:300], body


def _cc(row: Any) -> list[dict[str, Any]]:
    """The unit's 分管领导 and the plan's, whoever is named (copied on yellow and red)."""
    cc: list[dict[str, Any]] = []
    for name, subject, of in (
        (row.leader_name, row.leader_subject, "unit"),
        (row.plan_leader_name, row.plan_leader_subject, "plan"),
    ):
        if name or subject:
            cc.append({"name": name, "subject": subject, "of": of})
    return cc


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def scan_deadlines(
    session: AsyncSession, *, today: date, ladder: Ladder, batch: int = 5000
) -> ScanReport:
    """Take today's ladder steps for every open, chased assignment of an active plan.

    Idempotent per day: steps are inserted with ON CONFLICT DO NOTHING on (assignment, due
    date, step) and only rows actually inserted notify anybody — a second run, or a second
    worker at the same moment (it waits on the unique index), sends nothing. Set-based: one
    read, then batched inserts, so a city's worth of tasks takes seconds, not minutes.
    """
    due = func.coalesce(Assignment.extended_due, PlanNode.due_date)
    eligible = (
        and_(
            Plan.status == PlanStatus.active,
            PlanNode.kind == NodeKind.task,
            Assignment.state == AssignmentState.open,
            # Cooperating units are informed through the lead unit, not chased.
            Assignment.role != UnitRole.cooperating,
            due.is_not(None),
            due <= today + timedelta(days=ladder.horizon),
        ),
    )
    rows = (
        await session.execute(
            select(
                Assignment.id,
                Assignment.plan_id,
                Assignment.node_id,
                Assignment.org_id,
                Assignment.org_code,
                Assignment.district_code,
                Assignment.contact_subject,
                Assignment.leader_name,
                Assignment.leader_subject,
                Assignment.level,
                due.label("due"),
                PlanNode.numbering,
                PlanNode.title,
                PlanNode.ref,
                PlanNode.deadline_raw,
                Plan.title.label("plan_title"),
                Plan.leader_name.label("plan_leader_name"),
                Plan.leader_subject.label("plan_leader_subject"),
            )
            .join(PlanNode, PlanNode.id == Assignment.node_id)
            .join(Plan, Plan.id == Assignment.plan_id)
            .where(*eligible)
        )
    ).all()

    # Levels people see, in one UPDATE per level; whatever left the ladder shows no colour.
    moved: dict[Level, list[uuid.UUID]] = defaultdict(list)
    planned: list[tuple[Any, Step]] = []
    for row in rows:
        level = level_on(row.due, today, ladder)
        if row.level != level:
            moved[level].append(row.id)
        planned.extend((row, step) for step in steps_on(row.due, today, ladder))
    for level, ids in moved.items():
        for id_batch in _chunks(ids, 5000):
            await session.execute(
                update(Assignment).where(Assignment.id.in_(id_batch)).values(level=level)
            )
    still = (
        select(Assignment.id)
        .join(PlanNode, PlanNode.id == Assignment.node_id)
        .join(Plan, Plan.id == Assignment.plan_id)
        .where(*eligible)
    )
    await session.execute(
        update(Assignment)
        .where(Assignment.level != Level.none, Assignment.id.not_in(still))
        .values(level=Level.none)
    )

    taken: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    # One statement compiled once and sent in batches (insertmanyvalues), not one per step.
    steps = cast(Table, SupervisionStep.__table__)
    add_steps = (
        insert(steps)
        .on_conflict_do_nothing(index_elements=["assignment_id", "due_date", "step"])
        .returning(steps.c.id, steps.c.assignment_id, steps.c.step)
    )
    for step_batch in _chunks(planned, batch):
        result = await session.execute(
            add_steps,
            [
                {
                    "id": uuid7(),
                    "assignment_id": planned_row.id,
                    "plan_id": planned_row.plan_id,
                    "node_id": planned_row.node_id,
                    "due_date": planned_row.due,
                    "step": planned_step.key,
                    "level": planned_step.level,
                    "scan_date": today,
                }
                for planned_row, planned_step in step_batch
            ],
        )
        taken.update({(r.assignment_id, r.step): r.id for r in result})

    notices: list[dict[str, Any]] = []
    escalated: set[uuid.UUID] = set()
    for row, step in planned:  # a level step comes before the same day's repeat
        step_id = taken.get((row.id, step.key))
        if step_id is None:
            continue
        if step.key.startswith("overdue:") and row.id in escalated:
            continue  # the escalation notice sent a moment ago already says it is overdue
        if step.key.startswith("level:"):
            escalated.add(row.id)
        title, body = _message(row, row.due, today, step)
        notices.append(
            {
                "id": uuid7(),
                "kind": "escalation" if step.key.startswith("level:") else "reminder",
                "level": step.level,
                "recipient_org_id": row.org_id,
                "recipient_org_code": row.org_code,
                "recipient_district_code": row.district_code,
                "recipient_subject": row.contact_subject,
                "cc": _cc(row) if step.level in (Level.yellow, Level.red) else [],
                "title": title,
                "body": body,
                "plan_id": row.plan_id,
                "node_id": row.node_id,
                "assignment_id": row.id,
                "step_id": step_id,
            }
        )
    for notice_batch in _chunks(notices, batch):
        await session.execute(insert(cast(Table, Notification.__table__)), list(notice_batch))
        await session.execute(
            insert(cast(Table, OutboxMessage.__table__)),
            [
                {"topic": SEND_TOPIC, "payload": {"notification_id": str(notice["id"])}}
                for notice in notice_batch
            ],
        )
    log.info(
        "deadline_scan",
        today=today.isoformat(),
        scanned=len(rows),
        steps=len(taken),
        notifications=len(notices),
    )
    return ScanReport(scanned=len(rows), steps=len(taken), notifications=len(notices))
