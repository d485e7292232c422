"""Review by school and district staff: queues, decisions with reason codes, bulk approval,
and the audited read of full personal numbers."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.applications.workflow import can, require, transition
from enrolment.errors import ApplicationNotFound, DocumentNotFound, PersonalDataForbidden
from enrolment.families.service import CHILD_ID, GUARDIAN_ID, PHONE, PROPERTY_CERTIFICATE
from enrolment.models import (
    Application,
    ApplicationStatus,
    AuditLog,
    Child,
    Document,
    FamilyFacts,
    Guardian,
)
from enrolment.policies import PII_SCOPE, REVIEW_ROLES
from enrolment.privacy import PersonalDataVault
from enrolment.review.repository import ReviewRepository
from enrolment.review.schemas import (
    APPROVE_REASONS,
    REJECT_REASONS,
    RETURN_REASONS,
    BulkApproveIn,
    BulkApproveResult,
    BulkSkip,
    DecisionIn,
    GuardianNumbers,
    PersonalData,
)
from shared import audit
from shared.auth import Principal

DECISION_STATUS = {
    "approve": ApplicationStatus.verified,
    "return": ApplicationStatus.returned,
    "reject": ApplicationStatus.rejected,
}


class ReviewService:
    async def get(
        self,
        session: AsyncSession,
        principal: Principal,
        application_id: uuid.UUID,
        *,
        lock: bool = False,
    ) -> Application:
        application = await ReviewRepository(session).one(
            principal.org_filter(*REVIEW_ROLES), application_id, lock=lock
        )
        if application is None or application.status == ApplicationStatus.draft:
            raise ApplicationNotFound()
        return application

    async def start(
        self, session: AsyncSession, principal: Principal, application_id: uuid.UUID, now: datetime
    ) -> Application:
        application = await self.get(session, principal, application_id, lock=True)
        transition(
            session,
            application,
            ApplicationStatus.under_review,
            actor_kind="staff",
            principal=principal,
            now=now,
        )
        return application

    async def decide(
        self,
        session: AsyncSession,
        principal: Principal,
        application_id: uuid.UUID,
        data: DecisionIn,
        now: datetime,
        client_ip: str | None,
    ) -> Application:
        application = await self.get(session, principal, application_id, lock=True)
        target = DECISION_STATUS[data.decision]
        require(application, target)
        child = await session.get(Child, application.child_id)
        label = {**APPROVE_REASONS, **RETURN_REASONS, **REJECT_REASONS}.get(data.reason_code, "")
        message = data.message or label
        if data.decision == "return":
            application.return_message = message
            application.corrections = [item.model_dump() for item in data.corrections]
        application.decided_at = now
        transition(
            session,
            application,
            target,
            actor_kind="staff",
            principal=principal,
            now=now,
            reason_code=data.reason_code,
            message=message,
            child_name=child.name if child else "",
            client_ip=client_ip,
        )
        return application

    async def bulk_approve(
        self,
        session: AsyncSession,
        principal: Principal,
        data: BulkApproveIn,
        now: datetime,
        client_ip: str | None,
    ) -> BulkApproveResult:
        ids = list(dict.fromkeys(data.application_ids))
        found = {
            a.id: a
            for a in await ReviewRepository(session).many(principal.org_filter(*REVIEW_ROLES), ids)
        }
        names: dict[uuid.UUID, str] = {}
        if found:
            rows = await session.execute(
                select(Child.id, Child.name).where(
                    Child.id.in_([a.child_id for a in found.values()])
                )
            )
            names = dict(rows.all())
        approved: list[uuid.UUID] = []
        skipped: list[BulkSkip] = []
        for application_id in ids:
            application = found.get(application_id)
            if application is None or application.status == ApplicationStatus.draft:
                skipped.append(BulkSkip(id=application_id, reason="not_found"))
            elif not can(application, ApplicationStatus.verified):
                skipped.append(
                    BulkSkip(id=application_id, reason=f"status_{application.status.value}")
                )
            elif data.skip_flagged and application.flags:
                skipped.append(
                    BulkSkip(id=application_id, reason="flagged:" + ",".join(application.flags))
                )
            else:
                application.decided_at = now
                transition(
                    session,
                    application,
                    ApplicationStatus.verified,
                    actor_kind="staff",
                    principal=principal,
                    now=now,
                    reason_code=data.reason_code,
                    message=APPROVE_REASONS[data.reason_code],
                    child_name=names.get(application.child_id, ""),
                    client_ip=client_ip,
                )
                approved.append(application_id)
        return BulkApproveResult(approved=approved, skipped=skipped)

    async def document(
        self,
        session: AsyncSession,
        principal: Principal,
        application_id: uuid.UUID,
        document_id: uuid.UUID,
    ) -> Document:
        application = await self.get(session, principal, application_id)
        document = await session.get(Document, document_id)
        if document is None or document.child_id != application.child_id:
            raise DocumentNotFound()
        return document

    async def personal_data(
        self,
        session: AsyncSession,
        principal: Principal,
        vault: PersonalDataVault,
        application_id: uuid.UUID,
        client_ip: str | None,
    ) -> PersonalData:
        if PII_SCOPE not in principal.scopes:
            raise PersonalDataForbidden()
        application = await self.get(session, principal, application_id)
        child = await session.get(Child, application.child_id)
        assert child is not None
        facts = await session.get(FamilyFacts, child.id)
        guardians = (
            await session.scalars(
                select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.position)
            )
        ).all()
        certificate = None
        if (
            facts is not None
            and facts.property_certificate_cipher is not None
            and facts.property_certificate_key_id
        ):
            certificate = vault.decrypt(
                PROPERTY_CERTIFICATE,
                facts.property_certificate_cipher,
                facts.property_certificate_key_id,
            )
        audit.record(
            session,
            AuditLog,
            action="application.personal_data.read",
            resource_type="application",
            resource_id=application.id,
            principal=principal,
            client_ip=client_ip,
            details={"fields": ["child.id_number", "property.certificate", "guardians"]},
        )
        return PersonalData(
            child_id_number=vault.decrypt(CHILD_ID, child.id_number_cipher, child.id_number_key_id),
            property_certificate_number=certificate,
            guardians=[
                GuardianNumbers(
                    name=g.name,
                    relation=g.relation.value,
                    id_number=vault.decrypt(GUARDIAN_ID, g.id_number_cipher, g.id_number_key_id)
                    if g.id_number_cipher and g.id_number_key_id
                    else None,
                    phone=vault.decrypt(PHONE, g.phone_cipher, g.phone_key_id)
                    if g.phone_cipher and g.phone_key_id
                    else None,
                )
                for g in guardians
            ],
        )


review_service = ReviewService()
