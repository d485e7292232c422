from typing import Annotated

from fastapi import APIRouter, Depends

from directory.audit.repository import AuditRepository
from directory.audit.schemas import AuditEventRead, AuditFilters
from shared.auth import CityAdmin
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/audit-events", tags=["audit"])


@router.get("", summary="Query the audit log (newest first)", response_model=Page[AuditEventRead])
async def list_audit_events(
    session: DbSession,
    principal: CityAdmin,
    pagination: CursorPagination,
    filters: Annotated[AuditFilters, Depends()],
) -> Page[AuditEventRead]:
    """Sign-ins and their failures, lockouts, token issuance, refresh-token reuse, grants,
    clients, organisation changes and imports."""
    items, next_cursor = await AuditRepository(session).list_page(filters, pagination)
    return Page(
        items=[AuditEventRead.model_validate(item) for item in items], next_cursor=next_cursor
    )
