import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from shared.db import DbSession
from shared.pagination import CursorPagination, Page
from shared.params import Day
from supervision import clock
from supervision.alerts.repository import AlertRepository
from supervision.alerts.schemas import AlertRead, ScanReport
from supervision.alerts.service import AlertNotFound, alert_service
from supervision.models import AlertKind
from supervision.policies import CityScope, ReaderScope

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", summary="List overdue and due-soon alerts", response_model=Page[AlertRead])
async def list_alerts(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    kind: AlertKind | None = None,
    open_only: bool = True,
    district_code: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[AlertRead]:
    items, cursor = await AlertRepository(session).list_page(
        pagination,
        alert_service.visible(scope),
        kind=kind,
        open_only=open_only,
        district_code=district_code,
    )
    return Page(items=[AlertRead.model_validate(i) for i in items], next_cursor=cursor)


@router.post(
    "/{alert_id}/acknowledge",
    summary="Acknowledge an alert",
    response_model=AlertRead,
    responses={404: AlertNotFound.openapi_response()},
)
async def acknowledge_alert(
    alert_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> AlertRead:
    return AlertRead.model_validate(await alert_service.acknowledge(session, scope, alert_id))


@router.post(
    "/scan",
    summary="Run the daily alert scan now (normally the worker's daily job)",
    response_model=ScanReport,
)
async def scan_alerts_now(
    request: Request, session: DbSession, scope: CityScope, day: Day | None = None
) -> ScanReport:
    result = await alert_service.scan(
        session, request.app.state.settings, day or clock.today(), force=True
    )
    day_value = result.pop("day")
    skipped = bool(result.pop("skipped"))
    return ScanReport(day=date.fromisoformat(day_value), skipped=skipped, summary=result)
