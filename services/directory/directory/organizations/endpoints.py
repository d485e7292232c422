import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile

from directory.organizations.imports import (
    MAX_IMPORT_BYTES,
    ImportFileInvalid,
    organization_importer,
)
from directory.organizations.policies import OrganizationAdmin, OrganizationReader
from directory.organizations.repository import ImportRepository
from directory.organizations.schemas import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    ImportReport,
    OrganizationCreate,
    OrganizationFilters,
    OrganizationRead,
    OrganizationUpdate,
    Succession,
)
from directory.organizations.service import (
    CodeTaken,
    GroupCodeTaken,
    GroupNotFound,
    OrganizationNotFound,
)
from directory.organizations.service import organization_service as service
from shared.auth import CityAdmin
from shared.clients.directory import LookupRequest, LookupResult
from shared.db import DbSession
from shared.errors import Conflict, NotFound, PayloadTooLarge
from shared.i18n import Text
from shared.pagination import CursorPagination, Page
from shared.params import Day

router = APIRouter(prefix="/organizations", tags=["organizations"])
groups_router = APIRouter(prefix="/organization-groups", tags=["organization groups"])


class ImportNotFound(NotFound):
    code = "directory.organization_import.not_found"
    title = Text("导入记录不存在", "Import not found")


@router.get("", summary="List and search organisations", response_model=Page[OrganizationRead])
async def list_organizations(
    session: DbSession,
    principal: OrganizationReader,
    pagination: CursorPagination,
    filters: Annotated[OrganizationFilters, Depends()],
) -> Page[OrganizationRead]:
    items, next_cursor = await service.search(session, filters, pagination)
    return Page(
        items=[OrganizationRead.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.post(
    "/lookup",
    summary="Resolve organisations by id, code or the names documents use",
    response_model=LookupResult,
)
async def lookup_organizations(
    request: LookupRequest, session: DbSession, principal: OrganizationReader
) -> LookupResult:
    """Ids and codes come back in `organizations` (a code resolves to its holder on `as_of`).
    Each name resolves by exact name, then alias, then collective phrase ("各县区人民政府"), to
    the units valid on `as_of` (default today); a unit closed by then is replaced by its
    successor (横县 → 横州市)."""
    return await service.lookup(session, request)


@router.post(
    "",
    summary="Create an organisation",
    status_code=201,
    response_model=OrganizationRead,
    responses={409: CodeTaken.openapi_response()},
)
async def create_organization(
    data: OrganizationCreate, session: DbSession, principal: OrganizationAdmin
) -> OrganizationRead:
    organization = await service.create(session, data, principal)
    return OrganizationRead.model_validate(organization)


@router.post(
    "/imports",
    summary="Import organisations from xlsx or CSV",
    status_code=201,
    response_model=ImportReport,
    responses={
        409: CodeTaken.openapi_response(),
        413: PayloadTooLarge.openapi_response(),
    },
)
async def import_organizations(
    session: DbSession,
    principal: CityAdmin,
    file: Annotated[UploadFile, File(description="xlsx (first sheet) or CSV, header in row 1.")],
    dry_run: Annotated[
        bool, Query(description="Check and report without storing anything.")
    ] = False,
) -> ImportReport:
    """Columns (English or Chinese headers): kind/类型, code/代码, name/名称,
    parent_code/上级代码, district_code/区县代码, stages/学段, ownership/办学性质,
    address/地址, aliases/别名, valid_from/启用日期, valid_to/停用日期, latitude/纬度,
    longitude/经度. Good rows are stored, bad rows reported by row number and field."""
    content = await file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(Text("导入文件不能超过 5 MB", "The file may be at most 5 MB"))
    if not content:
        raise ImportFileInvalid(Text("文件为空", "The file is empty"))
    return await organization_importer.run(
        session, content=content, filename=file.filename, principal=principal, dry_run=dry_run
    )


@router.get(
    "/imports/{import_id}",
    summary="Get an import's report",
    response_model=ImportReport,
    responses={404: ImportNotFound.openapi_response()},
)
async def get_import(
    import_id: uuid.UUID, session: DbSession, principal: CityAdmin
) -> ImportReport:
    record = await ImportRepository(session).get(import_id)
    if record is None:
        raise ImportNotFound()
    return ImportReport.model_validate(record)


@router.get(
    "/{organization_id}",
    summary="Get an organisation",
    response_model=OrganizationRead,
    responses={404: OrganizationNotFound.openapi_response()},
)
async def get_organization(
    organization_id: uuid.UUID, session: DbSession, principal: OrganizationReader
) -> OrganizationRead:
    return OrganizationRead.model_validate(await service.get(session, organization_id))


@router.patch(
    "/{organization_id}",
    summary="Change an organisation",
    response_model=OrganizationRead,
    responses={
        404: OrganizationNotFound.openapi_response(),
        409: CodeTaken.openapi_response(),
    },
)
async def update_organization(
    organization_id: uuid.UUID,
    data: OrganizationUpdate,
    session: DbSession,
    principal: OrganizationAdmin,
) -> OrganizationRead:
    organization = await service.update(session, organization_id, data, principal)
    return OrganizationRead.model_validate(organization)


@router.delete(
    "/{organization_id}",
    summary="Close an organisation (end its validity; history is kept)",
    response_model=OrganizationRead,
    responses={404: OrganizationNotFound.openapi_response(), 409: Conflict.openapi_response()},
)
async def close_organization(
    organization_id: uuid.UUID,
    session: DbSession,
    principal: OrganizationAdmin,
    effective: Annotated[
        Day | None, Query(description="First day it no longer exists (default today).")
    ] = None,
) -> OrganizationRead:
    organization = await service.close(session, organization_id, effective, principal)
    return OrganizationRead.model_validate(organization)


@router.post(
    "/{organization_id}/succession",
    summary="Close an organisation and hand over to its successor",
    response_model=OrganizationRead,
    responses={404: OrganizationNotFound.openapi_response()},
)
async def succeed_organization(
    organization_id: uuid.UUID,
    data: Succession,
    session: DbSession,
    principal: OrganizationAdmin,
) -> OrganizationRead:
    organization = await service.succeed(session, organization_id, data, principal)
    return OrganizationRead.model_validate(organization)


@groups_router.get("", summary="List organisation groups", response_model=list[GroupRead])
async def list_groups(session: DbSession, principal: OrganizationReader) -> list[GroupRead]:
    return [service.group_read(group) for group in await service.list_groups(session)]


@groups_router.post(
    "",
    summary="Create an organisation group",
    status_code=201,
    response_model=GroupRead,
    responses={409: GroupCodeTaken.openapi_response()},
)
async def create_group(data: GroupCreate, session: DbSession, principal: CityAdmin) -> GroupRead:
    return service.group_read(await service.create_group(session, data, principal))


@groups_router.get(
    "/{group_id}",
    summary="Get an organisation group",
    response_model=GroupRead,
    responses={404: GroupNotFound.openapi_response()},
)
async def get_group(
    group_id: uuid.UUID, session: DbSession, principal: OrganizationReader
) -> GroupRead:
    return service.group_read(await service.get_group(session, group_id))


@groups_router.patch(
    "/{group_id}",
    summary="Change an organisation group",
    response_model=GroupRead,
    responses={404: GroupNotFound.openapi_response()},
)
async def update_group(
    group_id: uuid.UUID, data: GroupUpdate, session: DbSession, principal: CityAdmin
) -> GroupRead:
    return service.group_read(await service.update_group(session, group_id, data, principal))
