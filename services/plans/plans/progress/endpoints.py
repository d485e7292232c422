import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from plans.clock import Today
from plans.dependencies import LadderDep, StaffAccess, check_cursor
from plans.models import AssignmentState, AuditLog, ExtensionState, IdempotencyRecord, ReviewState
from plans.planning.schemas import AssignmentRead
from plans.planning.service import NotPlanOwner, assignment_read
from plans.policies import PlanStaff
from plans.progress.schemas import (
    AssignmentUpdate,
    AttachmentRead,
    ExtensionCreate,
    ExtensionDecision,
    ExtensionRead,
    ReportCreate,
    ReportRead,
    ReviewDecision,
    TaskDetail,
    TaskRead,
)
from plans.progress.service import (
    AssignmentClosed,
    AssignmentNotFound,
    AttachmentNotFound,
    ExtensionDecided,
    ExtensionNotFound,
    ExtensionPending,
    ExtensionTooLate,
    NotAssignee,
    ReportNotFound,
    ReportPending,
    ReportReviewed,
    TaskNotFound,
    progress_service,
)
from shared.audit import record
from shared.db import DbSession
from shared.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from shared.i18n import Text
from shared.idempotency import IdempotencyKey
from shared.pagination import CursorPagination, Page

router = APIRouter(tags=["progress"])

CONFLICT = {409: ReportPending.openapi_response()}


@router.get(
    "/tasks",
    summary="Tasks the caller owns (all units) or reports on (its own units only)",
    response_model=Page[TaskRead],
)
async def list_tasks(
    session: DbSession,
    access: StaffAccess,
    pagination: CursorPagination,
    today: Today,
    ladder: LadderDep,
    plan_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    state: AssignmentState | None = None,
    overdue: bool | None = None,
) -> Page[TaskRead]:
    check_cursor(pagination, uuid.UUID, int, uuid.UUID)
    items, cursor = await progress_service.tasks(
        session,
        access,
        pagination,
        today=today,
        ladder=ladder,
        plan_id=plan_id,
        org_id=org_id,
        state=state,
        overdue=overdue,
    )
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/tasks/{task_id}",
    summary="A task with its units, reports, extensions and 督办 steps",
    response_model=TaskDetail,
    responses={404: TaskNotFound.openapi_response()},
)
async def get_task(
    task_id: uuid.UUID, session: DbSession, access: StaffAccess, today: Today, ladder: LadderDep
) -> TaskDetail:
    return await progress_service.task(session, task_id, access, today=today, ladder=ladder)


@router.patch(
    "/assignments/{assignment_id}",
    summary="Name the unit's contact person and 分管领导 (copied on escalation)",
    response_model=AssignmentRead,
    responses={404: AssignmentNotFound.openapi_response()},
)
async def update_assignment(
    assignment_id: uuid.UUID,
    body: AssignmentUpdate,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
    today: Today,
    ladder: LadderDep,
) -> AssignmentRead:
    assignment, node = await progress_service.update_assignment(
        session, assignment_id, body, access
    )
    record(
        session,
        AuditLog,
        action="plans.assignment.update",
        resource_type="assignment",
        resource_id=assignment.id,
        principal=principal,
    )
    return assignment_read(assignment, node, today, ladder)


@router.post(
    "/assignments/{assignment_id}/reports",
    summary="Report progress on a task for the caller's unit (status, %, narrative)",
    status_code=201,
    response_model=ReportRead,
    responses={
        403: NotAssignee.openapi_response(),
        404: AssignmentNotFound.openapi_response(),
        409: {
            **ReportPending.openapi_response(),
            "description": "Pending report, closed task or inactive plan",
        },
    },
)
async def submit_report(
    assignment_id: uuid.UUID,
    body: ReportCreate,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
    idempotency: IdempotencyKey,
) -> Any:
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    report = await progress_service.submit(
        session, assignment_id, body, access, now=datetime.now(UTC)
    )
    record(
        session,
        AuditLog,
        action="plans.report.submit",
        resource_type="progress_report",
        resource_id=report.id,
        principal=principal,
        details={"status": body.status.value, "percent": body.percent},
    )
    return await idempotency.store(session, report, status_code=201)


@router.get(
    "/reports", summary="Progress reports the caller may see", response_model=Page[ReportRead]
)
async def list_reports(
    session: DbSession,
    access: StaffAccess,
    pagination: CursorPagination,
    plan_id: uuid.UUID | None = None,
    review_state: ReviewState | None = None,
    assignment_id: uuid.UUID | None = None,
) -> Page[ReportRead]:
    check_cursor(pagination, uuid.UUID)
    items, cursor = await progress_service.reports(
        session,
        access,
        pagination,
        plan_id=plan_id,
        review_state=review_state,
        assignment_id=assignment_id,
    )
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/reports/{report_id}",
    summary="Get a progress report",
    response_model=ReportRead,
    responses={404: ReportNotFound.openapi_response()},
)
async def get_report(report_id: uuid.UUID, session: DbSession, access: StaffAccess) -> ReportRead:
    return await progress_service.report(session, report_id, access)


@router.post(
    "/reports/{report_id}/review",
    summary="Accept or return a report; closing a task needs a grade (优秀/良好/合格/不合格)",
    response_model=ReportRead,
    responses={
        403: NotPlanOwner.openapi_response(),
        404: ReportNotFound.openapi_response(),
        409: ReportReviewed.openapi_response(),
    },
)
async def review_report(
    report_id: uuid.UUID,
    body: ReviewDecision,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
) -> ReportRead:
    report = await progress_service.review(session, report_id, body, access, now=datetime.now(UTC))
    record(
        session,
        AuditLog,
        action=f"plans.report.{body.decision}",
        resource_type="progress_report",
        resource_id=report.id,
        principal=principal,
        details={"grade": body.grade.value if body.grade else None},
    )
    return report


@router.post(
    "/reports/{report_id}/attachments",
    summary="Attach a file (multipart `file`) to a report awaiting review",
    status_code=201,
    response_model=AttachmentRead,
    responses={
        403: NotAssignee.openapi_response(),
        404: ReportNotFound.openapi_response(),
        409: ReportReviewed.openapi_response(),
        413: PayloadTooLarge.openapi_response(),
        415: UnsupportedMediaType.openapi_response(),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def add_attachment(
    report_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
) -> AttachmentRead:
    limit: int = request.app.state.settings.attachment_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise PayloadTooLarge(Text(f"附件超过 {limit} 字节", f"Larger than {limit} bytes"))
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType(
            Text("请以 multipart/form-data 上传", "Upload as multipart/form-data")
        )
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput.for_field(
            "body.file",
            Text("请上传文件（file 字段）", "Upload a file in the `file` field"),
            "missing",
        )
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(Text(f"附件超过 {limit} 字节", f"Larger than {limit} bytes"))
    if not data:
        raise InvalidInput.for_field("body.file", Text("文件为空", "The file is empty"), "empty")
    attachment = await progress_service.add_attachment(
        session,
        report_id,
        filename=(upload.filename or "attachment")[:200],
        content_type=(upload.content_type or "application/octet-stream")[:100],
        data=data,
        access=access,
    )
    record(
        session,
        AuditLog,
        action="plans.report.attach",
        resource_type="progress_report",
        resource_id=report_id,
        principal=principal,
        details={"sha256": attachment.sha256, "size": attachment.size},
    )
    return attachment


@router.get(
    "/reports/{report_id}/attachments/{attachment_id}",
    summary="Download an attachment",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        404: AttachmentNotFound.openapi_response(),
    },
)
async def get_attachment(
    report_id: uuid.UUID, attachment_id: uuid.UUID, session: DbSession, access: StaffAccess
) -> Response:
    attachment = await progress_service.attachment(session, report_id, attachment_id, access)
    return Response(
        attachment.data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename)}",
            "X-Content-SHA256": attachment.sha256,
        },
    )


@router.post(
    "/assignments/{assignment_id}/extensions",
    summary="Ask for a later deadline, before the current one passes",
    status_code=201,
    response_model=ExtensionRead,
    responses={
        403: NotAssignee.openapi_response(),
        404: AssignmentNotFound.openapi_response(),
        409: {
            **ExtensionPending.openapi_response(),
            "description": "Pending request, deadline passed, closed task or no deadline",
        },
    },
)
async def request_extension(
    assignment_id: uuid.UUID,
    body: ExtensionCreate,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
    today: Today,
) -> ExtensionRead:
    request = await progress_service.request_extension(
        session, assignment_id, body, access, today=today
    )
    record(
        session,
        AuditLog,
        action="plans.extension.request",
        resource_type="extension_request",
        resource_id=request.id,
        principal=principal,
    )
    return ExtensionRead.model_validate(request)


@router.get(
    "/extensions",
    summary="Extension requests the caller may see",
    response_model=list[ExtensionRead],
)
async def list_extensions(
    session: DbSession,
    access: StaffAccess,
    plan_id: uuid.UUID | None = None,
    state: ExtensionState | None = None,
) -> list[ExtensionRead]:
    return [
        ExtensionRead.model_validate(e)
        for e in await progress_service.extensions(session, access, plan_id=plan_id, state=state)
    ]


@router.post(
    "/extensions/{extension_id}/decision",
    summary="Approve or reject an extension (the plan's owner)",
    response_model=ExtensionRead,
    responses={
        403: NotPlanOwner.openapi_response(),
        404: ExtensionNotFound.openapi_response(),
        409: ExtensionDecided.openapi_response(),
    },
)
async def decide_extension(
    extension_id: uuid.UUID,
    body: ExtensionDecision,
    session: DbSession,
    principal: PlanStaff,
    access: StaffAccess,
) -> ExtensionRead:
    request = await progress_service.decide_extension(session, extension_id, body, access)
    record(
        session,
        AuditLog,
        action=f"plans.extension.{body.decision}",
        resource_type="extension_request",
        resource_id=request.id,
        principal=principal,
    )
    return ExtensionRead.model_validate(request)


__all__ = ["AssignmentClosed", "ExtensionTooLate", "router"]
