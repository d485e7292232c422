import uuid
from typing import Any

from sqlalchemy import ColumnElement, select

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import Evaluation


class EvaluationRepository(Repository[Evaluation]):
    model = Evaluation

    async def get_visible(self, id: uuid.UUID, visible: ColumnElement[bool]) -> Evaluation | None:
        return await self.get_one_or_none(select(Evaluation).where(Evaluation.id == id, visible))

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        assessment_id: uuid.UUID | None,
        target_id: uuid.UUID | None,
    ) -> tuple[list[Evaluation], str | None]:
        statement = self.base_statement().where(visible)
        if assessment_id is not None:
            statement = statement.where(Evaluation.assessment_id == assessment_id)
        if target_id is not None:
            statement = statement.where(Evaluation.target_id == target_id)

        def key_values(item: Evaluation) -> list[Any]:
            return [item.id]

        return await self.paginate(
            statement, params, [SortKey(Evaluation.id, descending=True)], key_values
        )
