"""Typed client for enrolment's agency read API (contract: openapi/enrolment.json).

Supervision reads 就近入学 and 随迁子女 shares for the 优质均衡 government items; plans reads
counts as indicator values. Callers need a token with the `enrolment:stats:read` scope.
"""

from datetime import datetime

from pydantic import BaseModel, Field

from shared.http import ServiceClient

STATS_SCOPE = "enrolment:stats:read"


class SchoolStats(BaseModel):
    school_code: str
    applications: int
    admitted: int
    admitted_in_catchment: int


class EnrolmentStats(BaseModel):
    year: int
    stage: str = Field(description="primary_g1, junior_g7, …")
    district_code: str | None = Field(description="None: the whole city.")
    applications: int
    verified: int
    admitted: int
    unplaced: int
    by_batch: dict[str, int] = Field(default_factory=dict, description="Admitted per batch code.")
    catchment_share: float | None = Field(
        description="Share of admitted children placed in their catchment school (就近入学比例), 0–1."
    )
    migrant_share_in_public: float | None = Field(
        description="Share of 随迁子女 applicants placed in public schools, 0–1."
    )
    schools: list[SchoolStats] = Field(default_factory=list)
    as_of: datetime


class EnrolmentClient(ServiceClient):
    async def stats(
        self, *, year: int, stage: str, district_code: str | None = None
    ) -> EnrolmentStats:
        params: dict[str, str | int] = {"year": year, "stage": stage}
        if district_code:
            params["district_code"] = district_code
        return EnrolmentStats.model_validate(
            await self.get_json("/v1/stats/enrolment", params=params)
        )
