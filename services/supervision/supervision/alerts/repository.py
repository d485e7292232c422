import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import Alert, AlertKind, DailyScan


class AlertRepository(Repository[Alert]):
    model = Alert

    async def raise_many(self, rows: list[dict[str, Any]], *, batch: int = 1000) -> int:
        """Insert the alerts not raised before (by dedupe key); returns how many were new."""
        inserted = 0
        for start in range(0, len(rows), batch):
            chunk = [{"id": uuid.uuid4(), **row} for row in rows[start : start + batch]]
            # executemany form: SQLAlchemy batches it into multi-row INSERTs itself
            # ("insertmanyvalues"), without compiling one statement per chunk.
            result = await self.session.execute(
                insert(Alert)
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(Alert.id),
                chunk,
            )
            inserted += len(result.all())
        return inserted

    async def resolve_for_finding(self, finding_id: uuid.UUID) -> None:
        await self.session.execute(
            update(Alert)
            .where(Alert.finding_id == finding_id, Alert.resolved_at.is_(None))
            .values(resolved_at=func.now())
        )

    async def resolve_visit_due(self, school_code: str, period: str) -> None:
        await self.session.execute(
            update(Alert)
            .where(
                Alert.kind == AlertKind.visit_due,
                Alert.school_code == school_code,
                Alert.period == period,
                Alert.resolved_at.is_(None),
            )
            .values(resolved_at=func.now())
        )

    async def get_visible(self, id: uuid.UUID, visible: ColumnElement[bool]) -> Alert | None:
        return await self.get_one_or_none(select(Alert).where(Alert.id == id, visible))

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        kind: AlertKind | None,
        open_only: bool,
        district_code: str | None,
    ) -> tuple[list[Alert], str | None]:
        statement = self.base_statement().where(visible)
        if kind is not None:
            statement = statement.where(Alert.kind == kind)
        if open_only:
            statement = statement.where(Alert.resolved_at.is_(None))
        if district_code is not None:
            statement = statement.where(Alert.district_code == district_code)

        def key_values(item: Alert) -> list[Any]:
            return [item.id]

        return await self.paginate(
            statement, params, [SortKey(Alert.id, descending=True)], key_values
        )

    async def for_day(self, day: date) -> Sequence[Alert]:
        return await self.get_all(select(Alert).where(Alert.raised_on == day))


class DailyScanRepository(Repository[DailyScan]):
    model = DailyScan

    async def claim(self, day: date, summary: dict[str, Any]) -> bool:
        """Record the day's scan; False when it was already done (another run got there)."""
        result = await self.session.execute(
            insert(DailyScan)
            .values(day=day, summary=summary)
            .on_conflict_do_nothing(index_elements=["day"])
            .returning(DailyScan.day)
        )
        return result.first() is not None

    async def for_day(self, day: date) -> DailyScan | None:
        return await self.session.get(DailyScan, day)

    async def update_summary(self, day: date, summary: dict[str, Any]) -> None:
        await self.session.execute(
            update(DailyScan)
            .where(DailyScan.day == day)
            .values(summary=summary, finished_at=func.now())
        )
