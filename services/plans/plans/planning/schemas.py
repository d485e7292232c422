import uuid
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plans.models import (
    AssignmentState,
    DeadlineSource,
    Grade,
    NodeKind,
    PlanKind,
    PlanStatus,
    ReportFrequency,
    ResolutionStatus,
    UnitRole,
)

Granularity = Literal["day", "month", "quarter", "half", "year"]
Light = Literal["green", "blue", "yellow", "red", "done"]

Year = Field(default=None, ge=1949, le=2100)


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: PlanKind
    title: str
    doc_number: str | None
    issuer: str | None
    period_start: int | None
    period_end: int | None
    status: PlanStatus
    parent_id: uuid.UUID | None
    owner_org_code: str
    owner_org_id: uuid.UUID | None
    owner_district_code: str | None
    leader_name: str | None
    leader_subject: str | None
    document_year: int | None
    source_filename: str | None
    version: int = Field(description="Send it back when updating: a stale version gets 409.")
    created_at: datetime
    updated_at: datetime


class PlanCreate(BaseModel):
    kind: PlanKind
    title: str = Field(min_length=1, max_length=300)
    doc_number: str | None = Field(default=None, max_length=100)
    issuer: str | None = Field(default=None, max_length=200)
    period_start: int | None = Year
    period_end: int | None = Year
    parent_id: uuid.UUID | None = None
    status: PlanStatus = PlanStatus.draft
    leader_name: str | None = Field(default=None, max_length=100)
    leader_subject: str | None = Field(default=None, max_length=100)
    owner_org_id: uuid.UUID | None = Field(
        default=None, description="The issuing organisation in the directory, if known."
    )
    source_text: str | None = Field(default=None, max_length=500_000)

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class PlanUpdate(BaseModel):
    version: int = Field(ge=1, description="The version you read; 409 if the plan changed since.")
    kind: PlanKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    doc_number: str | None = Field(default=None, max_length=100)
    issuer: str | None = Field(default=None, max_length=200)
    period_start: int | None = Year
    period_end: int | None = Year
    parent_id: uuid.UUID | None = None
    status: PlanStatus | None = None
    leader_name: str | None = Field(default=None, max_length=100)
    leader_subject: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=200)


class DeadlineRead(BaseModel):
    raw: str | None
    due: date | None
    granularity: str | None
    ongoing: bool
    range_start: date | None
    year_inferred: bool
    ambiguous: bool
    source: DeadlineSource | None


class DeadlineInput(BaseModel):
    """Either the words ("2022年底前，持续实施", parsed like an import) or a date, or both."""

    raw: str | None = Field(default=None, max_length=300)
    due: date | None = None
    ongoing: bool | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.raw and self.raw.strip()) and self.due is None and not self.ongoing:
            raise ValueError("give raw text, a due date or ongoing")
        return self


class UnitInput(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: UnitRole


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: UnitRole
    name: str
    status: ResolutionStatus
    match: str | None
    organization_ids: list[uuid.UUID]


class AssignmentRead(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    org_code: str | None
    org_name: str
    org_kind: str
    district_code: str | None
    role: UnitRole
    roles: list[UnitRole]
    state: AssignmentState
    percent: int | None
    completed_on: date | None
    grade: Grade | None
    due: date | None = Field(
        description="The deadline in force: an approved extension or the task's."
    )
    extended_due: date | None
    light: Light
    days_overdue: int
    last_report_at: datetime | None
    contact_subject: str | None
    leader_name: str | None
    leader_subject: str | None


class NodeRead(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    ref: str
    level: int
    numbering: str
    kind: NodeKind
    title: str
    text: str
    deadline: DeadlineRead | None
    report_frequency: ReportFrequency
    units: list[UnitRead] = Field(default_factory=list)
    assignments: list[AssignmentRead] = Field(default_factory=list)
    light: Light | None = Field(default=None, description="Tasks only: the worst of its units.")
    children: list["NodeRead"] = Field(default_factory=list)


class PlanTree(BaseModel):
    plan: PlanRead
    complete: bool = Field(
        description="False when the caller sees only its own tasks and their headings."
    )
    nodes: list[NodeRead]


class NodeCreate(BaseModel):
    version: int = Field(ge=1)
    parent_id: uuid.UUID | None = None
    numbering: str = Field(min_length=1, max_length=40, examples=["5."])
    kind: NodeKind
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=50_000)
    deadline: DeadlineInput | None = None
    report_frequency: ReportFrequency = ReportFrequency.none
    units: list[UnitInput] = Field(default_factory=list, max_length=200)


class NodeUpdate(BaseModel):
    version: int = Field(ge=1)
    numbering: str | None = Field(default=None, min_length=1, max_length=40)
    kind: NodeKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    text: str | None = Field(default=None, max_length=50_000)
    deadline: DeadlineInput | None = Field(
        default=None, description="Send null to clear the deadline."
    )
    report_frequency: ReportFrequency | None = None
    units: list[UnitInput] | None = Field(
        default=None, max_length=200, description="Replaces the task's units when given."
    )


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    reason: str
    created_by: str | None
    created_at: datetime


class VersionDetail(VersionRead):
    snapshot: dict[str, Any]


class SourceText(BaseModel):
    filename: str | None
    text: str | None
