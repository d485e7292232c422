from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from directory.text import NO_NUL
from shared.params import Moment


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor_subject: str | None
    actor_kind: str | None
    actor_roles: list[str]
    action: str
    resource_type: str
    resource_id: str | None
    request_id: str | None
    client_ip: str | None
    details: dict[str, Any]

    @field_validator("client_ip", mode="before")
    @classmethod
    def _address(cls, value: Any) -> Any:
        return str(value) if value is not None else None


class AuditFilters(BaseModel):
    action: str | None = Field(
        default=None,
        max_length=100,
        pattern=NO_NUL,
        description="Exact, or a prefix ending in `.` (`auth.`).",
    )
    actor_subject: str | None = Field(default=None, max_length=100, pattern=NO_NUL)
    resource_type: str | None = Field(default=None, max_length=60, pattern=NO_NUL)
    resource_id: str | None = Field(default=None, max_length=100, pattern=NO_NUL)
    since: Moment | None = None
    until: Moment | None = None
