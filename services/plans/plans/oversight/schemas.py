import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from plans.models import Level


class LightCounts(BaseModel):
    green: int = 0
    blue: int = 0
    yellow: int = 0
    red: int = 0
    done: int = 0


class UnitProgressRow(BaseModel):
    org_id: uuid.UUID
    org_code: str | None
    org_name: str
    district_code: str | None
    tasks: int
    completed: int
    completed_on_time: int
    completed_late: int
    due: int = Field(description="Tasks whose deadline has come.")
    overdue: int
    on_time_rate: float | None = Field(description="按期办结率, 0–1.")
    average_percent: float | None
    lights: LightCounts


class KeyWorkRow(BaseModel):
    node_id: uuid.UUID | None
    node_ref: str
    title: str
    tasks: int
    completed: int
    completed_on_time: int
    overdue: int
    on_time_rate: float | None
    average_percent: float | None
    lights: LightCounts


class PlanProgress(BaseModel):
    plan_id: uuid.UUID
    as_of: date
    complete: bool = Field(description="False when only the caller's own units are counted.")


class UnitProgressView(PlanProgress):
    units: list[UnitProgressRow]


class KeyWorkView(PlanProgress):
    key_works: list[KeyWorkRow]


class BulletinRow(BaseModel):
    rank: int | None = Field(description="By 按期办结率, best first; None when nothing was due.")
    org_id: uuid.UUID
    org_code: str | None
    org_name: str
    tasks: int
    due: int = Field(description="应办结: due by the end of the month.")
    due_in_month: int
    completed_on_time: int
    completed_late: int
    overdue: int = Field(description="逾期未办结 at the end of the month.")
    on_time_rate: float | None
    yellow: int
    red: int


class OverdueTask(BaseModel):
    org_name: str
    plan_title: str
    node_ref: str
    title: str
    due: date
    days_overdue: int
    level: Literal["blue", "yellow", "red"]


class Bulletin(BaseModel):
    month: str
    as_of: date
    plan_id: uuid.UUID | None
    complete: bool
    rows: list[BulletinRow]
    totals: BulletinRow | None
    overdue_tasks: list[OverdueTask]


class TodoItem(BaseModel):
    kind: Literal[
        "resubmit_report",
        "overdue",
        "due_soon",
        "report_due",
        "review_report",
        "decide_extension",
        "map_unit_names",
        "red_task",
    ]
    priority: int = Field(description="1 is the most urgent.")
    title: str
    plan_id: uuid.UUID
    plan_title: str
    node_id: uuid.UUID | None = None
    node_ref: str | None = None
    assignment_id: uuid.UUID | None = None
    report_id: uuid.UUID | None = None
    extension_id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None
    org_name: str | None = None
    due: date | None = None
    days_overdue: int | None = None
    count: int | None = None
    mine: bool = Field(default=False, description="The caller is the named contact person.")


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    level: Level | None
    title: str
    body: str
    plan_id: uuid.UUID | None
    node_id: uuid.UUID | None
    assignment_id: uuid.UUID | None
    recipient_org_id: uuid.UUID | None
    recipient_org_code: str | None
    cc: list[dict[str, str | None]]
    created_at: datetime
    sent_at: datetime | None
