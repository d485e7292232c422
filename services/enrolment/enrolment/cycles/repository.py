import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, exists, or_, select

from enrolment.models import Application, CatchmentUnit, Cycle, CycleStatus, Offering
from shared.auth import OrgFilter
from shared.pagination import CursorParams, SortKey
from shared.repository import Repository


class CycleRepository(Repository[Cycle]):
    model = Cycle

    async def list_page(
        self,
        params: CursorParams,
        *,
        year: int | None = None,
        stage: str | None = None,
        district_code: str | None = None,
        published_only: bool = False,
        manageable: OrgFilter | None = None,
    ) -> tuple[list[Cycle], str | None]:
        statement = self.base_statement()
        if year is not None:
            statement = statement.where(Cycle.year == year)
        if stage is not None:
            statement = statement.where(Cycle.stage == stage)
        if district_code is not None:
            statement = statement.where(Cycle.district_code == district_code)
        if published_only:
            statement = statement.where(Cycle.status != CycleStatus.draft)
        elif manageable is not None and not manageable.city_wide:
            # Drafts only where the principal manages them; published cycles for every staff.
            statement = statement.where(
                or_(
                    Cycle.status != CycleStatus.draft,
                    Cycle.district_code.in_(sorted(manageable.districts)),
                )
            )

        def key_values(item: Cycle) -> list[Any]:
            return [item.id]

        return await self.paginate(
            statement, params, [SortKey(Cycle.id, descending=True)], key_values
        )

    async def lock(self, cycle_id: uuid.UUID) -> None:
        await self.session.execute(select(Cycle.id).where(Cycle.id == cycle_id).with_for_update())

    async def has_applications(self, cycle_id: uuid.UUID) -> bool:
        return bool(
            await self.session.scalar(select(exists().where(Application.cycle_id == cycle_id)))
        )

    async def offerings_of(self, cycle_id: uuid.UUID) -> Sequence[Offering]:
        return (
            await self.session.scalars(select(Offering).where(Offering.cycle_id == cycle_id))
        ).all()

    async def catchment_units_of(self, cycle_id: uuid.UUID) -> Sequence[CatchmentUnit]:
        return (
            await self.session.scalars(
                select(CatchmentUnit)
                .where(CatchmentUnit.cycle_id == cycle_id)
                .order_by(CatchmentUnit.id)
            )
        ).all()

    async def find(self, year: int, stage: str, district_code: str | None) -> Cycle | None:
        statement = select(Cycle).where(
            Cycle.year == year,
            Cycle.stage == stage,
            Cycle.district_code.is_(None)
            if district_code is None
            else Cycle.district_code == district_code,
        )
        return await self.get_one_or_none(statement)


class OfferingRepository(Repository[Offering]):
    model = Offering

    async def by_school(self, cycle_id: uuid.UUID, school_code: str) -> Offering | None:
        return await self.get_one_or_none(
            select(Offering).where(
                Offering.cycle_id == cycle_id, Offering.school_code == school_code
            )
        )

    async def by_schools(self, cycle_id: uuid.UUID, codes: Sequence[str]) -> dict[str, Offering]:
        rows = await self.get_all(
            select(Offering).where(Offering.cycle_id == cycle_id, Offering.school_code.in_(codes))
        )
        return {row.school_code: row for row in rows}

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Offering]:
        if not ids:
            return {}
        rows = await self.get_all(select(Offering).where(Offering.id.in_(ids)))
        return {row.id: row for row in rows}

    async def list_page(
        self,
        cycle_id: uuid.UUID,
        params: CursorParams,
        *,
        ownership: str | None = None,
        district_code: str | None = None,
    ) -> tuple[list[Offering], str | None]:
        statement = select(Offering).where(Offering.cycle_id == cycle_id)
        if ownership is not None:
            statement = statement.where(Offering.ownership == ownership)
        if district_code is not None:
            statement = statement.where(Offering.district_code == district_code)

        def key_values(item: Offering) -> list[Any]:
            return [item.school_code]

        return await self.paginate(statement, params, [SortKey(Offering.school_code)], key_values)

    async def with_polygons(self, cycle_id: uuid.UUID) -> Sequence[Offering]:
        return await self.get_all(
            select(Offering).where(Offering.cycle_id == cycle_id, Offering.polygon.is_not(None))
        )


class CatchmentRepository(Repository[CatchmentUnit]):
    model = CatchmentUnit

    async def of_offering(self, offering_id: uuid.UUID) -> Sequence[CatchmentUnit]:
        return await self.get_all(
            select(CatchmentUnit)
            .where(CatchmentUnit.offering_id == offering_id)
            .order_by(CatchmentUnit.road_key, CatchmentUnit.number_from, CatchmentUnit.estate_key)
        )

    async def delete_of_offerings(self, offering_ids: Sequence[uuid.UUID]) -> None:
        if offering_ids:
            await self.session.execute(
                delete(CatchmentUnit).where(CatchmentUnit.offering_id.in_(offering_ids))
            )
