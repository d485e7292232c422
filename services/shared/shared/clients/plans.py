"""Typed client for plans' progress read API (contract: openapi/plans.json).

Supervision's 督政 reads how a county government carries out its plan tasks. Callers need a
service token (or the `plans:progress:read` scope).
"""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from shared.http import ServiceClient

PROGRESS_SCOPE = "plans:progress:read"


class KeyWorkProgress(BaseModel):
    node_ref: str
    title: str
    tasks: int
    completed: int
    overdue: int


class UnitProgress(BaseModel):
    org_code: str = Field(description="The unit, e.g. a district government's GB/T 2260 code.")
    plan_id: uuid.UUID | None = None
    tasks: int
    completed: int
    completed_on_time: int
    overdue: int
    on_time_rate: float | None = Field(description="按期办结率, 0–1; None when nothing was due.")
    by_key_work: list[KeyWorkProgress] = Field(default_factory=list)
    as_of: datetime


class PlansClient(ServiceClient):
    async def unit_progress(
        self, *, org_code: str, plan_id: uuid.UUID | None = None
    ) -> UnitProgress:
        params = {"org_code": org_code}
        if plan_id is not None:
            params["plan_id"] = str(plan_id)
        return UnitProgress.model_validate(await self.get_json("/v1/progress/units", params=params))
