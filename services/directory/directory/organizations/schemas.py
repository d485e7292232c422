import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from directory.models import OrganizationKind, Ownership, Stage
from directory.text import NO_NUL, PRINTABLE
from shared.params import Day

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE)
]
Alias = Name
Address = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=300, pattern=PRINTABLE)
]
Description = Annotated[str, StringConstraints(max_length=500, pattern=PRINTABLE)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9A-Za-z-]{1,20}$")]


class OrganizationRead(BaseModel):
    """An organisation; a superset of `shared.clients.directory.OrganizationRef`."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: OrganizationKind
    code: str | None
    name: str
    parent_id: uuid.UUID | None
    district_code: str | None
    stages: list[str]
    ownership: Ownership | None
    address: str | None
    latitude: Decimal | None
    longitude: Decimal | None
    valid_from: date | None
    valid_to: date | None
    successor_id: uuid.UUID | None
    aliases: list[str] = Field(default_factory=list)

    @field_validator("aliases", mode="before")
    @classmethod
    def _alias_names(cls, value: Any) -> Any:
        return [getattr(item, "alias", item) for item in value or []]


class OrganizationFields(BaseModel):
    """The fields an admin sets; shared by create, update and the bulk import."""

    model_config = ConfigDict(extra="forbid")

    kind: OrganizationKind
    code: Code | None = Field(
        default=None,
        description="GB/T 2260 code (bureaus, 6 digits) or 学校标识码 (schools, 10 digits).",
    )
    name: Name
    parent_id: uuid.UUID | None = None
    district_code: Code | None = Field(
        default=None, description="Derived from the parent when omitted."
    )
    stages: list[Stage] = Field(default_factory=list, max_length=4)
    ownership: Ownership | None = None
    address: Address | None = None
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=9, decimal_places=6)
    valid_from: date | None = None
    valid_to: date | None = Field(
        default=None, description="The first day the unit no longer exists (exclusive)."
    )
    successor_id: uuid.UUID | None = None
    aliases: list[Alias] = Field(default_factory=list, max_length=50)


class OrganizationCreate(OrganizationFields):
    pass


class OrganizationUpdate(BaseModel):
    """Only the fields given change; `aliases`, when given, replaces the list."""

    model_config = ConfigDict(extra="forbid")

    code: Code | None = None
    name: Name | None = None
    parent_id: uuid.UUID | None = None
    district_code: Code | None = None
    stages: list[Stage] | None = Field(default=None, max_length=4)
    ownership: Ownership | None = None
    address: Address | None = None
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=9, decimal_places=6)
    valid_from: date | None = None
    valid_to: date | None = None
    successor_id: uuid.UUID | None = None
    aliases: list[Alias] | None = Field(default=None, max_length=50)


class Succession(BaseModel):
    """Close a unit and hand over to its successor (横县 → 横州市)."""

    model_config = ConfigDict(extra="forbid")

    successor_id: uuid.UUID
    effective: date = Field(description="The successor's first day; the old unit's `valid_to`.")
    move_children: bool = Field(
        default=True, description="Re-parent the closed unit's current children to the successor."
    )


class OrganizationFilters(BaseModel):
    kind: OrganizationKind | None = None
    district_code: str | None = Field(default=None, max_length=20, pattern=NO_NUL)
    parent_id: uuid.UUID | None = None
    stage: Stage | None = None
    q: str | None = Field(
        default=None,
        max_length=100,
        pattern=NO_NUL,
        description="Part of a name or alias, or a code (prefix).",
    )
    valid_on: Day | None = Field(
        default=None, description="Units valid on this date (default: today)."
    )
    include_closed: bool = Field(default=False, description="Also list closed units.")


class RowError(BaseModel):
    row: int = Field(description="Row number in the file, the header being row 1.")
    field: str
    message: str


class ImportReport(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID | None = Field(description="Absent for a dry run (nothing is stored).")
    dry_run: bool = False
    rows_total: int
    rows_created: int
    rows_updated: int
    rows_failed: int
    errors: list[RowError]


class GroupRead(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    names: list[str]
    description: str | None
    member_ids: list[uuid.UUID]


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,60}$")]
    name: Name
    names: list[Alias] = Field(default_factory=list, max_length=50)
    description: Description | None = None
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class GroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    names: list[Alias] | None = Field(default=None, max_length=50)
    description: Description | None = None
    member_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
