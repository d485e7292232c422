import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from enrolment.models import CycleStatus, DocumentKind, Ownership, Parity, Stage
from enrolment.rules import BatchRule, nanning_batches
from shared.params import Year

DistrictCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
SchoolCode = Annotated[str, StringConstraints(pattern=r"^\d{10}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
_START = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_END = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")
DOCUMENT_KINDS = {kind.value for kind in DocumentKind}


class HoursSpan(BaseModel):
    """Open from `start` (included) to `end` (excluded), Asia/Shanghai. `00:00`–`24:00` is
    the whole day."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(
        examples=["08:30"], description="HH:MM from 00:00 to 23:59, included", max_length=5
    )
    end: str = Field(
        examples=["12:30"],
        description="HH:MM from 00:01 to 24:00, excluded (`24:00`: midnight at the day's end)",
        max_length=5,
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not (_START.match(self.start) and _END.match(self.end)):
            raise ValueError("start is HH:MM (00:00–23:59), end is HH:MM (00:01–24:00)")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class ClosedDay(BaseModel):
    """A day registration stays closed (an override of the daily hours)."""

    model_config = ConfigDict(extra="forbid")

    closed: Literal[True] = Field(description="Always true: the day is closed.")


DaySpans = Annotated[
    list[HoursSpan],
    Field(
        min_length=1,
        max_length=6,
        description='The day\'s open spans; `[{"start": "00:00", "end": "24:00"}]` '
        'is open all day. For a closed day use `{"closed": true}`, not an empty list.',
    ),
]
DayOverride = DaySpans | ClosedDay

NANNING_HOURS = [HoursSpan(start="08:30", end="12:30"), HoursSpan(start="14:30", end="22:00")]
ALL_DAY_HOURS = [HoursSpan(start="00:00", end="24:00")]


def _check_documents(groups: list[list[str]], where: str) -> None:
    for group in groups:
        for kind in group:
            if kind not in DOCUMENT_KINDS:
                raise ValueError(f"{where}: unknown document kind {kind!r}")


class CycleFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    registration_opens_at: AwareDatetime
    registration_closes_at: AwareDatetime
    daily_hours: DaySpans = Field(
        default_factory=lambda: list(NANNING_HOURS),
        description="Every day's open spans (Nanning: 08:30–12:30 and 14:30–22:00); "
        "`00:00`–`24:00` is all day.",
    )
    daily_hours_overrides: dict[date, DayOverride] = Field(
        default_factory=dict,
        max_length=90,
        description='Other hours on given days: the day\'s spans, or `{"closed": true}`.',
    )
    review_closes_at: AwareDatetime | None = None
    lottery_at: AwareDatetime | None = None
    publication_at: AwareDatetime | None = None
    age_min_years: int = Field(default=6, ge=3, le=15)
    age_max_years: int | None = Field(default=None, ge=3, le=18)
    age_cutoff_month: int = Field(default=8, ge=1, le=12)
    age_cutoff_day: int = Field(default=31, ge=1, le=31)
    batches: list[BatchRule] = Field(
        default_factory=lambda: [BatchRule.model_validate(b) for b in nanning_batches()],
        min_length=1,
        max_length=20,
    )
    private_required_documents: list[list[str]] = Field(
        default_factory=lambda: [["hukou_book"]], max_length=20
    )
    public_private_exclusive: bool = True
    max_private_choices: int = Field(default=1, ge=0, le=5)
    class_size_max: int | None = Field(default=None, ge=1, le=80)
    class_size_min: int = Field(default=25, ge=0, le=80)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.registration_closes_at <= self.registration_opens_at:
            raise ValueError("registration_closes_at must be after registration_opens_at")
        try:
            date(2024, self.age_cutoff_month, self.age_cutoff_day)
        except ValueError:
            raise ValueError("age_cutoff_month and age_cutoff_day are not a calendar day") from None
        if self.age_max_years is not None and self.age_max_years < self.age_min_years:
            raise ValueError("age_max_years must not be below age_min_years")
        codes = [batch.code for batch in self.batches]
        if len(set(codes)) != len(codes):
            raise ValueError("batch codes must be unique")
        for batch in self.batches:
            _check_documents(batch.required_documents, f"batch {batch.code}")
        _check_documents(self.private_required_documents, "private_required_documents")
        if self.class_size_max is not None and self.class_size_min > self.class_size_max:
            raise ValueError("class_size_min must not exceed class_size_max")
        return self


class CycleCreate(CycleFields):
    year: int = Field(ge=2000, le=2100)
    stage: Stage
    district_code: DistrictCode | None = Field(default=None, description="None: city-wide.")


class CycleUpdate(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    daily_hours: DaySpans | None = None
    daily_hours_overrides: dict[date, DayOverride] | None = Field(default=None, max_length=90)
    review_closes_at: AwareDatetime | None = None
    lottery_at: AwareDatetime | None = None
    publication_at: AwareDatetime | None = None
    batches: list[BatchRule] | None = Field(default=None, min_length=1, max_length=20)
    max_private_choices: int | None = Field(default=None, ge=0, le=5)
    class_size_max: int | None = Field(default=None, ge=1, le=80)
    class_size_min: int | None = Field(default=None, ge=0, le=80)


class CycleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    year: int
    stage: Stage
    district_code: str | None
    name: str
    status: CycleStatus
    registration_opens_at: datetime
    registration_closes_at: datetime
    daily_hours: list[HoursSpan]
    daily_hours_overrides: dict[str, list[HoursSpan] | ClosedDay]
    review_closes_at: datetime | None
    lottery_at: datetime | None
    publication_at: datetime | None
    age_min_years: int
    age_max_years: int | None
    age_cutoff_month: int
    age_cutoff_day: int
    batches: list[BatchRule]
    private_required_documents: list[list[str]]
    public_private_exclusive: bool
    max_private_choices: int
    class_size_max: int
    class_size_min: int
    created_at: datetime


class CycleFilters(BaseModel):
    year: Year | None = None
    stage: Stage | None = None
    district_code: DistrictCode | None = None


Polygon = list[
    Annotated[
        list[Annotated[list[float], Field(min_length=2, max_length=2)]],
        Field(min_length=4, max_length=2000),
    ]
]


def check_polygon(value: Polygon | None) -> Polygon | None:
    for ring in value or []:
        if ring[0] != ring[-1]:
            raise ValueError("each ring must end where it starts")
        for lng, lat in ring:
            if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                raise ValueError("coordinates are [lng, lat] in degrees")
    return value


class OfferingFields(BaseModel):
    """The school's name is the directory's (its register of schools), never typed here."""

    model_config = ConfigDict(extra="forbid")

    district_code: DistrictCode
    ownership: Ownership
    seats: int = Field(ge=0, le=5000)
    classes: int = Field(ge=0, le=100)
    polygon: Polygon | None = Field(
        default=None,
        max_length=10,
        description="GeoJSON Polygon coordinates [[[lng, lat], …]] (outer ring, then holes).",
    )

    @field_validator("polygon")
    @classmethod
    def _closed_rings(cls, value: Polygon | None) -> Polygon | None:
        return check_polygon(value)


class OfferingCreate(OfferingFields):
    school_code: SchoolCode


class OfferingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seats: int | None = Field(default=None, ge=0, le=5000)
    classes: int | None = Field(default=None, ge=0, le=100)
    polygon: Polygon | None = Field(default=None, max_length=10)

    @field_validator("polygon")
    @classmethod
    def _closed_rings(cls, value: Polygon | None) -> Polygon | None:
        return check_polygon(value)


class OfferingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    cycle_id: uuid.UUID
    school_code: str
    school_name: str
    district_code: str
    ownership: Ownership
    seats: int
    classes: int
    polygon: list[list[list[float]]] | None


class CatchmentUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_code: DistrictCode
    community: str | None = Field(default=None, max_length=100, description="街道 / 社区")
    road: str | None = Field(default=None, min_length=1, max_length=100)
    number_from: int | None = Field(default=None, ge=0, le=100000)
    number_to: int | None = Field(default=None, ge=0, le=100000)
    parity: Parity = Parity.all
    estate: str | None = Field(default=None, min_length=1, max_length=100, description="小区名")

    @model_validator(mode="after")
    def _road_or_estate(self) -> Self:
        if self.road is None and self.estate is None:
            raise ValueError("give a road (with an optional number range) or an estate")
        if (self.number_from is not None or self.number_to is not None) and self.road is None:
            raise ValueError("a house-number range needs a road")
        if (
            self.number_from is not None
            and self.number_to is not None
            and self.number_from > self.number_to
        ):
            raise ValueError("number_from must not exceed number_to")
        return self


class CatchmentUnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    offering_id: uuid.UUID
    district_code: str
    community: str | None
    road: str | None
    number_from: int | None
    number_to: int | None
    parity: Parity
    estate: str | None


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district_code: DistrictCode
    road: str | None = Field(default=None, max_length=100)
    house_number: str | None = Field(default=None, max_length=30, examples=["88号"])
    community: str | None = Field(default=None, max_length=100)
    estate: str | None = Field(default=None, max_length=100)
    detail: str | None = Field(default=None, max_length=200, description="栋、单元、室")
    lng: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class CatchmentMatch(BaseModel):
    offering_id: uuid.UUID
    school_code: str
    school_name: str
    ownership: Ownership
    matched_by: str = Field(description="estate, road or polygon")
    rule: str = Field(
        description="The unit that matched, as published: e.g. 民族大道 100–200号（双号）"
    )


class CatchmentLookup(BaseModel):
    cycle_id: uuid.UUID
    matches: list[CatchmentMatch]
    message: str


class ImportRowError(BaseModel):
    sheet: str
    row: int
    field: str
    message: str


class ImportReport(BaseModel):
    dry_run: bool
    offerings_created: int
    offerings_updated: int
    catchment_units: int
    rows_rejected: int
    errors: list[ImportRowError]


def cycle_read(cycle: Any) -> CycleRead:
    return CycleRead.model_validate(cycle)
