"""Evidence files: upload once, then reference by id from scores, visits, rectifications and
accountability entries. An unlinked file is visible to its uploader only; linking stamps it with
the record's district and school, so whoever sees the record sees its evidence."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import FieldError, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from shared.i18n import Text
from supervision.evidence.repository import AttachmentRepository
from supervision.evidence.storage import BlobStore
from supervision.models import Attachment, AuditLog
from supervision.policies import Scope

ZIP_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"hevc")


class AttachmentNotFound(NotFound):
    code = "supervision.attachment.not_found"
    title = Text("附件不存在", "Attachment not found")


def sniff_content_type(data: bytes, filename: str) -> str | None:
    """The file's real type from its first bytes — never the client's say-so."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "image/heic"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        return ZIP_TYPES.get(suffix)
    return None


def _clean_filename(filename: str | None) -> str:
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:255] or "upload"


class EvidenceService:
    async def upload(
        self,
        session: AsyncSession,
        store: BlobStore,
        scope: Scope,
        *,
        data: bytes,
        filename: str | None,
        max_bytes: int,
        captured_at: datetime | None,
        latitude: float | None,
        longitude: float | None,
    ) -> Attachment:
        if len(data) > max_bytes:
            raise PayloadTooLarge(
                Text(
                    f"文件超过 {max_bytes // (1024 * 1024)} MB",
                    f"The file exceeds {max_bytes // (1024 * 1024)} MB",
                )
            )
        if not data:
            raise InvalidInput.for_field("body.file", Text("文件为空", "The file is empty"))
        name = _clean_filename(filename)
        content_type = sniff_content_type(data, name)
        if content_type is None:
            raise UnsupportedMediaType(
                Text(
                    "只接受 JPEG、PNG、HEIC 照片和 PDF、DOCX、XLSX 文件",
                    "Only JPEG, PNG, HEIC photos and PDF, DOCX, XLSX files are accepted",
                )
            )
        digest = hashlib.sha256(data).hexdigest()
        key = await store.put(data, digest)
        attachment = Attachment(
            sha256=digest,
            size_bytes=len(data),
            content_type=content_type,
            filename=name,
            storage_key=key,
            uploaded_by=scope.subject,
            captured_at=captured_at,
            latitude=latitude,
            longitude=longitude,
        )
        await AttachmentRepository(session).create(attachment, flush=True)
        record(
            session,
            AuditLog,
            action="attachment.upload",
            resource_type="attachment",
            resource_id=attachment.id,
            principal=scope.principal,
            details={"sha256": digest, "size": len(data), "content_type": content_type},
        )
        return attachment

    def visible(self, scope: Scope, attachment: Attachment) -> bool:
        return attachment.uploaded_by == scope.subject or (
            attachment.district_code is not None
            and scope.sees(attachment.district_code, attachment.school_code)
        )

    async def get(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> Attachment:
        attachment = await AttachmentRepository(session).get(id)
        if attachment is None or not self.visible(scope, attachment):
            raise AttachmentNotFound()
        return attachment

    async def link(
        self,
        session: AsyncSession,
        scope: Scope,
        ids: Sequence[uuid.UUID],
        *,
        district_code: str,
        school_code: str | None,
        linked_to: str,
        field: str,
    ) -> list[uuid.UUID]:
        """Check the caller may use these files and stamp unlinked ones with the record's scope."""
        unique = list(dict.fromkeys(ids))
        found = {a.id: a for a in await AttachmentRepository(session).get_many(unique)}
        errors = [
            FieldError(
                field=f"{field}[{index}]",
                message=str(Text("附件不存在或无权使用", "No such attachment you may use")),
                type="unknown_attachment",
            )
            for index, id in enumerate(unique)
            if id not in found or not self.visible(scope, found[id])
        ]
        if errors:
            raise InvalidInput(
                Text("引用的附件无效", "Invalid attachment references"), errors=errors
            )
        for attachment in found.values():
            if attachment.district_code is None:
                attachment.district_code = district_code
                attachment.school_code = school_code
                attachment.linked_to = linked_to
        return unique


evidence_service = EvidenceService()
