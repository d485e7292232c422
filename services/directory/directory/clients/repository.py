from typing import Any

from sqlalchemy import select, text

from directory.auth.repository import ApiClientRepository as _Base
from directory.models import ApiClient
from shared.pagination import CursorParams, SortKey


class ApiClientRepository(_Base):
    async def lock_service_clients(self) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('xuezai.directory.service_clients'))")
        )

    async def list_page(self, params: CursorParams) -> tuple[list[ApiClient], str | None]:
        def key_values(client: ApiClient) -> list[Any]:
            return [client.id]

        return await self.paginate(select(ApiClient), params, [SortKey(ApiClient.id)], key_values)
