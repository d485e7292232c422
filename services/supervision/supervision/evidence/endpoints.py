import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from shared.db import DbSession
from supervision.evidence.schemas import AttachmentRead
from supervision.evidence.service import AttachmentNotFound, evidence_service
from supervision.evidence.storage import BlobStore
from supervision.policies import ReaderScope

router = APIRouter(prefix="/attachments", tags=["evidence"])


async def get_blob_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.blob_store
    return store


BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]


@router.post(
    "",
    summary="Upload an evidence file (photo, scan, document)",
    status_code=201,
    response_model=AttachmentRead,
    responses={
        413: {"description": "File too large"},
        415: {"description": "Not an accepted file type"},
    },
)
async def upload_attachment(
    request: Request,
    session: DbSession,
    scope: ReaderScope,
    store: BlobStoreDep,
    file: Annotated[UploadFile, File(description="JPEG/PNG/HEIC photo or PDF/DOCX/XLSX")],
    captured_at: Annotated[
        datetime | None, Form(description="When the photo was taken (device time)")
    ] = None,
    latitude: Annotated[float | None, Form(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Form(ge=-180, le=180)] = None,
) -> AttachmentRead:
    limit = request.app.state.settings.evidence_max_bytes
    # Read one byte past the limit: enough to know it is too large without holding more.
    data = await file.read(limit + 1)
    attachment = await evidence_service.upload(
        session,
        store,
        scope,
        data=data,
        filename=file.filename,
        max_bytes=limit,
        captured_at=captured_at,
        latitude=latitude,
        longitude=longitude,
    )
    return AttachmentRead.model_validate(attachment)


@router.get(
    "/{attachment_id}",
    summary="Get an attachment's metadata",
    response_model=AttachmentRead,
    responses={404: AttachmentNotFound.openapi_response()},
)
async def get_attachment(
    attachment_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> AttachmentRead:
    return AttachmentRead.model_validate(await evidence_service.get(session, scope, attachment_id))


@router.get(
    "/{attachment_id}/content",
    summary="Download an attachment",
    response_class=Response,
    responses={
        200: {"description": "The file", "content": {"application/octet-stream": {}}},
        404: AttachmentNotFound.openapi_response(),
    },
)
async def download_attachment(
    attachment_id: uuid.UUID, session: DbSession, scope: ReaderScope, store: BlobStoreDep
) -> Response:
    attachment = await evidence_service.get(session, scope, attachment_id)
    data = await store.get(attachment.storage_key)
    return Response(
        data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(attachment.filename)}",
            "X-Content-SHA256": attachment.sha256,
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
