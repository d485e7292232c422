import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import ReturnStatus, SchoolReturn


class SchoolReturnRepository(Repository[SchoolReturn]):
    model = SchoolReturn

    async def get_visible(self, id: uuid.UUID, visible: ColumnElement[bool]) -> SchoolReturn | None:
        return await self.get_one_or_none(
            select(SchoolReturn).where(SchoolReturn.id == id, visible)
        )

    async def get_for(self, school_code: str, year: int) -> SchoolReturn | None:
        return await self.get_one_or_none(
            select(SchoolReturn).where(
                SchoolReturn.school_code == school_code, SchoolReturn.year == year
            )
        )

    async def get_many_for(self, school_codes: Sequence[str], year: int) -> list[SchoolReturn]:
        if not school_codes:
            return []
        return list(
            await self.get_all(
                select(SchoolReturn).where(
                    SchoolReturn.school_code.in_(list(school_codes)), SchoolReturn.year == year
                )
            )
        )

    async def for_county(
        self, district_code: str, year: int, statuses: Sequence[ReturnStatus]
    ) -> list[SchoolReturn]:
        return list(
            await self.get_all(
                select(SchoolReturn)
                .where(
                    SchoolReturn.district_code == district_code,
                    SchoolReturn.year == year,
                    SchoolReturn.status.in_(list(statuses)),
                )
                .order_by(SchoolReturn.school_code)
            )
        )

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        year: int | None,
        status: ReturnStatus | None,
        district_code: str | None,
        school_code: str | None,
    ) -> tuple[list[SchoolReturn], str | None]:
        statement = self.base_statement().where(visible)
        if year is not None:
            statement = statement.where(SchoolReturn.year == year)
        if status is not None:
            statement = statement.where(SchoolReturn.status == status)
        if district_code is not None:
            statement = statement.where(SchoolReturn.district_code == district_code)
        if school_code is not None:
            statement = statement.where(SchoolReturn.school_code == school_code)

        def key_values(item: SchoolReturn) -> list[Any]:
            return [item.school_code, item.id]

        return await self.paginate(
            statement,
            params,
            [SortKey(SchoolReturn.school_code), SortKey(SchoolReturn.id)],
            key_values,
        )
