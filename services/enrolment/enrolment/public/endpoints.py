"""What anyone may read without signing in: published cycles, their schools, catchment look-up."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from enrolment.cycles.repository import OfferingRepository
from enrolment.cycles.schemas import (
    Address,
    CatchmentLookup,
    CycleFilters,
    CycleRead,
    OfferingRead,
)
from enrolment.cycles.service import cycle_service as service
from enrolment.deps import Snapshots
from enrolment.errors import CycleNotFound
from enrolment.models import Ownership
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/cycles", summary="Published cycles", response_model=Page[CycleRead])
async def list_public_cycles(
    session: DbSession, pagination: CursorPagination, filters: Annotated[CycleFilters, Depends()]
) -> Page[CycleRead]:
    items, next_cursor = await service.list(session, None, pagination, **filters.model_dump())
    return Page(items=[CycleRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/cycles/{cycle_id}",
    summary="A published cycle: windows, batches and the documents they require",
    response_model=CycleRead,
    responses={404: CycleNotFound.openapi_response()},
)
async def get_public_cycle(cycle_id: uuid.UUID, session: DbSession) -> CycleRead:
    return CycleRead.model_validate(await service.get_published(session, cycle_id))


@router.get(
    "/cycles/{cycle_id}/offerings",
    summary="Schools and seats of a published cycle",
    response_model=Page[OfferingRead],
    responses={404: CycleNotFound.openapi_response()},
)
async def list_public_offerings(
    cycle_id: uuid.UUID,
    session: DbSession,
    pagination: CursorPagination,
    ownership: Ownership | None = None,
) -> Page[OfferingRead]:
    cycle = await service.get_published(session, cycle_id)
    items, next_cursor = await OfferingRepository(session).list_page(
        cycle.id, pagination, ownership=ownership
    )
    return Page(items=[OfferingRead.model_validate(i) for i in items], next_cursor=next_cursor)


@router.get(
    "/cycles/{cycle_id}/catchment",
    summary="Which school's catchment holds an address, and the rule that matched",
    response_model=CatchmentLookup,
    responses={404: CycleNotFound.openapi_response()},
)
async def lookup_catchment(
    cycle_id: uuid.UUID,
    session: DbSession,
    snapshots: Snapshots,
    address: Annotated[Address, Depends()],
) -> CatchmentLookup:
    cycle = await service.get_published(session, cycle_id)
    snapshot = await snapshots.get(session, cycle.id)
    matches = snapshot.resolve(address) if snapshot is not None else []
    message = (
        "该地址属于以下学校的招生地段：" + "、".join(m.school_name for m in matches)
        if matches
        else "该地址未匹配到招生地段，请核对地址或咨询所在区教育局（将由教育局统筹安排）"
    )
    return CatchmentLookup(cycle_id=cycle.id, matches=matches, message=message)
