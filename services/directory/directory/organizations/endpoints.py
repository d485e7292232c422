import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from directory.organizations.schemas import OrganizationFilters, OrganizationRead
from directory.organizations.service import OrganizationNotFound
from directory.organizations.service import organization_service as service
from shared.auth import AnyPrincipal
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/organizations", tags=["organizations"])


@router.get("", summary="List organisations", response_model=Page[OrganizationRead])
async def list_organizations(
    session: DbSession,
    principal: AnyPrincipal,
    pagination: CursorPagination,
    filters: Annotated[OrganizationFilters, Depends()],
) -> Page[OrganizationRead]:
    items, next_cursor = await service.list(session, filters, pagination)
    return Page(
        items=[OrganizationRead.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.get(
    "/{organization_id}",
    summary="Get an organisation",
    response_model=OrganizationRead,
    responses={404: OrganizationNotFound.openapi_response()},
)
async def get_organization(
    organization_id: uuid.UUID, session: DbSession, principal: AnyPrincipal
) -> OrganizationRead:
    return OrganizationRead.model_validate(await service.get(session, organization_id))
