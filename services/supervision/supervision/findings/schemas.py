import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from supervision.models import FindingSeverity, FindingStatus, ReviewOutcome


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingCreate(_Model):
    """A 问题清单 item: on an assessment target, or on a school directly."""

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=5000)
    severity: FindingSeverity = FindingSeverity.general
    category: str | None = Field(default=None, max_length=64, description="Indicator or item code")
    assessment_id: uuid.UUID | None = None
    target_id: uuid.UUID | None = None
    school_code: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[0-9]+$")
    owner_person: str | None = Field(
        default=None, max_length=100, description="责任人 (name and post) at the owner unit"
    )
    deadline: date | None = Field(default=None, description="整改期限; default 30 days")

    @model_validator(mode="after")
    def _one_subject(self) -> "FindingCreate":
        if (self.target_id is None) == (self.school_code is None):
            raise ValueError("give either target_id (with assessment_id) or school_code")
        if self.target_id is not None and self.assessment_id is None:
            raise ValueError("target_id needs assessment_id")
        return self


class RectificationCreate(_Model):
    summary: str = Field(min_length=1, max_length=10000, description="What was done")
    evidence_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class ReviewCreate(_Model):
    outcome: ReviewOutcome
    comment: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _reason_for_failure(self) -> "ReviewCreate":
        if self.outcome == ReviewOutcome.failed and not (self.comment or "").strip():
            raise ValueError("复查不通过须说明原因（comment）")
        return self


class ReopenCreate(_Model):
    reason: str = Field(min_length=1, max_length=5000)
    deadline: date


class RectificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    round: int
    summary: str
    evidence_ids: list[uuid.UUID]
    submitted_by: str | None
    submitted_at: datetime
    review_outcome: ReviewOutcome | None
    review_comment: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    title: str
    description: str
    severity: FindingSeverity
    category: str | None
    assessment_id: uuid.UUID | None
    target_id: uuid.UUID | None
    visit_id: uuid.UUID | None
    district_code: str
    school_code: str | None
    owner_org_code: str
    owner_name: str
    owner_person: str | None
    deadline: date
    status: FindingStatus
    escalation_level: int
    reopen_count: int
    closed_at: datetime | None
    created_at: datetime


class FindingDetail(FindingRead):
    rectifications: list[RectificationRead]
