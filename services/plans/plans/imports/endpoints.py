import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from plans.dependencies import Resolver, StaffAccess
from plans.imports.schemas import ImportConfirm, ImportPreviewRead, ImportText, PreviewContent
from plans.imports.service import (
    DocumentUnreadable,
    DocumentUnsupported,
    ImportAlreadyConfirmed,
    ImportNotFound,
    document_text,
    import_service,
)
from plans.models import AuditLog, IdempotencyRecord
from plans.planning.schemas import PlanRead
from plans.policies import PlanAuthor
from shared.audit import record
from shared.db import DbSession
from shared.errors import FieldError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from shared.i18n import Text
from shared.idempotency import IdempotencyKey

router = APIRouter(prefix="/plans/imports", tags=["imports"])

_UPLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": ".txt or .docx"},
    },
}


async def _read_upload(request: Request) -> tuple[str, str | None]:
    """The document's text from a JSON body ({"text"}) or a multipart upload (file=…)."""
    limit: int = request.app.state.settings.import_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(Text(f"文件超过 {limit} 字节", f"Larger than {limit} bytes"))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        if len(body) > limit:
            raise PayloadTooLarge()
        try:
            payload = ImportText.model_validate_json(body)
        except ValidationError as error:
            raise InvalidInput(
                errors=[
                    FieldError(
                        field=".".join(["body", *map(str, e["loc"])]),
                        message=e["msg"],
                        type=e["type"],
                    )
                    for e in error.errors()
                ]
            ) from None
        if not payload.text.strip():
            raise InvalidInput.for_field(
                "body.text", Text("文本为空", "The text is empty"), "empty"
            )
        return payload.text, payload.filename
    if content_type == "multipart/form-data":
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
            raise PayloadTooLarge(Text(f"文件超过 {limit} 字节", f"Larger than {limit} bytes"))
        filename = (upload.filename or "upload.txt")[:200]
        text = document_text(data, filename)
        if not text.strip():
            raise InvalidInput.for_field(
                "body.file", Text("文件没有文字", "The file has no text"), "empty"
            )
        return text, filename
    raise UnsupportedMediaType(
        Text("请以 JSON 或 multipart/form-data 提交", "Send JSON or multipart/form-data")
    )


@router.post(
    "",
    summary="Import a policy document (text or .txt/.docx upload): returns an editable preview",
    status_code=201,
    response_model=ImportPreviewRead,
    responses={
        413: PayloadTooLarge.openapi_response(),
        415: DocumentUnsupported.openapi_response(),
        422: DocumentUnreadable.openapi_response(),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": ImportText.model_json_schema()},
                "multipart/form-data": {"schema": _UPLOAD_SCHEMA},
            },
        }
    },
)
async def create_import(
    request: Request,
    session: DbSession,
    principal: PlanAuthor,
    access: StaffAccess,
    resolver: Resolver,
    idempotency: IdempotencyKey,
) -> Any:
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    text, filename = await _read_upload(request)
    item = await import_service.create(session, text, filename, principal, access, resolver)
    record(
        session,
        AuditLog,
        action="plans.import.create",
        resource_type="plan_import",
        resource_id=item.id,
        principal=principal,
        details={"filename": filename, "characters": len(text)},
    )
    return await idempotency.store(session, import_service.to_read(item), status_code=201)


@router.get(
    "/{import_id}",
    summary="Get an import preview",
    response_model=ImportPreviewRead,
    responses={404: ImportNotFound.openapi_response()},
)
async def get_import(
    import_id: uuid.UUID, session: DbSession, principal: PlanAuthor, access: StaffAccess
) -> ImportPreviewRead:
    return import_service.to_read(await import_service.get(session, import_id, access))


@router.put(
    "/{import_id}",
    summary="Replace the preview with a person's edits (plan, nodes, targets)",
    response_model=ImportPreviewRead,
    responses={
        404: ImportNotFound.openapi_response(),
        409: ImportAlreadyConfirmed.openapi_response(),
    },
)
async def update_import(
    import_id: uuid.UUID,
    body: PreviewContent,
    session: DbSession,
    principal: PlanAuthor,
    access: StaffAccess,
    resolver: Resolver,
) -> ImportPreviewRead:
    item = await import_service.update(session, import_id, body, access, resolver)
    return import_service.to_read(item)


@router.post(
    "/{import_id}/confirm",
    summary="Confirm the preview: creates the plan, its tree, units, deadlines and targets",
    status_code=201,
    response_model=PlanRead,
    responses={
        404: ImportNotFound.openapi_response(),
        409: ImportAlreadyConfirmed.openapi_response(),
    },
)
async def confirm_import(
    import_id: uuid.UUID,
    session: DbSession,
    principal: PlanAuthor,
    access: StaffAccess,
    resolver: Resolver,
    idempotency: IdempotencyKey,
    body: ImportConfirm | None = None,
) -> Any:
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    plan = await import_service.confirm(
        session, import_id, body or ImportConfirm(), principal, access, resolver
    )
    record(
        session,
        AuditLog,
        action="plans.import.confirm",
        resource_type="plan",
        resource_id=plan.id,
        principal=principal,
        details={"import_id": str(import_id)},
    )
    return await idempotency.store(session, PlanRead.model_validate(plan), status_code=201)
