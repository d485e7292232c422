import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EvaluationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    assessment_id: uuid.UUID | None
    target_id: uuid.UUID | None
    kind: str
    org_code: str | None
    district_code: str | None
    framework_code: str
    framework_version: str
    overlays: list[str]
    as_of: date | None
    outcome: str
    grade: str | None
    computed_by: str | None
    computed_at: datetime


class EvaluationRead(EvaluationSummary):
    rules: dict[str, Any] = Field(description="The resolved rules the result was computed under.")
    inputs: dict[str, Any]
    result: dict[str, Any]
    sources: dict[str, Any] = Field(
        description="Where pulled inputs came from, and which peers were unavailable."
    )
