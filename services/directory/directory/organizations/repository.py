from typing import Any

from sqlalchemy import Select, or_

from directory.models import Organization
from directory.organizations.schemas import OrganizationFilters
from shared.pagination import CursorParams, SortKey
from shared.repository import Repository


class OrganizationRepository(Repository[Organization]):
    model = Organization

    def filtered_statement(self, filters: OrganizationFilters) -> Select[Organization]:
        statement = self.base_statement()
        if filters.kind is not None:
            statement = statement.where(Organization.kind == filters.kind)
        if filters.district_code is not None:
            statement = statement.where(Organization.district_code == filters.district_code)
        if filters.q:
            pattern = f"%{filters.q}%"
            statement = statement.where(
                or_(Organization.name.ilike(pattern), Organization.code == filters.q)
            )
        return statement

    async def list_page(
        self, filters: OrganizationFilters, params: CursorParams
    ) -> tuple[list[Organization], str | None]:
        keys = [SortKey(Organization.id)]

        def key_values(organization: Organization) -> list[Any]:
            return [organization.id]

        return await self.paginate(self.filtered_statement(filters), params, keys, key_values)

    async def get_by_code(self, code: str) -> Organization | None:
        return await self.get_one_or_none(self.base_statement().where(Organization.code == code))
