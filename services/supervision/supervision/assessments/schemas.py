import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AssessmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID

    kind: str
    title: str
    target_org_code: str | None
    district_code: str | None
    status: str
    created_at: datetime
