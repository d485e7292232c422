"""Repository base: every query lives in a repository; repositories never commit."""

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from shared.pagination import CursorParams, SortKey, apply_keyset, page_from_rows

M = TypeVar("M", bound=DeclarativeBase)


class Repository(Generic[M]):
    model: type[M]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def base_statement(self) -> Select[M]:
        return select(self.model)

    async def get(self, id: uuid.UUID | int | str) -> M | None:
        return await self.session.get(self.model, id)

    async def get_one_or_none(self, statement: Select[M]) -> M | None:
        return (await self.session.scalars(statement)).unique().one_or_none()

    async def get_all(self, statement: Select[M]) -> Sequence[M]:
        return (await self.session.scalars(statement)).unique().all()

    async def count(self, statement: Select[Any]) -> int:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        return int((await self.session.execute(counted)).scalar_one())

    async def paginate(
        self,
        statement: Select[M],
        params: CursorParams,
        keys: Sequence[SortKey],
        key_values: Callable[[M], Sequence[Any]],
    ) -> tuple[list[M], str | None]:
        rows = await self.get_all(apply_keyset(statement, keys, params))
        return page_from_rows(rows, params, key_values)

    async def create(self, obj: M, *, flush: bool = False) -> M:
        self.session.add(obj)
        if flush:
            await self.session.flush()
        return obj

    async def update(self, obj: M, values: dict[str, Any], *, flush: bool = False) -> M:
        for name, value in values.items():
            setattr(obj, name, value)
        if flush:
            await self.session.flush()
        return obj

    async def delete(self, obj: M, *, flush: bool = False) -> None:
        await self.session.delete(obj)
        if flush:
            await self.session.flush()
