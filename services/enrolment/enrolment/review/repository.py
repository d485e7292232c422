import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.dialects.postgresql import array

from enrolment.models import Application, Child, Cycle
from enrolment.review.schemas import QueueFilters
from shared.auth import OrgFilter
from shared.pagination import CursorParams, SortKey, apply_keyset, page_from_rows
from shared.repository import Repository


def _managed_cycles(districts: frozenset[str]) -> ColumnElement[bool]:
    """The applications of a district's own cycles: its managers always see and decide them,
    whatever district an application carries."""
    return Application.cycle_id.in_(
        select(Cycle.id).where(Cycle.district_code.in_(sorted(districts)))
    )


def scope_clause(scope: OrgFilter) -> ColumnElement[bool] | None:
    """What staff may read: district staff their districts' applications and their cycles',
    school staff every application naming their school or placed there."""
    if scope.city_wide:
        return None
    clauses: list[ColumnElement[bool]] = []
    if scope.districts:
        clauses.append(Application.district_code.in_(sorted(scope.districts)))
        clauses.append(_managed_cycles(scope.districts))
    if scope.schools:
        schools = sorted(scope.schools)
        clauses.append(Application.school_codes.overlap(array(schools)))
        clauses.append(Application.admitted_school_code.in_(schools))
    return or_(*clauses) if clauses else false()


def decision_clause(scope: OrgFilter) -> ColumnElement[bool]:
    """What staff may decide: the district's staff (and the city's) — and, for its own
    decision, the school a child is registered at (the catchment school, or the first private
    choice) or placed at. Other schools an application names only read it."""
    if scope.city_wide:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if scope.districts:
        clauses.append(Application.district_code.in_(sorted(scope.districts)))
        clauses.append(_managed_cycles(scope.districts))
    if scope.schools:
        schools = sorted(scope.schools)
        clauses.append(Application.school_codes[1].in_(schools))
        clauses.append(Application.admitted_school_code.in_(schools))
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
    ) -> tuple[Application, bool] | None:
        """The application if the scope may read it, and whether it may decide on it."""
        rows = await self.many(scope, [application_id], lock=lock)
        return rows[0] if rows else None

    async def many(
        self, scope: OrgFilter, ids: Sequence[uuid.UUID], *, lock: bool = True
    ) -> list[tuple[Application, bool]]:
        statement = (
            select(Application, decision_clause(scope).label("may_decide"))
            .where(Application.id.in_(ids))
            .order_by(Application.id)
        )
        clause = scope_clause(scope)
        if clause is not None:
            statement = statement.where(clause)
        if lock:
            statement = statement.with_for_update(of=Application)
        return [(row[0], bool(row[1])) for row in (await self.session.execute(statement)).all()]

    async def children(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Child]:
        rows = await self.session.scalars(select(Child).where(Child.id.in_(ids)))
        return {child.id: child for child in rows}
