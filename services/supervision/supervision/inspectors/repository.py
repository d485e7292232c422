import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import Inspector, InspectorAssignment, Visit, VisitStatus


class InspectorRepository(Repository[Inspector]):
    model = Inspector

    async def get_visible(
        self, id: uuid.UUID, visible: ColumnElement[bool], *, for_update: bool = False
    ) -> Inspector | None:
        statement = select(Inspector).where(Inspector.id == id, visible)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def by_certificate(self, certificate_no: str) -> Inspector | None:
        return await self.get_one_or_none(
            select(Inspector).where(Inspector.certificate_no == certificate_no)
        )

    async def by_subject(self, subject: str) -> Inspector | None:
        return await self.get_one_or_none(
            select(Inspector).where(Inspector.account_subject == subject)
        )

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        district_code: str | None,
        active: bool | None,
    ) -> tuple[list[Inspector], str | None]:
        statement = self.base_statement().where(visible)
        if district_code is not None:
            statement = statement.where(Inspector.district_code == district_code)
        if active is not None:
            statement = statement.where(Inspector.active.is_(active))

        def key_values(item: Inspector) -> list[Any]:
            return [item.id]

        return await self.paginate(statement, params, [SortKey(Inspector.id)], key_values)


class AssignmentRepository(Repository[InspectorAssignment]):
    model = InspectorAssignment

    async def get_visible(
        self, id: uuid.UUID, visible: ColumnElement[bool]
    ) -> InspectorAssignment | None:
        return await self.get_one_or_none(
            select(InspectorAssignment).where(InspectorAssignment.id == id, visible)
        )

    async def current_for_school(self, school_code: str) -> InspectorAssignment | None:
        return await self.get_one_or_none(
            select(InspectorAssignment).where(
                InspectorAssignment.school_code == school_code,
                InspectorAssignment.ends_on.is_(None),
            )
        )

    async def current_count(self, inspector_id: uuid.UUID) -> int:
        return await self.count(
            select(InspectorAssignment.id).where(
                InspectorAssignment.inspector_id == inspector_id,
                InspectorAssignment.ends_on.is_(None),
            )
        )

    async def current_for(
        self, inspector_id: uuid.UUID, school_code: str
    ) -> InspectorAssignment | None:
        return await self.get_one_or_none(
            select(InspectorAssignment).where(
                InspectorAssignment.inspector_id == inspector_id,
                InspectorAssignment.school_code == school_code,
                InspectorAssignment.ends_on.is_(None),
            )
        )

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        inspector_id: uuid.UUID | None,
        school_code: str | None,
        current_only: bool,
    ) -> tuple[list[InspectorAssignment], str | None]:
        statement = self.base_statement().where(visible)
        if inspector_id is not None:
            statement = statement.where(InspectorAssignment.inspector_id == inspector_id)
        if school_code is not None:
            statement = statement.where(InspectorAssignment.school_code == school_code)
        if current_only:
            statement = statement.where(InspectorAssignment.ends_on.is_(None))

        def key_values(item: InspectorAssignment) -> list[Any]:
            return [item.school_code, item.id]

        return await self.paginate(
            statement,
            params,
            [SortKey(InspectorAssignment.school_code), SortKey(InspectorAssignment.id)],
            key_values,
        )

    async def active_during(
        self, start: date, end: date, visible: ColumnElement[bool] | None = None
    ) -> Sequence[tuple[InspectorAssignment, Inspector]]:
        """Assignments in force at some point between ``start`` and ``end`` (inclusive)."""
        statement = (
            select(InspectorAssignment, Inspector)
            .join(Inspector, Inspector.id == InspectorAssignment.inspector_id)
            .where(
                InspectorAssignment.starts_on <= end,
                or_(InspectorAssignment.ends_on.is_(None), InspectorAssignment.ends_on >= start),
            )
            .order_by(InspectorAssignment.school_code, InspectorAssignment.starts_on)
        )
        if visible is not None:
            statement = statement.where(visible)
        rows = (await self.session.execute(statement)).all()
        return [(row[0], row[1]) for row in rows]


class VisitRepository(Repository[Visit]):
    model = Visit

    async def get_visible(
        self, id: uuid.UUID, visible: ColumnElement[bool], *, for_update: bool = False
    ) -> Visit | None:
        statement = select(Visit).where(Visit.id == id, visible)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        school_code: str | None,
        inspector_id: uuid.UUID | None,
        since: date | None,
        until: date | None,
    ) -> tuple[list[Visit], str | None]:
        statement = self.base_statement().where(visible)
        if school_code is not None:
            statement = statement.where(Visit.school_code == school_code)
        if inspector_id is not None:
            statement = statement.where(Visit.inspector_id == inspector_id)
        if since is not None:
            statement = statement.where(Visit.visited_on >= since)
        if until is not None:
            statement = statement.where(Visit.visited_on <= until)

        def key_values(item: Visit) -> list[Any]:
            return [item.visited_on, item.id]

        return await self.paginate(
            statement,
            params,
            [SortKey(Visit.visited_on, descending=True), SortKey(Visit.id, descending=True)],
            key_values,
        )

    async def completed_by_school(
        self, school_codes: Sequence[str], start: date, end: date
    ) -> dict[str, tuple[int, date]]:
        """Completed visits per school in [start, end]: (count, last visit date)."""
        if not school_codes:
            return {}
        rows = (
            await self.session.execute(
                select(Visit.school_code, func.count(), func.max(Visit.visited_on))
                .where(
                    and_(
                        Visit.school_code.in_(list(school_codes)),
                        Visit.status == VisitStatus.completed,
                        Visit.visited_on >= start,
                        Visit.visited_on <= end,
                    )
                )
                .group_by(Visit.school_code)
            )
        ).all()
        return {row[0]: (int(row[1]), row[2]) for row in rows}
