import uuid

from fastapi import APIRouter

from enrolment.cycles.schemas import CycleRead
from enrolment.cycles.service import CycleNotFound
from enrolment.cycles.service import cycle_service as service
from shared.auth import Staff
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/cycles", tags=["cycles"])


@router.get("", summary="List cycles", response_model=Page[CycleRead])
async def list_cycles(
    session: DbSession, principal: Staff, pagination: CursorPagination
) -> Page[CycleRead]:
    items, next_cursor = await service.list(session, pagination)
    return Page(items=[CycleRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/{cycle_id}",
    summary="Get a cycle",
    response_model=CycleRead,
    responses={404: CycleNotFound.openapi_response()},
)
async def get_cycle(cycle_id: uuid.UUID, session: DbSession, principal: Staff) -> CycleRead:
    return CycleRead.model_validate(await service.get(session, cycle_id))
