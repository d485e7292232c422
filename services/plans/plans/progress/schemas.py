import uuid
from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plans.models import (
    ExtensionState,
    Grade,
    Level,
    NodeKind,
    ReportStatus,
    ReviewState,
)
from plans.planning.schemas import AssignmentRead, DeadlineRead, Light

Period = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2019-06"])


class TaskRead(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    plan_title: str
    ref: str
    numbering: str
    title: str
    kind: NodeKind
    deadline: DeadlineRead | None
    light: Light
    assignments: list[AssignmentRead] = Field(
        description="All units for the plan's owner; only the caller's own units otherwise."
    )


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class ReportCreate(BaseModel):
    status: ReportStatus = Field(description="`completed` asks the plan's owner to close the task.")
    percent: int = Field(ge=0, le=100)
    narrative: str = Field(min_length=1, max_length=20_000)
    period: str | None = Period

    @model_validator(mode="after")
    def _complete_means_100(self) -> Self:
        if self.status == ReportStatus.completed and self.percent != 100:
            raise ValueError("a completion report has percent 100")
        return self


class ReportRead(BaseModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    plan_id: uuid.UUID
    node_id: uuid.UUID
    node_ref: str
    node_title: str
    org_id: uuid.UUID
    org_name: str
    status: ReportStatus
    percent: int
    narrative: str
    period: str | None
    submitted_by: str
    submitted_at: datetime
    submitted_on: date
    review_state: ReviewState
    reviewed_by: str | None
    reviewed_at: datetime | None
    return_reason: str | None
    review_comment: str | None
    grade: Grade | None
    attachments: list[AttachmentRead] = Field(default_factory=list)


class ReviewDecision(BaseModel):
    decision: Literal["accept", "return"]
    reason: str | None = Field(default=None, max_length=2000, description="Required to return.")
    grade: Grade | None = Field(
        default=None, description="优秀/良好/合格/不合格; required to accept a completion report."
    )
    comment: str | None = Field(default=None, max_length=2000)


class ExtensionCreate(BaseModel):
    requested_due: date
    reason: str = Field(min_length=1, max_length=2000)


class ExtensionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assignment_id: uuid.UUID
    plan_id: uuid.UUID
    node_id: uuid.UUID
    org_id: uuid.UUID
    current_due: date
    requested_due: date
    reason: str
    state: ExtensionState
    requested_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class ExtensionDecision(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=2000, description="Required to reject.")


class AssignmentUpdate(BaseModel):
    contact_subject: str | None = Field(default=None, max_length=100)
    leader_name: str | None = Field(default=None, max_length=100)
    leader_subject: str | None = Field(default=None, max_length=100)


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    assignment_id: uuid.UUID
    due_date: date
    step: str
    level: Level
    scan_date: date


class TaskDetail(TaskRead):
    text: str
    reports: list[ReportRead]
    extensions: list[ExtensionRead]
    steps: list[StepRead] = Field(description="The 督办 ladder steps taken (留痕).")
