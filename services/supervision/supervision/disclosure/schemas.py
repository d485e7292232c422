import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from supervision.models import PublicationStatus


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextReplacement(_Model):
    find: str = Field(min_length=1, max_length=200)
    replace: str = Field(default="＊＊", max_length=200)


class RedactionRequest(_Model):
    """Personal names and internal ids are always removed; these are extra, by hand."""

    replacements: list[TextReplacement] = Field(default_factory=list, max_length=100)
    omit_targets: list[str] = Field(
        default_factory=list, max_length=500, description="Org codes left out of the publication"
    )
    omit_finding_details: bool = Field(
        default=False, description="Publish the problem counts only, not the list"
    )


class PublishRequest(_Model):
    as_of: date = Field(description="The date the published results are true as of")


class WithdrawRequest(_Model):
    reason: str = Field(min_length=1, max_length=2000)


class PublicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assessment_id: uuid.UUID
    status: PublicationStatus
    title: str
    kind: str
    year: int
    district_code: str | None
    content: dict[str, Any]
    public_content: dict[str, Any] | None
    redactions: dict[str, Any]
    as_of: date | None
    approved_at: datetime | None
    redacted_at: datetime | None
    published_at: datetime | None
    withdrawn_at: datetime | None
    created_at: datetime


class PublicResultSummary(BaseModel):
    id: uuid.UUID
    title: str
    kind: str
    year: int
    district_code: str | None
    as_of: date
    published_at: datetime
    targets: int
    passed: int


class PublicResult(BaseModel):
    id: uuid.UUID
    title: str
    kind: str
    year: int
    district_code: str | None
    as_of: date
    published_at: datetime
    content: dict[str, Any]


class CountyStatistics(BaseModel):
    district_code: str
    rank: int
    targets: int
    passed: int
    failed: int
    insufficient_data: int
    pass_rate: float | None
    findings: int
    findings_closed: int
    close_rate: float | None


class PublicStatistics(BaseModel):
    year: int | None
    kind: str | None
    counties: list[CountyStatistics]
    note: str


class StaffCountyStatistics(BaseModel):
    district_code: str
    rank: int
    assessments: int
    targets_evaluated: int
    passed: int
    failed: int
    insufficient_data: int
    findings: int
    findings_open: int
    findings_closed: int
    findings_overdue: int
    close_rate: float | None
    schools_assigned: int
    schools_visited: int
    visit_coverage: float | None
    accountability_actions: int


class StaffStatistics(BaseModel):
    month: str
    counties: list[StaffCountyStatistics]
