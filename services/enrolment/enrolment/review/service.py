"""Review by school and district staff: queues, decisions with reason codes, bulk approval,
and the audited read of full personal numbers."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.applications.repository import ApplicationRepository
from enrolment.applications.workflow import can, require, transition
from enrolment.errors import (
    ApplicationNotFound,
    DocumentNotFound,
    DuplicateUnresolved,
    PersonalDataForbidden,
    ReviewReadOnly,
)
from enrolment.families.service import CHILD_ID, GUARDIAN_ID, PHONE, PROPERTY_CERTIFICATE
from enrolment.models import (
    DUPLICATE_CHILD,
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
    DuplicateResolutionIn,
    GuardianNumbers,
    PersonalData,
)
from shared import audit
from shared.auth import Principal
from shared.errors import InvalidInput
from shared.i18n import Text

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
        deciding: bool = False,
    ) -> Application:
        """An application the principal may read (404 otherwise); `deciding`: one they may
        decide on (403 for the schools that only read it)."""
        found = await ReviewRepository(session).one(
            principal.org_filter(*REVIEW_ROLES), application_id, lock=lock
        )
        if found is None or found[0].status == ApplicationStatus.draft:
            raise ApplicationNotFound()
        application, may_decide = found
        if deciding and not may_decide:
            raise ReviewReadOnly()
        return application

    async def start(
        self, session: AsyncSession, principal: Principal, application_id: uuid.UUID, now: datetime
    ) -> Application:
        application = await self.get(session, principal, application_id, lock=True, deciding=True)
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
        application = await self.get(session, principal, application_id, lock=True, deciding=True)
        target = DECISION_STATUS[data.decision]
        require(application, target)
        if target == ApplicationStatus.verified:
            await self._settle_duplicate_flag(session, application)
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
        repository = ReviewRepository(session)
        found = {
            application.id: (application, may_decide)
            for application, may_decide in await repository.many(
                principal.org_filter(*REVIEW_ROLES), ids
            )
        }
        children = await repository.children([a.child_id for a, _ in found.values()])
        approved: list[uuid.UUID] = []
        skipped: list[BulkSkip] = []
        for application_id in ids:
            application, may_decide = found.get(application_id, (None, False))
            if application is None or application.status == ApplicationStatus.draft:
                skipped.append(BulkSkip(id=application_id, reason="not_found"))
            elif not may_decide:
                skipped.append(BulkSkip(id=application_id, reason="read_only"))
            elif DUPLICATE_CHILD in application.flags:
                # Never in bulk, whatever `skip_flagged` says: a person compares them first.
                skipped.append(BulkSkip(id=application_id, reason=DUPLICATE_CHILD))
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
                    child_name=children[application.child_id].name
                    if application.child_id in children
                    else "",
                    client_ip=client_ip,
                )
                approved.append(application_id)
        return BulkApproveResult(approved=approved, skipped=skipped)

    async def _settle_duplicate_flag(self, session: AsyncSession, application: Application) -> None:
        """Approving a duplicate needs the others gone (rejected or withdrawn) first; once they
        are, approval settles it and the flag goes."""
        if DUPLICATE_CHILD not in application.flags:
            return
        repository = ApplicationRepository(session)
        await repository.lock_child_slot(application.cycle_id, application.id_number_index)
        others = await repository.live_for_id_number(
            application.cycle_id, application.id_number_index, exclude_child_id=application.child_id
        )
        if others:
            raise DuplicateUnresolved()
        application.flags = [flag for flag in application.flags if flag != DUPLICATE_CHILD]

    async def duplicates(
        self, session: AsyncSession, principal: Principal, application_id: uuid.UUID
    ) -> tuple[Application, list[Application]]:
        """The application and every other one in its cycle for the same ID number (drafts
        aside), for a reviewer who may decide on it."""
        application = await self.get(session, principal, application_id, deciding=True)
        group = await ApplicationRepository(session).for_id_number(
            application.cycle_id, application.id_number_index
        )
        return application, [item for item in group if item.status != ApplicationStatus.draft]

    async def resolve_duplicates(
        self,
        session: AsyncSession,
        principal: Principal,
        application_id: uuid.UUID,
        data: DuplicateResolutionIn,
        now: datetime,
        client_ip: str | None,
    ) -> Application:
        """Keep one application for the child; reject every other live one (reason code
        `duplicate_child`, the reviewer's message to those families). The reviewer must be
        allowed to decide on all of them: a conflict across districts is the city's to settle."""
        application = await self.get(session, principal, application_id, deciding=True)
        applications = ApplicationRepository(session)
        await applications.lock_child_slot(application.cycle_id, application.id_number_index)
        group = await applications.live_for_id_number(
            application.cycle_id, application.id_number_index, lock=True
        )
        keep = next((item for item in group if item.id == data.keep), None)
        if keep is None:
            raise InvalidInput.for_field(
                "body.keep",
                Text(
                    "要保留的不是该儿童本周期仍有效的报名",
                    "Not a live application of this child in this cycle",
                ),
                "not_in_group",
            )
        decidable = {
            item.id
            for item, may_decide in await ReviewRepository(session).many(
                principal.org_filter(*REVIEW_ROLES), [item.id for item in group], lock=False
            )
            if may_decide
        }
        if any(item.id not in decidable for item in group):
            raise ReviewReadOnly(
                Text(
                    "这些报名分属不同区县，需由市教育局统筹处理",
                    "These applications belong to several districts: the city decides",
                )
            )
        rejected = [item for item in group if item is not keep]
        for item in rejected:
            require(item, ApplicationStatus.rejected)
        children = await ReviewRepository(session).children([item.child_id for item in rejected])
        for item in rejected:
            item.decided_at = now
            transition(
                session,
                item,
                ApplicationStatus.rejected,
                actor_kind="staff",
                principal=principal,
                now=now,
                reason_code=DUPLICATE_CHILD,
                message=data.message,
                child_name=children[item.child_id].name if item.child_id in children else "",
                client_ip=client_ip,
            )
        keep.flags = [flag for flag in keep.flags if flag != DUPLICATE_CHILD]
        audit.record(
            session,
            AuditLog,
            action="application.duplicate_child.resolved",
            resource_type="application",
            resource_id=keep.id,
            principal=principal,
            client_ip=client_ip,
            details={"kept": str(keep.id), "rejected": [str(item.id) for item in rejected]},
        )
        return keep

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
