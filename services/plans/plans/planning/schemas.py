import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID

    kind: str
    title: str
    doc_number: str | None
    issuer: str | None
    period_start: int | None
    period_end: int | None
    status: str
    created_at: datetime
