from typing import Any

from plans.models import Plan
from shared.pagination import CursorParams, SortKey
from shared.repository import Repository


class PlanRepository(Repository[Plan]):
    model = Plan

    async def list_page(self, params: CursorParams) -> tuple[list[Plan], str | None]:
        def key_values(item: Plan) -> list[Any]:
            return [item.id]

        return await self.paginate(
            self.base_statement(), params, [SortKey(Plan.id, descending=True)], key_values
        )
