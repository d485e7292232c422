import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from plans.clock import Today
from plans.dependencies import LadderDep, StaffAccess, check_cursor
from plans.oversight.schemas import (
    Bulletin,
    KeyWorkView,
    NotificationRead,
    TodoItem,
    UnitProgressView,
)
from plans.oversight.views import view_service
from plans.oversight.xlsx import bulletin_workbook
from plans.planning.service import PlanNotFound
from plans.planning.service import plan_service as plans
from plans.policies import ProgressReader
from shared.clients.plans import UnitProgress
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(tags=["progress views"])

Month = Annotated[
    str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2019-06"], description="YYYY-MM")
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/plans/{plan_id}/progress/units",
    summary="A plan's progress by responsible unit (按期办结率, overdue, lights)",
    response_model=UnitProgressView,
    responses={404: PlanNotFound.openapi_response()},
)
async def plan_progress_by_unit(
    plan_id: uuid.UUID, session: DbSession, access: StaffAccess, today: Today, ladder: LadderDep
) -> UnitProgressView:
    plan = await plans.get_visible(session, plan_id, access)
    return await view_service.unit_progress(session, plan, access, today=today, ladder=ladder)


@router.get(
    "/plans/{plan_id}/progress/key-works",
    summary="A plan's progress by key work (the heading each task sits under)",
    response_model=KeyWorkView,
    responses={404: PlanNotFound.openapi_response()},
)
async def plan_progress_by_key_work(
    plan_id: uuid.UUID, session: DbSession, access: StaffAccess, today: Today, ladder: LadderDep
) -> KeyWorkView:
    plan = await plans.get_visible(session, plan_id, access)
    return await view_service.key_works(session, plan, access, today=today, ladder=ladder)


@router.get(
    "/progress/units",
    summary="How one unit carries out its plan tasks (for supervision's 督政; service tokens)",
    response_model=UnitProgress,
)
async def unit_progress(
    session: DbSession,
    principal: ProgressReader,
    today: Today,
    ladder: LadderDep,
    org_code: Annotated[
        str,
        Query(min_length=2, max_length=20, pattern=r"^[0-9A-Za-z_-]+$", description="e.g. 450103"),
    ],
    plan_id: uuid.UUID | None = None,
) -> UnitProgress:
    return await view_service.unit_progress_for_service(
        session, org_code=org_code, plan_id=plan_id, today=today, ladder=ladder
    )


@router.get(
    "/bulletins/monthly",
    summary="The monthly bulletin (通报): 按期办结率 and overdue counts per unit",
    response_model=Bulletin,
)
async def monthly_bulletin(
    session: DbSession,
    access: StaffAccess,
    today: Today,
    ladder: LadderDep,
    month: Month,
    plan_id: uuid.UUID | None = None,
) -> Bulletin:
    return await view_service.bulletin(
        session, access, month=month, plan_id=plan_id, today=today, ladder=ladder
    )


@router.get(
    "/bulletins/monthly.xlsx",
    summary="The monthly bulletin as an Excel workbook",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook"}},
)
async def monthly_bulletin_xlsx(
    session: DbSession,
    access: StaffAccess,
    today: Today,
    ladder: LadderDep,
    month: Month,
    plan_id: uuid.UUID | None = None,
) -> Response:
    bulletin = await view_service.bulletin(
        session, access, month=month, plan_id=plan_id, today=today, ladder=ladder
    )
    title = f"{month} 规划任务督办通报"
    if plan_id is not None:
        plan = await plans.get_visible(session, plan_id, access)
        title = f"{plan.title} — {title}"
    return Response(
        bulletin_workbook(bulletin, title),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="bulletin-{month}.xlsx"'},
    )


@router.get(
    "/todo",
    summary="What I must do now: returned reports, overdue and due tasks, reviews, decisions",
    response_model=list[TodoItem],
)
async def todo(
    session: DbSession,
    access: StaffAccess,
    today: Today,
    ladder: LadderDep,
    org_id: uuid.UUID | None = Query(default=None, description="One of the caller's units."),
    mine: bool = Query(default=False, description="Only tasks naming the caller as contact."),
) -> list[TodoItem]:
    return await view_service.todo(
        session, access, org_id=org_id, mine_only=mine, today=today, ladder=ladder
    )


@router.get(
    "/notifications",
    summary="The caller's inbox: reminders, escalations, review outcomes",
    response_model=Page[NotificationRead],
)
async def notifications(
    session: DbSession,
    access: StaffAccess,
    pagination: CursorPagination,
    plan_id: uuid.UUID | None = None,
) -> Page[NotificationRead]:
    check_cursor(pagination, uuid.UUID)
    items, cursor = await view_service.notifications(session, access, pagination, plan_id=plan_id)
    return Page(items=[NotificationRead.model_validate(n) for n in items], next_cursor=cursor)
