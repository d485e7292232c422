"""The import preview: what the parser proposes, in a shape a person edits and confirms.

`content` follows `xuezai plans import FILE --json` (plan / nodes / targets) with `kind` added
to the plan; `units` shows what the directory made of each responsible-unit name.
"""

import math
import uuid
from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plans.models import ImportState, NodeKind, PlanKind, PlanStatus, ResolutionStatus, UnitRole

Granularity = Literal["day", "month", "quarter", "half", "year"]
Comparator = Literal[">=", ">", "<=", "<", "="]


class ImportText(BaseModel):
    text: str = Field(min_length=1, max_length=500_000, description="The document's text.")
    filename: str | None = Field(default=None, max_length=200)


class PreviewPeriod(BaseModel):
    start: int | None = Field(default=None, ge=1949, le=2100)
    end: int | None = Field(default=None, ge=1949, le=2100)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class PreviewPlan(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    kind: PlanKind
    doc_number: str | None = Field(default=None, max_length=100)
    issuer: str | None = Field(default=None, max_length=200)
    period: PreviewPeriod | None = None
    document_year: int | None = Field(default=None, ge=1949, le=2100)


class PreviewUnit(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: UnitRole


class PreviewDeadline(BaseModel):
    model_config = ConfigDict(extra="ignore")

    raw: str | None = Field(default=None, max_length=300)
    due: date | None = None
    granularity: Granularity | None = None
    ongoing: bool = False
    range_start: date | None = None
    year_inferred: bool = False
    ambiguous: bool = False


class PreviewNode(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ref: str = Field(min_length=1, max_length=300)
    parent: str | None = Field(default=None, max_length=300)
    numbering: str = Field(min_length=1, max_length=40)
    kind: NodeKind
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=50_000)
    units: list[PreviewUnit] = Field(default_factory=list, max_length=200)
    deadline: PreviewDeadline | None = None
    level: int | None = Field(default=None, description="Informational; recomputed from parent.")


class PreviewTarget(BaseModel):
    model_config = ConfigDict(extra="ignore")

    indicator: str = Field(min_length=1, max_length=200)
    year: int | None = Field(default=None, ge=1949, le=2100)
    comparator: Comparator
    value: float
    unit: str | None = Field(default=None, max_length=20)
    node: str | None = Field(default=None, max_length=300)
    raw: str | None = Field(default=None, max_length=300)
    year_inferred: bool = False

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("value must be a finite number")
        return value


class PreviewContent(BaseModel):
    """What a person edits (PUT) before confirming."""

    plan: PreviewPlan
    nodes: list[PreviewNode] = Field(max_length=5000)
    targets: list[PreviewTarget] = Field(default_factory=list, max_length=2000)


class OrganizationBrief(BaseModel):
    id: uuid.UUID
    name: str
    code: str | None
    kind: str


class UnitNamePreview(BaseModel):
    name: str
    status: ResolutionStatus
    match: str | None
    organizations: list[OrganizationBrief]
    tasks: int = Field(description="How many tasks name it.")


class ImportSummary(BaseModel):
    nodes: int
    tasks: int
    tasks_without_deadline: int
    targets: int
    unit_names: int
    unresolved_unit_names: int


class ImportPreviewRead(BaseModel):
    id: uuid.UUID
    state: ImportState
    filename: str | None
    plan_id: uuid.UUID | None = Field(description="The plan created on confirmation.")
    created_at: datetime
    content: PreviewContent
    warnings: list[str]
    units: list[UnitNamePreview]
    summary: ImportSummary


class ImportConfirm(BaseModel):
    kind: PlanKind | None = Field(default=None, description="Overrides the preview's kind.")
    status: PlanStatus = Field(
        default=PlanStatus.active, description="active: supervised from now on."
    )
    parent_id: uuid.UUID | None = Field(default=None, description="The plan this one belongs to.")
    owner_org_id: uuid.UUID | None = None
    leader_name: str | None = Field(default=None, max_length=100)
    leader_subject: str | None = Field(default=None, max_length=100)
    default_due_from_period: bool = Field(
        default=True,
        description="Tasks whose text gives no deadline are due on the plan's last day.",
    )
