import math
import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from plans.models import Direction, IndicatorKind, ValueSource, YearBasis

Comparator = Literal[">=", ">", "<=", "<", "="]
IndicatorLight = Literal["green", "yellow", "red", "grey"]
ScopeCode = Field(min_length=2, max_length=20, pattern=r"^[0-9A-Za-z_-]+$")
_PERIOD = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>0[1-9]|1[0-2]))?$")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Finite = Annotated[float, AfterValidator(_finite)]


class IndicatorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str | None
    name: str
    kind: IndicatorKind
    numerator_label: str | None
    denominator_label: str | None
    factor: float
    unit: str | None
    direction: Direction
    decimals: int
    formula_variant: str | None
    population_source: str | None
    year_basis: YearBasis
    may_exceed_100: bool
    source: ValueSource
    source_config: dict[str, Any]


class EnrolmentSource(BaseModel):
    """Where an indicator's values come from when enrolment computes them."""

    stage: str = Field(min_length=1, max_length=40, examples=["primary_g1"])
    measure: Literal[
        "catchment_share",
        "migrant_share_in_public",
        "admitted",
        "applications",
        "verified",
        "unplaced",
    ]
    scopes: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Area codes to pull; default: the areas the indicator has targets for.",
    )


class IndicatorWrite(BaseModel):
    code: str | None = Field(default=None, max_length=60)
    name: str = Field(min_length=1, max_length=200)
    kind: IndicatorKind = IndicatorKind.ratio
    numerator_label: str | None = Field(default=None, max_length=200)
    denominator_label: str | None = Field(default=None, max_length=200)
    factor: float = Field(default=100.0, gt=0, le=1_000_000)
    unit: str | None = Field(default="%", max_length=20)
    direction: Direction = Direction.higher_is_better
    decimals: int = Field(default=1, ge=0, le=6)
    formula_variant: str | None = Field(default=None, max_length=200)
    population_source: str | None = Field(default=None, max_length=100)
    year_basis: YearBasis = YearBasis.calendar
    may_exceed_100: bool = False
    source: ValueSource = ValueSource.manual
    source_config: EnrolmentSource | None = None

    @model_validator(mode="after")
    def _source(self) -> Self:
        if self.code is not None and not self.code.strip():
            self.code = None  # "no code", not a code that is the empty string
        if self.source == ValueSource.enrolment_stats and self.source_config is None:
            raise ValueError("source_config is required when values come from enrolment")
        return self


class TargetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    indicator_id: uuid.UUID
    plan_id: uuid.UUID
    node_id: uuid.UUID | None
    scope_code: str
    year: int
    comparator: str
    value: float
    raw: str | None
    year_inferred: bool


class TargetWrite(BaseModel):
    plan_id: uuid.UUID
    scope_code: str = ScopeCode
    year: int = Field(ge=1949, le=2100)
    comparator: Comparator = ">="
    value: Finite = Field(ge=-1e12, le=1e12)


class ValueWrite(BaseModel):
    scope_code: str = ScopeCode
    parent_scope_code: str | None = Field(
        default=None, min_length=2, max_length=20, description="Default: the city for a district."
    )
    period: str = Field(
        pattern=_PERIOD.pattern,
        description="A year (2019) or a month of it (2019-06).",
        examples=["2019"],
    )
    numerator: Finite = Field(ge=0, le=1e12, description="e.g. 在园幼儿数; for a count, the count.")
    denominator: Finite | None = Field(default=None, gt=0, le=1e12, description="e.g. 3–5 岁人口.")
    population_source: str | None = Field(default=None, max_length=100)
    as_of: date | None = None
    note: str | None = Field(default=None, max_length=500)

    @property
    def year(self) -> int:
        return int(self.period[:4])

    @property
    def month(self) -> int | None:
        return int(self.period[5:]) if len(self.period) > 4 else None


class ValueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    indicator_id: uuid.UUID
    scope_code: str
    parent_scope_code: str | None
    year: int
    period: str
    numerator: float | None
    denominator: float | None
    value: float
    source: str
    population_source: str | None
    as_of: date | None
    note: str | None
    submitted_by: str | None
    created_at: datetime
    superseded_at: datetime | None
    over_100: bool = Field(default=False, description="Above 100 % — normal for gross ratios.")
    plausible: bool = Field(
        default=True, description="False for a ratio above 100 % the indicator does not allow."
    )


class TargetRef(BaseModel):
    comparator: str
    value: float
    year_inferred: bool = False


class AttainmentYear(BaseModel):
    year: int
    target: TargetRef | None
    value: float | None
    numerator: float | None
    denominator: float | None
    period: str | None = Field(description="The period the value is for (2019, or 2019-06).")
    aggregated: bool = Field(description="Σnumerator ÷ Σdenominator over the areas below.")
    areas: int = Field(description="Areas whose values were summed (1 for a direct value).")
    expected_to_date: float | None = Field(
        description="序时进度: what the value should be by this point of the year."
    )
    attainment: float | None = Field(
        description="Value ÷ target (target ÷ value when lower is better)."
    )
    met: bool | None
    light: IndicatorLight
    over_100: bool


class Attainment(BaseModel):
    indicator: IndicatorRead
    scope_code: str
    plan_id: uuid.UUID | None
    years: list[AttainmentYear]


class PullQueued(BaseModel):
    job_id: str
