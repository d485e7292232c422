"""Children, their family facts and documents — only ever the signed-in parent's own."""

import hashlib
import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import filetype
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.blobstore import BlobStore, blob_key
from enrolment.errors import (
    ChildConflict,
    ChildLimitReached,
    ChildNotFound,
    DocumentNotFound,
    FactsLocked,
)
from enrolment.families.repository import ChildRepository, DocumentRepository, FactsRepository
from enrolment.families.schemas import ChildCreate, FactsIn
from enrolment.idnumber import IdNumberError, parse
from enrolment.models import (
    AuditLog,
    Child,
    Document,
    DocumentKind,
    FamilyFacts,
    Guardian,
    PropertyOwnership,
    Sex,
)
from enrolment.privacy import PersonalDataVault, mask_phone
from shared import audit
from shared.auth import Principal
from shared.errors import FieldError, InvalidInput, UnsupportedMediaType
from shared.i18n import Text

CHILD_ID = "child.id_number"
GUARDIAN_ID = "guardian.id_number"
PROPERTY_CERTIFICATE = "property.certificate"
PHONE = "guardian.phone"

ALLOWED_TYPES = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
}


def _id_error(field: str, error: IdNumberError) -> InvalidInput:
    return InvalidInput.for_field(field, Text(error.zh, error.en), "id_number")


def sniff(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    kind = filetype.guess(content)
    return kind.mime if kind is not None else None


class FamilyService:
    async def add_child(
        self,
        session: AsyncSession,
        principal: Principal,
        vault: PersonalDataVault,
        data: ChildCreate,
        today: date,
        *,
        children_per_account: int,
    ) -> Child:
        try:
            resident = parse(data.id_number, today=today)
        except IdNumberError as error:
            raise _id_error("body.id_number", error) from None
        errors: list[FieldError] = []
        if data.birth_date is not None and data.birth_date != resident.birth_date:
            errors.append(
                FieldError(
                    field="body.birth_date",
                    type="mismatch",
                    message=str(
                        Text(
                            f"出生日期与身份证号不一致（身份证号显示 {resident.birth_date.isoformat()}）",
                            f"The birth date does not match the ID number ({resident.birth_date.isoformat()})",
                        )
                    ),
                )
            )
        if data.sex is not None and data.sex.value != resident.sex:
            errors.append(
                FieldError(
                    field="body.sex",
                    type="mismatch",
                    message=str(
                        Text("性别与身份证号不一致", "The sex does not match the ID number")
                    ),
                )
            )
        if errors:
            raise InvalidInput(
                Text("填写的信息与身份证号不一致", "The details do not match the ID number"),
                errors=errors,
            )
        sealed = vault.seal(CHILD_ID, resident.number)
        repository = ChildRepository(session)
        if await repository.by_index(principal.subject, sealed.index) is not None:
            raise ChildConflict()
        if await repository.count_locked(principal.subject) >= children_per_account:
            raise ChildLimitReached(
                Text(
                    f"每个账号最多添加 {children_per_account} 名儿童",
                    f"An account may add at most {children_per_account} children",
                )
            )
        child = Child(
            parent_subject=principal.subject,
            name=data.name,
            sex=Sex(resident.sex),
            birth_date=resident.birth_date,
            id_number_cipher=sealed.cipher,
            id_number_key_id=sealed.key_id,
            id_number_index=sealed.index,
            id_number_masked=sealed.masked,
        )
        try:
            async with session.begin_nested():
                await repository.create(child, flush=True)
        except IntegrityError:
            raise ChildConflict() from None
        audit.record(
            session,
            AuditLog,
            action="child.create",
            resource_type="child",
            resource_id=child.id,
            principal=principal,
        )
        return child

    async def children(self, session: AsyncSession, principal: Principal) -> Sequence[Child]:
        return await ChildRepository(session).of_parent(principal.subject)

    async def child(
        self, session: AsyncSession, principal: Principal, child_id: uuid.UUID
    ) -> Child:
        child = await ChildRepository(session).owned(principal.subject, child_id)
        if child is None:
            raise ChildNotFound()
        return child

    async def _editable(
        self, session: AsyncSession, principal: Principal, child_id: uuid.UUID
    ) -> Child:
        child = await self.child(session, principal, child_id)
        if await ChildRepository(session).is_locked(child.id):
            raise FactsLocked()
        return child

    async def facts(
        self, session: AsyncSession, child_id: uuid.UUID
    ) -> tuple[FamilyFacts | None, Sequence[Guardian]]:
        repository = FactsRepository(session)
        return await repository.get(child_id), await repository.guardians(child_id)

    async def put_facts(
        self,
        session: AsyncSession,
        principal: Principal,
        vault: PersonalDataVault,
        child_id: uuid.UUID,
        data: FactsIn,
        today: date,
    ) -> tuple[FamilyFacts, Sequence[Guardian]]:
        child = await self._editable(session, principal, child_id)
        for field, value in (
            ("body.hukou_move_in_date", data.hukou_move_in_date),
            ("body.property_handover_date", data.property_handover_date),
        ):
            if value is not None and value > today:
                raise InvalidInput.for_field(
                    field,
                    Text("日期不能晚于今天", "The date must not be in the future"),
                    "future_date",
                )
        repository = FactsRepository(session)
        facts = await repository.get(child.id)
        if facts is None:
            facts = FamilyFacts(child_id=child.id)
            session.add(facts)
        facts.hukou_address = (
            data.hukou_address.model_dump(exclude_none=True) if data.hukou_address else None
        )
        facts.hukou_move_in_date = data.hukou_move_in_date
        facts.three_generations = data.three_generations
        facts.has_property = data.has_property
        facts.lives_at_property = data.lives_at_property and data.has_property
        if data.has_property:
            assert data.property_certificate_number is not None
            sealed = vault.seal(PROPERTY_CERTIFICATE, data.property_certificate_number)
            facts.property_address = (
                data.property_address.model_dump(exclude_none=True)
                if data.property_address
                else None
            )
            facts.property_certificate_cipher = sealed.cipher
            facts.property_certificate_key_id = sealed.key_id
            facts.property_certificate_index = sealed.index
            facts.property_certificate_masked = sealed.masked
            facts.property_ownership = data.property_ownership
            facts.property_share = (
                data.property_share
                if data.property_ownership == PropertyOwnership.shared
                else Decimal(1)
            )
            facts.property_owner = data.property_owner
            facts.property_handover_date = data.property_handover_date
        else:
            facts.property_address = None
            facts.property_certificate_cipher = None
            facts.property_certificate_key_id = None
            facts.property_certificate_index = None
            facts.property_certificate_masked = None
            facts.property_ownership = None
            facts.property_share = None
            facts.property_owner = None
            facts.property_handover_date = None
        facts.residence_address = (
            data.residence_address.model_dump(exclude_none=True) if data.residence_address else None
        )
        facts.residence_proof = data.residence_proof
        facts.employment_proof = data.employment_proof
        facts.social_insurance_months = data.social_insurance_months
        facts.claims = sorted(set(data.claims))
        guardians: list[Guardian] = []
        for position, item in enumerate(data.guardians):
            guardian = Guardian(
                child_id=child.id,
                position=position,
                relation=item.relation,
                name=item.name,
                hukou_in_nanning=item.hukou_in_nanning,
                residence_permit_district_code=item.residence_permit_district_code,
                residence_permit_valid_until=item.residence_permit_valid_until,
            )
            if item.phone:
                guardian.phone_cipher, guardian.phone_key_id = vault.encrypt(PHONE, item.phone)
                guardian.phone_masked = mask_phone(item.phone)
            if item.id_number:
                try:
                    resident = parse(item.id_number, today=today)
                except IdNumberError as error:
                    raise _id_error(f"body.guardians.{position}.id_number", error) from None
                sealed = vault.seal(GUARDIAN_ID, resident.number)
                guardian.id_number_cipher = sealed.cipher
                guardian.id_number_key_id = sealed.key_id
                guardian.id_number_index = sealed.index
                guardian.id_number_masked = sealed.masked
            guardians.append(guardian)
        await repository.replace_guardians(child.id, guardians)
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="child.facts.update",
            resource_type="child",
            resource_id=child.id,
            principal=principal,
        )
        return facts, guardians

    async def upload(
        self,
        session: AsyncSession,
        principal: Principal,
        blobs: BlobStore,
        child_id: uuid.UUID,
        kind: DocumentKind,
        filename: str,
        declared_type: str | None,
        content: bytes,
    ) -> Document:
        child = await self._editable(session, principal, child_id)
        declared = (declared_type or "").split(";")[0].strip().lower()
        sniffed = sniff(content)
        allowed = "、".join(("JPEG", "PNG", "PDF"))
        if sniffed not in ALLOWED_TYPES:
            raise _media_error(
                Text(f"文件内容不是 {allowed} 格式", f"The file content is not {allowed}"),
                "file_type",
            )
        if declared and declared != "application/octet-stream" and declared != sniffed:
            raise _media_error(
                Text(
                    f"文件声明的类型（{declared}）与实际内容（{sniffed}）不符",
                    f"The declared type ({declared}) does not match the content ({sniffed})",
                ),
                "mislabelled",
            )
        extension = ("." + filename.rsplit(".", 1)[1].lower()) if "." in filename else ""
        if extension and extension not in ALLOWED_TYPES[sniffed]:
            raise _media_error(
                Text(
                    f"文件扩展名（{extension}）与实际内容（{sniffed}）不符",
                    f"The file extension ({extension}) does not match the content ({sniffed})",
                ),
                "mislabelled",
            )
        digest = hashlib.sha256(content).hexdigest()
        key = blob_key(digest)
        await blobs.put(key, content, sniffed)
        document = Document(
            child_id=child.id,
            parent_subject=principal.subject,
            kind=kind,
            filename=filename[-200:] or "upload",
            content_type=sniffed,
            size_bytes=len(content),
            sha256=digest,
            blob_key=key,
        )
        await DocumentRepository(session).create(document, flush=True)
        audit.record(
            session,
            AuditLog,
            action="document.upload",
            resource_type="document",
            resource_id=document.id,
            principal=principal,
            details={"kind": kind.value, "size": len(content)},
        )
        return document

    async def documents(self, session: AsyncSession, child_id: uuid.UUID) -> Sequence[Document]:
        return await DocumentRepository(session).of_child(child_id)

    async def own_document(
        self, session: AsyncSession, principal: Principal, document_id: uuid.UUID
    ) -> Document:
        document = await DocumentRepository(session).owned(principal.subject, document_id)
        if document is None:
            raise DocumentNotFound()
        return document

    async def delete_document(
        self, session: AsyncSession, principal: Principal, document_id: uuid.UUID
    ) -> None:
        document = await self.own_document(session, principal, document_id)
        await self._editable(session, principal, document.child_id)
        await DocumentRepository(session).delete(document, flush=True)
        audit.record(
            session,
            AuditLog,
            action="document.delete",
            resource_type="document",
            resource_id=document_id,
            principal=principal,
        )


def _media_error(message: Text, type_: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        message, errors=[FieldError(field="body.file", message=str(message), type=type_)]
    )


family_service = FamilyService()
