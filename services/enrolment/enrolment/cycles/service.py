import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.cycles.repository import CycleRepository
from enrolment.models import Cycle
from shared.errors import NotFound
from shared.i18n import Text
from shared.pagination import CursorParams


class CycleNotFound(NotFound):
    code = "enrolment.cycle.not_found"
    title = Text("招生批次不存在", "Cycle not found")


class CycleService:
    async def list(
        self, session: AsyncSession, params: CursorParams
    ) -> tuple[list[Cycle], str | None]:
        return await CycleRepository(session).list_page(params)

    async def get(self, session: AsyncSession, id: uuid.UUID) -> Cycle:
        item = await CycleRepository(session).get(id)
        if item is None:
            raise CycleNotFound()
        return item


cycle_service = CycleService()
