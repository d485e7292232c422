"""The daily deadline scan: reminders, escalation and the level every open task stands at."""

from dataclasses import dataclass
from datetime import date, timedelta

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from plans.models import (
    Assignment,
    AssignmentState,
    Level,
    NodeKind,
    Plan,
    PlanNode,
    PlanStatus,
    SupervisionStep,
    UnitRole,
)
from plans.notifications.service import cc_leaders, notify
from plans.oversight.ladder import Ladder, Step, level_on, steps_on
from plans.oversight.status import effective_due

log = structlog.get_logger("plans.oversight")

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


def _message(plan: Plan, node: PlanNode, due: date, today: date, step: Step) -> tuple[str, str]:
    days_left = (due - today).days
    zh_level = _LEVEL_WORD.get(step.level, ("督办", "Notice"))[0]
    task = f"{node.numbering}{node.title}"
    if days_left >= 0:
        title = f"【{zh_level}】{task} 将于 {due.isoformat()} 到期（剩余 {days_left} 天）"
    elif step.key.startswith("overdue:"):
        title = f"【催办·{zh_level}】{task} 已逾期 {-days_left} 天，请尽快办结"
    else:
        title = f"【{zh_level}】{task} 已逾期 {-days_left} 天（截止 {due.isoformat()}）"
    body = (
        f"规划：{plan.title}\n任务：{node.ref} {node.title}\n完成时限：{due.isoformat()}"
        f"{'（' + node.deadline_raw + '）' if node.deadline_raw else ''}\n"
        "请登录学在规划督办系统报送进展或提交办结申请；确需延期的，请在到期前提出延期申请。"
    )
    return title, body


async def scan_deadlines(session: AsyncSession, *, today: date, ladder: Ladder) -> ScanReport:
    """Take today's ladder steps for every open, chased assignment of an active plan.

    Idempotent per day: each step is inserted with ON CONFLICT DO NOTHING on (assignment, due
    date, step) and only a row actually inserted notifies anybody.
    """
    due = func.coalesce(Assignment.extended_due, PlanNode.due_date)
    rows = (
        await session.execute(
            select(Assignment, PlanNode, Plan)
            .join(PlanNode, PlanNode.id == Assignment.node_id)
            .join(Plan, Plan.id == Assignment.plan_id)
            .where(
                Plan.status == PlanStatus.active,
                PlanNode.kind == NodeKind.task,
                Assignment.state == AssignmentState.open,
                # Cooperating units are informed through the lead unit, not chased.
                Assignment.role != UnitRole.cooperating,
                due.is_not(None),
                due <= today + timedelta(days=ladder.horizon),
            )
            .order_by(Assignment.id)
            .with_for_update(of=Assignment, skip_locked=False)
        )
    ).all()
    steps_taken = notifications = 0
    for assignment, node, plan in rows:
        due_date = effective_due(assignment, node)
        assert due_date is not None
        assignment.level = level_on(due_date, today, ladder)
        escalated = False
        for step in steps_on(due_date, today, ladder):
            inserted = (
                await session.execute(
                    insert(SupervisionStep)
                    .values(
                        assignment_id=assignment.id,
                        plan_id=plan.id,
                        node_id=node.id,
                        due_date=due_date,
                        step=step.key,
                        level=step.level,
                        scan_date=today,
                    )
                    .on_conflict_do_nothing(index_elements=["assignment_id", "due_date", "step"])
                    .returning(SupervisionStep.id)
                )
            ).scalar_one_or_none()
            if inserted is None:
                continue
            steps_taken += 1
            if escalated and step.key.startswith("overdue:"):
                continue  # the escalation notice sent a moment ago already says it is overdue
            escalated = escalated or step.key.startswith("level:")
            title, body = _message(plan, node, due_date, today, step)
            notify(
                session,
                kind="escalation" if step.key.startswith("level:") else "reminder",
                level=step.level,
                title=title,
                body=body,
                plan=plan,
                assignment=assignment,
                cc=cc_leaders(plan, assignment) if step.level in (Level.yellow, Level.red) else (),
                step_id=inserted,
            )
            notifications += 1
    # Whatever left the ladder (closed, extended, plan no longer active) shows no colour.
    scanned_ids = [assignment.id for assignment, _, _ in rows]
    await session.execute(
        update(Assignment)
        .where(Assignment.level != Level.none, Assignment.id.not_in(scanned_ids))
        .values(level=Level.none)
    )
    await session.flush()
    log.info(
        "deadline_scan",
        today=today.isoformat(),
        scanned=len(rows),
        steps=steps_taken,
        notifications=notifications,
    )
    return ScanReport(scanned=len(rows), steps=steps_taken, notifications=notifications)
