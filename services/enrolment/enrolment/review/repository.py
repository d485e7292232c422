import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.dialects.postgresql import array

from enrolment.models import Application, Child
from enrolment.review.schemas import QueueFilters
from shared.auth import OrgFilter
from shared.pagination import CursorParams, SortKey, apply_keyset, page_from_rows
from shared.repository import Repository


def scope_clause(scope: OrgFilter) -> ColumnElement[bool] | None:
    """District staff see their districts' applications, school staff their schools'."""
    if scope.city_wide:
        return None
    clauses: list[ColumnElement[bool]] = []
    if scope.districts:
        clauses.append(Application.district_code.in_(sorted(scope.districts)))
    if scope.schools:
        clauses.append(Application.school_codes.overlap(array(sorted(scope.schools))))
    return or_(*clauses) if clauses else false()


class ReviewRepository(Repository[Application]):
    model = Application

    def scoped(self, scope: OrgFilter) -> Select[Application, str]:
        statement = select(Application, Child.name).join(Child, Child.id == Application.child_id)
        clause = scope_clause(scope)
        return statement if clause is None else statement.where(clause)

    async def queue(
        self, scope: OrgFilter, filters: QueueFilters, params: CursorParams
    ) -> tuple[list[tuple[Application, str]], str | None]:
        statement = self.scoped(scope)
        if filters.cycle_id is not None:
            statement = statement.where(Application.cycle_id == filters.cycle_id)
        if filters.status is not None:
            statement = statement.where(Application.status == filters.status)
        else:
            statement = statement.where(Application.status != "draft")
        if filters.batch_code is not None:
            statement = statement.where(Application.batch_code == filters.batch_code)
        if filters.school_code is not None:
            statement = statement.where(Application.school_codes.contains([filters.school_code]))
        if filters.district_code is not None:
            statement = statement.where(Application.district_code == filters.district_code)
        if filters.flag is not None:
            statement = statement.where(Application.flags.contains([filters.flag]))
        if filters.track is not None:
            statement = statement.where(Application.track == filters.track)
        keys = [SortKey(Application.id)]
        # The shared keyset helper is typed for one-entity selects; this one also carries the name.
        keyed: Select[Any] = apply_keyset(cast(Select[Any], statement), keys, params)
        rows: Sequence[Any] = (await self.session.execute(keyed)).all()
        pairs: list[tuple[Application, str]] = [(row[0], row[1]) for row in rows]
        return page_from_rows(pairs, params, lambda pair: [pair[0].id])

    async def one(
        self, scope: OrgFilter, application_id: uuid.UUID, *, lock: bool = False
    ) -> Application | None:
        statement = select(Application).where(Application.id == application_id)
        clause = scope_clause(scope)
        if clause is not None:
            statement = statement.where(clause)
        if lock:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def many(self, scope: OrgFilter, ids: Sequence[uuid.UUID]) -> Sequence[Application]:
        statement = (
            select(Application)
            .where(Application.id.in_(ids))
            .order_by(Application.id)
            .with_for_update()
        )
        clause = scope_clause(scope)
        if clause is not None:
            statement = statement.where(clause)
        return await self.get_all(statement)
