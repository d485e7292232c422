import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from enrolment.models import (
    ApplicationStatus,
    OfferRound,
    OfferStatus,
    Ownership,
    PublicationStatus,
    RunStatus,
    Track,
)


class LotteryRead(BaseModel):
    cycle_id: uuid.UUID
    algorithm: str = Field(
        default="commitment = SHA-256(seed bytes); "
        'number = HMAC-SHA256(key = seed bytes, message = "<cycle id>:<public id>") '
        "as a big-endian integer, smaller wins",
    )
    commitment: str = Field(description="SHA-256 of the seed's bytes, published before the draw.")
    committed_at: datetime
    seed: str | None = Field(description="Revealed after the draw; null until then.")
    revealed_at: datetime | None
    verify_command: str | None = Field(
        description="Once revealed: recompute a lottery number with the `xuezai` command."
    )


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_code: str | None = Field(
        default=None,
        pattern=r"^\d{6}$",
        description="Admit one district of a city-wide cycle; omit for the whole cycle.",
    )


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    cycle_id: uuid.UUID
    district_code: str | None
    status: RunStatus
    phase: str
    progress: int = Field(description="Percent done, 0–100.")
    cancel_requested: bool
    attempts: int
    job_id: str
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    error: str | None
    inputs_digest: str | None = Field(
        description="SHA-256 of the run's inputs (see `enrolment.admission.instance.inputs_digest`)."
    )
    commitment: str | None
    engine_version: str | None
    is_current: bool
    applications: int
    placed: int
    unplaced: int
    statistics: dict[str, Any]
    timings: dict[str, float] = Field(description="Seconds per phase.")
    publication_status: PublicationStatus | None
    publish_at: datetime | None
    respond_by: datetime | None
    published_at: datetime | None


class Cutoff(BaseModel):
    key: list[float]
    lottery: str = Field(description="The last admitted child's lottery number (decimal).")
    public_id: str
    text: str


class RunSchoolRead(BaseModel):
    school_code: str
    school_name: str
    district_code: str
    ownership: Ownership
    capacity: int
    admitted: int
    applicants: int
    first_choice: int
    seats_left: int
    cutoff: Cutoff | None
    summary: str | None


class ChoiceOutcome(BaseModel):
    choice: int
    school_code: str
    school_name: str
    outcome: Literal["admitted", "not_admitted", "ineligible"]
    reason: str
    message: str = Field(description="In plain Chinese.")


class RosterEntry(BaseModel):
    seat_no: int
    public_id: str
    child_name: str
    id_number: str = Field(description="Masked.")
    track: Track
    batch_code: str | None
    choice_rank: int | None
    fallback: bool = Field(description="Placed here after losing a private-school lottery.")
    basis: str = Field(description="The admission order the child was placed by.")
    lottery: str
    offer_status: OfferStatus | None = Field(description="Once published.")


class RosterRead(BaseModel):
    run_id: uuid.UUID
    school: RunSchoolRead
    entries: list[RosterEntry]


class UnplacedEntry(BaseModel):
    public_id: str
    application_id: uuid.UUID
    child_name: str
    district_code: str | None
    track: Track
    batch_code: str | None
    summary: str
    choices: list[ChoiceOutcome]


class PublicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish_at: datetime | None = Field(
        default=None, description="When families see the results; now if omitted."
    )
    respond_by: datetime = Field(description="Offers must be confirmed or declined by then.")

    @model_validator(mode="after")
    def _times(self) -> "PublicationIn":
        for name in ("publish_at", "respond_by"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} needs a time zone (e.g. +08:00)")
        if self.publish_at is not None and self.respond_by <= self.publish_at:
            raise ValueError("respond_by must be after publish_at")
        return self


class OfferRead(BaseModel):
    round: OfferRound
    status: OfferStatus
    school_code: str
    respond_by: datetime
    can_confirm: bool
    can_decline: bool


class LotteryNumber(BaseModel):
    number: str = Field(description="Decimal; 256-bit, so a string.")
    cycle_id: uuid.UUID
    public_id: str
    seed: str | None
    commitment: str
    verify_command: str | None


class SchoolBrief(BaseModel):
    school_code: str
    school_name: str
    ownership: Ownership


class BatchBrief(BaseModel):
    code: str
    name: str


class FamilyResult(BaseModel):
    application_id: uuid.UUID
    public_id: str
    cycle_id: uuid.UUID
    published: bool
    status: ApplicationStatus
    status_text: str
    summary: str | None = Field(description="One sentence in plain Chinese.")
    school: SchoolBrief | None
    round: OfferRound | None
    batch: BatchBrief | None
    choices: list[ChoiceOutcome]
    lottery: LotteryNumber | None
    offer: OfferRead | None


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reassignment: bool = Field(
        default=False,
        description="Ask for one 调剂 offer instead (only when declining a main-round offer).",
    )
    reason: str | None = Field(default=None, max_length=300)


class ReassignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_code: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="One district of a city-wide cycle."
    )
    method: Literal["list", "distance"] = Field(
        description="`list`: every child tries `schools` in order (or their own `candidates`); "
        "`distance`: nearest school with a seat first, from the home's coordinates to each "
        "school's catchment polygon (children without coordinates use `schools`)."
    )
    schools: list[str] = Field(
        default_factory=list, max_length=2000, description="The district's 调剂 list, in order."
    )
    candidates: dict[str, list[str]] = Field(
        default_factory=dict,
        max_length=100_000,
        description="Public id → schools to try for that child, in order.",
    )
    respond_by: datetime

    @model_validator(mode="after")
    def _aware(self) -> "ReassignmentIn":
        if self.respond_by.tzinfo is None:
            raise ValueError("respond_by needs a time zone (e.g. +08:00)")
        return self


class ReassignedChild(BaseModel):
    public_id: str
    school_code: str


class ReassignmentReport(BaseModel):
    round_id: uuid.UUID
    expired: int = Field(description="Offers left unanswered past their deadline, now declined.")
    candidates: int
    offered: int
    still_unplaced: int
    offers: list[ReassignedChild]


class LiveRosterEntry(BaseModel):
    seat_no: int
    public_id: str
    child_name: str
    id_number: str
    round: OfferRound
    status: OfferStatus
    respond_by: datetime


class LiveRosterRead(BaseModel):
    cycle_id: uuid.UUID
    school_code: str
    entries: list[LiveRosterEntry]
