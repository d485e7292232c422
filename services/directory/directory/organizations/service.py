import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import Organization
from directory.organizations.repository import OrganizationRepository
from directory.organizations.schemas import OrganizationFilters
from shared.errors import NotFound
from shared.i18n import Text
from shared.pagination import CursorParams


class OrganizationNotFound(NotFound):
    code = "directory.organization.not_found"
    title = Text("机构不存在", "Organisation not found")


class OrganizationService:
    async def list(
        self, session: AsyncSession, filters: OrganizationFilters, params: CursorParams
    ) -> tuple[list[Organization], str | None]:
        return await OrganizationRepository(session).list_page(filters, params)

    async def get(self, session: AsyncSession, organization_id: uuid.UUID) -> Organization:
        organization = await OrganizationRepository(session).get(organization_id)
        if organization is None:
            raise OrganizationNotFound()
        return organization


organization_service = OrganizationService()
