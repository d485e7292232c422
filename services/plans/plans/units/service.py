import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from plans.models import (
    ROLE_STRENGTH,
    Assignment,
    Plan,
    PlanNode,
    ResolutionStatus,
    UnitName,
    UnitRole,
)
from plans.units.repository import AssignmentRepository, UnitNameRepository
from plans.units.resolution import UnitResolver
from shared.clients.directory import DirectoryClient, LookupRequest, OrganizationRef
from shared.errors import InvalidInput, NotFound
from shared.i18n import Text

log = structlog.get_logger("plans.units")


class UnitNameNotFound(NotFound):
    code = "plans.unit_name.not_found"
    title = Text("该规划中没有这个单位名称", "No responsible unit of that name in this plan")


@dataclass(frozen=True, slots=True)
class ResolveReport:
    resolved: int
    unmatched: int
    pending: int


def plan_as_of(plan: Plan) -> date | None:
    """Units valid when the plan started (横县 in a 2018 plan, 横州市 in a 2022 one)."""
    return date(plan.period_start, 1, 1) if plan.period_start else None


class UnitService:
    def add_names(
        self,
        session: AsyncSession,
        node: PlanNode,
        units: Iterable[tuple[str, UnitRole]],
        *,
        start: int = 0,
    ) -> list[UnitName]:
        """New names start `pending`; `resolve_pending` settles them."""
        added: list[UnitName] = []
        seen: set[tuple[str, UnitRole]] = set()
        for position, (name, role) in enumerate(units, start=start):
            if (name, role) in seen:
                continue
            seen.add((name, role))
            unit = UnitName(
                plan_id=node.plan_id,
                node_id=node.id,
                role=role,
                name=name,
                position=position,
                status=ResolutionStatus.pending,
                organization_ids=[],
            )
            session.add(unit)
            added.append(unit)
        return added

    async def resolve_pending(
        self, session: AsyncSession, plan: Plan, resolver: UnitResolver
    ) -> ResolveReport:
        repository = UnitNameRepository(session)
        await session.flush()
        names = await repository.for_plan(plan.id, [ResolutionStatus.pending])
        if not names:
            return ResolveReport(0, 0, 0)
        results = await resolver.resolve([unit.name for unit in names], as_of=plan_as_of(plan))
        refs: dict[uuid.UUID, OrganizationRef] = {}
        touched: set[uuid.UUID] = set()
        now = datetime.now(UTC)
        counts = dict.fromkeys(ResolutionStatus, 0)
        for unit in names:
            result = results[unit.name]
            counts[result.status] += 1
            if result.status == ResolutionStatus.pending:
                continue
            unit.status = result.status
            unit.match = result.match
            unit.organization_ids = [org.id for org in result.organizations]
            unit.resolved_at = now if result.status == ResolutionStatus.resolved else None
            refs.update({org.id: org for org in result.organizations})
            touched.add(unit.node_id)
        await self.sync_assignments(session, touched, refs)
        return ResolveReport(
            resolved=counts[ResolutionStatus.resolved],
            unmatched=counts[ResolutionStatus.unmatched],
            pending=counts[ResolutionStatus.pending],
        )

    async def map_name(
        self,
        session: AsyncSession,
        plan: Plan,
        name: str,
        organization_ids: Sequence[uuid.UUID],
        *,
        client: DirectoryClient,
        subject: str,
    ) -> Sequence[UnitName]:
        """A person says which organisations a name means, for every task of the plan."""
        names = await UnitNameRepository(session).by_name(plan.id, name)
        if not names:
            raise UnitNameNotFound()
        refs: dict[uuid.UUID, OrganizationRef] = {}
        if organization_ids:
            # Unavailable directory → 503 from the client: the person retries; nothing changes.
            result = await client.lookup(LookupRequest(ids=list(organization_ids)))
            if result.missing_ids:
                raise InvalidInput.for_field(
                    "body.organization_ids",
                    Text(
                        f"目录中没有这些机构：{', '.join(map(str, result.missing_ids))}",
                        f"Unknown organisations: {', '.join(map(str, result.missing_ids))}",
                    ),
                    "unknown_organization",
                )
            refs = {org.id: org for org in result.organizations}
        now = datetime.now(UTC)
        for unit in names:
            unit.status = (
                ResolutionStatus.mapped if organization_ids else ResolutionStatus.unmatched
            )
            unit.match = "manual"
            unit.organization_ids = list(dict.fromkeys(organization_ids))
            unit.resolved_at = now
            unit.resolved_by = subject
        await self.sync_assignments(session, {unit.node_id for unit in names}, refs)
        return names

    async def sync_assignments(
        self,
        session: AsyncSession,
        node_ids: Iterable[uuid.UUID],
        refs: dict[uuid.UUID, OrganizationRef],
    ) -> None:
        """Make each node's assignments match its names: one per organisation, strongest role.

        An assignment no name points to any more is deleted, unless it already has reports or
        extension requests — history is never rewritten.
        """
        node_ids = list(node_ids)
        if not node_ids:
            return
        await session.flush()
        names = await UnitNameRepository(session).for_nodes(node_ids)
        assignments = AssignmentRepository(session)
        existing = await assignments.for_nodes(node_ids)
        plan_of = {unit.node_id: unit.plan_id for unit in names}
        for node_id in node_ids:
            desired: dict[uuid.UUID, tuple[set[UnitRole], list[str]]] = {}
            for unit in names:
                if unit.node_id != node_id or unit.status not in (
                    ResolutionStatus.resolved,
                    ResolutionStatus.mapped,
                ):
                    continue
                for org_id in unit.organization_ids:
                    roles, sources = desired.setdefault(org_id, (set(), []))
                    roles.add(unit.role)
                    if unit.name not in sources:
                        sources.append(unit.name)
            current = {a.org_id: a for a in existing if a.node_id == node_id}
            for org_id, (roles, sources) in desired.items():
                ordered = sorted(roles, key=ROLE_STRENGTH.__getitem__)
                assignment = current.get(org_id)
                if assignment is not None:
                    assignment.role = ordered[0]
                    assignment.roles = [role.value for role in ordered]
                    assignment.source_names = sources
                    continue
                ref = refs.get(org_id)
                if ref is None:
                    log.warning("assignment_without_reference", org_id=str(org_id))
                    continue
                session.add(
                    Assignment(
                        plan_id=plan_of[node_id],
                        node_id=node_id,
                        role=ordered[0],
                        roles=[role.value for role in ordered],
                        source_names=sources,
                        org_id=ref.id,
                        org_code=ref.code,
                        org_name=ref.name,
                        org_kind=ref.kind,
                        district_code=ref.district_code,
                    )
                )
            for org_id, assignment in current.items():
                if org_id in desired:
                    continue
                if await assignments.has_history(assignment.id):
                    assignment.source_names = []
                else:
                    await session.delete(assignment)
        await session.flush()


unit_service = UnitService()
