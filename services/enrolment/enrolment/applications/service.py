"""Applications from the family's side: draft, submit (window, age, catchment, batch,
documents), withdraw, and what they see."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.applications import facts as fact_engine
from enrolment.applications.repository import ApplicationRepository
from enrolment.applications.schemas import ApplicationCreate, ApplicationUpdate
from enrolment.applications.workflow import WITHDRAWABLE, require, transition
from enrolment.cycles.schemas import CatchmentMatch
from enrolment.cycles.snapshot import CycleSnapshot, SnapshotCache
from enrolment.errors import (
    ApplicationNotFound,
    ChildNotFound,
    CycleChanged,
    CycleNotFound,
    DuplicateApplication,
    MissingDocuments,
    NotEligible,
    WindowClosed,
)
from enrolment.families.repository import ChildFile, ChildFileRepository
from enrolment.models import (
    DUPLICATE_CHILD,
    Agency,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    AuditLog,
    CheckOutcome,
    Child,
    CycleStatus,
    DocumentKind,
    FamilyFacts,
    OutboxMessage,
    Ownership,
    Track,
    Verification,
    VerificationStatus,
    new_public_id,
)
from enrolment.rules import decide, missing_documents
from enrolment.windows import (
    SHANGHAI,
    describe_hours,
    hours_for,
    local_text,
    within_daily_hours,
    within_window,
)
from shared import audit
from shared.auth import Principal
from shared.errors import FieldError
from shared.fastsql import insert_pending
from shared.i18n import Text
from shared.ids import uuid7
from shared.outbox import add_message

VERIFICATION_TOPIC = "enrolment.verification.check"

DOCUMENT_LABELS = {
    DocumentKind.hukou_book: "户口簿",
    DocumentKind.birth_certificate: "出生医学证明",
    DocumentKind.property_certificate: "房屋所有权证",
    DocumentKind.real_estate_certificate: "不动产权证书",
    DocumentKind.purchase_contract: "购房合同",
    DocumentKind.rental_contract: "房屋租赁合同",
    DocumentKind.residence_permit: "居住证",
    DocumentKind.labour_contract: "劳动合同",
    DocumentKind.tax_record: "纳税凭证",
    DocumentKind.business_licence: "营业执照",
    DocumentKind.social_insurance_record: "社保缴费记录",
    DocumentKind.policy_priority_proof: "政策性照顾证明",
    DocumentKind.other: "其他材料",
}


def review_district(
    snapshot: CycleSnapshot, school_district: str | None, hukou_address: dict[str, Any] | None
) -> str | None:
    """Whose reviewers decide an application; never what the family typed.

    A district's cycle: that district, always. A city-wide cycle: the district of the school
    the application names (the matched catchment school, or the first private choice — schools
    are checked against the directory), else the 户籍 district if the cycle has schools there
    (the public-security check verifies it), else nobody's but the city's: the cycle's own
    managers review it.
    """
    if snapshot.cycle.district_code is not None:
        return snapshot.cycle.district_code
    if school_district is not None:
        return school_district
    hukou_district = (hukou_address or {}).get("district_code")
    return hukou_district if hukou_district in snapshot.districts else None


def _field_error(field: str, zh: str, en: str, type_: str) -> list[FieldError]:
    return [FieldError(field=field, message=str(Text(zh, en)), type=type_)]


def check_window(snapshot: CycleSnapshot, now: datetime, *, resubmission: bool) -> None:
    cycle = snapshot.cycle
    closes = cycle.registration_closes_at
    if resubmission and cycle.review_closes_at is not None:
        closes = max(closes, cycle.review_closes_at)
    if not within_window(now, cycle.registration_opens_at, closes):
        zh = f"报名时间为 {local_text(cycle.registration_opens_at)} 至 {local_text(closes)}（北京时间），当前不在报名时间内"
        raise WindowClosed(
            Text(zh, "Registration is closed now"),
            errors=_field_error(
                "cycle.registration_window", zh, "Outside the registration window", "window_closed"
            ),
        )
    if not within_daily_hours(now, cycle.daily_hours, cycle.daily_hours_overrides):
        local = now.astimezone(SHANGHAI)
        spans = hours_for(local.date(), cycle.daily_hours, cycle.daily_hours_overrides)
        zh = f"每日开放时间为 {describe_hours(spans)}，当前 {local:%H:%M} 为系统维护时间，请在开放时间内提交"
        en = f"Open daily {describe_hours(spans)} (Beijing time); {local:%H:%M} is outside those hours"
        raise WindowClosed(
            Text(zh, en), errors=_field_error("cycle.daily_hours", zh, en, "outside_daily_hours")
        )


def check_age(snapshot: CycleSnapshot, child: Child) -> None:
    cycle = snapshot.cycle
    cutoff = cycle.age_cutoff
    born = child.birth_date
    age = cutoff.year - born.year - ((cutoff.month, cutoff.day) < (born.month, born.day))
    if age < cycle.age_min_years:
        zh = f"按身份证号，出生日期为 {born.isoformat()}，截至 {cutoff.isoformat()} 未满 {cycle.age_min_years} 周岁，不能报名"
        raise NotEligible(
            Text(
                zh, f"Born {born.isoformat()}: under {cycle.age_min_years} on {cutoff.isoformat()}"
            ),
            errors=_field_error("body.child_id", zh, "The child is under age", "under_age"),
        )
    if cycle.age_max_years is not None and age > cycle.age_max_years:
        zh = f"按身份证号，截至 {cutoff.isoformat()} 已超过 {cycle.age_max_years} 周岁"
        raise NotEligible(
            Text(zh, "The child is over age"),
            errors=_field_error("body.child_id", zh, "The child is over age", "over_age"),
        )


class ApplicationService:
    async def _snapshot(
        self, session: AsyncSession, snapshots: SnapshotCache, cycle_id: uuid.UUID
    ) -> CycleSnapshot:
        snapshot = await snapshots.get(session, cycle_id)
        if snapshot is None or snapshot.cycle.status != CycleStatus.published:
            raise CycleNotFound()
        return snapshot

    def _check_choices(
        self, snapshot: CycleSnapshot, track: Track, choices: list[uuid.UUID]
    ) -> None:
        cycle = snapshot.cycle
        if track == Track.public:
            if choices:
                zh = "公办报名不填写民办学校志愿；公办、民办只能选一种（不能兼报）"
                raise NotEligible(
                    Text(zh, "Public applications take no private choices"),
                    errors=_field_error(
                        "body.private_choices",
                        zh,
                        "Public or private, not both",
                        "public_private_exclusive",
                    ),
                )
            return
        if not choices:
            zh = "民办报名须选择学校"
            raise NotEligible(
                Text(zh, "Choose a private school"),
                errors=_field_error(
                    "body.private_choices", zh, "Choose a private school", "missing"
                ),
            )
        if len(choices) > cycle.max_private_choices:
            zh = f"民办学校最多填报 {cycle.max_private_choices} 所"
            raise NotEligible(
                Text(zh, f"At most {cycle.max_private_choices} private choices"),
                errors=_field_error(
                    "body.private_choices", zh, "Too many private choices", "too_many"
                ),
            )
        if len(set(choices)) != len(choices):
            zh = "民办学校志愿不能重复"
            raise NotEligible(
                Text(zh, "Private choices repeat"),
                errors=_field_error(
                    "body.private_choices", zh, "Private choices repeat", "duplicate"
                ),
            )
        for position, offering_id in enumerate(choices):
            offering = snapshot.offerings.get(offering_id)
            if offering is None or offering.ownership != Ownership.private:
                zh = "所选学校不是本招生周期的民办学校"
                raise NotEligible(
                    Text(zh, "Not a private school of this cycle"),
                    errors=_field_error(
                        f"body.private_choices.{position}",
                        zh,
                        "Not a private school of this cycle",
                        "unknown_school",
                    ),
                )

    async def create(
        self,
        session: AsyncSession,
        snapshots: SnapshotCache,
        principal: Principal,
        data: ApplicationCreate,
        now: datetime,
    ) -> Application:
        snapshot = await self._snapshot(session, snapshots, data.cycle_id)
        child_file = await ChildFileRepository(session).load(
            principal.subject, data.child_id, cycle_id=snapshot.cycle.id if data.submit else None
        )
        if child_file is None:
            raise ChildNotFound(
                errors=_field_error(
                    "body.child_id", "儿童信息不存在", "Child not found", "not_found"
                )
            )
        child = child_file.child
        check_age(snapshot, child)
        self._check_choices(snapshot, data.track, data.private_choices)
        application = Application(
            id=uuid7(),
            cycle_id=snapshot.cycle.id,
            child_id=child.id,
            parent_subject=principal.subject,
            id_number_index=child.id_number_index,
            track=data.track,
            private_choices=list(data.private_choices),
            status=ApplicationStatus.draft,
            public_id=new_public_id(),
            verification_status=VerificationStatus.not_started,
            flags=[],
            corrections=[],
            batch_explanation=[],
            priority_key=[],
            facts_snapshot={},
            school_codes=[],
            created_at=now,
            updated_at=now,
        )
        session.add(application)
        session.add(
            ApplicationEvent(
                application_id=application.id,
                occurred_at=now,
                from_status=None,
                to_status=ApplicationStatus.draft,
                actor_kind="parent",
            )
        )
        if data.submit:
            await self.submit(
                session,
                snapshots,
                principal,
                application,
                now,
                child_file=child_file,
                snapshot=snapshot,
            )
        # The partial unique index on (cycle, child) is the arbiter of "one per child of this
        # account per cycle"; its violation aborts this request's transaction, which then rolls
        # back whole — the idempotency reservation with it. Other accounts' applications for
        # the same ID number never refuse this one (see `_flag_duplicates`).
        # Written straight through asyncpg in one statement (shared.fastsql): this is the request
        # opening day is made of, and the ORM flush of its six tables was most of its cost.
        try:
            await insert_pending(session)
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name != "uq_application_one_per_child":
                raise
            raise DuplicateApplication.for_child() from None
        except asyncpg.ForeignKeyViolationError:
            # The cycle or one of its schools was deleted after this process cached it: forget
            # it, so the retry sees what is there now.
            snapshots.drop(snapshot.cycle.id)
            raise CycleChanged() from None
        return application

    async def owned(
        self,
        session: AsyncSession,
        principal: Principal,
        application_id: uuid.UUID,
        *,
        lock: bool = False,
    ) -> Application:
        application = await ApplicationRepository(session).owned(
            principal.subject, application_id, lock=lock
        )
        if application is None:
            raise ApplicationNotFound()
        return application

    async def update(
        self,
        session: AsyncSession,
        snapshots: SnapshotCache,
        principal: Principal,
        application_id: uuid.UUID,
        data: ApplicationUpdate,
        now: datetime,
    ) -> Application:
        application = await self.owned(session, principal, application_id, lock=True)
        if application.status not in (ApplicationStatus.draft, ApplicationStatus.returned):
            require(application, ApplicationStatus.draft)
        snapshot = await self._snapshot(session, snapshots, application.cycle_id)
        track = data.track or application.track
        choices = (
            data.private_choices
            if data.private_choices is not None
            else ([] if track == Track.public else list(application.private_choices))
        )
        self._check_choices(snapshot, track, choices)
        application.track = track
        application.private_choices = choices
        application.updated_at = now
        return application

    async def submit(
        self,
        session: AsyncSession,
        snapshots: SnapshotCache,
        principal: Principal,
        application: Application,
        now: datetime,
        *,
        child_file: ChildFile | None = None,
        snapshot: CycleSnapshot | None = None,
        client_ip: str | None = None,
    ) -> Application:
        resubmission = application.status == ApplicationStatus.returned
        target_status = (
            ApplicationStatus.resubmitted if resubmission else ApplicationStatus.submitted
        )
        require(application, target_status)
        snapshot = snapshot or await self._snapshot(session, snapshots, application.cycle_id)
        check_window(snapshot, now, resubmission=resubmission)
        if child_file is None:
            child_file = await ChildFileRepository(session).load(
                principal.subject, application.child_id, cycle_id=application.cycle_id
            )
            if child_file is None:
                raise ChildNotFound()
        child, facts, guardians = child_file.child, child_file.facts, child_file.guardians
        check_age(snapshot, child)
        self._check_choices(snapshot, application.track, list(application.private_choices))

        home = fact_engine.primary_address(facts)
        home_matches = snapshot.resolve(home)
        catchment = home_matches[0] if home_matches else None
        hukou_address = facts.hukou_address if facts else None
        property_address = facts.property_address if facts and facts.has_property else None
        hukou_matches = home_matches if hukou_address is home else snapshot.resolve(hukou_address)
        property_matches = (
            home_matches if property_address is home else snapshot.resolve(property_address)
        )

        cycle = snapshot.cycle
        target: CatchmentMatch | None = None
        if application.track == Track.public:
            target = catchment
            school_district = (
                snapshot.offerings[catchment.offering_id].district_code if catchment else None
            )
            school_codes = [catchment.school_code] if catchment else []
        else:
            school_district = snapshot.offerings[application.private_choices[0]].district_code
            school_codes = [snapshot.offerings[o].school_code for o in application.private_choices]
        district_code = review_district(snapshot, school_district, hukou_address)
        catchment_district = (
            snapshot.offerings[catchment.offering_id].district_code if catchment else None
        )
        values = fact_engine.compute(
            facts=facts,
            guardians=guardians,
            target_offering_id=catchment.offering_id if catchment else None,
            target_district=district_code
            if application.track == Track.public
            else catchment_district or district_code,
            hukou_matches=hukou_matches,
            property_matches=property_matches,
            reference_date=cycle.age_cutoff,
        )
        present = set(child_file.document_kinds)
        if application.track == Track.public:
            decision = decide(snapshot.batches, values)
            if decision is None:
                zh = "不符合本招生周期任何批次的条件"
                raise NotEligible(
                    Text(zh, "No batch of this cycle applies"),
                    errors=_field_error("body.child_id", zh, "No batch applies", "no_batch"),
                )
            required: Sequence[Sequence[str]] = decision.batch.required_documents
            application.batch_code = decision.batch.code
            application.batch_order = decision.order
            application.batch_name = decision.batch.name
            reason = decision.batch.reason
            if target is None:
                reason += "。地址未匹配到招生地段，将由教育局统筹安排学位"
            application.batch_reason = reason
            application.batch_explanation = decision.explanation
            application.priority_key = list(decision.key)
        else:
            required = cycle.private_required_documents
            application.batch_code = "private_lottery"
            application.batch_order = None
            application.batch_name = "民办学校报名"
            application.batch_reason = "民办学校报名人数超过招生计划时，全部报名者电脑随机录取；未被录取的回到地段学校（公民同招）"
            application.batch_explanation = []
            application.priority_key = []
        missing = missing_documents(required, present)
        if missing:
            names = [
                "或".join(DOCUMENT_LABELS[DocumentKind(kind)] for kind in group)
                for group in missing
            ]
            zh = "缺少所需材料：" + "；".join(names)
            raise MissingDocuments(
                Text(zh, "Missing documents: " + "; ".join("/".join(group) for group in missing)),
                errors=[
                    FieldError(
                        field="documents", message=f"请上传：{name}", type="missing_document"
                    )
                    for name in names
                ],
            )

        application.catchment_offering_id = catchment.offering_id if catchment else None
        application.catchment_school_code = catchment.school_code if catchment else None
        application.catchment_rule = catchment.rule if catchment else None
        application.school_codes = school_codes
        application.district_code = district_code
        application.migrant = bool(values.get("migrant"))
        application.facts_snapshot = fact_engine.snapshot_json(values)
        application.property_certificate_index = (
            facts.property_certificate_index if facts and facts.has_property else None
        )
        flags = [
            flag for flag in application.flags if flag not in ("property_reused", "no_catchment")
        ]
        if application.property_certificate_index is not None and await ApplicationRepository(
            session
        ).others_with_property(
            cycle.id, application.property_certificate_index, application.id_number_index
        ):
            flags.append("property_reused")
        if application.track == Track.public and target is None:
            flags.append("no_catchment")
        if child_file.rivals:
            flags.append(DUPLICATE_CHILD)
            await self._flag_duplicates(session, application, principal)
        application.flags = sorted(set(flags))
        application.submitted_at = now
        application.return_message = None
        application.corrections = []
        await self._request_verification(session, application, facts, resubmission=resubmission)
        transition(
            session,
            application,
            target_status,
            actor_kind="parent",
            principal=principal,
            now=now,
            child_name=child.name,
            client_ip=client_ip,
        )
        return application

    async def _flag_duplicates(
        self, session: AsyncSession, application: Application, principal: Principal
    ) -> None:
        """Another account has submitted for this ID number: neither is refused (that would
        let whoever comes first block the child, and tell a stranger the number has applied);
        every live one is flagged for the district's reviewers, who see them side by side and
        decide. Families see nothing of it. The caller holds the child's slot lock."""
        rivals = await ApplicationRepository(session).live_for_id_number(
            application.cycle_id,
            application.id_number_index,
            exclude_child_id=application.child_id,
            lock=True,
        )
        for rival in rivals:
            if DUPLICATE_CHILD not in rival.flags:
                rival.flags = sorted({*rival.flags, DUPLICATE_CHILD})
        audit.record(
            session,
            AuditLog,
            action="application.duplicate_child",
            resource_type="application",
            resource_id=application.id,
            principal=principal,
            details={"with": [str(rival.id) for rival in rivals]},
        )

    async def _request_verification(
        self,
        session: AsyncSession,
        application: Application,
        facts: FamilyFacts | None,
        *,
        resubmission: bool,
    ) -> None:
        """One outbox message per agency: an agency or Redis outage delays them, never loses them."""
        agencies = [Agency.public_security]
        if facts is not None and facts.has_property:
            agencies.append(Agency.property_registry)
        if application.migrant or (facts is not None and facts.social_insurance_months):
            agencies.append(Agency.social_insurance)
        application.verification_status = VerificationStatus.pending
        if resubmission:
            await ensure_verification_rows(session, application, agencies)
        else:
            session.add_all(
                Verification(
                    application_id=application.id,
                    agency=agency,
                    outcome=CheckOutcome.pending,
                    details={},
                    attempts=0,
                )
                for agency in agencies
            )
        for agency in agencies:
            add_message(
                session,
                OutboxMessage,
                VERIFICATION_TOPIC,
                {"application_id": str(application.id), "agency": agency.value},
            )

    async def withdraw(
        self,
        session: AsyncSession,
        principal: Principal,
        application_id: uuid.UUID,
        snapshots: SnapshotCache,
        now: datetime,
        reason: str | None,
    ) -> Application:
        application = await self.owned(session, principal, application_id, lock=True)
        snapshot = await self._snapshot(session, snapshots, application.cycle_id)
        if application.status not in WITHDRAWABLE:
            require(application, ApplicationStatus.withdrawn)
        if now >= snapshot.cycle.registration_closes_at:
            zh = f"报名截止（{local_text(snapshot.cycle.registration_closes_at)}）后不能撤回"
            raise WindowClosed(
                Text(zh, "Withdrawal closes with registration"),
                errors=_field_error(
                    "cycle.registration_window", zh, "After the deadline", "window_closed"
                ),
            )
        transition(
            session,
            application,
            ApplicationStatus.withdrawn,
            actor_kind="parent",
            principal=principal,
            now=now,
            message=reason,
        )
        return application


async def ensure_verification_rows(
    session: AsyncSession, application: Application, agencies: list[Agency]
) -> None:
    existing = {
        row.agency: row
        for row in (
            await session.scalars(
                select(Verification).where(Verification.application_id == application.id)
            )
        ).all()
    }
    for agency in agencies:
        row = existing.get(agency)
        if row is None:
            session.add(
                Verification(
                    application_id=application.id,
                    agency=agency,
                    outcome=CheckOutcome.pending,
                    details={},
                    attempts=0,
                )
            )
        else:
            row.outcome = CheckOutcome.pending
            row.details = {}
            row.checked_at = None


application_service = ApplicationService()
