import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from supervision.models import (
    AssessmentKind,
    AssessmentPhase,
    DocumentKind,
    InputSource,
    TargetKind,
    TeamRole,
)

OrgCodeField = Field(min_length=1, max_length=20, pattern=r"^[0-9]+$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssessmentCreate(_Model):
    kind: AssessmentKind
    title: str = Field(min_length=1, max_length=300)
    year: int = Field(ge=2000, le=2100)
    district_code: str | None = Field(
        default=None,
        min_length=6,
        max_length=20,
        pattern=r"^[0-9]+$",
        description="The county it runs in; omit for a city-wide campaign",
    )
    template_code: str | None = Field(
        default=None, max_length=40, description="专项督导 template (see /v1/campaign-templates)"
    )
    framework_code: str | None = Field(
        default=None,
        max_length=64,
        description="Defaults to the kind's (or the template's) built-in framework",
    )
    framework_version: str | None = Field(
        default=None, max_length=32, description="Pin a version; default: the one in force"
    )
    as_of: date | None = Field(default=None, description="Whose rules apply; default today")
    description: str | None = Field(default=None, max_length=10000)
    starts_on: date | None = None
    due_on: date | None = None
    targets: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="Org codes inspected (schools, kindergartens or counties)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> "AssessmentCreate":
        if self.kind == AssessmentKind.special and not self.template_code:
            raise ValueError("专项督导需要 template_code")
        if self.kind != AssessmentKind.special and self.template_code:
            raise ValueError("template_code is only for kind=special")
        if self.starts_on and self.due_on and self.due_on < self.starts_on:
            raise ValueError("due_on is before starts_on")
        for code in self.targets:
            if not code.isdigit() or not 1 <= len(code) <= 20:
                raise ValueError(f"invalid org code: {code!r}")
        return self


class TargetsAdd(_Model):
    org_codes: list[str] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _codes(self) -> "TargetsAdd":
        for code in self.org_codes:
            if not code.isdigit() or not 1 <= len(code) <= 20:
                raise ValueError(f"invalid org code: {code!r}")
        return self


class TeamMemberAdd(_Model):
    inspector_id: uuid.UUID
    role: TeamRole = TeamRole.member


class PhaseChange(_Model):
    phase: AssessmentPhase
    note: str | None = Field(default=None, max_length=2000)


class InputValueIn(_Model):
    value: bool | float | None = Field(
        description="A number (scores, rates in % 0–100, counts) or true/false for yes/no items"
    )
    comment: str | None = Field(default=None, max_length=5000)
    evidence_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class InputsWrite(_Model):
    values: dict[str, InputValueIn] = Field(min_length=1, max_length=500)


class DocumentCreate(_Model):
    kind: Literal["self_report", "site_check", "feedback", "rectification_plan", "follow_up"]
    target_id: uuid.UUID | None = None
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=100_000)
    evidence_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_code: str
    org_name: str
    kind: TargetKind
    district_code: str
    latest_evaluation_id: uuid.UUID | None
    latest_outcome: str | None
    latest_grade: str | None


class TeamMemberRead(BaseModel):
    inspector_id: uuid.UUID
    name: str
    certificate_no: str
    district_code: str
    role: TeamRole


class AssessmentSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: AssessmentKind
    title: str
    year: int
    district_code: str | None
    framework_code: str
    framework_version: str | None
    as_of: date
    template_code: str | None
    phase: AssessmentPhase
    starts_on: date | None
    due_on: date | None
    created_at: datetime


class AssessmentRead(AssessmentSummary):
    description: str | None
    phase_history: list[dict[str, Any]]
    targets: list[TargetRead]
    team: list[TeamMemberRead]


class InputSpecRead(BaseModel):
    key: str
    indicator_code: str
    name: str
    type: Literal["number", "yes_no", "score"]
    max_score: float | None = None
    unit: str = ""
    managed_by: InputSource | None = Field(
        default=None, description="Filled from this source at evaluation; not entered by hand"
    )


class InputRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    value: Any
    source: InputSource
    comment: str | None
    evidence_ids: list[uuid.UUID]
    recorded_by: str | None
    updated_at: datetime


class TargetInputs(BaseModel):
    target: TargetRead
    expected: list[InputSpecRead]
    recorded: list[InputRead]


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assessment_id: uuid.UUID
    target_id: uuid.UUID | None
    kind: DocumentKind
    title: str
    body: str
    data: dict[str, Any] | None
    evidence_ids: list[uuid.UUID]
    author: str | None
    created_at: datetime
