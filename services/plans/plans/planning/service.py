import re
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.imports.deadlines import parse_deadline
from plans.models import (
    Assignment,
    DeadlineSource,
    Indicator,
    IndicatorTarget,
    NodeKind,
    Plan,
    PlanNode,
    PlanVersion,
    UnitName,
    UnitRole,
)
from plans.oversight.ladder import Ladder, days_overdue
from plans.oversight.status import assignment_light, effective_due, task_light
from plans.planning.repository import NodeRepository, PlanRepository, VersionRepository
from plans.planning.schemas import (
    AssignmentRead,
    DeadlineInput,
    DeadlineRead,
    NodeCreate,
    NodeRead,
    NodeUpdate,
    PlanCreate,
    PlanRead,
    PlanTree,
    PlanUpdate,
    UnitRead,
)
from plans.policies import Access
from plans.units.repository import AssignmentRepository, UnitNameRepository
from plans.units.resolution import UnitResolver
from plans.units.service import unit_service
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.i18n import Text
from shared.ids import uuid7
from shared.pagination import CursorParams


class PlanNotFound(NotFound):
    code = "plans.plan.not_found"
    title = Text("规划不存在", "Plan not found")


class NodeNotFound(NotFound):
    code = "plans.node.not_found"
    title = Text("规划条目不存在", "Plan item not found")


class VersionNotFound(NotFound):
    code = "plans.version.not_found"
    title = Text("规划版本不存在", "Plan version not found")


class NotPlanOwner(Forbidden):
    code = "plans.plan.not_owner"
    title = Text("只有规划的制定单位可以执行此操作", "Only the plan's owner may do this")


class VersionConflict(Conflict):
    code = "plans.plan.version_conflict"
    title = Text(
        "规划已被他人修改，请刷新后重试", "The plan changed since you read it; reload and retry"
    )


class DuplicateRef(Conflict):
    code = "plans.node.duplicate_ref"
    title = Text("同一层级已有相同编号的条目", "An item with that numbering already exists there")


class NodeHasHistory(Conflict):
    code = "plans.node.has_history"
    title = Text(
        "该条目已有进展报送或延期申请，不能删除", "The item has reports or extension requests"
    )


_TOKEN_TRAIL = re.compile(r"[、.．:：\s]+$")


def ref_token(numbering: str) -> str:
    return _TOKEN_TRAIL.sub("", numbering.strip()) or numbering.strip()


def deadline_read(node: PlanNode) -> DeadlineRead | None:
    if node.deadline_raw is None and node.due_date is None and not node.deadline_ongoing:
        return None
    return DeadlineRead(
        raw=node.deadline_raw,
        due=node.due_date,
        granularity=node.deadline_granularity,
        ongoing=node.deadline_ongoing,
        range_start=node.deadline_range_start,
        year_inferred=node.deadline_year_inferred,
        ambiguous=node.deadline_ambiguous,
        source=node.deadline_source,
    )


def set_deadline(
    node: PlanNode,
    *,
    raw: str | None,
    due: date | None,
    granularity: str | None,
    ongoing: bool,
    range_start: date | None = None,
    year_inferred: bool = False,
    ambiguous: bool = False,
    source: DeadlineSource | None,
) -> None:
    node.deadline_raw = raw
    node.due_date = due
    node.deadline_granularity = granularity
    node.deadline_ongoing = ongoing
    node.deadline_range_start = range_start
    node.deadline_year_inferred = year_inferred
    node.deadline_ambiguous = ambiguous
    node.deadline_source = source


def clear_deadline(node: PlanNode) -> None:
    set_deadline(node, raw=None, due=None, granularity=None, ongoing=False, source=None)


def apply_deadline_input(node: PlanNode, value: DeadlineInput, document_year: int | None) -> None:
    """Words are parsed as an import would parse them; an explicit date wins over the words."""
    parsed = parse_deadline(value.raw, document_year=document_year) if value.raw else None
    if value.raw and parsed is None and value.due is None:
        raise InvalidInput.for_field(
            "body.deadline.raw",
            Text("无法识别该完成时限，请填写日期", "Cannot read that deadline; give a date"),
            "deadline_unreadable",
        )
    set_deadline(
        node,
        raw=value.raw.strip() if value.raw else None,
        due=value.due or (parsed.due if parsed else None),
        granularity="day" if value.due else (parsed.granularity if parsed else None),
        ongoing=value.ongoing if value.ongoing is not None else bool(parsed and parsed.ongoing),
        range_start=parsed.range_start if parsed else None,
        year_inferred=bool(parsed and parsed.year_inferred) and value.due is None,
        ambiguous=bool(parsed and parsed.ambiguous) and value.due is None,
        source=DeadlineSource.manual,
    )


def assignment_read(
    assignment: Assignment, node: PlanNode, today: date, ladder: Ladder
) -> AssignmentRead:
    due = effective_due(assignment, node)
    return AssignmentRead(
        id=assignment.id,
        org_id=assignment.org_id,
        org_code=assignment.org_code,
        org_name=assignment.org_name,
        org_kind=assignment.org_kind,
        district_code=assignment.district_code,
        role=assignment.role,
        roles=[UnitRole(role) for role in assignment.roles],
        state=assignment.state,
        percent=assignment.percent,
        completed_on=assignment.completed_on,
        grade=assignment.grade,
        due=due,
        extended_due=assignment.extended_due,
        light=assignment_light(assignment, node, today, ladder),
        days_overdue=days_overdue(due, today) if assignment.completed_on is None else 0,
        last_report_at=assignment.last_report_at,
        contact_subject=assignment.contact_subject,
        leader_name=assignment.leader_name,
        leader_subject=assignment.leader_subject,
    )


class PlanService:
    # --- reading -------------------------------------------------------------------------------

    async def list(
        self, session: AsyncSession, access: Access, params: CursorParams, **filters: Any
    ) -> tuple[list[Plan], str | None]:
        return await PlanRepository(session).list_page(access, params, **filters)

    async def get_visible(self, session: AsyncSession, plan_id: uuid.UUID, access: Access) -> Plan:
        plan = await PlanRepository(session).get_visible(plan_id, access)
        if plan is None:
            raise PlanNotFound()
        return plan

    async def get_owned(
        self, session: AsyncSession, plan_id: uuid.UUID, access: Access, *, lock: bool = False
    ) -> Plan:
        """404 when the caller cannot see the plan at all, 403 when it sees but does not own it."""
        plan = await self.get_visible(session, plan_id, access)
        if not access.owns(plan):
            raise NotPlanOwner()
        if lock:
            locked = await PlanRepository(session).get_for_update(plan_id)
            assert locked is not None
            return locked
        return plan

    async def source(self, session: AsyncSession, plan_id: uuid.UUID, access: Access) -> Plan:
        await self.get_owned(session, plan_id, access)
        plan = await PlanRepository(session).get_with_source(plan_id)
        assert plan is not None
        return plan

    async def tree(
        self,
        session: AsyncSession,
        plan: Plan,
        access: Access,
        *,
        today: date,
        ladder: Ladder,
    ) -> PlanTree:
        nodes = list(await NodeRepository(session).for_plan(plan.id))
        node_ids = [node.id for node in nodes]
        units = await UnitNameRepository(session).for_nodes(node_ids)
        assignments = await AssignmentRepository(session).for_nodes(node_ids)
        owner = access.owns(plan)
        if not owner:
            assignments = [a for a in assignments if access.reports_for(a)]
        units_of: dict[uuid.UUID, list[UnitName]] = {}
        for unit in units:
            units_of.setdefault(unit.node_id, []).append(unit)
        assignments_of: dict[uuid.UUID, list[Assignment]] = {}
        for assignment in assignments:
            assignments_of.setdefault(assignment.node_id, []).append(assignment)

        by_id = {node.id: node for node in nodes}
        keep: set[uuid.UUID] | None = None
        if not owner:
            # Only the caller's own tasks, and the headings above them.
            keep = set()
            for node_id in assignments_of:
                current: uuid.UUID | None = node_id
                while current is not None and current not in keep:
                    keep.add(current)
                    current = by_id[current].parent_id

        reads: dict[uuid.UUID, NodeRead] = {}
        roots: list[NodeRead] = []
        for node in nodes:
            if keep is not None and node.id not in keep:
                continue
            own = assignments_of.get(node.id, [])
            read = NodeRead(
                id=node.id,
                parent_id=node.parent_id,
                ref=node.ref,
                level=node.level,
                numbering=node.numbering,
                kind=node.kind,
                title=node.title,
                text=node.text,
                deadline=deadline_read(node),
                report_frequency=node.report_frequency,
                units=[UnitRead.model_validate(unit) for unit in units_of.get(node.id, [])],
                assignments=[assignment_read(a, node, today, ladder) for a in own],
                light=task_light(node, own, today, ladder) if node.kind == NodeKind.task else None,
            )
            reads[node.id] = read
            parent = reads.get(node.parent_id) if node.parent_id else None
            if parent is not None:
                parent.children.append(read)
            else:
                roots.append(read)
        return PlanTree(plan=PlanRead.model_validate(plan), complete=owner, nodes=roots)

    # --- writing -------------------------------------------------------------------------------

    async def create(
        self, session: AsyncSession, body: PlanCreate, principal: Principal, access: Access
    ) -> Plan:
        owner_code, owner_district = owner_of(principal, access)
        if body.parent_id is not None:
            await self._check_parent(session, body.parent_id, access, "body.parent_id")
        plan = Plan(
            id=uuid7(),
            kind=body.kind,
            title=body.title,
            doc_number=body.doc_number,
            issuer=body.issuer,
            period_start=body.period_start,
            period_end=body.period_end,
            status=body.status,
            parent_id=body.parent_id,
            owner_org_code=owner_code,
            owner_org_id=body.owner_org_id,
            owner_district_code=owner_district,
            leader_name=body.leader_name,
            leader_subject=body.leader_subject,
            document_year=body.period_start,
            source_text=body.source_text,
            version=1,
            created_by=principal.subject,
        )
        session.add(plan)
        await session.flush()
        await self.record_version(session, plan, "created", principal.subject, first=True)
        return plan

    async def update(
        self,
        session: AsyncSession,
        plan_id: uuid.UUID,
        body: PlanUpdate,
        principal: Principal,
        access: Access,
    ) -> Plan:
        plan = await self.get_owned(session, plan_id, access, lock=True)
        check_version(plan, body.version)
        changes = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
        if "title" in changes and changes["title"] is None:
            raise InvalidInput.for_field(
                "body.title", Text("标题不能为空", "The title cannot be empty"), "missing"
            )
        if changes.get("parent_id") is not None:
            if changes["parent_id"] == plan.id:
                raise InvalidInput.for_field(
                    "body.parent_id",
                    Text("规划不能以自己为上级", "A plan cannot be its own parent"),
                )
            await self._check_parent(session, changes["parent_id"], access, "body.parent_id")
        for name in ("kind", "status"):
            if name in changes and changes[name] is None:
                del changes[name]
        for name, value in changes.items():
            setattr(plan, name, value)
        if plan.period_start and plan.period_end and plan.period_end < plan.period_start:
            raise InvalidInput.for_field(
                "body.period_end",
                Text("结束年份早于开始年份", "period_end is before period_start"),
            )
        await self.bump(session, plan, body.reason or "plan updated", principal.subject)
        return plan

    async def add_node(
        self,
        session: AsyncSession,
        plan_id: uuid.UUID,
        body: NodeCreate,
        principal: Principal,
        access: Access,
        resolver: UnitResolver,
    ) -> PlanNode:
        plan = await self.get_owned(session, plan_id, access, lock=True)
        check_version(plan, body.version)
        nodes = NodeRepository(session)
        parent: PlanNode | None = None
        if body.parent_id is not None:
            parent = await nodes.get(body.parent_id)
            if parent is None or parent.plan_id != plan.id:
                raise InvalidInput.for_field(
                    "body.parent_id",
                    Text("上级条目不在该规划中", "The parent item is not in this plan"),
                )
        token = ref_token(body.numbering)
        ref = f"{parent.ref}/{token}" if parent else token
        if len(ref) > 300:
            raise InvalidInput.for_field(
                "body.parent_id",
                Text(
                    "层级过深：编号路径超过 300 个字符",
                    "Nested too deep: the ref exceeds 300 characters",
                ),
                "too_deep",
            )
        if await nodes.by_ref(plan.id, ref) is not None:
            raise DuplicateRef()
        node = PlanNode(
            id=uuid7(),
            plan_id=plan.id,
            parent_id=parent.id if parent else None,
            position=await nodes.next_position(plan.id),
            ref=ref,
            level=(parent.level + 1) if parent else 1,
            numbering=body.numbering,
            kind=body.kind,
            title=body.title,
            text=body.text,
            report_frequency=body.report_frequency,
        )
        clear_deadline(node)
        if body.deadline is not None:
            apply_deadline_input(node, body.deadline, plan.document_year)
        session.add(node)
        await session.flush()
        unit_service.add_names(session, node, [(u.name, u.role) for u in body.units])
        await unit_service.resolve_pending(session, plan, resolver)
        await self.bump(session, plan, f"item {ref} added", principal.subject)
        return node

    async def update_node(
        self,
        session: AsyncSession,
        plan_id: uuid.UUID,
        node_id: uuid.UUID,
        body: NodeUpdate,
        principal: Principal,
        access: Access,
        resolver: UnitResolver,
    ) -> PlanNode:
        plan = await self.get_owned(session, plan_id, access, lock=True)
        check_version(plan, body.version)
        node = await NodeRepository(session).get(node_id)
        if node is None or node.plan_id != plan.id:
            raise NodeNotFound()
        given = body.model_fields_set
        if "numbering" in given and body.numbering is not None:
            node.numbering = body.numbering
        if "kind" in given and body.kind is not None:
            node.kind = body.kind
        if "title" in given and body.title is not None:
            node.title = body.title
        if "text" in given and body.text is not None:
            node.text = body.text
        if "report_frequency" in given and body.report_frequency is not None:
            node.report_frequency = body.report_frequency
        if "deadline" in given:
            if body.deadline is None:
                clear_deadline(node)
            else:
                apply_deadline_input(node, body.deadline, plan.document_year)
        if "units" in given and body.units is not None:
            await self._replace_units(session, plan, node, body.units, resolver)
        await self.bump(session, plan, f"item {node.ref} changed", principal.subject)
        return node

    async def _replace_units(
        self,
        session: AsyncSession,
        plan: Plan,
        node: PlanNode,
        units: Sequence[Any],
        resolver: UnitResolver,
    ) -> None:
        wanted = list(dict.fromkeys((u.name, UnitRole(u.role)) for u in units))
        current = await UnitNameRepository(session).for_nodes([node.id])
        keep = {(u.name, u.role) for u in current if (u.name, u.role) in wanted}
        for unit in current:
            if (unit.name, unit.role) not in keep:
                await session.delete(unit)
        await session.flush()
        unit_service.add_names(
            session, node, [w for w in wanted if w not in keep], start=len(current)
        )
        await unit_service.resolve_pending(session, plan, resolver)
        await unit_service.sync_assignments(session, [node.id], {})

    async def delete_node(
        self,
        session: AsyncSession,
        plan_id: uuid.UUID,
        node_id: uuid.UUID,
        version: int,
        principal: Principal,
        access: Access,
    ) -> None:
        plan = await self.get_owned(session, plan_id, access, lock=True)
        check_version(plan, version)
        nodes = await NodeRepository(session).for_plan(plan.id)
        node = next((n for n in nodes if n.id == node_id), None)
        if node is None:
            raise NodeNotFound()
        subtree = {node.id}
        for candidate in nodes:  # document order: a parent always comes before its children
            if candidate.parent_id in subtree:
                subtree.add(candidate.id)
        assignments = AssignmentRepository(session)
        for assignment in await assignments.for_nodes(list(subtree)):
            if await assignments.has_history(assignment.id):
                raise NodeHasHistory()
        await session.delete(node)
        await session.flush()
        await self.bump(session, plan, f"item {node.ref} removed", principal.subject)

    async def _check_parent(
        self, session: AsyncSession, parent_id: uuid.UUID, access: Access, field: str
    ) -> None:
        if await PlanRepository(session).get_visible(parent_id, access) is None:
            raise InvalidInput.for_field(
                field, Text("上级规划不存在", "The parent plan does not exist"), "not_found"
            )

    # --- versions ------------------------------------------------------------------------------

    async def bump(self, session: AsyncSession, plan: Plan, reason: str, subject: str) -> None:
        plan.version += 1
        await self.record_version(session, plan, reason, subject)

    async def record_version(
        self,
        session: AsyncSession,
        plan: Plan,
        reason: str,
        subject: str | None,
        *,
        first: bool = False,
    ) -> PlanVersion:
        if first:
            plan.version = 1
        await session.flush()
        version = PlanVersion(
            plan_id=plan.id,
            number=plan.version,
            reason=reason[:200],
            created_by=subject,
            snapshot=await snapshot(session, plan),
        )
        session.add(version)
        await session.flush()
        return version

    async def versions(self, session: AsyncSession, plan: Plan) -> Sequence[PlanVersion]:
        return await VersionRepository(session).for_plan(plan.id)

    async def version(self, session: AsyncSession, plan: Plan, number: int) -> PlanVersion:
        version = await VersionRepository(session).get_number(plan.id, number)
        if version is None:
            raise VersionNotFound()
        return version


def check_version(plan: Plan, version: int) -> None:
    if plan.version != version:
        raise VersionConflict(
            Text(
                f"当前版本为 {plan.version}，提交的版本为 {version}",
                f"The plan is at version {plan.version}; you sent {version}",
            )
        )


def owner_of(principal: Principal, access: Access) -> tuple[str, str | None]:
    """(owner org code, owner district code) for a plan this principal creates."""
    if access.city_wide:
        grant = next((g for g in principal.grants if g.code and g.level == "city"), None)
        return (grant.code if grant and grant.code else "450100"), None
    if access.districts:
        district = sorted(access.districts)[0]
        return district, district
    raise Forbidden()


async def snapshot(session: AsyncSession, plan: Plan) -> dict[str, Any]:
    nodes = await NodeRepository(session).for_plan(plan.id)
    units = await UnitNameRepository(session).for_nodes([n.id for n in nodes])
    ref_of = {n.id: n.ref for n in nodes}
    units_of: dict[uuid.UUID, list[dict[str, str]]] = {}
    for unit in units:
        units_of.setdefault(unit.node_id, []).append({"name": unit.name, "role": unit.role.value})
    targets = (
        await session.execute(
            select(IndicatorTarget, Indicator.name)
            .join(Indicator, Indicator.id == IndicatorTarget.indicator_id)
            .where(IndicatorTarget.plan_id == plan.id)
            .order_by(Indicator.name, IndicatorTarget.scope_code, IndicatorTarget.year)
        )
    ).all()
    return {
        "plan": PlanRead.model_validate(plan).model_dump(
            mode="json", exclude={"version", "created_at", "updated_at"}
        ),
        "nodes": [
            {
                "ref": n.ref,
                "parent": ref_of.get(n.parent_id) if n.parent_id else None,
                "numbering": n.numbering,
                "kind": n.kind.value,
                "title": n.title,
                "text": n.text,
                "deadline": (d.model_dump(mode="json") if (d := deadline_read(n)) else None),
                "units": units_of.get(n.id, []),
            }
            for n in nodes
        ],
        "targets": [
            {
                "indicator": name,
                "scope_code": t.scope_code,
                "year": t.year,
                "comparator": t.comparator,
                "value": t.value,
            }
            for t, name in targets
        ],
    }


plan_service = PlanService()
