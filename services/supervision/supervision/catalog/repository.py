from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import FrameworkOrigin, FrameworkStatus, StoredFramework


class FrameworkRepository(Repository[StoredFramework]):
    model = StoredFramework

    async def get_version(self, code: str, version: str) -> StoredFramework | None:
        return await self.get_one_or_none(
            select(StoredFramework).where(
                StoredFramework.code == code, StoredFramework.version == version
            )
        )

    async def versions_of(self, code: str) -> Sequence[StoredFramework]:
        return await self.get_all(select(StoredFramework).where(StoredFramework.code == code))

    async def active_baselines(self, code: str) -> Sequence[StoredFramework]:
        return await self.get_all(
            select(StoredFramework).where(
                StoredFramework.code == code,
                StoredFramework.parent_code.is_(None),
                StoredFramework.status == FrameworkStatus.active,
            )
        )

    async def active_overlays(self) -> Sequence[StoredFramework]:
        return await self.get_all(
            select(StoredFramework).where(
                StoredFramework.parent_code.is_not(None),
                StoredFramework.status == FrameworkStatus.active,
            )
        )

    async def list_page(
        self,
        params: CursorParams,
        *,
        code: str | None,
        status: FrameworkStatus | None,
        origin: FrameworkOrigin | None,
    ) -> tuple[list[StoredFramework], str | None]:
        statement = self.base_statement()
        if code is not None:
            statement = statement.where(StoredFramework.code == code)
        if status is not None:
            statement = statement.where(StoredFramework.status == status)
        if origin is not None:
            statement = statement.where(StoredFramework.origin == origin)

        def key_values(item: StoredFramework) -> list[Any]:
            return [item.code, item.id]

        return await self.paginate(
            statement,
            params,
            [SortKey(StoredFramework.code), SortKey(StoredFramework.id)],
            key_values,
        )

    async def insert_missing(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert rows whose (code, version) is not stored yet; concurrent callers are safe."""
        if not rows:
            return 0
        result = await self.session.execute(
            insert(StoredFramework)
            .values(list(rows))
            .on_conflict_do_nothing(index_elements=["code", "version"])
            .returning(StoredFramework.id)
        )
        return len(result.all())
