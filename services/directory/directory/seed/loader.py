"""Load the demo organisations; idempotent (matched by code), so every `make run` may call it."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import Organization, OrganizationKind, Ownership
from directory.organizations.repository import OrganizationRepository
from directory.seed.nanning import CITY_BUREAU, CITY_CODE, DISTRICTS, SCHOOLS


async def _upsert(
    repository: OrganizationRepository,
    *,
    code: str,
    kind: OrganizationKind,
    name: str,
    parent_id: uuid.UUID | None,
    district_code: str | None,
    stages: list[str] | None = None,
    ownership: Ownership | None = None,
    address: str | None = None,
) -> Organization:
    organization = await repository.get_by_code(code)
    if organization is None:
        organization = Organization(code=code, kind=kind)
        await repository.create(organization)
    organization.name = name
    organization.parent_id = parent_id
    organization.district_code = district_code
    organization.stages = stages or []
    organization.ownership = ownership
    organization.address = address
    await repository.session.flush()
    return organization


async def load_demo_organizations(session: AsyncSession) -> int:
    repository = OrganizationRepository(session)
    city = await _upsert(
        repository,
        code=CITY_CODE,
        kind=OrganizationKind.city_bureau,
        name=CITY_BUREAU,
        parent_id=None,
        district_code=None,
    )
    count = 1
    for district in DISTRICTS:
        bureau = await _upsert(
            repository,
            code=district.code,
            kind=OrganizationKind.district_bureau,
            name=f"{district.name}教育局",
            parent_id=city.id,
            district_code=district.code,
        )
        count += 1
        for school in SCHOOLS.get(district.code, ()):
            kind = (
                OrganizationKind.kindergarten
                if school.stages == ("kindergarten",)
                else OrganizationKind.school
            )
            await _upsert(
                repository,
                code=school.code,
                kind=kind,
                name=school.name,
                parent_id=bureau.id,
                district_code=district.code,
                stages=list(school.stages),
                ownership=Ownership(school.ownership),
                address=school.address,
            )
            count += 1
    return count
