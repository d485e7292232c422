from typing import Any

from enrolment.models import Cycle
from shared.pagination import CursorParams, SortKey
from shared.repository import Repository


class CycleRepository(Repository[Cycle]):
    model = Cycle

    async def list_page(self, params: CursorParams) -> tuple[list[Cycle], str | None]:
        def key_values(item: Cycle) -> list[Any]:
            return [item.id]

        return await self.paginate(
            self.base_statement(), params, [SortKey(Cycle.id, descending=True)], key_values
        )
