import uuid

from fastapi import APIRouter

from plans.planning.schemas import PlanRead
from plans.planning.service import PlanNotFound
from plans.planning.service import plan_service as service
from shared.auth import Staff
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/plans", tags=["plans"])


@router.get("", summary="List plans", response_model=Page[PlanRead])
async def list_plans(
    session: DbSession, principal: Staff, pagination: CursorPagination
) -> Page[PlanRead]:
    items, next_cursor = await service.list(session, pagination)
    return Page(items=[PlanRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/{plan_id}",
    summary="Get a plan",
    response_model=PlanRead,
    responses={404: PlanNotFound.openapi_response()},
)
async def get_plan(plan_id: uuid.UUID, session: DbSession, principal: Staff) -> PlanRead:
    return PlanRead.model_validate(await service.get(session, plan_id))
