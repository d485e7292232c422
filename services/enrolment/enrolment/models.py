"""The enrolment service's tables, all in the `enrolment` schema.

Personal numbers (resident ID, property certificate, residence permit) are never stored in clear:
each is an AES-GCM ciphertext with the id of the key that wrote it, an HMAC blind index for
uniqueness and look-up, and a masked form for display (see `enrolment.privacy`).
"""

import secrets
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import AuditLogMixin
from shared.db import Timestamps, UUIDPrimaryKey, make_metadata
from shared.idempotency import IdempotencyRecordMixin
from shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = make_metadata("enrolment")


def _enum(enum: type[StrEnum], length: int = 30) -> Enum:
    return Enum(enum, native_enum=False, length=length, validate_strings=True)


class Stage(StrEnum):
    primary_g1 = "primary_g1"
    junior_g7 = "junior_g7"


class CycleStatus(StrEnum):
    draft = "draft"
    published = "published"
    closed = "closed"


class Ownership(StrEnum):
    public = "public"
    private = "private"


class Parity(StrEnum):
    all = "all"
    odd = "odd"
    even = "even"


class Sex(StrEnum):
    male = "male"
    female = "female"


class GuardianRelation(StrEnum):
    father = "father"
    mother = "mother"
    grandparent = "grandparent"
    other = "other"


class PropertyOwnership(StrEnum):
    sole = "sole"
    shared = "shared"


class PropertyOwner(StrEnum):
    parents = "parents"
    child = "child"
    grandparents = "grandparents"
    other = "other"


class ResidenceProof(StrEnum):
    property_certificate = "property_certificate"
    real_estate_certificate = "real_estate_certificate"
    purchase_contract = "purchase_contract"
    rental_contract = "rental_contract"


class EmploymentProof(StrEnum):
    labour_contract = "labour_contract"
    tax_record = "tax_record"
    business_licence = "business_licence"


class DocumentKind(StrEnum):
    hukou_book = "hukou_book"
    birth_certificate = "birth_certificate"
    property_certificate = "property_certificate"
    real_estate_certificate = "real_estate_certificate"
    purchase_contract = "purchase_contract"
    rental_contract = "rental_contract"
    residence_permit = "residence_permit"
    labour_contract = "labour_contract"
    tax_record = "tax_record"
    business_licence = "business_licence"
    social_insurance_record = "social_insurance_record"
    policy_priority_proof = "policy_priority_proof"
    other = "other"


class Track(StrEnum):
    public = "public"
    private = "private"


class ApplicationStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    under_review = "under_review"
    returned = "returned"
    resubmitted = "resubmitted"
    verified = "verified"
    rejected = "rejected"
    admitted = "admitted"
    unplaced = "unplaced"
    reassigned = "reassigned"
    confirmed = "confirmed"
    declined = "declined"
    withdrawn = "withdrawn"


SLOT_STATUSES = (
    ApplicationStatus.submitted,
    ApplicationStatus.under_review,
    ApplicationStatus.returned,
    ApplicationStatus.resubmitted,
    ApplicationStatus.verified,
    ApplicationStatus.admitted,
    ApplicationStatus.unplaced,
    ApplicationStatus.reassigned,
    ApplicationStatus.confirmed,
    ApplicationStatus.declined,
)
"""An application in one of these holds its child's place in the cycle: submitted and not
withdrawn or rejected. A draft holds nothing, so nobody can block a child by opening one."""

DUPLICATE_CHILD = "duplicate_child"
"""The flag on every live application for an ID number that more than one account submitted."""

CHILD_SLOT = text(
    "status IN ("
    + ", ".join(f"'{status.value}'" for status in SLOT_STATUSES)
    + f") AND NOT ('{DUPLICATE_CHILD}' = ANY (flags))"
)


class VerificationStatus(StrEnum):
    not_started = "not_started"
    pending = "pending"
    complete = "complete"


class Agency(StrEnum):
    public_security = "public_security"
    property_registry = "property_registry"
    social_insurance = "social_insurance"


class CheckOutcome(StrEnum):
    pending = "pending"
    matched = "matched"
    mismatch = "mismatch"
    not_found = "not_found"
    unavailable = "unavailable"


PUBLIC_ID_DEFAULT = text("upper(substr(md5(gen_random_uuid()::text), 1, 16))")
"""16 hexadecimal digits (64 random bits): short enough to read out, never a collision in practice."""


def new_public_id() -> str:
    """The same form as `PUBLIC_ID_DEFAULT`, drawn in Python where the row is written without a
    read-back (the submission hot path)."""
    return secrets.token_hex(8).upper()


class Cycle(UUIDPrimaryKey, Timestamps, Base):
    """One year × stage × district scope (a None district is city-wide)."""

    __tablename__ = "cycle"
    __mapper_args__ = {"eager_defaults": True}

    year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[Stage] = mapped_column(_enum(Stage, 20))
    district_code: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[CycleStatus] = mapped_column(
        _enum(CycleStatus, 20), server_default=CycleStatus.draft.value
    )
    registration_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registration_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # [{"start": "08:30", "end": "12:30"}, …] in Asia/Shanghai, never empty; all day is
    # [{"start": "00:00", "end": "24:00"}] (see `enrolment.windows`).
    daily_hours: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    # Other hours on given days: {"2026-07-07": [{"start": …, "end": …}, …],
    # "2026-07-05": {"closed": true}}.
    daily_hours_overrides: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    review_closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lottery_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    publication_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    age_min_years: Mapped[int] = mapped_column(Integer)
    age_max_years: Mapped[int | None] = mapped_column(Integer)
    age_cutoff_month: Mapped[int] = mapped_column(Integer)
    age_cutoff_day: Mapped[int] = mapped_column(Integer)
    # The ordered priority batches (see `enrolment.rules.BatchRule`).
    batches: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    private_required_documents: Mapped[list[list[str]]] = mapped_column(JSONB, default=list)
    public_private_exclusive: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    max_private_choices: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    class_size_max: Mapped[int] = mapped_column(Integer)
    class_size_min: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index(
            "uq_cycle_year_stage_district",
            "year",
            "stage",
            "district_code",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint("registration_closes_at > registration_opens_at", name="window_order"),
    )


class Offering(UUIDPrimaryKey, Timestamps, Base):
    """A school's places in a cycle. School identity is the directory's 学校标识码."""

    __tablename__ = "offering"
    __mapper_args__ = {"eager_defaults": True}

    cycle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    school_code: Mapped[str] = mapped_column(String(20))
    school_name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(20))
    ownership: Mapped[Ownership] = mapped_column(_enum(Ownership, 10))
    seats: Mapped[int] = mapped_column(Integer)
    classes: Mapped[int] = mapped_column(Integer)
    # Optional catchment polygon: a GeoJSON Polygon's coordinates ([[[lng, lat], …]]).
    polygon: Mapped[list[list[list[float]]] | None] = mapped_column(JSONB)

    __table_args__ = (
        UniqueConstraint("cycle_id", "school_code"),
        CheckConstraint("seats >= 0 AND classes >= 0", name="non_negative"),
    )


class CatchmentUnit(UUIDPrimaryKey, Base):
    """One address unit of a school's catchment: a 小区 by name, or a road's house-number range."""

    __tablename__ = "catchment_unit"

    offering_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offering.id", ondelete="CASCADE"))
    cycle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    district_code: Mapped[str] = mapped_column(String(20))
    community: Mapped[str | None] = mapped_column(String(100))
    road: Mapped[str | None] = mapped_column(String(100))
    road_key: Mapped[str | None] = mapped_column(String(100))
    number_from: Mapped[int | None] = mapped_column(Integer)
    number_to: Mapped[int | None] = mapped_column(Integer)
    parity: Mapped[Parity] = mapped_column(_enum(Parity, 10), server_default=Parity.all.value)
    estate: Mapped[str | None] = mapped_column(String(100))
    estate_key: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("road_key IS NOT NULL OR estate_key IS NOT NULL", name="road_or_estate"),
        Index("ix_catchment_unit_road", "cycle_id", "district_code", "road_key"),
        Index("ix_catchment_unit_estate", "cycle_id", "district_code", "estate_key"),
        Index("ix_catchment_unit_offering_id", "offering_id"),
    )


class Child(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "child"
    __mapper_args__ = {"eager_defaults": True}

    parent_subject: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[Sex] = mapped_column(_enum(Sex, 10))
    birth_date: Mapped[date] = mapped_column(Date)
    id_number_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_key_id: Mapped[str] = mapped_column(String(20))
    id_number_index: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_masked: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        UniqueConstraint("parent_subject", "id_number_index"),
        Index("ix_child_id_number_index", "id_number_index"),
    )


class FamilyFacts(Timestamps, Base):
    """What a family declares about a child: 户籍, property, 随迁子女 proofs, policy claims."""

    __tablename__ = "family_facts"
    __mapper_args__ = {"eager_defaults": True}

    child_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("child.id", ondelete="CASCADE"), primary_key=True
    )
    # Addresses are {district_code, road, house_number, community, estate, detail}.
    hukou_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    hukou_move_in_date: Mapped[date | None] = mapped_column(Date)
    three_generations: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    has_property: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    property_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    property_certificate_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    property_certificate_key_id: Mapped[str | None] = mapped_column(String(20))
    property_certificate_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    property_certificate_masked: Mapped[str | None] = mapped_column(String(60))
    property_ownership: Mapped[PropertyOwnership | None] = mapped_column(
        _enum(PropertyOwnership, 10)
    )
    property_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    property_owner: Mapped[PropertyOwner | None] = mapped_column(_enum(PropertyOwner, 20))
    property_handover_date: Mapped[date | None] = mapped_column(Date)
    lives_at_property: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    residence_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    residence_proof: Mapped[ResidenceProof | None] = mapped_column(_enum(ResidenceProof, 30))
    employment_proof: Mapped[EmploymentProof | None] = mapped_column(_enum(EmploymentProof, 30))
    social_insurance_months: Mapped[int | None] = mapped_column(Integer)
    claims: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)

    __table_args__ = (
        CheckConstraint(
            "property_share IS NULL OR (property_share > 0 AND property_share <= 1)",
            name="share_range",
        ),
    )


class Guardian(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "guardian"
    __mapper_args__ = {"eager_defaults": True}

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    relation: Mapped[GuardianRelation] = mapped_column(_enum(GuardianRelation, 20))
    name: Mapped[str] = mapped_column(String(50))
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_key_id: Mapped[str | None] = mapped_column(String(20))
    id_number_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_key_id: Mapped[str | None] = mapped_column(String(20))
    id_number_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_masked: Mapped[str | None] = mapped_column(String(20))
    hukou_in_nanning: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    residence_permit_district_code: Mapped[str | None] = mapped_column(String(20))
    residence_permit_valid_until: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_guardian_child_id", "child_id"),)


class Document(UUIDPrimaryKey, Base):
    __tablename__ = "document"

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    parent_subject: Mapped[str] = mapped_column(String(100))
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind, 40))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_document_child_id", "child_id"),)


class Application(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "application"
    __mapper_args__ = {"eager_defaults": True}

    cycle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    parent_subject: Mapped[str] = mapped_column(String(100))
    # The child's ID-number blind index: one unflagged live application per child per cycle,
    # whichever parent account files it (`uq_application_child_slot`).
    id_number_index: Mapped[bytes] = mapped_column(LargeBinary)
    track: Mapped[Track] = mapped_column(_enum(Track, 10))
    # Offering ids of the private schools chosen, most wanted first.
    private_choices: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    status: Mapped[ApplicationStatus] = mapped_column(_enum(ApplicationStatus, 20))
    migrant: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    district_code: Mapped[str | None] = mapped_column(String(20))
    school_codes: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    catchment_offering_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("offering.id", ondelete="SET NULL")
    )
    catchment_school_code: Mapped[str | None] = mapped_column(String(20))
    catchment_rule: Mapped[str | None] = mapped_column(Text)
    batch_code: Mapped[str | None] = mapped_column(String(40))
    batch_order: Mapped[int | None] = mapped_column(Integer)
    batch_name: Mapped[str | None] = mapped_column(String(100))
    batch_reason: Mapped[str | None] = mapped_column(Text)
    batch_explanation: Mapped[list[str]] = mapped_column(JSONB, default=list)
    priority_key: Mapped[list[float]] = mapped_column(ARRAY(Double), default=list)
    facts_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    property_certificate_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    flags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    verification_status: Mapped[VerificationStatus] = mapped_column(
        _enum(VerificationStatus, 20), server_default=VerificationStatus.not_started.value
    )
    return_message: Mapped[str | None] = mapped_column(Text)
    corrections: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The id published with the lottery and the results instead of anything that names the
    # child: the lottery number is HMAC(seed, "cycle id:public id"). Drawn by the database once,
    # at insert, and never regenerated (NYC's 2022 lesson: a restarted application must keep it).
    public_id: Mapped[str] = mapped_column(String(20), server_default=PUBLIC_ID_DEFAULT)
    # Filled by the batch-admission job.
    admitted_offering_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("offering.id", ondelete="SET NULL")
    )
    admitted_school_code: Mapped[str | None] = mapped_column(String(20))
    admitted_ownership: Mapped[Ownership | None] = mapped_column(_enum(Ownership, 10))

    __table_args__ = (
        # One application (draft or live) per child of an account per cycle.
        Index(
            "uq_application_one_per_child",
            "cycle_id",
            "child_id",
            unique=True,
            postgresql_where=text("status <> 'withdrawn'"),
        ),
        # Across accounts, one live application per ID number per cycle unless every one of
        # them is flagged `duplicate_child` for reviewers: a second account's submission is
        # never silently refused, and never silently accepted either.
        Index(
            "uq_application_child_slot",
            "cycle_id",
            "id_number_index",
            unique=True,
            postgresql_where=CHILD_SLOT,
        ),
        Index("ix_application_cycle_id_number_index", "cycle_id", "id_number_index"),
        Index("ix_application_queue", "cycle_id", "status", "id"),
        Index("ix_application_district_queue", "cycle_id", "district_code", "status", "id"),
        Index("ix_application_school_codes", "school_codes", postgresql_using="gin"),
        Index("ix_application_flags", "flags", postgresql_using="gin"),
        Index("ix_application_parent_subject", "parent_subject"),
        Index("ix_application_child_id", "child_id"),
        Index("ix_application_property_certificate_index", "property_certificate_index"),
        UniqueConstraint("public_id"),
    )


class ApplicationEvent(Base):
    """The status timeline a family sees (staff identities stay in the audit log)."""

    __tablename__ = "application_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE")
    )
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    from_status: Mapped[ApplicationStatus | None] = mapped_column(_enum(ApplicationStatus, 20))
    to_status: Mapped[ApplicationStatus] = mapped_column(_enum(ApplicationStatus, 20))
    actor_kind: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_application_event_application_id", "application_id", "id"),)


class Verification(UUIDPrimaryKey, Base):
    """One agency's answer about one application, stored for reviewers."""

    __tablename__ = "verification"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE")
    )
    agency: Mapped[Agency] = mapped_column(_enum(Agency, 30))
    outcome: Mapped[CheckOutcome] = mapped_column(_enum(CheckOutcome, 20))
    # What matched and what did not, as booleans and dates: no personal numbers.
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("application_id", "agency"),)


class Notification(Base):
    """An SMS sent to a family (the development sender only records and logs it)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    parent_subject: Mapped[str] = mapped_column(String(100))
    application_id: Mapped[uuid.UUID | None] = mapped_column()
    template: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class PublicationStatus(StrEnum):
    scheduled = "scheduled"
    published = "published"


class OfferRound(StrEnum):
    main = "main"
    reassignment = "reassignment"


class OfferStatus(StrEnum):
    offered = "offered"
    confirmed = "confirmed"
    declined = "declined"
    expired = "expired"


LIVE_OFFER = text("status IN ('offered', 'confirmed')")
ACTIVE_RUN = text("status IN ('queued', 'running')")


class LotterySeed(Base):
    """A cycle's lottery seed: committed (SHA-256 published) before the draw, revealed after.

    The seed is encrypted like the personal numbers until it is revealed; then it is public and
    kept in clear so anyone can recompute every number.
    """

    __tablename__ = "lottery_seed"

    cycle_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cycle.id", ondelete="CASCADE"), primary_key=True
    )
    seed_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    seed_key_id: Mapped[str] = mapped_column(String(20))
    commitment: Mapped[str] = mapped_column(String(64))
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    committed_by: Mapped[str] = mapped_column(String(100))
    revealed_seed: Mapped[str | None] = mapped_column(String(128))
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("commitment ~ '^[0-9a-f]{64}$'", name="commitment_hex"),
        CheckConstraint("(revealed_seed IS NULL) = (revealed_at IS NULL)", name="revealed_both"),
    )


class AdmissionRun(UUIDPrimaryKey, Base):
    """One run of the admission job for a cycle, or one district of a city-wide cycle.

    A run's placements are written in one transaction together with the swap that makes it the
    scope's current run, so the current run is always whole; a crash leaves the previous one.
    """

    __tablename__ = "admission_run"

    cycle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    district_code: Mapped[str | None] = mapped_column(String(20))
    """None: the whole cycle."""
    scope: Mapped[str] = mapped_column(String(20))
    """The district code, or "all": one non-null key for the unique indexes."""
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, 20))
    phase: Mapped[str] = mapped_column(String(30))
    progress: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    job_id: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    # What the run was computed from, recorded so anyone can check it was not changed later.
    inputs_digest: Mapped[str | None] = mapped_column(String(64))
    commitment: Mapped[str | None] = mapped_column(String(64))
    seed_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    seed_key_id: Mapped[str | None] = mapped_column(String(20))
    engine_version: Mapped[str | None] = mapped_column(String(40))
    is_current: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    applications: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    placed: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    unplaced: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    statistics: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    timings: Mapped[dict[str, float]] = mapped_column(JSONB, default=dict)
    publication_status: Mapped[PublicationStatus | None] = mapped_column(
        _enum(PublicationStatus, 20)
    )
    publish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    respond_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        # One run at a time per scope, one current run and one published run per scope.
        Index(
            "uq_admission_run_active", "cycle_id", "scope", unique=True, postgresql_where=ACTIVE_RUN
        ),
        Index(
            "uq_admission_run_current",
            "cycle_id",
            "scope",
            unique=True,
            postgresql_where=text("is_current"),
        ),
        Index(
            "uq_admission_run_published",
            "cycle_id",
            "scope",
            unique=True,
            postgresql_where=text("publication_status IS NOT NULL"),
        ),
        Index("ix_admission_run_cycle_id", "cycle_id", "id"),
        Index(
            "ix_admission_run_due",
            "publish_at",
            postgresql_where=text("publication_status = 'scheduled'"),
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        CheckConstraint("NOT is_current OR status = 'succeeded'", name="current_succeeded"),
        CheckConstraint("publication_status IS NULL OR is_current", name="published_is_current"),
    )


class AdmissionRunSchool(Base):
    """A school's seats and outcome in one run (its capacity as the run saw it)."""

    __tablename__ = "admission_run_school"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("admission_run.id", ondelete="CASCADE"), primary_key=True
    )
    # A snapshot (code, name, capacity as the run saw them), not a reference: a run's record
    # outlives later edits of the offering.
    offering_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    school_code: Mapped[str] = mapped_column(String(20))
    school_name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(20))
    ownership: Mapped[Ownership] = mapped_column(_enum(Ownership, 10))
    capacity: Mapped[int] = mapped_column(Integer)
    admitted: Mapped[int] = mapped_column(Integer)
    applicants: Mapped[int] = mapped_column(Integer)
    first_choice: Mapped[int] = mapped_column(Integer)
    cutoff_key: Mapped[list[float] | None] = mapped_column(ARRAY(Double))
    cutoff_lottery: Mapped[Decimal | None] = mapped_column(Numeric(78, 0))
    cutoff_public_id: Mapped[str | None] = mapped_column(String(20))
    cutoff_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # The target of the placements' composite foreign key: a placement carries the capacity
        # its seat number is checked against, and that capacity must be the school's.
        UniqueConstraint("run_id", "offering_id", "capacity"),
        UniqueConstraint("run_id", "school_code"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("admitted BETWEEN 0 AND capacity", name="admitted_within_capacity"),
    )


class AdmissionPlacement(Base):
    """One application's outcome in one run, with the inputs the engine saw for it."""

    __tablename__ = "admission_placement"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("admission_run.id", ondelete="CASCADE"), primary_key=True
    )
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), primary_key=True
    )
    public_id: Mapped[str] = mapped_column(String(20))
    district_code: Mapped[str | None] = mapped_column(String(20))
    track: Mapped[Track] = mapped_column(_enum(Track, 10))
    batch_code: Mapped[str | None] = mapped_column(String(40))
    offering_id: Mapped[uuid.UUID | None] = mapped_column()
    capacity: Mapped[int | None] = mapped_column(Integer)
    seat_no: Mapped[int | None] = mapped_column(Integer)
    choice_rank: Mapped[int | None] = mapped_column(Integer)
    """1 for the first choice; with 公民同招 the catchment school comes after the private ones."""
    fallback: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """Placed at the catchment school after losing the private-school lottery."""
    lottery: Mapped[Decimal] = mapped_column(Numeric(78, 0))
    choices: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    """School codes, most wanted first: the engine's input, as published."""
    priority: Mapped[dict[str, list[float]]] = mapped_column(JSONB)
    ineligible: Mapped[dict[str, str]] = mapped_column(JSONB)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    summary: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "offering_id", "capacity"],
            [
                "admission_run_school.run_id",
                "admission_run_school.offering_id",
                "admission_run_school.capacity",
            ],
            name="fk_admission_placement_run_school",
            ondelete="CASCADE",
        ),
        # A seat is a number from 1 to the school's capacity, held by one child per run: the
        # database itself refuses a school over capacity or a child placed twice.
        UniqueConstraint("run_id", "offering_id", "seat_no"),
        CheckConstraint(
            "(offering_id IS NULL) = (seat_no IS NULL) AND (offering_id IS NULL) = (capacity IS NULL)",
            name="seat_iff_placed",
        ),
        CheckConstraint("seat_no BETWEEN 1 AND capacity", name="seat_within_capacity"),
        Index("ix_admission_placement_application_id", "application_id"),
        Index(
            "ix_admission_placement_unplaced",
            "run_id",
            "public_id",
            postgresql_where=text("offering_id IS NULL"),
        ),
    )


class ReassignmentRound(UUIDPrimaryKey, Base):
    """One 调剂 round: unplaced children (and those who declined and asked) get one offer."""

    __tablename__ = "reassignment_round"

    cycle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    district_code: Mapped[str | None] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    respond_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    candidates: Mapped[int] = mapped_column(Integer)
    offered: Mapped[int] = mapped_column(Integer)
    expired: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (Index("ix_reassignment_round_cycle_id", "cycle_id"),)


class AdmissionOffer(UUIDPrimaryKey, Base):
    """A seat offered to a family after publication: confirmed, declined or left to expire."""

    __tablename__ = "admission_offer"

    cycle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"))
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE")
    )
    round: Mapped[OfferRound] = mapped_column(_enum(OfferRound, 20))
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("admission_run.id", ondelete="CASCADE")
    )
    round_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reassignment_round.id", ondelete="CASCADE")
    )
    offering_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offering.id"))
    school_code: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int] = mapped_column(Integer)
    seat_no: Mapped[int] = mapped_column(Integer)
    status: Mapped[OfferStatus] = mapped_column(_enum(OfferStatus, 20))
    respond_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    wants_reassignment: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # A child holds at most one live offer; a live seat has one holder; one 调剂 offer each.
        Index(
            "uq_admission_offer_live_application",
            "application_id",
            unique=True,
            postgresql_where=LIVE_OFFER,
        ),
        Index(
            "uq_admission_offer_live_seat",
            "offering_id",
            "seat_no",
            unique=True,
            postgresql_where=LIVE_OFFER,
        ),
        Index(
            "uq_admission_offer_one_reassignment",
            "application_id",
            unique=True,
            postgresql_where=text("round = 'reassignment'"),
        ),
        Index("ix_admission_offer_cycle_school", "cycle_id", "school_code", "status"),
        CheckConstraint("seat_no BETWEEN 1 AND capacity", name="seat_within_capacity"),
        CheckConstraint(
            "(round = 'main') = (run_id IS NOT NULL) AND (round = 'reassignment') = (round_id IS NOT NULL)",
            name="round_source",
        ),
    )


class AuditLog(AuditLogMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    pass
