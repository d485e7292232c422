import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from directory.models import OrganizationKind


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: OrganizationKind
    code: str | None
    name: str
    parent_id: uuid.UUID | None
    district_code: str | None
    valid_from: date | None
    valid_to: date | None


class OrganizationFilters(BaseModel):
    kind: OrganizationKind | None = None
    district_code: str | None = Field(default=None, max_length=20)
    q: str | None = Field(default=None, max_length=100)
