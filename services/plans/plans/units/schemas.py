import uuid

from pydantic import BaseModel, Field

from plans.models import ResolutionStatus, UnitRole


class UnitNameRead(BaseModel):
    id: uuid.UUID
    node_id: uuid.UUID
    node_ref: str
    node_title: str
    role: UnitRole
    name: str
    status: ResolutionStatus
    match: str | None
    organization_ids: list[uuid.UUID]
    needs_person: bool = Field(
        description="Unmatched: a person must say which organisations it means."
    )


class UnitMapping(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="The name as the plan writes it.")
    organization_ids: list[uuid.UUID] = Field(
        max_length=200,
        description="What it means in the directory; an empty list marks it as no unit at all.",
    )


class ResolveResult(BaseModel):
    resolved: int
    unmatched: int
    pending: int = Field(description="Still waiting: the directory could not be reached.")
