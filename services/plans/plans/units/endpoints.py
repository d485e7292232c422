import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from plans.dependencies import Directory, Resolver, StaffAccess
from plans.models import AuditLog, PlanNode, ResolutionStatus, UnitName
from plans.planning.service import NotPlanOwner, PlanNotFound
from plans.planning.service import plan_service as plans
from plans.policies import PlanStaff
from plans.units.repository import UnitNameRepository
from plans.units.schemas import ResolveResult, UnitMapping, UnitNameRead
from plans.units.service import UnitNameNotFound, unit_service
from shared.audit import record
from shared.db import DbSession
from shared.errors import UpstreamUnavailable
from shared.http import UpstreamRejected

router = APIRouter(prefix="/plans/{plan_id}/unit-names", tags=["units"])

OWNER_ONLY: dict[int | str, dict[str, Any]] = {
    403: NotPlanOwner.openapi_response(),
    404: PlanNotFound.openapi_response(),
}


async def _reads(session: DbSession, names: list[UnitName]) -> list[UnitNameRead]:
    if not names:
        return []
    nodes = {
        node.id: node
        for node in (
            await session.scalars(
                select(PlanNode).where(PlanNode.id.in_({unit.node_id for unit in names}))
            )
        ).all()
    }
    return [
        UnitNameRead(
            id=unit.id,
            node_id=unit.node_id,
            node_ref=nodes[unit.node_id].ref,
            node_title=nodes[unit.node_id].title,
            role=unit.role,
            name=unit.name,
            status=unit.status,
            match=unit.match,
            organization_ids=unit.organization_ids,
            needs_person=unit.status == ResolutionStatus.unmatched,
        )
        for unit in names
    ]


@router.get(
    "",
    summary="Responsible-unit names of a plan and how they resolved (filter: unresolved ones)",
    response_model=list[UnitNameRead],
    responses=OWNER_ONLY,
)
async def list_unit_names(
    plan_id: uuid.UUID,
    session: DbSession,
    access: StaffAccess,
    status: Annotated[list[ResolutionStatus] | None, Query()] = None,
) -> list[UnitNameRead]:
    plan = await plans.get_owned(session, plan_id, access)
    names = await UnitNameRepository(session).for_plan(plan.id, status)
    return await _reads(session, list(names))


@router.post(
    "/mapping",
    summary="Map a unit name to directory organisations, for every task of the plan that uses it",
    response_model=list[UnitNameRead],
    responses={
        **OWNER_ONLY,
        404: UnitNameNotFound.openapi_response(),
        503: UpstreamUnavailable.openapi_response(),
    },
)
async def map_unit_name(
    plan_id: uuid.UUID,
    body: UnitMapping,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
    directory: Directory,
) -> list[UnitNameRead]:
    plan = await plans.get_owned(session, plan_id, access)
    try:
        names = await unit_service.map_name(
            session,
            plan,
            body.name,
            body.organization_ids,
            client=directory,
            subject=principal.subject,
        )
    except UpstreamRejected as error:
        raise UpstreamUnavailable() from error
    record(
        session,
        AuditLog,
        action="plans.unit_name.map",
        resource_type="plan",
        resource_id=plan.id,
        principal=principal,
        details={"name": body.name, "organizations": [str(i) for i in body.organization_ids]},
    )
    return await _reads(session, list(names))


@router.post(
    "/resolve",
    summary="Retry resolving the names the directory could not be asked about",
    response_model=ResolveResult,
    responses=OWNER_ONLY,
)
async def resolve_pending(
    plan_id: uuid.UUID, session: DbSession, access: StaffAccess, resolver: Resolver
) -> ResolveResult:
    plan = await plans.get_owned(session, plan_id, access)
    report = await unit_service.resolve_pending(session, plan, resolver)
    return ResolveResult(
        resolved=report.resolved, unmatched=report.unmatched, pending=report.pending
    )
