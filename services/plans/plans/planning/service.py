import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from plans.models import Plan
from plans.planning.repository import PlanRepository
from shared.errors import NotFound
from shared.i18n import Text
from shared.pagination import CursorParams


class PlanNotFound(NotFound):
    code = "plans.plan.not_found"
    title = Text("规划不存在", "Plan not found")


class PlanService:
    async def list(
        self, session: AsyncSession, params: CursorParams
    ) -> tuple[list[Plan], str | None]:
        return await PlanRepository(session).list_page(params)

    async def get(self, session: AsyncSession, id: uuid.UUID) -> Plan:
        item = await PlanRepository(session).get(id)
        if item is None:
            raise PlanNotFound()
        return item


plan_service = PlanService()
