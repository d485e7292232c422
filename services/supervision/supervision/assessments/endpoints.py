import uuid

from fastapi import APIRouter

from shared.auth import Staff
from shared.db import DbSession
from shared.pagination import CursorPagination, Page
from supervision.assessments.schemas import AssessmentRead
from supervision.assessments.service import AssessmentNotFound
from supervision.assessments.service import assessment_service as service

router = APIRouter(prefix="/assessments", tags=["assessments"])


@router.get("", summary="List assessments", response_model=Page[AssessmentRead])
async def list_assessments(
    session: DbSession, principal: Staff, pagination: CursorPagination
) -> Page[AssessmentRead]:
    items, next_cursor = await service.list(session, pagination)
    return Page(
        items=[AssessmentRead.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.get(
    "/{assessment_id}",
    summary="Get a assessment",
    response_model=AssessmentRead,
    responses={404: AssessmentNotFound.openapi_response()},
)
async def get_assessment(
    assessment_id: uuid.UUID, session: DbSession, principal: Staff
) -> AssessmentRead:
    return AssessmentRead.model_validate(await service.get(session, assessment_id))
