import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile

from enrolment.cycles.schemas import (
    CatchmentUnitCreate,
    CatchmentUnitRead,
    CycleCreate,
    CycleFilters,
    CycleRead,
    CycleUpdate,
    ImportReport,
    OfferingCreate,
    OfferingRead,
    OfferingUpdate,
)
from enrolment.cycles.service import cycle_service as service
from enrolment.cycles.service import import_workbook
from enrolment.deps import AppSettings
from enrolment.errors import (
    CatchmentUnitNotFound,
    CycleConflict,
    CycleNotFound,
    OfferingConflict,
    OfferingNotFound,
)
from enrolment.models import Ownership
from enrolment.policies import CycleManager
from enrolment.schools import Schools
from enrolment.uploads import read_capped, refuse_oversized_request
from shared.auth import Staff
from shared.db import DbSession
from shared.errors import PayloadTooLarge
from shared.pagination import CursorPagination, Page


async def drop_cached_snapshots(request: Request) -> None:
    """Staff edits reach this process's submissions at once (others within the cache time)."""
    if request.method != "GET":
        request.app.state.snapshots.drop()


router = APIRouter(tags=["cycles"], dependencies=[Depends(drop_cached_snapshots)])


@router.post(
    "/cycles",
    summary="Create a cycle (year × stage × district)",
    status_code=201,
    response_model=CycleRead,
    responses={409: CycleConflict.openapi_response()},
)
async def create_cycle(body: CycleCreate, session: DbSession, principal: CycleManager) -> CycleRead:
    return CycleRead.model_validate(await service.create(session, principal, body))


@router.get("/cycles", summary="List cycles", response_model=Page[CycleRead])
async def list_cycles(
    session: DbSession,
    principal: Staff,
    pagination: CursorPagination,
    filters: Annotated[CycleFilters, Depends()],
) -> Page[CycleRead]:
    items, next_cursor = await service.list(session, principal, pagination, **filters.model_dump())
    return Page(items=[CycleRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/cycles/{cycle_id}",
    summary="Get a cycle",
    response_model=CycleRead,
    responses={404: CycleNotFound.openapi_response()},
)
async def get_cycle(cycle_id: uuid.UUID, session: DbSession, principal: Staff) -> CycleRead:
    return CycleRead.model_validate(await service.get_visible(session, principal, cycle_id))


@router.patch(
    "/cycles/{cycle_id}",
    summary="Change a cycle's windows, rules or caps",
    response_model=CycleRead,
    responses={404: CycleNotFound.openapi_response()},
)
async def update_cycle(
    cycle_id: uuid.UUID, body: CycleUpdate, session: DbSession, principal: CycleManager
) -> CycleRead:
    return CycleRead.model_validate(await service.update(session, principal, cycle_id, body))


@router.delete(
    "/cycles/{cycle_id}",
    summary="Delete a cycle no family has applied to (drafts included)",
    status_code=204,
    responses={404: CycleNotFound.openapi_response(), 409: CycleConflict.openapi_response()},
)
async def delete_cycle(
    cycle_id: uuid.UUID, session: DbSession, principal: CycleManager
) -> Response:
    await service.delete(session, principal, cycle_id)
    return Response(status_code=204)


@router.post(
    "/cycles/{cycle_id}/publish",
    summary="Publish a draft cycle to families",
    response_model=CycleRead,
    responses={404: CycleNotFound.openapi_response(), 409: CycleConflict.openapi_response()},
)
async def publish_cycle(
    cycle_id: uuid.UUID, session: DbSession, principal: CycleManager
) -> CycleRead:
    return CycleRead.model_validate(await service.publish(session, principal, cycle_id))


@router.post(
    "/cycles/{cycle_id}/offerings",
    summary="Add a school's offering to a cycle",
    status_code=201,
    response_model=OfferingRead,
    responses={404: CycleNotFound.openapi_response(), 409: OfferingConflict.openapi_response()},
)
async def create_offering(
    cycle_id: uuid.UUID,
    body: OfferingCreate,
    session: DbSession,
    principal: CycleManager,
    schools: Schools,
) -> OfferingRead:
    """The school must be in the directory, in the cycle's district, with the same ownership
    and the cycle's stage; its name is taken from the directory."""
    return OfferingRead.model_validate(
        await service.create_offering(session, principal, cycle_id, body, schools)
    )


@router.get(
    "/cycles/{cycle_id}/offerings",
    summary="List a cycle's offerings",
    response_model=Page[OfferingRead],
    responses={404: CycleNotFound.openapi_response()},
)
async def list_offerings(
    cycle_id: uuid.UUID,
    session: DbSession,
    principal: Staff,
    pagination: CursorPagination,
    ownership: Ownership | None = None,
) -> Page[OfferingRead]:
    from enrolment.cycles.repository import OfferingRepository

    cycle = await service.get_visible(session, principal, cycle_id)
    items, next_cursor = await OfferingRepository(session).list_page(
        cycle.id, pagination, ownership=ownership
    )
    return Page(items=[OfferingRead.model_validate(i) for i in items], next_cursor=next_cursor)


@router.patch(
    "/offerings/{offering_id}",
    summary="Change an offering's seats, classes or polygon",
    response_model=OfferingRead,
    responses={404: OfferingNotFound.openapi_response()},
)
async def update_offering(
    offering_id: uuid.UUID, body: OfferingUpdate, session: DbSession, principal: CycleManager
) -> OfferingRead:
    return OfferingRead.model_validate(
        await service.update_offering(session, principal, offering_id, body)
    )


@router.delete(
    "/offerings/{offering_id}",
    summary="Remove an offering",
    status_code=204,
    responses={404: OfferingNotFound.openapi_response(), 409: OfferingConflict.openapi_response()},
)
async def delete_offering(
    offering_id: uuid.UUID, session: DbSession, principal: CycleManager
) -> Response:
    await service.delete_offering(session, principal, offering_id)
    return Response(status_code=204)


@router.post(
    "/offerings/{offering_id}/catchment-units",
    summary="Add an address unit to an offering's catchment",
    status_code=201,
    response_model=CatchmentUnitRead,
    responses={404: OfferingNotFound.openapi_response()},
)
async def add_catchment_unit(
    offering_id: uuid.UUID, body: CatchmentUnitCreate, session: DbSession, principal: CycleManager
) -> CatchmentUnitRead:
    return CatchmentUnitRead.model_validate(
        await service.add_unit(session, principal, offering_id, body)
    )


@router.get(
    "/offerings/{offering_id}/catchment-units",
    summary="List an offering's catchment units",
    response_model=list[CatchmentUnitRead],
    responses={404: OfferingNotFound.openapi_response()},
)
async def list_catchment_units(
    offering_id: uuid.UUID, session: DbSession, principal: Staff
) -> list[CatchmentUnitRead]:
    offering = await service.get_offering(session, offering_id)
    await service.get_visible(session, principal, offering.cycle_id)
    return [
        CatchmentUnitRead.model_validate(unit) for unit in await service.units(session, offering.id)
    ]


@router.delete(
    "/catchment-units/{unit_id}",
    summary="Remove a catchment unit",
    status_code=204,
    responses={404: CatchmentUnitNotFound.openapi_response()},
)
async def delete_catchment_unit(
    unit_id: uuid.UUID, session: DbSession, principal: CycleManager
) -> Response:
    await service.delete_unit(session, principal, unit_id)
    return Response(status_code=204)


@router.post(
    "/cycles/{cycle_id}/imports",
    summary="Import offerings and catchments from xlsx (row-level error report)",
    response_model=ImportReport,
    responses={
        404: CycleNotFound.openapi_response(),
        413: PayloadTooLarge.openapi_response(),
    },
)
async def import_offerings(
    cycle_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CycleManager,
    settings: AppSettings,
    schools: Schools,
    file: Annotated[
        UploadFile, File(description="xlsx with sheets `offerings` and/or `catchments`")
    ],
    dry_run: Annotated[bool, Query(description="Validate and report without storing.")] = False,
) -> ImportReport:
    refuse_oversized_request(request, settings.import_max_bytes)
    content = await read_capped(file, settings.import_max_bytes)
    cycle = await service.get_managed(session, principal, cycle_id)
    savepoint = await session.begin_nested()
    report = await import_workbook(
        session, principal, cycle, content, dry_run=dry_run, schools=schools
    )
    if dry_run:
        await savepoint.rollback()
    else:
        await savepoint.commit()
    return report
