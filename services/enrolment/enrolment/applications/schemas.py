import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from enrolment.models import ApplicationStatus, Track, VerificationStatus


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cycle_id: uuid.UUID
    child_id: uuid.UUID
    track: Track = Field(
        default=Track.public, description="public (catchment school) or private (民办)"
    )
    private_choices: list[uuid.UUID] = Field(
        default_factory=list, max_length=5, description="Offering ids, most wanted first."
    )
    submit: bool = Field(default=False, description="Submit at once instead of keeping a draft.")


class ApplicationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    track: Track | None = None
    private_choices: list[uuid.UUID] | None = Field(default=None, max_length=5)


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=100, examples=["documents.property_certificate"])
    message: str = Field(min_length=1, max_length=500)


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    occurred_at: datetime
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    actor_kind: str
    reason_code: str | None
    message: str | None


class SchoolRef(BaseModel):
    offering_id: uuid.UUID
    school_code: str
    school_name: str
    rule: str | None = Field(default=None, description="The catchment unit that matched.")


class BatchInfo(BaseModel):
    code: str
    name: str
    order: int
    reason: str = Field(description="Why the child is in this batch, in plain Chinese.")
    not_in_earlier: list[str] = Field(description="Why not in each earlier batch.")
    priority_key: list[float]


class ApplicationRead(BaseModel):
    id: uuid.UUID
    public_id: str = Field(
        description="报名编号: the id the lottery number is drawn from and results are published "
        "under; never names the child."
    )
    cycle_id: uuid.UUID
    child_id: uuid.UUID
    track: Track
    private_choices: list[uuid.UUID]
    status: ApplicationStatus
    status_text: str
    catchment_school: SchoolRef | None
    batch: BatchInfo | None
    verification_status: VerificationStatus
    return_message: str | None
    corrections: list[Correction]
    submitted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineEntry] = Field(default_factory=list)


class ApplicationStatusRead(BaseModel):
    """The lean read families poll."""

    id: uuid.UUID
    status: ApplicationStatus
    status_text: str
    batch_name: str | None
    verification_status: VerificationStatus
    updated_at: datetime


class WithdrawBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=300)


Decision = Literal["approve", "return", "reject"]
