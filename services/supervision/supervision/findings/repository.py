import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import Finding, FindingStatus, Rectification

OPEN_STATUSES = (
    FindingStatus.issued,
    FindingStatus.in_progress,
    FindingStatus.submitted,
    FindingStatus.failed,
    FindingStatus.reopened,
)


class FindingRepository(Repository[Finding]):
    model = Finding

    async def get_visible(
        self, id: uuid.UUID, visible: ColumnElement[bool], *, for_update: bool = False
    ) -> Finding | None:
        statement = select(Finding).where(Finding.id == id, visible)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        status: FindingStatus | None,
        district_code: str | None,
        school_code: str | None,
        assessment_id: uuid.UUID | None,
        visit_id: uuid.UUID | None,
        overdue_on: date | None,
    ) -> tuple[list[Finding], str | None]:
        statement = self.base_statement().where(visible)
        if status is not None:
            statement = statement.where(Finding.status == status)
        if district_code is not None:
            statement = statement.where(Finding.district_code == district_code)
        if school_code is not None:
            statement = statement.where(Finding.school_code == school_code)
        if assessment_id is not None:
            statement = statement.where(Finding.assessment_id == assessment_id)
        if visit_id is not None:
            statement = statement.where(Finding.visit_id == visit_id)
        if overdue_on is not None:
            statement = statement.where(
                Finding.deadline < overdue_on, Finding.status.in_(OPEN_STATUSES)
            )

        def key_values(item: Finding) -> list[Any]:
            return [item.number]

        return await self.paginate(
            statement, params, [SortKey(Finding.number, descending=True)], key_values
        )

    async def for_visit(self, visit_id: uuid.UUID) -> Sequence[Finding]:
        return await self.get_all(
            select(Finding).where(Finding.visit_id == visit_id).order_by(Finding.number)
        )

    async def for_assessment(self, assessment_id: uuid.UUID) -> Sequence[Finding]:
        return await self.get_all(
            select(Finding).where(Finding.assessment_id == assessment_id).order_by(Finding.number)
        )

    async def overdue_open(self, day: date) -> Sequence[Finding]:
        return await self.get_all(
            select(Finding).where(Finding.deadline < day, Finding.status.in_(OPEN_STATUSES))
        )

    async def escalate(self, day: date, yellow_days: int, red_days: int) -> None:
        """Raise the escalation level of every open finding past its deadline on ``day``."""
        overdue = day - Finding.deadline
        level = case(
            (overdue >= red_days, 3),
            (overdue >= yellow_days, 2),
            else_=1,
        )
        await self.session.execute(
            update(Finding)
            .where(Finding.deadline < day, Finding.status.in_(OPEN_STATUSES))
            .values(escalation_level=func.greatest(Finding.escalation_level, level))
            .execution_options(synchronize_session="fetch")
        )

    async def closed_share(
        self, district_code: str, before_assessment: uuid.UUID
    ) -> tuple[int, int]:
        """(closed, total) findings of the county's earlier assessments (not this one)."""
        row = (
            await self.session.execute(
                select(
                    func.count().filter(Finding.status == FindingStatus.closed),
                    func.count(),
                ).where(
                    Finding.district_code == district_code,
                    Finding.school_code.is_(None),
                    Finding.assessment_id.is_not(None),
                    Finding.assessment_id != before_assessment,
                )
            )
        ).one()
        return int(row[0]), int(row[1])


class RectificationRepository(Repository[Rectification]):
    model = Rectification

    async def for_finding(self, finding_id: uuid.UUID) -> Sequence[Rectification]:
        return await self.get_all(
            select(Rectification)
            .where(Rectification.finding_id == finding_id)
            .order_by(Rectification.round)
        )
