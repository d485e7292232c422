import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from supervision.frameworks.model import Framework
from supervision.models import FrameworkOrigin, FrameworkStatus


class FrameworkIn(Framework):
    """A framework or overlay document as written by the city; the server assigns `id`."""

    id: str = Field(default="", max_length=200, description="Assigned by the server.")


class FrameworkSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    version: str
    name: str
    level: str
    basis: str
    effective_from: date
    effective_to: date | None
    parent_code: str | None
    parent_version: str | None
    origin: FrameworkOrigin
    status: FrameworkStatus
    copied_from_id: uuid.UUID | None
    created_at: datetime
    activated_at: datetime | None


class FrameworkRead(FrameworkSummary):
    document: Framework


class FrameworkCopy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=32, description="Version of the new copy.")
    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="A new code for an independent framework; omit to make a new version.",
    )
    name: str | None = Field(default=None, min_length=1, max_length=200)
    effective_from: date | None = None


class CampaignTemplateRead(BaseModel):
    code: str
    name: str
    framework_code: str
    framework_version: str
    target_kind: str
    default_days: int
    focus: str
    basis: str
