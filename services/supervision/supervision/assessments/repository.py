from typing import Any

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import Assessment


class AssessmentRepository(Repository[Assessment]):
    model = Assessment

    async def list_page(self, params: CursorParams) -> tuple[list[Assessment], str | None]:
        def key_values(item: Assessment) -> list[Any]:
            return [item.id]

        return await self.paginate(
            self.base_statement(), params, [SortKey(Assessment.id, descending=True)], key_values
        )
