import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class CycleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID

    year: int
    stage: str
    district_code: str | None
    name: str
    status: str
    created_at: datetime
