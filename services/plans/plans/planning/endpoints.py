import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from plans.clock import Today
from plans.dependencies import LadderDep, Resolver, StaffAccess, check_cursor
from plans.models import AuditLog, PlanKind, PlanStatus
from plans.planning.schemas import (
    NodeCreate,
    NodeUpdate,
    PlanCreate,
    PlanRead,
    PlanTree,
    PlanUpdate,
    SourceText,
    VersionDetail,
    VersionRead,
)
from plans.planning.service import (
    DuplicateRef,
    NodeHasHistory,
    NodeNotFound,
    NotPlanOwner,
    PlanNotFound,
    VersionConflict,
    VersionNotFound,
)
from plans.planning.service import plan_service as service
from plans.policies import PlanAuthor, PlanStaff
from shared.audit import record
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/plans", tags=["plans"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: PlanNotFound.openapi_response()}
OWNER_ONLY: dict[int | str, dict[str, Any]] = {
    403: NotPlanOwner.openapi_response(),
    404: PlanNotFound.openapi_response(),
}


@router.get(
    "", summary="List the plans the caller owns or has tasks in", response_model=Page[PlanRead]
)
async def list_plans(
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
    pagination: CursorPagination,
    status: PlanStatus | None = None,
    kind: PlanKind | None = None,
    parent_id: uuid.UUID | None = None,
) -> Page[PlanRead]:
    check_cursor(pagination, uuid.UUID)
    items, next_cursor = await service.list(
        session, access, pagination, status=status, kind=kind, parent_id=parent_id
    )
    return Page(items=[PlanRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.post(
    "",
    summary="Create a plan by hand (imports create plans from documents)",
    status_code=201,
    response_model=PlanRead,
)
async def create_plan(
    body: PlanCreate, session: DbSession, principal: PlanAuthor, access: StaffAccess
) -> PlanRead:
    plan = await service.create(session, body, principal, access)
    record(
        session,
        AuditLog,
        action="plans.plan.create",
        resource_type="plan",
        resource_id=plan.id,
        principal=principal,
    )
    return PlanRead.model_validate(plan)


@router.get("/{plan_id}", summary="Get a plan", response_model=PlanRead, responses=NOT_FOUND)
async def get_plan(plan_id: uuid.UUID, session: DbSession, access: StaffAccess) -> PlanRead:
    return PlanRead.model_validate(await service.get_visible(session, plan_id, access))


@router.patch(
    "/{plan_id}",
    summary="Update a plan's header or status (optimistic: send the version you read)",
    response_model=PlanRead,
    responses={**OWNER_ONLY, 409: VersionConflict.openapi_response()},
)
async def update_plan(
    plan_id: uuid.UUID,
    body: PlanUpdate,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
) -> PlanRead:
    plan = await service.update(session, plan_id, body, principal, access)
    record(
        session,
        AuditLog,
        action="plans.plan.update",
        resource_type="plan",
        resource_id=plan.id,
        principal=principal,
        details={"version": plan.version},
    )
    return PlanRead.model_validate(plan)


@router.get(
    "/{plan_id}/tree",
    summary="The plan's node tree; assignees see only their tasks and the headings above them",
    response_model=PlanTree,
    responses=NOT_FOUND,
)
async def get_tree(
    plan_id: uuid.UUID, session: DbSession, access: StaffAccess, today: Today, ladder: LadderDep
) -> PlanTree:
    plan = await service.get_visible(session, plan_id, access)
    return await service.tree(session, plan, access, today=today, ladder=ladder)


@router.get(
    "/{plan_id}/source",
    summary="The document text the plan was imported from",
    response_model=SourceText,
    responses=OWNER_ONLY,
)
async def get_source(plan_id: uuid.UUID, session: DbSession, access: StaffAccess) -> SourceText:
    plan = await service.source(session, plan_id, access)
    return SourceText(filename=plan.source_filename, text=plan.source_text)


@router.post(
    "/{plan_id}/nodes",
    summary="Add an item (heading or task) to the plan",
    status_code=201,
    response_model=PlanTree,
    responses={
        **OWNER_ONLY,
        409: {
            **DuplicateRef.openapi_response(),
            "description": "Duplicate numbering, or the plan changed since you read it",
        },
    },
)
async def add_node(
    plan_id: uuid.UUID,
    body: NodeCreate,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
    resolver: Resolver,
    today: Today,
    ladder: LadderDep,
) -> PlanTree:
    node = await service.add_node(session, plan_id, body, principal, access, resolver)
    record(
        session,
        AuditLog,
        action="plans.node.create",
        resource_type="plan_node",
        resource_id=node.id,
        principal=principal,
    )
    plan = await service.get_visible(session, plan_id, access)
    return await service.tree(session, plan, access, today=today, ladder=ladder)


@router.patch(
    "/{plan_id}/nodes/{node_id}",
    summary="Change an item: text, deadline, units, report cadence",
    response_model=PlanTree,
    responses={
        403: NotPlanOwner.openapi_response(),
        404: NodeNotFound.openapi_response(),
        409: VersionConflict.openapi_response(),
    },
)
async def update_node(
    plan_id: uuid.UUID,
    node_id: uuid.UUID,
    body: NodeUpdate,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
    resolver: Resolver,
    today: Today,
    ladder: LadderDep,
) -> PlanTree:
    node = await service.update_node(session, plan_id, node_id, body, principal, access, resolver)
    record(
        session,
        AuditLog,
        action="plans.node.update",
        resource_type="plan_node",
        resource_id=node.id,
        principal=principal,
    )
    plan = await service.get_visible(session, plan_id, access)
    return await service.tree(session, plan, access, today=today, ladder=ladder)


@router.delete(
    "/{plan_id}/nodes/{node_id}",
    summary="Remove an item and everything under it (not once anyone has reported on it)",
    status_code=204,
    response_class=Response,
    responses={
        403: NotPlanOwner.openapi_response(),
        404: NodeNotFound.openapi_response(),
        409: NodeHasHistory.openapi_response(),
    },
)
async def delete_node(
    plan_id: uuid.UUID,
    node_id: uuid.UUID,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
    version: Annotated[int, Query(ge=1, le=1_000_000, description="The plan version you read.")],
) -> Response:
    await service.delete_node(session, plan_id, node_id, version, principal, access)
    record(
        session,
        AuditLog,
        action="plans.node.delete",
        resource_type="plan_node",
        resource_id=node_id,
        principal=principal,
    )
    return Response(status_code=204)


@router.get(
    "/{plan_id}/versions",
    summary="The plan's versions, newest first",
    response_model=list[VersionRead],
    responses=OWNER_ONLY,
)
async def list_versions(
    plan_id: uuid.UUID, session: DbSession, access: StaffAccess
) -> list[VersionRead]:
    plan = await service.get_owned(session, plan_id, access)
    return [VersionRead.model_validate(v) for v in await service.versions(session, plan)]


@router.get(
    "/{plan_id}/versions/{number}",
    summary="What the plan said at one version",
    response_model=VersionDetail,
    responses={403: NotPlanOwner.openapi_response(), 404: VersionNotFound.openapi_response()},
)
async def get_version(
    plan_id: uuid.UUID,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    session: DbSession,
    access: StaffAccess,
) -> VersionDetail:
    plan = await service.get_owned(session, plan_id, access)
    return VersionDetail.model_validate(await service.version(session, plan, number))
