import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from supervision.inspectors.checklist import CHECKLIST, ChecklistKey, MethodKey
from supervision.models import FindingSeverity, VisitStatus

DistrictCode = Annotated[str, Field(min_length=6, max_length=20, pattern=r"^[0-9]+$")]
OrgCode = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[0-9]+$")]
Phone = Annotated[str, Field(min_length=5, max_length=30, pattern=r"^[0-9+\-() ]+$")]
Note = Annotated[str, Field(max_length=2000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InspectorCreate(_Model):
    name: str = Field(min_length=1, max_length=100)
    certificate_no: str = Field(min_length=1, max_length=50, description="督学证编号")
    district_code: DistrictCode
    phone: Phone
    email: str | None = Field(default=None, max_length=200)
    employer_org_code: OrgCode | None = Field(
        default=None, description="The school the inspector works at (they never inspect it)."
    )
    full_time: bool = False
    account_subject: str | None = Field(
        default=None, min_length=1, max_length=100, description="Directory subject of their login"
    )
    appointed_on: date | None = None


class InspectorUpdate(_Model):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: Phone | None = None
    email: str | None = Field(default=None, max_length=200)
    employer_org_code: OrgCode | None = None
    full_time: bool | None = None
    account_subject: str | None = Field(default=None, min_length=1, max_length=100)
    active: bool | None = None
    photo_id: uuid.UUID | None = Field(
        default=None, description="An uploaded JPEG/PNG shown on the sign at the school gate"
    )

    @model_validator(mode="after")
    def _required_stay_set(self) -> "InspectorUpdate":
        cleared = [
            name
            for name in ("name", "phone", "full_time", "active")
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if cleared:
            raise ValueError(f"不能清空：{', '.join(cleared)}")
        return self


class InspectorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    certificate_no: str
    district_code: str
    phone: str
    email: str | None
    employer_org_code: str | None
    employer_name: str | None
    full_time: bool
    account_subject: str | None
    active: bool
    appointed_on: date | None
    photo_id: uuid.UUID | None
    created_at: datetime


class AssignmentCreate(_Model):
    school_code: OrgCode
    starts_on: date | None = None


class AssignmentEnd(_Model):
    ends_on: date | None = None


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    inspector_id: uuid.UUID
    school_code: str
    school_name: str
    district_code: str
    starts_on: date
    ends_on: date | None


class ChecklistEntry(_Model):
    item: ChecklistKey
    status: Literal["ok", "issue", "not_checked"]
    note: Note | None = None


class VisitFindingIn(_Model):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=5000)
    severity: FindingSeverity = FindingSeverity.general
    category: ChecklistKey | None = None
    deadline: date | None = None
    owner_person: str | None = Field(default=None, max_length=100)


def _complete_checklist(entries: list[ChecklistEntry]) -> None:
    keys = [e.item for e in entries]
    if len(set(keys)) != len(keys):
        raise ValueError("检查项不能重复")
    missing = [name for key, name in CHECKLIST if key not in keys]
    if missing:
        raise ValueError(f"经常性督导8项须逐项记录，缺少：{'、'.join(missing)}")


class VisitRecord(_Model):
    """What the inspector records and tells the school before leaving."""

    checklist: list[ChecklistEntry] = Field(min_length=1, max_length=8)
    methods: list[MethodKey] = Field(default_factory=list, max_length=6)
    summary: str | None = Field(default=None, max_length=10000)
    feedback: str = Field(min_length=1, max_length=10000, description="当场向学校反馈的意见")
    findings: list[VisitFindingIn] = Field(default_factory=list, max_length=50)
    photo_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _all_items(self) -> "VisitRecord":
        _complete_checklist(self.checklist)
        return self


class VisitCreate(_Model):
    school_code: OrgCode
    checked_in_at: datetime | None = Field(
        default=None, description="Device time of check-in (for visits synced after the fact)"
    )
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    record: VisitRecord | None = Field(
        default=None, description="The whole record at once (offline sync); else complete later"
    )


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    inspector_id: uuid.UUID
    school_code: str
    school_name: str
    district_code: str
    status: VisitStatus
    visited_on: date
    checked_in_at: datetime
    client_checked_in_at: datetime | None
    latitude: float
    longitude: float
    accuracy_m: float | None
    checklist: list[ChecklistEntry]
    methods: list[str]
    summary: str | None
    feedback: str | None
    feedback_given_at: datetime | None
    completed_at: datetime | None
    photo_ids: list[uuid.UUID]
    finding_ids: list[uuid.UUID] = Field(default_factory=list)


class CoverageRow(BaseModel):
    assignment_id: uuid.UUID
    inspector_id: uuid.UUID
    inspector_name: str
    school_code: str
    school_name: str
    district_code: str
    visits: int
    last_visit_on: date | None
    status: Literal["ok", "pending", "due", "overdue"]


class Coverage(BaseModel):
    month: str
    schools: int
    visited: int
    rows: list[CoverageRow]


class ChecklistItem(BaseModel):
    key: str
    name: str


class VisitGuide(BaseModel):
    checklist: list[ChecklistItem]
    methods: list[ChecklistItem]
    duties: list[str]
    cadence: str


class InspectorSign(BaseModel):
    """What the sign at the school gate shows (挂牌): public by design."""

    school_code: str
    school_name: str
    inspector_name: str
    certificate_no: str
    phone: str
    photo_url: str | None
    duties: list[str]
    items: list[str]
