import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from shared.db import DbSession
from shared.pagination import CursorPagination, Page
from supervision.findings.schemas import (
    FindingCreate,
    FindingDetail,
    FindingRead,
    RectificationCreate,
    RectificationRead,
    ReopenCreate,
    ReviewCreate,
)
from supervision.findings.service import (
    FindingNotFound,
    FindingState,
    NotOwner,
    NotReviewer,
    finding_service,
)
from supervision.models import Finding, FindingStatus
from supervision.peers import PeersDep
from supervision.policies import FieldScope, OutOfScope, ReaderScope

router = APIRouter(prefix="/findings", tags=["findings"])

STATE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: FindingNotFound.openapi_response(),
    409: FindingState.openapi_response(),
}


async def _detail(session: DbSession, finding: Finding) -> FindingDetail:
    rounds = await finding_service.rectifications(session, finding.id)
    return FindingDetail.model_validate(
        {
            **FindingRead.model_validate(finding).model_dump(),
            "rectifications": [RectificationRead.model_validate(r) for r in rounds],
        }
    )


@router.post(
    "",
    summary="Raise a finding (问题清单 item) on an assessment target or a school",
    status_code=201,
    response_model=FindingDetail,
    responses={403: OutOfScope.openapi_response()},
)
async def create_finding(
    body: FindingCreate, request: Request, session: DbSession, scope: FieldScope, peers: PeersDep
) -> FindingDetail:
    finding = await finding_service.create(
        session,
        scope,
        peers,
        body,
        default_days=request.app.state.settings.default_rectification_days,
    )
    return await _detail(session, finding)


@router.get("", summary="List findings", response_model=Page[FindingRead])
async def list_findings(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    status: FindingStatus | None = None,
    district_code: Annotated[str | None, Query(max_length=20)] = None,
    school_code: Annotated[str | None, Query(max_length=20)] = None,
    assessment_id: uuid.UUID | None = None,
    visit_id: uuid.UUID | None = None,
    overdue: bool = False,
) -> Page[FindingRead]:
    items, cursor = await finding_service.page(
        session,
        scope,
        pagination,
        status=status,
        district_code=district_code,
        school_code=school_code,
        assessment_id=assessment_id,
        visit_id=visit_id,
        overdue=overdue,
    )
    return Page(items=[FindingRead.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/{finding_id}",
    summary="Get a finding with its rectification rounds",
    response_model=FindingDetail,
    responses={404: FindingNotFound.openapi_response()},
)
async def get_finding(
    finding_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> FindingDetail:
    return await _detail(session, await finding_service.get(session, scope, finding_id))


@router.post(
    "/{finding_id}/acknowledge",
    summary="The responsible unit starts rectifying",
    response_model=FindingDetail,
    responses={**STATE_ERRORS, 403: NotOwner.openapi_response()},
)
async def acknowledge_finding(
    finding_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> FindingDetail:
    return await _detail(session, await finding_service.acknowledge(session, scope, finding_id))


@router.post(
    "/{finding_id}/rectifications",
    summary="Submit a rectification with evidence for review",
    status_code=201,
    response_model=FindingDetail,
    responses={**STATE_ERRORS, 403: NotOwner.openapi_response()},
)
async def submit_rectification(
    finding_id: uuid.UUID, body: RectificationCreate, session: DbSession, scope: ReaderScope
) -> FindingDetail:
    await finding_service.submit(session, scope, finding_id, body)
    return await _detail(session, await finding_service.get(session, scope, finding_id))


@router.post(
    "/{finding_id}/review",
    summary="复查: pass or fail the latest rectification",
    response_model=FindingDetail,
    responses={**STATE_ERRORS, 403: NotReviewer.openapi_response()},
)
async def review_finding(
    finding_id: uuid.UUID, body: ReviewCreate, session: DbSession, scope: ReaderScope
) -> FindingDetail:
    return await _detail(session, await finding_service.review(session, scope, finding_id, body))


@router.post(
    "/{finding_id}/reopen",
    summary="Reopen a finding with a new deadline",
    response_model=FindingDetail,
    responses={**STATE_ERRORS, 403: NotReviewer.openapi_response()},
)
async def reopen_finding(
    finding_id: uuid.UUID, body: ReopenCreate, session: DbSession, scope: ReaderScope
) -> FindingDetail:
    return await _detail(session, await finding_service.reopen(session, scope, finding_id, body))


@router.post(
    "/{finding_id}/close",
    summary="销号: close a verified finding",
    response_model=FindingDetail,
    responses={**STATE_ERRORS, 403: NotReviewer.openapi_response()},
)
async def close_finding(
    finding_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> FindingDetail:
    return await _detail(session, await finding_service.close(session, scope, finding_id))
