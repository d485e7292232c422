import uuid
from typing import Any

from sqlalchemy import ColumnElement, select

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import AccountabilityAction, AccountabilityStatus


class ActionRepository(Repository[AccountabilityAction]):
    model = AccountabilityAction

    async def get_visible(
        self, id: uuid.UUID, visible: ColumnElement[bool]
    ) -> AccountabilityAction | None:
        return await self.get_one_or_none(
            select(AccountabilityAction).where(AccountabilityAction.id == id, visible)
        )

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        status: AccountabilityStatus | None,
        district_code: str | None,
        finding_id: uuid.UUID | None,
    ) -> tuple[list[AccountabilityAction], str | None]:
        statement = self.base_statement().where(visible)
        if status is not None:
            statement = statement.where(AccountabilityAction.status == status)
        if district_code is not None:
            statement = statement.where(AccountabilityAction.district_code == district_code)
        if finding_id is not None:
            statement = statement.where(AccountabilityAction.finding_id == finding_id)

        def key_values(item: AccountabilityAction) -> list[Any]:
            return [item.number]

        return await self.paginate(
            statement, params, [SortKey(AccountabilityAction.number, descending=True)], key_values
        )
