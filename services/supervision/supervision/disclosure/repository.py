import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.findings.repository import OPEN_STATUSES
from supervision.models import (
    AccountabilityAction,
    Assessment,
    AssessmentTarget,
    Finding,
    FindingStatus,
    InspectorAssignment,
    Publication,
    PublicationStatus,
    Visit,
    VisitStatus,
)


class PublicationRepository(Repository[Publication]):
    model = Publication

    async def get_visible(
        self, id: uuid.UUID, visible: ColumnElement[bool], *, for_update: bool = False
    ) -> Publication | None:
        statement = select(Publication).where(Publication.id == id, visible)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        status: PublicationStatus | None,
        assessment_id: uuid.UUID | None,
    ) -> tuple[list[Publication], str | None]:
        statement = self.base_statement().where(visible)
        if status is not None:
            statement = statement.where(Publication.status == status)
        if assessment_id is not None:
            statement = statement.where(Publication.assessment_id == assessment_id)

        def key_values(item: Publication) -> list[Any]:
            return [item.id]

        return await self.paginate(
            statement, params, [SortKey(Publication.id, descending=True)], key_values
        )

    def _published(
        self, *, kind: str | None, district_code: str | None, year: int | None
    ) -> Select[Publication]:
        statement = select(Publication).where(Publication.status == PublicationStatus.published)
        if kind is not None:
            statement = statement.where(Publication.kind == kind)
        if district_code is not None:
            statement = statement.where(Publication.district_code == district_code)
        if year is not None:
            statement = statement.where(Publication.year == year)
        return statement

    async def published_page(
        self,
        params: CursorParams,
        *,
        kind: str | None,
        district_code: str | None,
        year: int | None,
    ) -> tuple[list[Publication], str | None]:
        def key_values(item: Publication) -> list[Any]:
            return [item.as_of, item.id]

        return await self.paginate(
            self._published(kind=kind, district_code=district_code, year=year),
            params,
            [SortKey(Publication.as_of, descending=True), SortKey(Publication.id, descending=True)],
            key_values,
        )

    async def published_all(
        self, *, kind: str | None, district_code: str | None, year: int | None, limit: int
    ) -> Sequence[Publication]:
        return await self.get_all(
            self._published(kind=kind, district_code=district_code, year=year)
            .order_by(Publication.as_of.desc(), Publication.id.desc())
            .limit(limit)
        )

    async def get_published(self, id: uuid.UUID) -> Publication | None:
        return await self.get_one_or_none(
            select(Publication).where(
                Publication.id == id, Publication.status == PublicationStatus.published
            )
        )


class StatisticsRepository(Repository[Finding]):
    """Aggregates per county for the staff dashboard."""

    model = Finding

    async def targets(
        self, visible: ColumnElement[bool], year: int | None
    ) -> dict[str, dict[str, int]]:
        statement = (
            select(
                AssessmentTarget.district_code,
                func.count(func.distinct(AssessmentTarget.assessment_id)),
                func.count().filter(AssessmentTarget.latest_outcome.is_not(None)),
                func.count().filter(AssessmentTarget.latest_outcome == "pass"),
                func.count().filter(AssessmentTarget.latest_outcome == "fail"),
                func.count().filter(AssessmentTarget.latest_outcome == "insufficient_data"),
            )
            .join(Assessment, Assessment.id == AssessmentTarget.assessment_id)
            .where(visible)
            .group_by(AssessmentTarget.district_code)
        )
        if year is not None:
            statement = statement.where(Assessment.year == year)
        rows = (await self.session.execute(statement)).all()
        return {
            row[0]: {
                "assessments": row[1],
                "evaluated": row[2],
                "passed": row[3],
                "failed": row[4],
                "insufficient": row[5],
            }
            for row in rows
        }

    async def findings(
        self, visible: ColumnElement[bool], today: date
    ) -> dict[str, dict[str, int]]:
        rows = (
            await self.session.execute(
                select(
                    Finding.district_code,
                    func.count(),
                    func.count().filter(Finding.status.in_(OPEN_STATUSES)),
                    func.count().filter(Finding.status == FindingStatus.closed),
                    func.count().filter(
                        and_(Finding.status.in_(OPEN_STATUSES), Finding.deadline < today)
                    ),
                )
                .where(visible)
                .group_by(Finding.district_code)
            )
        ).all()
        return {
            row[0]: {"total": row[1], "open": row[2], "closed": row[3], "overdue": row[4]}
            for row in rows
        }

    async def coverage(
        self, visible: ColumnElement[bool], start: date, end: date
    ) -> dict[str, tuple[int, int]]:
        """(assigned schools, schools with a completed visit in [start, end]) per county."""
        visited = (
            select(Visit.school_code)
            .where(
                Visit.status == VisitStatus.completed,
                Visit.visited_on >= start,
                Visit.visited_on <= end,
            )
            .distinct()
            .subquery()
        )
        rows = (
            await self.session.execute(
                select(
                    InspectorAssignment.district_code,
                    func.count(func.distinct(InspectorAssignment.school_code)),
                    func.count(func.distinct(visited.c.school_code)),
                )
                .outerjoin(visited, visited.c.school_code == InspectorAssignment.school_code)
                .where(
                    visible,
                    InspectorAssignment.starts_on <= end,
                    or_(
                        InspectorAssignment.ends_on.is_(None), InspectorAssignment.ends_on >= start
                    ),
                )
                .group_by(InspectorAssignment.district_code)
            )
        ).all()
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}

    async def accountability(self, visible: ColumnElement[bool]) -> dict[str, int]:
        rows = (
            await self.session.execute(
                select(AccountabilityAction.district_code, func.count())
                .where(visible)
                .group_by(AccountabilityAction.district_code)
            )
        ).all()
        return {row[0]: int(row[1]) for row in rows}
