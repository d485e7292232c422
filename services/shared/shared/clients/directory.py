"""Typed client for the directory service (contract: openapi/directory.json).

Other services resolve organisations through these calls — never by reading the directory's
tables.
"""

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from shared.http import ServiceClient


class OrganizationRef(BaseModel):
    id: uuid.UUID
    kind: str
    code: str | None
    name: str
    parent_id: uuid.UUID | None = None
    district_code: str | None = None
    stages: list[str] = Field(default_factory=list)
    ownership: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class LookupRequest(BaseModel):
    """Resolve organisations by id, by code, or by the names people write in documents.

    Names match the name, any alias ("市教育局" → 南宁市教育局), or a collective phrase
    ("各县区人民政府" → every district government); `as_of` picks the units valid on that date.
    """

    ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    codes: list[str] = Field(default_factory=list, max_length=1000)
    names: list[str] = Field(default_factory=list, max_length=1000)
    as_of: date | None = None


class NameMatch(BaseModel):
    query: str
    match: Literal["name", "alias", "collective", "none"]
    organizations: list[OrganizationRef]


class LookupResult(BaseModel):
    organizations: list[OrganizationRef] = Field(description="Found by id or code.")
    missing_ids: list[uuid.UUID] = Field(default_factory=list)
    missing_codes: list[str] = Field(default_factory=list)
    names: list[NameMatch] = Field(default_factory=list)


class DirectoryClient(ServiceClient):
    async def lookup(self, request: LookupRequest) -> LookupResult:
        # A read, though it is a POST (the lists can be long): safe to retry.
        body = await self.post_json(
            "/v1/organizations/lookup",
            request.model_dump(mode="json"),
            retry=True,
        )
        return LookupResult.model_validate(body)

    async def get_organization(self, organization_id: uuid.UUID) -> OrganizationRef:
        return OrganizationRef.model_validate(
            await self.get_json(f"/v1/organizations/{organization_id}")
        )
