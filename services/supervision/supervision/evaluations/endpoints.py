import uuid

from fastapi import APIRouter

from shared.db import DbSession
from shared.pagination import CursorPagination, Page
from supervision.evaluations.schemas import EvaluationRead, EvaluationSummary
from supervision.evaluations.service import EvaluationNotFound, evaluation_service
from supervision.policies import ReaderScope

router = APIRouter(prefix="/evaluations", tags=["evaluations"])


@router.get("", summary="List stored evaluation results", response_model=Page[EvaluationSummary])
async def list_evaluations(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    assessment_id: uuid.UUID | None = None,
    target_id: uuid.UUID | None = None,
) -> Page[EvaluationSummary]:
    items, cursor = await evaluation_service.page(
        session, scope, pagination, assessment_id=assessment_id, target_id=target_id
    )
    return Page(items=[EvaluationSummary.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/{evaluation_id}",
    summary="Get an evaluation with its inputs, rules and result",
    response_model=EvaluationRead,
    responses={404: EvaluationNotFound.openapi_response()},
)
async def get_evaluation(
    evaluation_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> EvaluationRead:
    return EvaluationRead.model_validate(
        await evaluation_service.get(session, scope, evaluation_id)
    )
