import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from supervision.models import AlertKind


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: AlertKind
    severity: str
    district_code: str
    school_code: str | None
    inspector_id: uuid.UUID | None
    finding_id: uuid.UUID | None
    period: str
    message: str
    raised_on: date
    created_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class ScanReport(BaseModel):
    day: date
    skipped: bool
    summary: dict[str, Any]
