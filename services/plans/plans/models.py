"""The plans service's tables, all in the `plans` schema.

A plan (kept with its source text and a snapshot per version) holds a tree of nodes that follows
the document's numbering. Task nodes name responsible units as written (`UnitName`); each name
resolves through the directory to zero or more organisations, and each (task, organisation)
pair is an `Assignment` — the thing that reports progress, gets reminded and escalated, and is
counted in bulletins. Indicators follow DHIS2: a definition (numerator / denominator / factor),
targets per plan × area × year with a comparator, values that keep their numerator and
denominator.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

from shared.audit import AuditLogMixin
from shared.db import Timestamps, UUIDPrimaryKey, make_metadata
from shared.idempotency import IdempotencyRecordMixin
from shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = make_metadata("plans")
    # Server-side defaults (timestamps) come back with RETURNING: no lazy load after a flush.
    __mapper_args__ = {"eager_defaults": True}


def _enum(enum: type[StrEnum], length: int) -> Enum:
    return Enum(
        enum,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )


class PlanKind(StrEnum):
    overall = "overall"  # 总体方案 / 规划
    three_year = "three_year"  # 三年行动计划
    sub_plan = "sub_plan"  # 子方案
    annual_points = "annual_points"  # 年度工作要点
    special = "special"  # 专项方案
    other = "other"


class PlanStatus(StrEnum):
    draft = "draft"
    active = "active"  # supervised: reminders and escalation run
    closed = "closed"
    archived = "archived"


class NodeKind(StrEnum):
    heading = "heading"
    task = "task"


class DeadlineSource(StrEnum):
    document = "document"  # read from the task's own text
    plan_period = "plan_period"  # no deadline written: the plan's last day
    manual = "manual"  # set by a person


class ReportFrequency(StrEnum):
    none = "none"
    monthly = "monthly"
    quarterly = "quarterly"


class UnitRole(StrEnum):
    organizing = "organizing"  # 组织实施 / 牵头
    implementing = "implementing"  # 具体实施 / 责任
    cooperating = "cooperating"  # 配合 / 协办


ROLE_STRENGTH = {UnitRole.organizing: 0, UnitRole.implementing: 1, UnitRole.cooperating: 2}


class ResolutionStatus(StrEnum):
    resolved = "resolved"  # the directory matched it
    mapped = "mapped"  # a person mapped it
    pending = "pending"  # the directory was unreachable: retried automatically
    unmatched = "unmatched"  # the directory knows no such unit: a person must map it


class AssignmentState(StrEnum):
    open = "open"
    completed = "completed"  # a completion report was accepted (办结)


class Level(StrEnum):
    """The 督办 ladder: green (nothing to do), blue (deadline near), yellow, red (overdue)."""

    none = "none"
    blue = "blue"
    yellow = "yellow"
    red = "red"


LEVEL_ORDER = {Level.none: 0, Level.blue: 1, Level.yellow: 2, Level.red: 3}


class ReportStatus(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    behind = "behind"
    completed = "completed"  # asks for closure (办结申请)


class ReviewState(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    returned = "returned"


class Grade(StrEnum):
    excellent = "excellent"  # 优秀
    good = "good"  # 良好
    passed = "pass"  # 合格
    failed = "fail"  # 不合格


class ExtensionState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class ImportState(StrEnum):
    preview = "preview"
    confirmed = "confirmed"


class Direction(StrEnum):
    higher_is_better = "higher"  # 入园率
    lower_is_better = "lower"  # 大班额比例


class IndicatorKind(StrEnum):
    ratio = "ratio"  # numerator / denominator × factor
    number = "count"  # a cumulative count (建成幼儿园 12 所)


class YearBasis(StrEnum):
    calendar = "calendar"
    school_year = "school_year"


class ValueSource(StrEnum):
    manual = "manual"
    enrolment_stats = "enrolment_stats"


# --- plans and their tree ----------------------------------------------------------------------


class Plan(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "plan"

    kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, 30))
    title: Mapped[str] = mapped_column(String(300))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    issuer: Mapped[str | None] = mapped_column(String(200))
    period_start: Mapped[int | None] = mapped_column(Integer)
    period_end: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus, 20), server_default="draft")
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    # Who owns the plan: the issuing organisation. City plans belong to the city bureau (code
    # 450100); a district bureau's own plan carries its district code.
    owner_org_code: Mapped[str] = mapped_column(String(20), server_default="450100")
    owner_org_id: Mapped[uuid.UUID | None] = mapped_column()
    owner_district_code: Mapped[str | None] = mapped_column(String(20))
    # 分管领导: copied on yellow and red escalations of every task of the plan.
    leader_name: Mapped[str | None] = mapped_column(String(100))
    leader_subject: Mapped[str | None] = mapped_column(String(100))
    document_year: Mapped[int | None] = mapped_column(Integer)
    source_text: Mapped[str | None] = deferred(mapped_column(Text))
    source_filename: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, server_default=sql("1"))
    created_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_plan_parent_id", "parent_id"),
        Index("ix_plan_owner_district_code", "owner_district_code"),
    )


class PlanVersion(UUIDPrimaryKey, Base):
    """What the plan said at each version: header, tree, units and targets (留痕)."""

    __tablename__ = "plan_version"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql("now()")
    )
    snapshot: Mapped[dict[str, Any]] = deferred(mapped_column(JSONB))

    __table_args__ = (UniqueConstraint("plan_id", "number"),)


class PlanNode(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "plan_node"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plan_node.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)  # document order within the plan
    ref: Mapped[str] = mapped_column(String(300))  # "四/（一）/1"
    level: Mapped[int] = mapped_column(Integer)
    numbering: Mapped[str] = mapped_column(String(40))
    kind: Mapped[NodeKind] = mapped_column(_enum(NodeKind, 10))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, server_default="")
    # The deadline value (plans.imports.deadlines.Deadline) flattened.
    deadline_raw: Mapped[str | None] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column(Date)
    deadline_granularity: Mapped[str | None] = mapped_column(String(10))
    deadline_ongoing: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    deadline_range_start: Mapped[date | None] = mapped_column(Date)
    deadline_year_inferred: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    deadline_ambiguous: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    deadline_source: Mapped[DeadlineSource | None] = mapped_column(_enum(DeadlineSource, 20))
    report_frequency: Mapped[ReportFrequency] = mapped_column(
        _enum(ReportFrequency, 20), server_default="none"
    )

    __table_args__ = (
        UniqueConstraint("plan_id", "ref"),
        Index("ix_plan_node_plan_id_position", "plan_id", "position"),
        Index("ix_plan_node_parent_id", "parent_id"),
        Index("ix_plan_node_due_date", "due_date"),
    )


class UnitName(UUIDPrimaryKey, Timestamps, Base):
    """A responsible unit as the document names it, and how it was resolved."""

    __tablename__ = "unit_name"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_node.id", ondelete="CASCADE"))
    role: Mapped[UnitRole] = mapped_column(_enum(UnitRole, 20))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[ResolutionStatus] = mapped_column(_enum(ResolutionStatus, 20))
    match: Mapped[str | None] = mapped_column(String(20))  # name / alias / collective / manual
    organization_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), default=list)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("node_id", "role", "name"),
        Index("ix_unit_name_plan_id_status", "plan_id", "status"),
        Index(
            "ix_unit_name_pending",
            "status",
            postgresql_where=sql("status = 'pending'"),
        ),
    )


class Assignment(UUIDPrimaryKey, Timestamps, Base):
    """One organisation responsible for one task: it reports, is reminded and escalated."""

    __tablename__ = "assignment"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_node.id", ondelete="CASCADE"))
    role: Mapped[UnitRole] = mapped_column(_enum(UnitRole, 20))  # the strongest of its roles
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    source_names: Mapped[list[str]] = mapped_column(ARRAY(String(100)))
    org_id: Mapped[uuid.UUID] = mapped_column()
    org_code: Mapped[str | None] = mapped_column(String(20))
    org_name: Mapped[str] = mapped_column(String(200))
    org_kind: Mapped[str] = mapped_column(String(30))
    district_code: Mapped[str | None] = mapped_column(String(20))
    # The person who reports for the unit, and the unit's 分管领导 (copied on escalation).
    contact_subject: Mapped[str | None] = mapped_column(String(100))
    leader_name: Mapped[str | None] = mapped_column(String(100))
    leader_subject: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[AssignmentState] = mapped_column(
        _enum(AssignmentState, 20), server_default="open"
    )
    completed_on: Mapped[date | None] = mapped_column(Date)
    grade: Mapped[Grade | None] = mapped_column(_enum(Grade, 20))
    percent: Mapped[int | None] = mapped_column(Integer)
    last_report_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    extended_due: Mapped[date | None] = mapped_column(Date)
    # The highest 督办 sheet issued for the current due date.
    level: Mapped[Level] = mapped_column(_enum(Level, 10), server_default="none")

    node: Mapped[PlanNode] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("node_id", "org_id"),
        Index("ix_assignment_plan_id", "plan_id"),
        Index("ix_assignment_org_id", "org_id"),
        Index("ix_assignment_org_code", "org_code"),
        Index("ix_assignment_district_code", "district_code"),
    )


# --- progress and 督办 ------------------------------------------------------------------------


class ProgressReport(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "progress_report"

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE")
    )
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_node.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus, 20))
    percent: Mapped[int] = mapped_column(Integer)
    narrative: Mapped[str] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(String(7))  # "2019-03"
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_on: Mapped[date] = mapped_column(Date)  # Asia/Shanghai day, for 按期 judgements
    review_state: Mapped[ReviewState] = mapped_column(
        _enum(ReviewState, 20), server_default="submitted"
    )
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    return_reason: Mapped[str | None] = mapped_column(Text)
    review_comment: Mapped[str | None] = mapped_column(Text)
    grade: Mapped[Grade | None] = mapped_column(_enum(Grade, 20))

    __table_args__ = (
        Index("ix_progress_report_assignment_id", "assignment_id"),
        Index("ix_progress_report_plan_id_review_state", "plan_id", "review_state"),
        # One report awaiting review per unit and task.
        Index(
            "uq_progress_report_one_submitted",
            "assignment_id",
            unique=True,
            postgresql_where=sql("review_state = 'submitted'"),
        ),
    )


class ReportAttachment(UUIDPrimaryKey, Base):
    __tablename__ = "report_attachment"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("progress_report.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql("now()")
    )

    __table_args__ = (Index("ix_report_attachment_report_id", "report_id"),)


class ExtensionRequest(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "extension_request"

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE")
    )
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_node.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID] = mapped_column()
    current_due: Mapped[date] = mapped_column(Date)
    requested_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[ExtensionState] = mapped_column(
        _enum(ExtensionState, 20), server_default="pending"
    )
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_extension_request_plan_id_state", "plan_id", "state"),
        Index(
            "uq_extension_request_one_pending",
            "assignment_id",
            unique=True,
            postgresql_where=sql("state = 'pending'"),
        ),
    )


class SupervisionStep(UUIDPrimaryKey, Base):
    """One rung of the reminder/escalation ladder, taken once per assignment and due date.

    The unique key is what makes the daily scan idempotent: a second run the same day (or two
    workers at once) inserts nothing and therefore notifies nobody.
    """

    __tablename__ = "supervision_step"

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE")
    )
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_node.id", ondelete="CASCADE"))
    due_date: Mapped[date] = mapped_column(Date)
    step: Mapped[str] = mapped_column(String(30))  # "before:7", "level:yellow", "overdue:2"
    level: Mapped[Level] = mapped_column(_enum(Level, 10))
    scan_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql("now()")
    )

    __table_args__ = (
        UniqueConstraint("assignment_id", "due_date", "step"),
        Index("ix_supervision_step_plan_id", "plan_id"),
    )


class Notification(UUIDPrimaryKey, Base):
    """An in-app notice (the inbox), sent on through the outbox by the configured sender."""

    __tablename__ = "notification"

    kind: Mapped[str] = mapped_column(String(40))
    level: Mapped[Level | None] = mapped_column(_enum(Level, 10))
    recipient_org_id: Mapped[uuid.UUID | None] = mapped_column()
    recipient_org_code: Mapped[str | None] = mapped_column(String(20))
    recipient_district_code: Mapped[str | None] = mapped_column(String(20))
    recipient_subject: Mapped[str | None] = mapped_column(String(100))
    cc: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    node_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plan_node.id", ondelete="CASCADE")
    )
    assignment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE")
    )
    step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("supervision_step.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql("now()")
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_notification_recipient_org_id", "recipient_org_id"),
        Index("ix_notification_recipient_district_code", "recipient_district_code"),
        Index("ix_notification_assignment_id", "assignment_id"),
    )


# --- imports ---------------------------------------------------------------------------------


class PlanImport(UUIDPrimaryKey, Timestamps, Base):
    """A parsed document awaiting a person's confirmation; the preview is theirs to edit."""

    __tablename__ = "plan_import"

    state: Mapped[ImportState] = mapped_column(_enum(ImportState, 20), server_default="preview")
    filename: Mapped[str | None] = mapped_column(String(200))
    source_text: Mapped[str] = deferred(mapped_column(Text))
    preview: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(100))
    owner_org_code: Mapped[str] = mapped_column(String(20))
    owner_district_code: Mapped[str | None] = mapped_column(String(20))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_plan_import_created_by", "created_by"),)


# --- indicators ------------------------------------------------------------------------------


class Indicator(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "indicator"

    code: Mapped[str | None] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[IndicatorKind] = mapped_column(_enum(IndicatorKind, 10))
    numerator_label: Mapped[str | None] = mapped_column(String(200))
    denominator_label: Mapped[str | None] = mapped_column(String(200))
    factor: Mapped[float] = mapped_column(Float, server_default=sql("100"))
    unit: Mapped[str | None] = mapped_column(String(20))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, 10), server_default="higher")
    decimals: Mapped[int] = mapped_column(Integer, server_default=sql("1"))
    formula_variant: Mapped[str | None] = mapped_column(String(200))
    population_source: Mapped[str | None] = mapped_column(String(100))
    year_basis: Mapped[YearBasis] = mapped_column(_enum(YearBasis, 20), server_default="calendar")
    # Gross ratios (毛入园率) count pupils of any age over the official-age population.
    may_exceed_100: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))
    source: Mapped[ValueSource] = mapped_column(_enum(ValueSource, 20), server_default="manual")
    source_config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class IndicatorTarget(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "indicator_target"

    indicator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    node_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("plan_node.id", ondelete="SET NULL")
    )
    # The area the target is for: GB/T 2260 code (450100 the city, 450103 青秀区 …).
    scope_code: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[uuid.UUID | None] = mapped_column()
    year: Mapped[int] = mapped_column(Integer)
    comparator: Mapped[str] = mapped_column(String(2))
    value: Mapped[float] = mapped_column(Float)
    raw: Mapped[str | None] = mapped_column(String(300))
    year_inferred: Mapped[bool] = mapped_column(Boolean, server_default=sql("false"))

    __table_args__ = (
        UniqueConstraint("indicator_id", "plan_id", "scope_code", "year"),
        Index("ix_indicator_target_plan_id", "plan_id"),
    )


class IndicatorValue(UUIDPrimaryKey, Base):
    """A reported or pulled value. A newer value for the same key supersedes, never deletes."""

    __tablename__ = "indicator_value"

    indicator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    scope_code: Mapped[str] = mapped_column(String(20))
    parent_scope_code: Mapped[str | None] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))  # "2019" or "2019-06"
    numerator: Mapped[float | None] = mapped_column(Numeric(18, 4, asdecimal=False))
    denominator: Mapped[float | None] = mapped_column(Numeric(18, 4, asdecimal=False))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(60))
    population_source: Mapped[str | None] = mapped_column(String(100))
    as_of: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql("now()")
    )
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "uq_indicator_value_current",
            "indicator_id",
            "scope_code",
            "period",
            unique=True,
            postgresql_where=sql("superseded_at IS NULL"),
        ),
        Index("ix_indicator_value_indicator_id_year", "indicator_id", "year"),
    )


# --- kernel tables ---------------------------------------------------------------------------


class AuditLog(AuditLogMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    pass
