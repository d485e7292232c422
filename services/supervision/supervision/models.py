"""The supervision service's tables, all in the `supervision` schema.

Codes of organisations (GB/T 2260 district codes, 10-digit 学校标识码) are stored as strings with
the names resolved from the directory at the time of writing: the directory owns organisations,
this service keeps what it needs to scope queries (`district_code`, `school_code`) and to print a
report without calling the directory again.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import AuditLogMixin
from shared.db import Timestamps, UUIDPrimaryKey, make_metadata
from shared.idempotency import IdempotencyRecordMixin
from shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = make_metadata("supervision")
    # Fetch server-set values (updated_at) with RETURNING on UPDATE too, so a response built
    # from an updated row never triggers a lazy load.
    __mapper_args__ = {"eager_defaults": True}


def _enum(enum: type[StrEnum], name: str, length: int = 30) -> Enum:
    # Store the values (what the API speaks), not the member names.
    return Enum(
        enum,
        name=name,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


def _uuids() -> Mapped[list[uuid.UUID]]:
    return mapped_column(ARRAY(UUID(as_uuid=True)), default=list, server_default="{}")


# --- frameworks ---------------------------------------------------------------------------------


class FrameworkOrigin(StrEnum):
    builtin = "builtin"
    custom = "custom"


class FrameworkStatus(StrEnum):
    draft = "draft"
    active = "active"
    retired = "retired"


class StoredFramework(UUIDPrimaryKey, Timestamps, Base):
    """One version of a framework (指标体系) or overlay, as the JSON document validated by
    `supervision.frameworks.model.Framework`. Active versions are immutable: results point at them."""

    __tablename__ = "framework"

    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(String(300))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    parent_code: Mapped[str | None] = mapped_column(String(64))
    parent_version: Mapped[str | None] = mapped_column(String(32))
    origin: Mapped[FrameworkOrigin] = mapped_column(_enum(FrameworkOrigin, "framework_origin", 10))
    status: Mapped[FrameworkStatus] = mapped_column(_enum(FrameworkStatus, "framework_status", 10))
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    copied_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("framework.id"))
    created_by: Mapped[str | None] = mapped_column(String(100))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("code", "version"),
        Index("ix_framework_parent_code", "parent_code"),
    )


# --- school data collection ---------------------------------------------------------------------


class ReturnStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"


class SchoolReturn(UUIDPrimaryKey, Timestamps, Base):
    """A school's statistics for one year (the raw counts the 优质均衡 indicators derive from)."""

    __tablename__ = "school_return"

    school_code: Mapped[str] = mapped_column(String(20))
    school_name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[ReturnStatus] = mapped_column(_enum(ReturnStatus, "return_status", 10))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(10), default="manual")
    return_reason: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("school_code", "year"),
        Index("ix_school_return_district_code_year", "district_code", "year"),
    )


# --- evidence -----------------------------------------------------------------------------------


class Attachment(UUIDPrimaryKey, Base):
    """Metadata of an uploaded file; the bytes live in the blob store under `storage_key`
    (content-addressed, so a retried upload writes nothing new). Scope columns are filled when the
    file is attached to a record, so it is visible wherever that record is."""

    __tablename__ = "attachment"

    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    district_code: Mapped[str | None] = mapped_column(String(20))
    school_code: Mapped[str | None] = mapped_column(String(20))
    linked_to: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (Index("ix_attachment_uploaded_by", "uploaded_by"),)


# --- responsible inspectors (责任督学挂牌督导) --------------------------------------------------


class Inspector(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "inspector"

    name: Mapped[str] = mapped_column(String(100))
    certificate_no: Mapped[str] = mapped_column(String(50), unique=True)
    district_code: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(200))
    # The school the inspector works at (serving principals and teachers are inspectors too):
    # they are never assigned to it, nor score it (回避).
    employer_org_code: Mapped[str | None] = mapped_column(String(20))
    employer_name: Mapped[str | None] = mapped_column(String(200))
    full_time: Mapped[bool] = mapped_column(Boolean, default=False)
    # The directory subject of the inspector's login (`user:<uuid>`), linking tokens to the record.
    account_subject: Mapped[str | None] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    appointed_on: Mapped[date | None] = mapped_column(Date)
    photo_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("attachment.id"))

    __table_args__ = (Index("ix_inspector_district_code", "district_code"),)


class InspectorAssignment(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "inspector_assignment"

    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspector.id"))
    school_code: Mapped[str] = mapped_column(String(20))
    school_name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_inspector_assignment_inspector_id", "inspector_id"),
        # One responsible inspector per school at a time.
        Index(
            "uq_inspector_assignment_current_school",
            "school_code",
            unique=True,
            postgresql_where=text("ends_on IS NULL"),
        ),
    )


class VisitStatus(StrEnum):
    checked_in = "checked_in"
    completed = "completed"


class Visit(UUIDPrimaryKey, Timestamps, Base):
    """A regular supervision visit (经常性督导) recorded from the inspector app."""

    __tablename__ = "visit"

    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspector.id"))
    assignment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspector_assignment.id"))
    school_code: Mapped[str] = mapped_column(String(20))
    school_name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(20))
    status: Mapped[VisitStatus] = mapped_column(_enum(VisitStatus, "visit_status", 12))
    # The business date (Asia/Shanghai) the visit counts for in the monthly cadence.
    visited_on: Mapped[date] = mapped_column(Date)
    checked_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client_checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    methods: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    feedback_given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    photo_ids: Mapped[list[uuid.UUID]] = _uuids()

    __table_args__ = (
        Index("ix_visit_school_code_visited_on", "school_code", "visited_on"),
        Index("ix_visit_inspector_id", "inspector_id"),
        Index("ix_visit_district_code", "district_code"),
    )


# --- assessments and campaigns ------------------------------------------------------------------


class AssessmentKind(StrEnum):
    government_duty = "government_duty"  # 督政：县级人民政府履行教育职责
    quality_balance = "quality_balance"  # 义务教育优质均衡
    preschool_inclusive = "preschool_inclusive"  # 学前教育普及普惠
    routine_management = "routine_management"  # 中小学校常规管理评估
    kindergarten_conduct = "kindergarten_conduct"  # 幼儿园办园行为督导
    special = "special"  # 专项督导


class AssessmentPhase(StrEnum):
    planning = "planning"
    self_assessment = "self_assessment"
    site_visit = "site_visit"
    scoring = "scoring"
    feedback = "feedback"
    rectification = "rectification"
    follow_up = "follow_up"
    closed = "closed"


class Assessment(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "assessment"

    kind: Mapped[AssessmentKind] = mapped_column(_enum(AssessmentKind, "assessment_kind", 30))
    title: Mapped[str] = mapped_column(String(300))
    year: Mapped[int] = mapped_column(Integer)
    # The county the assessment runs in; None for a city-wide campaign.
    district_code: Mapped[str | None] = mapped_column(String(20))
    framework_code: Mapped[str] = mapped_column(String(64))
    # None: the version in force on `as_of`.
    framework_version: Mapped[str | None] = mapped_column(String(32))
    # The date whose rules apply (overlays in force on it).
    as_of: Mapped[date] = mapped_column(Date)
    template_code: Mapped[str | None] = mapped_column(String(40))
    phase: Mapped[AssessmentPhase] = mapped_column(_enum(AssessmentPhase, "assessment_phase", 20))
    phase_history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_assessment_district_code", "district_code"),)


class TargetKind(StrEnum):
    county = "county"
    school = "school"
    kindergarten = "kindergarten"


class AssessmentTarget(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "assessment_target"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE")
    )
    org_code: Mapped[str] = mapped_column(String(20))
    org_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TargetKind] = mapped_column(_enum(TargetKind, "target_kind", 15))
    district_code: Mapped[str] = mapped_column(String(20))
    latest_evaluation_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    latest_outcome: Mapped[str | None] = mapped_column(String(20))
    latest_grade: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        UniqueConstraint("assessment_id", "org_code"),
        Index("ix_assessment_target_district_code", "district_code"),
    )


class TeamRole(StrEnum):
    leader = "leader"
    member = "member"
    expert = "expert"


class TeamMember(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "assessment_team_member"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE")
    )
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspector.id"))
    role: Mapped[TeamRole] = mapped_column(_enum(TeamRole, "team_role", 10))

    __table_args__ = (
        UniqueConstraint("assessment_id", "inspector_id"),
        Index("ix_assessment_team_member_inspector_id", "inspector_id"),
    )


class InputSource(StrEnum):
    manual = "manual"
    school_data = "school_data"
    enrolment = "enrolment"
    plans = "plans"
    findings = "findings"


class AssessmentInput(UUIDPrimaryKey, Timestamps, Base):
    """One recorded input (score, value or yes/no finding) of a target, with its evidence."""

    __tablename__ = "assessment_input"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE")
    )
    target_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_target.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    source: Mapped[InputSource] = mapped_column(_enum(InputSource, "input_source", 15))
    comment: Mapped[str | None] = mapped_column(Text)
    evidence_ids: Mapped[list[uuid.UUID]] = _uuids()
    recorded_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("target_id", "key"),)


class DocumentKind(StrEnum):
    self_report = "self_report"  # 自评报告 / 政府自查报告
    site_check = "site_check"  # 现场核查记录
    feedback = "feedback"  # 反馈意见 / 督导意见书
    rectification_plan = "rectification_plan"  # 整改方案
    follow_up = "follow_up"  # 回头看 / 复查
    report = "report"  # 督导评估报告


class AssessmentDocument(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "assessment_document"

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE")
    )
    target_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessment_target.id", ondelete="CASCADE")
    )
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind, "document_kind", 20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    evidence_ids: Mapped[list[uuid.UUID]] = _uuids()
    author: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_assessment_document_assessment_id", "assessment_id"),)


class Evaluation(UUIDPrimaryKey, Base):
    """One evaluation result, kept with its inputs and the exact rules it was computed under."""

    __tablename__ = "evaluation"

    assessment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE")
    )
    target_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessment_target.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))  # framework | balance
    org_code: Mapped[str | None] = mapped_column(String(20))
    district_code: Mapped[str | None] = mapped_column(String(20))
    framework_code: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[str] = mapped_column(String(32))
    overlays: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    as_of: Mapped[date | None] = mapped_column(Date)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONB)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    sources: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    outcome: Mapped[str] = mapped_column(String(20))
    grade: Mapped[str | None] = mapped_column(String(20))
    computed_by: Mapped[str | None] = mapped_column(String(100))
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )

    __table_args__ = (
        Index("ix_evaluation_target_id", "target_id"),
        Index("ix_evaluation_district_code", "district_code"),
    )


# --- findings, rectification, accountability ----------------------------------------------------


class FindingSeverity(StrEnum):
    general = "general"  # 一般
    serious = "serious"  # 较重
    major = "major"  # 严重


class FindingStatus(StrEnum):
    issued = "issued"  # 已下达
    in_progress = "in_progress"  # 整改中
    submitted = "submitted"  # 已提交整改，待复查
    failed = "failed"  # 复查未通过
    reopened = "reopened"  # 重新整改
    verified = "verified"  # 复查通过，待销号
    closed = "closed"  # 已销号


class Finding(UUIDPrimaryKey, Timestamps, Base):
    """An item of a 问题清单, with its owner and deadline, through rectification to 销号."""

    __tablename__ = "finding"

    number: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[FindingSeverity] = mapped_column(
        _enum(FindingSeverity, "finding_severity", 10)
    )
    category: Mapped[str | None] = mapped_column(String(64))
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessment.id"))
    target_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessment_target.id"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit.id"))
    district_code: Mapped[str] = mapped_column(String(20))
    # A school finding names the school; a finding about a county government names none.
    school_code: Mapped[str | None] = mapped_column(String(20))
    owner_org_code: Mapped[str] = mapped_column(String(20))
    owner_name: Mapped[str] = mapped_column(String(200))
    owner_person: Mapped[str | None] = mapped_column(String(100))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[FindingStatus] = mapped_column(_enum(FindingStatus, "finding_status", 15))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    raised_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_finding_district_code_status", "district_code", "status"),
        Index("ix_finding_school_code", "school_code"),
        Index("ix_finding_assessment_id", "assessment_id"),
        Index("ix_finding_deadline", "deadline"),
    )


class ReviewOutcome(StrEnum):
    passed = "pass"
    failed = "fail"


class Rectification(UUIDPrimaryKey, Timestamps, Base):
    """One round of rectification: what the owner did, with evidence, and the 复查 verdict."""

    __tablename__ = "rectification"

    finding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("finding.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    evidence_ids: Mapped[list[uuid.UUID]] = _uuids()
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    review_outcome: Mapped[ReviewOutcome | None] = mapped_column(
        _enum(ReviewOutcome, "review_outcome", 10)
    )
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("finding_id", "round"),)


class AccountabilitySubject(StrEnum):
    unit = "unit"
    individual = "individual"


class AccountabilityStatus(StrEnum):
    proposed = "proposed"
    decided = "decided"
    executed = "executed"
    revoked = "revoked"


class AccountabilityAction(UUIDPrimaryKey, Timestamps, Base):
    """An entry of the accountability register (《教育督导问责办法》, 2021)."""

    __tablename__ = "accountability_action"

    number: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    finding_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("finding.id"))
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assessment.id"))
    district_code: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[AccountabilitySubject] = mapped_column(
        _enum(AccountabilitySubject, "accountability_subject", 12)
    )
    subject_org_code: Mapped[str | None] = mapped_column(String(20))
    subject_name: Mapped[str] = mapped_column(String(200))
    subject_position: Mapped[str | None] = mapped_column(String(100))
    private_institution: Mapped[bool] = mapped_column(Boolean, default=False)
    situation: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(Text)
    basis_documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    evidence_ids: Mapped[list[uuid.UUID]] = _uuids()
    status: Mapped[AccountabilityStatus] = mapped_column(
        _enum(AccountabilityStatus, "accountability_status", 10)
    )
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    executed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("ix_accountability_action_district_code", "district_code"),)


# --- alerts -------------------------------------------------------------------------------------


class AlertKind(StrEnum):
    visit_due = "visit_due"
    visit_overdue = "visit_overdue"
    rectification_overdue = "rectification_overdue"


class Alert(UUIDPrimaryKey, Base):
    """An overdue or due-soon warning. `dedupe_key` makes raising it again a no-op, so the daily
    scan may run any number of times."""

    __tablename__ = "alert"

    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, "alert_kind", 25))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    severity: Mapped[str] = mapped_column(String(10))  # blue / yellow / red
    district_code: Mapped[str] = mapped_column(String(20))
    school_code: Mapped[str | None] = mapped_column(String(20))
    inspector_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspector.id"))
    finding_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("finding.id"))
    period: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    raised_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_alert_district_code", "district_code"),
        Index("ix_alert_inspector_id", "inspector_id"),
    )


class DailyScan(Base):
    """The daily alert scan done for one business day (Asia/Shanghai)."""

    __tablename__ = "daily_scan"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


# --- public disclosure --------------------------------------------------------------------------


class PublicationStatus(StrEnum):
    draft = "draft"
    approved = "approved"
    redacted = "redacted"
    published = "published"
    withdrawn = "withdrawn"


class Publication(UUIDPrimaryKey, Timestamps, Base):
    """Results of an assessment on their way to the public: approve → redact → publish."""

    __tablename__ = "publication"

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessment.id"))
    status: Mapped[PublicationStatus] = mapped_column(
        _enum(PublicationStatus, "publication_status", 10)
    )
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str | None] = mapped_column(String(20))
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    public_content: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    redactions: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    as_of: Mapped[date | None] = mapped_column(Date)
    prepared_by: Mapped[str | None] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    redacted_by: Mapped[str | None] = mapped_column(String(100))
    redacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_publication_status_as_of", "status", "as_of"),
        Index("ix_publication_assessment_id", "assessment_id"),
    )


# --- kernel tables ------------------------------------------------------------------------------


class AuditLog(AuditLogMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    pass
