"""Views over progress: by unit, by key work, the monthly bulletin, the to-do list, the inbox."""

import calendar
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from plans.models import (
    Assignment,
    AssignmentState,
    ExtensionRequest,
    ExtensionState,
    Notification,
    Plan,
    PlanNode,
    PlanStatus,
    ProgressReport,
    ReportFrequency,
    ResolutionStatus,
    ReviewState,
    UnitName,
    UnitRole,
)
from plans.oversight.ladder import Ladder, days_overdue, level_on
from plans.oversight.schemas import (
    Bulletin,
    BulletinRow,
    KeyWorkRow,
    KeyWorkView,
    LightCounts,
    OverdueTask,
    TodoItem,
    UnitProgressRow,
    UnitProgressView,
)
from plans.oversight.stats import Tally, facts, facts_of, key_work_of, node_facts
from plans.oversight.status import effective_due, light_of
from plans.planning.repository import NodeRepository
from plans.policies import Access
from shared.clients.plans import KeyWorkProgress, UnitProgress
from shared.errors import InvalidInput
from shared.i18n import Text
from shared.pagination import CursorParams, SortKey, apply_keyset, page_from_rows

SUPERVISED = (PlanStatus.active, PlanStatus.closed)
# Within one priority: what only the caller can unblock comes first.
TODO_ORDER = {
    "resubmit_report": 0,
    "decide_extension": 1,
    "review_report": 2,
    "overdue": 3,
    "red_task": 4,
    "due_soon": 5,
    "report_due": 6,
    "map_unit_names": 7,
}


def _lights(tally: Tally) -> LightCounts:
    return LightCounts(**{name: tally.lights.get(name, 0) for name in LightCounts.model_fields})


def month_bounds(month: str, today: date) -> tuple[date, date, date]:
    """(first day, last day, as-of day) of a "YYYY-MM" month no later than this one."""
    try:
        year, number = int(month[:4]), int(month[5:7])
        if len(month) != 7 or month[4] != "-" or not 1 <= number <= 12:
            raise ValueError(month)
        start = date(year, number, 1)
    except ValueError:
        raise InvalidInput.for_field(
            "query.month", Text("月份格式应为 YYYY-MM", "month must be YYYY-MM"), "pattern"
        ) from None
    if start > today:
        raise InvalidInput.for_field(
            "query.month", Text("不能生成未来月份的通报", "That month has not begun"), "future"
        )
    end = date(year, number, calendar.monthrange(year, number)[1])
    return start, end, min(end, today)


class ViewService:
    async def _plan_rows(
        self, session: AsyncSession, plan: Plan, access: Access
    ) -> tuple[list[tuple[Assignment, PlanNode]], bool]:
        owner = access.owns(plan)
        statement = (
            select(Assignment, PlanNode)
            .join(PlanNode, PlanNode.id == Assignment.node_id)
            .where(Assignment.plan_id == plan.id)
        )
        if not owner:
            statement = statement.where(access.own_assignments())
        rows = (await session.execute(statement.order_by(Assignment.org_name))).all()
        return [(row[0], row[1]) for row in rows], owner

    async def unit_progress(
        self, session: AsyncSession, plan: Plan, access: Access, *, today: date, ladder: Ladder
    ) -> UnitProgressView:
        rows, owner = await self._plan_rows(session, plan, access)
        tallies: dict[uuid.UUID, Tally] = defaultdict(Tally)
        units: dict[uuid.UUID, Assignment] = {}
        for assignment, node in rows:
            if assignment.role == UnitRole.cooperating:
                continue
            units.setdefault(assignment.org_id, assignment)
            tallies[assignment.org_id].add(
                facts(assignment, node, today, ladder), percent=assignment.percent
            )
        result = []
        for org_id, tally in tallies.items():
            unit = units[org_id]
            result.append(
                UnitProgressRow(
                    org_id=org_id,
                    org_code=unit.org_code,
                    org_name=unit.org_name,
                    district_code=unit.district_code,
                    tasks=tally.tasks,
                    completed=tally.completed,
                    completed_on_time=tally.completed_on_time,
                    completed_late=tally.completed_late,
                    due=tally.due,
                    overdue=tally.overdue,
                    on_time_rate=tally.on_time_rate,
                    average_percent=tally.average_percent,
                    lights=_lights(tally),
                )
            )
        result.sort(key=lambda row: (-(row.on_time_rate or -1), -row.tasks, row.org_name))
        return UnitProgressView(plan_id=plan.id, as_of=today, complete=owner, units=result)

    async def key_works(
        self, session: AsyncSession, plan: Plan, access: Access, *, today: date, ladder: Ladder
    ) -> KeyWorkView:
        rows, owner = await self._plan_rows(session, plan, access)
        nodes = await NodeRepository(session).for_plan(plan.id)
        key_of = key_work_of(nodes)
        by_node: dict[uuid.UUID, list[Assignment]] = defaultdict(list)
        for assignment, _ in rows:
            by_node[assignment.node_id].append(assignment)
        node_by_id = {node.id: node for node in nodes}
        task_ids = list(key_of) if owner else list(by_node)
        tallies: dict[uuid.UUID | None, Tally] = defaultdict(Tally)
        for task_id in task_ids:
            node = node_by_id[task_id]
            own = by_node.get(task_id, [])
            percents = [a.percent for a in own if a.percent is not None]
            key = key_of.get(task_id)
            tallies[key.id if key else None].add(
                node_facts(node, own, today, ladder),
                percent=round(sum(percents) / len(percents)) if percents else None,
            )
        result = []
        for key_id, tally in tallies.items():
            key_node = node_by_id.get(key_id) if key_id else None
            result.append(
                KeyWorkRow(
                    node_id=key_id,
                    node_ref=key_node.ref if key_node else "",
                    title=key_node.title if key_node else "（未归类）",
                    tasks=tally.tasks,
                    completed=tally.completed,
                    completed_on_time=tally.completed_on_time,
                    overdue=tally.overdue,
                    on_time_rate=tally.on_time_rate,
                    average_percent=tally.average_percent,
                    lights=_lights(tally),
                )
            )
        position = {node.id: node.position for node in nodes}
        result.sort(key=lambda row: position.get(row.node_id, 1 << 30) if row.node_id else 1 << 30)
        return KeyWorkView(plan_id=plan.id, as_of=today, complete=owner, key_works=result)

    async def unit_progress_for_service(
        self,
        session: AsyncSession,
        *,
        org_code: str,
        plan_id: uuid.UUID | None,
        today: date,
        ladder: Ladder,
    ) -> UnitProgress:
        """The contract of `shared.clients.plans.PlansClient.unit_progress` (督政)."""
        unit = or_(
            Assignment.org_code == org_code,
            # A county's government and its education bureau answer for the county.
            and_(
                Assignment.district_code == org_code,
                Assignment.org_kind.in_(("government", "district_bureau")),
            ),
        )
        statement = (
            select(Assignment, PlanNode)
            .join(PlanNode, PlanNode.id == Assignment.node_id)
            .join(Plan, Plan.id == Assignment.plan_id)
            .where(unit, Plan.status.in_(SUPERVISED), Assignment.role != UnitRole.cooperating)
        )
        if plan_id is not None:
            statement = statement.where(Assignment.plan_id == plan_id)
        rows = (await session.execute(statement)).all()
        by_node: dict[uuid.UUID, tuple[PlanNode, list[Assignment]]] = {}
        for assignment, node in rows:
            by_node.setdefault(node.id, (node, []))[1].append(assignment)
        plan_ids = {node.plan_id for node, _ in by_node.values()}
        key_of: dict[uuid.UUID, PlanNode | None] = {}
        for pid in plan_ids:
            key_of.update(key_work_of(await NodeRepository(session).for_plan(pid)))
        total = Tally()
        per_key: dict[str, tuple[str, Tally]] = {}
        for node, assignments in by_node.values():
            fact = node_facts(node, assignments, today, ladder)
            total.add(fact)
            key = key_of.get(node.id)
            ref = key.ref if key else ""
            per_key.setdefault(ref, (key.title if key else "（未归类）", Tally()))[1].add(fact)
        return UnitProgress(
            org_code=org_code,
            plan_id=plan_id,
            tasks=total.tasks,
            completed=total.completed,
            completed_on_time=total.completed_on_time,
            overdue=total.overdue,
            on_time_rate=total.on_time_rate,
            by_key_work=[
                KeyWorkProgress(
                    node_ref=ref,
                    title=title,
                    tasks=tally.tasks,
                    completed=tally.completed,
                    overdue=tally.overdue,
                )
                for ref, (title, tally) in sorted(per_key.items())
            ],
            as_of=datetime.now(UTC),
        )

    # --- the monthly bulletin ----------------------------------------------------------------------

    async def bulletin(
        self,
        session: AsyncSession,
        access: Access,
        *,
        month: str,
        plan_id: uuid.UUID | None,
        today: date,
        ladder: Ladder,
    ) -> Bulletin:
        start, _, as_of = month_bounds(month, today)
        # Plain columns, not entities: a city's bulletin reads tens of thousands of rows.
        statement = (
            select(
                Assignment.org_id,
                Assignment.org_code,
                Assignment.org_name,
                Assignment.completed_on,
                func.coalesce(Assignment.extended_due, PlanNode.due_date).label("due"),
                PlanNode.ref,
                PlanNode.title,
                Plan.title.label("plan_title"),
                Plan.owner_district_code,
                Plan.owner_org_id,
            )
            .join(PlanNode, PlanNode.id == Assignment.node_id)
            .join(Plan, Plan.id == Assignment.plan_id)
            .where(
                Plan.status.in_(SUPERVISED),
                Assignment.role != UnitRole.cooperating,
                or_(access.owned_plans(), access.own_assignments()),
            )
        )
        if plan_id is not None:
            statement = statement.where(Assignment.plan_id == plan_id)
        rows = (await session.execute(statement)).all()
        tallies: dict[uuid.UUID, Tally] = defaultdict(Tally)
        units: dict[uuid.UUID, Any] = {}
        total = Tally()
        overdue: list[OverdueTask] = []
        owned_all = True
        for row in rows:
            owned_all = owned_all and access.owns_values(row.owner_district_code, row.owner_org_id)
            fact = facts_of(row.due, row.completed_on, as_of, ladder)
            units.setdefault(row.org_id, row)
            tallies[row.org_id].add(fact, period_start=start)
            total.add(fact, period_start=start)
            if fact.overdue and fact.due is not None:
                overdue.append(
                    OverdueTask(
                        org_name=row.org_name,
                        plan_title=row.plan_title,
                        node_ref=row.ref,
                        title=row.title,
                        due=fact.due,
                        days_overdue=fact.days_overdue,
                        level=fact.light,  # type: ignore[arg-type]
                    )
                )
        result = [
            self._bulletin_row(org_id, units[org_id].org_code, units[org_id].org_name, tally)
            for org_id, tally in tallies.items()
        ]
        result.sort(
            key=lambda row: (row.on_time_rate is None, -(row.on_time_rate or 0), row.org_name)
        )
        rank = 0
        for ranked in result:
            if ranked.on_time_rate is not None:
                rank += 1
                ranked.rank = rank
        overdue.sort(key=lambda task: (-task.days_overdue, task.org_name, task.node_ref))
        return Bulletin(
            month=month,
            as_of=as_of,
            plan_id=plan_id,
            complete=access.city_wide or (bool(rows) and owned_all),
            rows=result,
            totals=self._bulletin_row(uuid.UUID(int=0), None, "合计", total) if rows else None,
            overdue_tasks=overdue[:1000],
        )

    def _bulletin_row(
        self, org_id: uuid.UUID, org_code: str | None, org_name: str, tally: Tally
    ) -> BulletinRow:
        return BulletinRow(
            rank=None,
            org_id=org_id,
            org_code=org_code,
            org_name=org_name,
            tasks=tally.tasks,
            due=tally.due,
            due_in_month=tally.due_in_period,
            completed_on_time=tally.completed_on_time,
            completed_late=tally.completed_late,
            overdue=tally.overdue,
            on_time_rate=tally.on_time_rate,
            yellow=tally.lights.get("yellow", 0),
            red=tally.lights.get("red", 0),
        )

    # --- what I must do now ------------------------------------------------------------------------

    async def todo(
        self,
        session: AsyncSession,
        access: Access,
        *,
        org_id: uuid.UUID | None,
        mine_only: bool,
        today: date,
        ladder: Ladder,
    ) -> list[TodoItem]:
        items: list[TodoItem] = []
        items += await self._assignee_todo(session, access, org_id, today, ladder)
        if not mine_only and org_id is None:
            items += await self._owner_todo(session, access, today, ladder)
        if mine_only:
            items = [item for item in items if item.mine]
        items.sort(
            key=lambda item: (
                item.priority,
                TODO_ORDER[item.kind],
                item.due or date.max,
                item.title,
            )
        )
        return items

    async def _assignee_todo(
        self,
        session: AsyncSession,
        access: Access,
        org_id: uuid.UUID | None,
        today: date,
        ladder: Ladder,
    ) -> list[TodoItem]:
        condition: ColumnElement[bool] = access.own_assignments()
        if org_id is not None:
            condition = and_(condition, Assignment.org_id == org_id)
        rows = (
            await session.execute(
                select(Assignment, PlanNode, Plan)
                .join(PlanNode, PlanNode.id == Assignment.node_id)
                .join(Plan, Plan.id == Assignment.plan_id)
                .where(
                    condition,
                    Plan.status == PlanStatus.active,
                    Assignment.state == AssignmentState.open,
                )
            )
        ).all()
        if not rows:
            return []
        ids = [row[0].id for row in rows]
        latest: dict[uuid.UUID, ProgressReport] = {}
        for found in (
            await session.scalars(
                select(ProgressReport)
                .where(ProgressReport.assignment_id.in_(ids))
                .order_by(ProgressReport.assignment_id, ProgressReport.submitted_at.desc())
                .ext(distinct_on(ProgressReport.assignment_id))
            )
        ).all():
            latest[found.assignment_id] = found
        month_start = today.replace(day=1)
        items: list[TodoItem] = []
        for assignment, node, plan in rows:
            mine = assignment.contact_subject == access.subject
            common: dict[str, Any] = {
                "plan_id": plan.id,
                "plan_title": plan.title,
                "node_id": node.id,
                "node_ref": node.ref,
                "assignment_id": assignment.id,
                "org_id": assignment.org_id,
                "org_name": assignment.org_name,
                "mine": mine,
            }
            task = f"{node.numbering}{node.title}"
            report = latest.get(assignment.id)
            if report is not None and report.review_state == ReviewState.returned:
                items.append(
                    TodoItem(
                        kind="resubmit_report",
                        priority=1,
                        title=f"报送被退回，请修改后重新报送：{task}（{report.return_reason}）",
                        report_id=report.id,
                        **common,
                    )
                )
            if assignment.role == UnitRole.cooperating:
                continue
            due = effective_due(assignment, node)
            level = level_on(due, today, ladder)
            pending = report is not None and report.review_state == ReviewState.submitted
            if due is not None and due < today:
                late = days_overdue(due, today)
                items.append(
                    TodoItem(
                        kind="overdue",
                        priority=1 if level.value == "red" else 2,
                        title=f"已逾期 {late} 天{'（办结申请待审核）' if pending else ''}：{task}",
                        due=due,
                        days_overdue=late,
                        **common,
                    )
                )
            elif level.value == "blue":
                items.append(
                    TodoItem(
                        kind="due_soon",
                        priority=3,
                        title=f"{(due - today).days if due else 0} 天后到期：{task}",
                        due=due,
                        **common,
                    )
                )
            if (
                node.report_frequency != ReportFrequency.none
                and not pending
                and (
                    assignment.last_report_at is None
                    or assignment.last_report_at.date() < _cadence_start(node, month_start)
                )
            ):
                items.append(
                    TodoItem(
                        kind="report_due",
                        priority=4,
                        title=f"本期尚未报送进展：{task}",
                        due=due,
                        **common,
                    )
                )
        return items

    async def _owner_todo(
        self, session: AsyncSession, access: Access, today: date, ladder: Ladder
    ) -> list[TodoItem]:
        owned = access.owned_plans()
        items: list[TodoItem] = []
        reviews = (
            await session.execute(
                select(ProgressReport, Assignment, PlanNode, Plan)
                .join(Assignment, Assignment.id == ProgressReport.assignment_id)
                .join(PlanNode, PlanNode.id == ProgressReport.node_id)
                .join(Plan, Plan.id == ProgressReport.plan_id)
                .where(owned, ProgressReport.review_state == ReviewState.submitted)
                .order_by(ProgressReport.submitted_at)
                .limit(500)
            )
        ).all()
        for report, assignment, node, plan in reviews:
            closing = report.status.value == "completed"
            items.append(
                TodoItem(
                    kind="review_report",
                    priority=2 if closing else 3,
                    title=f"审核{'办结申请' if closing else '进展报送'}：{assignment.org_name} — "
                    f"{node.numbering}{node.title}",
                    plan_id=plan.id,
                    plan_title=plan.title,
                    node_id=node.id,
                    node_ref=node.ref,
                    assignment_id=assignment.id,
                    report_id=report.id,
                    org_id=assignment.org_id,
                    org_name=assignment.org_name,
                )
            )
        extensions = (
            await session.execute(
                select(ExtensionRequest, Assignment, PlanNode, Plan)
                .join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
                .join(PlanNode, PlanNode.id == ExtensionRequest.node_id)
                .join(Plan, Plan.id == ExtensionRequest.plan_id)
                .where(owned, ExtensionRequest.state == ExtensionState.pending)
                .limit(500)
            )
        ).all()
        for request, assignment, node, plan in extensions:
            items.append(
                TodoItem(
                    kind="decide_extension",
                    priority=1 if request.current_due <= today else 2,
                    title=f"审批延期申请：{assignment.org_name} — {node.numbering}{node.title}"
                    f"（{request.current_due} → {request.requested_due}）",
                    plan_id=plan.id,
                    plan_title=plan.title,
                    node_id=node.id,
                    node_ref=node.ref,
                    assignment_id=assignment.id,
                    extension_id=request.id,
                    org_id=assignment.org_id,
                    org_name=assignment.org_name,
                    due=request.current_due,
                )
            )
        unresolved = (
            await session.execute(
                select(Plan.id, Plan.title, func.count(func.distinct(UnitName.name)))
                .join(UnitName, UnitName.plan_id == Plan.id)
                .where(owned, UnitName.status == ResolutionStatus.unmatched)
                .group_by(Plan.id, Plan.title)
            )
        ).all()
        for pid, title, count in unresolved:
            items.append(
                TodoItem(
                    kind="map_unit_names",
                    priority=3,
                    title=f"有 {count} 个责任单位名称需要对应到机构：{title}",
                    plan_id=pid,
                    plan_title=title,
                    count=int(count),
                )
            )
        red = (
            await session.execute(
                select(Assignment, PlanNode, Plan)
                .join(PlanNode, PlanNode.id == Assignment.node_id)
                .join(Plan, Plan.id == Assignment.plan_id)
                .where(
                    owned,
                    Plan.status == PlanStatus.active,
                    Assignment.state == AssignmentState.open,
                    Assignment.role != UnitRole.cooperating,
                    func.coalesce(Assignment.extended_due, PlanNode.due_date) < today,
                )
                .limit(2000)
            )
        ).all()
        for assignment, node, plan in red:
            due = effective_due(assignment, node)
            if light_of(level_on(due, today, ladder)) != "red":
                continue
            items.append(
                TodoItem(
                    kind="red_task",
                    priority=2,
                    title=f"红色督办：{assignment.org_name} — {node.numbering}{node.title} "
                    f"逾期 {days_overdue(due, today)} 天",
                    plan_id=plan.id,
                    plan_title=plan.title,
                    node_id=node.id,
                    node_ref=node.ref,
                    assignment_id=assignment.id,
                    org_id=assignment.org_id,
                    org_name=assignment.org_name,
                    due=due,
                    days_overdue=days_overdue(due, today),
                )
            )
        return items

    # --- inbox -----------------------------------------------------------------------------------

    async def notifications(
        self,
        session: AsyncSession,
        access: Access,
        params: CursorParams,
        *,
        plan_id: uuid.UUID | None,
    ) -> tuple[list[Notification], str | None]:
        clauses: list[ColumnElement[bool]] = [Notification.recipient_subject == access.subject]
        if access.city_wide:
            clauses.append(Notification.id.is_not(None))
        if access.orgs:
            clauses.append(Notification.recipient_org_id.in_(access.orgs))
        if access.districts:
            clauses.append(Notification.recipient_district_code.in_(access.districts))
        codes = access.districts | access.schools
        if codes:
            clauses.append(Notification.recipient_org_code.in_(codes))
        statement = select(Notification).where(or_(*clauses))
        if plan_id is not None:
            statement = statement.where(Notification.plan_id == plan_id)
        rows = (
            await session.scalars(
                apply_keyset(statement, [SortKey(Notification.id, descending=True)], params)
            )
        ).all()
        return page_from_rows(rows, params, lambda item: [item.id])


def _cadence_start(node: PlanNode, month_start: date) -> date:
    if node.report_frequency == ReportFrequency.quarterly:
        return month_start.replace(month=(month_start.month - 1) // 3 * 3 + 1)
    return month_start


view_service = ViewService()
