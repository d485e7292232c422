import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from shared.db import DbSession
from shared.errors import InvalidInput
from shared.i18n import Text
from shared.idempotency import IdempotencyKey, IdempotencyKeyReused
from shared.pagination import CursorPagination, Page
from shared.params import Day
from supervision import clock
from supervision.inspectors.checklist import CHECKLIST, DUTIES, METHODS
from supervision.inspectors.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
    ChecklistItem,
    Coverage,
    InspectorCreate,
    InspectorRead,
    InspectorUpdate,
    VisitCreate,
    VisitGuide,
    VisitRead,
    VisitRecord,
)
from supervision.inspectors.service import (
    AssignmentNotFound,
    AssignmentRefused,
    InspectorExists,
    InspectorNotFound,
    NotAnInspector,
    NotAssigned,
    VisitNotFound,
    VisitState,
    inspector_service,
)
from supervision.models import Finding, IdempotencyRecord, Visit
from supervision.peers import PeersDep
from supervision.policies import InspectorScope, ManagerScope, ReaderScope

router = APIRouter(tags=["inspectors"])


def _visit_read(visit: Visit, findings: Sequence[Finding]) -> VisitRead:
    read = VisitRead.model_validate(visit)
    read.finding_ids = [f.id for f in findings]
    return read


@router.post(
    "/inspectors",
    summary="Register a responsible inspector (督学)",
    status_code=201,
    response_model=InspectorRead,
    responses={409: InspectorExists.openapi_response()},
)
async def create_inspector(
    body: InspectorCreate, session: DbSession, scope: ManagerScope, peers: PeersDep
) -> InspectorRead:
    return InspectorRead.model_validate(await inspector_service.create(session, scope, peers, body))


@router.get("/inspectors", summary="List inspectors", response_model=Page[InspectorRead])
async def list_inspectors(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    district_code: Annotated[str | None, Query(max_length=20)] = None,
    active: bool | None = None,
) -> Page[InspectorRead]:
    items, cursor = await inspector_service.page(
        session, scope, pagination, district_code=district_code, active=active
    )
    return Page(items=[InspectorRead.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/inspectors/me",
    summary="The calling inspector's own record",
    response_model=InspectorRead,
    responses={403: NotAnInspector.openapi_response()},
)
async def get_my_inspector_record(session: DbSession, scope: InspectorScope) -> InspectorRead:
    return InspectorRead.model_validate(await inspector_service.me(session, scope))


@router.get(
    "/inspectors/{inspector_id}",
    summary="Get an inspector",
    response_model=InspectorRead,
    responses={404: InspectorNotFound.openapi_response()},
)
async def get_inspector(
    inspector_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> InspectorRead:
    return InspectorRead.model_validate(await inspector_service.get(session, scope, inspector_id))


@router.patch(
    "/inspectors/{inspector_id}",
    summary="Update an inspector's contact, employer, login link or status",
    response_model=InspectorRead,
    responses={
        404: InspectorNotFound.openapi_response(),
        409: InspectorExists.openapi_response(),
    },
)
async def update_inspector(
    inspector_id: uuid.UUID,
    body: InspectorUpdate,
    session: DbSession,
    scope: ManagerScope,
    peers: PeersDep,
) -> InspectorRead:
    return InspectorRead.model_validate(
        await inspector_service.update(session, scope, peers, inspector_id, body)
    )


@router.post(
    "/inspectors/{inspector_id}/assignments",
    summary="Assign a school to an inspector (挂牌)",
    status_code=201,
    response_model=AssignmentRead,
    responses={
        404: InspectorNotFound.openapi_response(),
        409: AssignmentRefused.openapi_response(),
    },
)
async def assign_school(
    inspector_id: uuid.UUID,
    body: AssignmentCreate,
    request: Request,
    session: DbSession,
    scope: ManagerScope,
    peers: PeersDep,
) -> AssignmentRead:
    return AssignmentRead.model_validate(
        await inspector_service.assign(
            session, scope, peers, request.app.state.settings, inspector_id, body
        )
    )


@router.get("/assignments", summary="List school assignments", response_model=Page[AssignmentRead])
async def list_assignments(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    inspector_id: uuid.UUID | None = None,
    school_code: Annotated[str | None, Query(max_length=20)] = None,
    current_only: bool = True,
) -> Page[AssignmentRead]:
    items, cursor = await inspector_service.list_assignments(
        session,
        scope,
        pagination,
        inspector_id=inspector_id,
        school_code=school_code,
        current_only=current_only,
    )
    return Page(items=[AssignmentRead.model_validate(i) for i in items], next_cursor=cursor)


@router.post(
    "/assignments/{assignment_id}/end",
    summary="End an assignment (rotation, retirement)",
    response_model=AssignmentRead,
    responses={
        404: AssignmentNotFound.openapi_response(),
        409: AssignmentRefused.openapi_response(),
    },
)
async def end_assignment(
    assignment_id: uuid.UUID, body: AssignmentEnd, session: DbSession, scope: ManagerScope
) -> AssignmentRead:
    return AssignmentRead.model_validate(
        await inspector_service.end_assignment(session, scope, assignment_id, body.ends_on)
    )


@router.get(
    "/visits/guide",
    summary="The standing checklist, methods and duties for the inspector app",
    response_model=VisitGuide,
)
async def visit_guide(scope: ReaderScope) -> VisitGuide:
    return VisitGuide(
        checklist=[ChecklistItem(key=k, name=n) for k, n in CHECKLIST],
        methods=[ChecklistItem(key=k, name=n) for k, n in METHODS],
        duties=list(DUTIES),
        cadence="每所学校每月至少开展1次经常性督导",
    )


@router.get(
    "/visits/coverage",
    summary="Visits per assigned school in a month against the ≥ 1 per month rule",
    response_model=Coverage,
)
async def visit_coverage(
    request: Request,
    session: DbSession,
    scope: ReaderScope,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")] = None,
) -> Coverage:
    try:
        first = clock.parse_month(month) if month else clock.month_start(clock.today())
    except ValueError:
        raise InvalidInput.for_field("query.month", Text("月份无效", "Invalid month")) from None
    return await inspector_service.coverage(session, scope, request.app.state.settings, first)


@router.post(
    "/visits",
    summary="Check in at an assigned school (optionally with the whole record)",
    status_code=201,
    response_model=VisitRead,
    responses={
        403: NotAssigned.openapi_response(),
        409: IdempotencyKeyReused.openapi_response(),
    },
)
async def create_visit(
    body: VisitCreate,
    request: Request,
    session: DbSession,
    scope: InspectorScope,
    idempotency: IdempotencyKey,
) -> Response:
    replay = await idempotency.replay(session, scope.subject, IdempotencyRecord)
    if replay is not None:
        return replay
    visit, findings = await inspector_service.check_in(
        session, scope, request.app.state.settings, body
    )
    return await idempotency.store(session, _visit_read(visit, findings), status_code=201)


@router.post(
    "/visits/{visit_id}/record",
    summary="Record the checklist, findings, photos and on-the-spot feedback",
    response_model=VisitRead,
    responses={
        403: NotAssigned.openapi_response(),
        404: VisitNotFound.openapi_response(),
        409: VisitState.openapi_response(),
    },
)
async def record_visit(
    visit_id: uuid.UUID,
    body: VisitRecord,
    request: Request,
    session: DbSession,
    scope: InspectorScope,
) -> VisitRead:
    visit, findings = await inspector_service.complete(
        session, scope, request.app.state.settings, visit_id, body
    )
    return _visit_read(visit, findings)


@router.get("/visits", summary="List visit records", response_model=Page[VisitRead])
async def list_visits(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    school_code: Annotated[str | None, Query(max_length=20)] = None,
    inspector_id: uuid.UUID | None = None,
    since: Day | None = None,
    until: Day | None = None,
) -> Page[VisitRead]:
    items, cursor = await inspector_service.list_visits(
        session,
        scope,
        pagination,
        school_code=school_code,
        inspector_id=inspector_id,
        since=since,
        until=until,
    )
    return Page(items=[VisitRead.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/visits/{visit_id}",
    summary="Get a visit record",
    response_model=VisitRead,
    responses={404: VisitNotFound.openapi_response()},
)
async def get_visit(visit_id: uuid.UUID, session: DbSession, scope: ReaderScope) -> VisitRead:
    visit = await inspector_service.get_visit(session, scope, visit_id)
    return _visit_read(visit, await inspector_service.visit_findings(session, visit.id))
