"""Which schools exist: the directory is the register; an offering must name one of its schools.

An offering's school code, district and ownership are checked against the directory, and its
name is taken from there, so a typo in a 学校标识码 cannot open places at a school that does not
exist (or put them in the wrong district).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Protocol

import httpx
from fastapi import Depends, Request

from enrolment.config import Settings
from enrolment.models import Ownership, Stage
from shared.auth import service_token_source
from shared.clients.directory import DirectoryClient, LookupRequest, OrganizationRef

SCHOOL_KINDS = frozenset({"school"})
STAGE_OF_CYCLE = {Stage.primary_g1: "primary", Stage.junior_g7: "junior"}


class SchoolRegistry(Protocol):
    async def find(self, codes: Sequence[str]) -> dict[str, OrganizationRef]: ...


class DirectorySchools:
    def __init__(self, client: DirectoryClient) -> None:
        self.client = client

    async def find(self, codes: Sequence[str]) -> dict[str, OrganizationRef]:
        found: dict[str, OrganizationRef] = {}
        unique = sorted(set(codes))
        for start in range(0, len(unique), 1000):
            result = await self.client.lookup(LookupRequest(codes=unique[start : start + 1000]))
            found.update({org.code: org for org in result.organizations if org.code})
        return found


@dataclass(frozen=True, slots=True)
class StaticSchools:
    """A fixed register, for tests and tools that run without a directory."""

    schools: dict[str, OrganizationRef]

    async def find(self, codes: Sequence[str]) -> dict[str, OrganizationRef]:
        return {code: self.schools[code] for code in codes if code in self.schools}


def directory_schools(settings: Settings, http: httpx.AsyncClient) -> DirectorySchools:
    return DirectorySchools(
        DirectoryClient(
            peer="directory",
            base_url=settings.directory_url,
            http=http,
            token_source=service_token_source(settings, http),
            timeout=settings.http_timeout_seconds,
            retries=settings.http_retries,
        )
    )


def mismatch(
    school: OrganizationRef | None, *, district_code: str, ownership: Ownership, stage: Stage
) -> tuple[str, str] | None:
    """(field, message in Chinese) for the first way the offering disagrees with the register."""
    if school is None or school.kind not in SCHOOL_KINDS or school.valid_to is not None:
        return "school_code", "目录中没有该学校标识码对应的在办学校"
    if school.district_code != district_code:
        return "district_code", f"该学校属于区县 {school.district_code}，不是 {district_code}"
    if school.ownership is not None and school.ownership != ownership.value:
        expected = "公办" if school.ownership == "public" else "民办"
        return "ownership", f"目录中该学校为{expected}学校"
    wanted = STAGE_OF_CYCLE.get(stage)
    if wanted and school.stages and wanted not in school.stages:
        return "school_code", "该学校不开设本招生周期的学段"
    return None


def get_schools(request: Request) -> SchoolRegistry:
    registry: SchoolRegistry = request.app.state.schools
    return registry


Schools = Annotated[SchoolRegistry, Depends(get_schools)]
