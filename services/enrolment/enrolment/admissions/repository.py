"""Queries of the admission domain.

The job reads a cycle's verified applications and offerings with one query each and writes a
run's rows with COPY, on the session's own connection and inside its transaction: an ORM object
per application would cost more than the whole engine run at city scale.
"""

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import asyncpg
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, text, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.admissions.build import ApplicationInput, OfferingInput, Outcome
from enrolment.models import (
    AdmissionOffer,
    AdmissionPlacement,
    AdmissionRun,
    AdmissionRunSchool,
    Application,
    ApplicationStatus,
    Child,
    Cycle,
    LotterySeed,
    Offering,
    OfferRound,
    OfferStatus,
    PublicationStatus,
    ReassignmentRound,
    RunStatus,
)
from shared.auth import OrgFilter
from shared.pagination import CursorParams, SortKey, apply_keyset, page_from_rows
from shared.repository import Repository

ACTIVE = (RunStatus.queued, RunStatus.running)
LIVE = (OfferStatus.offered, OfferStatus.confirmed)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, with the session's transaction already begun on it."""
    await session.execute(text("SELECT 1"))  # SQLAlchemy begins the transaction lazily
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None or not driver.is_in_transaction():
        raise RuntimeError("the session's transaction has not begun on its connection")
    return driver


class LotteryRepository(Repository[LotterySeed]):
    model = LotterySeed

    async def of_cycle(self, cycle_id: uuid.UUID, *, lock: bool = False) -> LotterySeed | None:
        statement = select(LotterySeed).where(LotterySeed.cycle_id == cycle_id)
        if lock:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)


def visible_runs(scope: OrgFilter) -> ColumnElement[bool]:
    """Runs a staff member may read: city staff all; district staff their district's (or a
    city-wide run with schools of their district); school staff runs that include their school."""
    if scope.city_wide:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if scope.districts:
        districts = sorted(scope.districts)
        clauses.append(AdmissionRun.district_code.in_(districts))
        clauses.append(
            and_(
                AdmissionRun.district_code.is_(None),
                exists().where(
                    Cycle.id == AdmissionRun.cycle_id, Cycle.district_code.in_(districts)
                ),
            )
        )
    school_clause = scope.where(
        district=AdmissionRunSchool.district_code, school=AdmissionRunSchool.school_code
    )
    clauses.append(exists().where(AdmissionRunSchool.run_id == AdmissionRun.id, school_clause))
    return or_(*clauses)


class RunRepository(Repository[AdmissionRun]):
    model = AdmissionRun

    async def get_for_update(self, run_id: uuid.UUID) -> AdmissionRun | None:
        return await self.get_one_or_none(
            select(AdmissionRun).where(AdmissionRun.id == run_id).with_for_update()
        )

    async def visible(self, run_id: uuid.UUID, scope: OrgFilter) -> AdmissionRun | None:
        return await self.get_one_or_none(
            select(AdmissionRun).where(AdmissionRun.id == run_id, visible_runs(scope))
        )

    async def active(
        self, cycle_id: uuid.UUID, scope: str, *, lock: bool = False
    ) -> AdmissionRun | None:
        statement = (
            select(AdmissionRun)
            .where(
                AdmissionRun.cycle_id == cycle_id,
                AdmissionRun.scope == scope,
                AdmissionRun.status.in_(ACTIVE),
            )
            .order_by(AdmissionRun.requested_at.desc())
            .limit(1)
        )
        if lock:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def current(self, cycle_id: uuid.UUID, scope: str) -> AdmissionRun | None:
        return await self.get_one_or_none(
            select(AdmissionRun).where(
                AdmissionRun.cycle_id == cycle_id,
                AdmissionRun.scope == scope,
                AdmissionRun.is_current,
            )
        )

    async def with_publication(self, cycle_id: uuid.UUID) -> Sequence[AdmissionRun]:
        """Runs of the cycle whose publication is scheduled or done."""
        return await self.get_all(
            select(AdmissionRun)
            .where(
                AdmissionRun.cycle_id == cycle_id,
                AdmissionRun.publication_status.is_not(None),
            )
            .order_by(AdmissionRun.scope)
        )

    async def published(
        self, cycle_id: uuid.UUID, district_code: str | None = None
    ) -> Sequence[AdmissionRun]:
        statement = select(AdmissionRun).where(
            AdmissionRun.cycle_id == cycle_id,
            AdmissionRun.publication_status == PublicationStatus.published,
        )
        if district_code is not None:
            statement = statement.where(AdmissionRun.district_code == district_code)
        return await self.get_all(statement.order_by(AdmissionRun.scope))

    async def due_for_publication(self, now: datetime) -> Sequence[uuid.UUID]:
        rows = await self.session.scalars(
            select(AdmissionRun.id).where(
                AdmissionRun.publication_status == PublicationStatus.scheduled,
                AdmissionRun.publish_at <= now,
            )
        )
        return rows.all()

    async def stranded(self, queued_before: datetime) -> Sequence[tuple[uuid.UUID, str]]:
        """Scopes with a run still queued since before then (its job may never have been
        queued: Redis was down when it was requested)."""
        rows = await self.session.execute(
            select(AdmissionRun.cycle_id, AdmissionRun.scope).where(
                AdmissionRun.status == RunStatus.queued,
                AdmissionRun.requested_at < queued_before,
            )
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def list_page(
        self, cycle_id: uuid.UUID, scope: OrgFilter, params: CursorParams
    ) -> tuple[list[AdmissionRun], str | None]:
        statement = select(AdmissionRun).where(
            AdmissionRun.cycle_id == cycle_id, visible_runs(scope)
        )
        return await self.paginate(
            statement, params, [SortKey(AdmissionRun.id, descending=True)], lambda run: [run.id]
        )

    async def touch(
        self, run_id: uuid.UUID, *, phase: str, progress: int, now: datetime
    ) -> tuple[RunStatus, bool] | None:
        """Record progress and the heartbeat; answer the run's status and whether to cancel."""
        row = (
            await self.session.execute(
                update(AdmissionRun)
                .where(AdmissionRun.id == run_id)
                .values(phase=phase, progress=progress, heartbeat_at=now)
                .returning(AdmissionRun.status, AdmissionRun.cancel_requested)
            )
        ).one_or_none()
        return None if row is None else (RunStatus(row[0]), bool(row[1]))

    # --- the school table, rosters and unplaced children of a run ---------------------------

    async def schools(self, run_id: uuid.UUID, scope: OrgFilter) -> Sequence[AdmissionRunSchool]:
        return (
            await self.session.scalars(
                select(AdmissionRunSchool)
                .where(
                    AdmissionRunSchool.run_id == run_id,
                    scope.where(
                        district=AdmissionRunSchool.district_code,
                        school=AdmissionRunSchool.school_code,
                    ),
                )
                .order_by(AdmissionRunSchool.school_code)
            )
        ).all()

    async def school(self, run_id: uuid.UUID, school_code: str) -> AdmissionRunSchool | None:
        return (
            await self.session.scalars(
                select(AdmissionRunSchool).where(
                    AdmissionRunSchool.run_id == run_id,
                    AdmissionRunSchool.school_code == school_code,
                )
            )
        ).one_or_none()

    async def roster(
        self, run_id: uuid.UUID, offering_id: uuid.UUID
    ) -> Sequence[tuple[AdmissionPlacement, str, str, OfferStatus | None]]:
        """Placements at a school in seat order, with the child's name, masked ID number and,
        once published, the offer's status."""
        offer_status = (
            select(AdmissionOffer.status)
            .where(
                AdmissionOffer.application_id == AdmissionPlacement.application_id,
                AdmissionOffer.run_id == AdmissionPlacement.run_id,
            )
            .limit(1)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(AdmissionPlacement, Child.name, Child.id_number_masked, offer_status)
            .join(Application, Application.id == AdmissionPlacement.application_id)
            .join(Child, Child.id == Application.child_id)
            .where(
                AdmissionPlacement.run_id == run_id,
                AdmissionPlacement.offering_id == offering_id,
            )
            .order_by(AdmissionPlacement.seat_no)
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows.all()]

    async def unplaced_page(
        self, run_id: uuid.UUID, scope: OrgFilter, params: CursorParams
    ) -> tuple[list[tuple[AdmissionPlacement, str]], str | None]:
        statement = (
            select(AdmissionPlacement, Child.name)
            .join(Application, Application.id == AdmissionPlacement.application_id)
            .join(Child, Child.id == Application.child_id)
            .where(
                AdmissionPlacement.run_id == run_id,
                AdmissionPlacement.offering_id.is_(None),
                scope.where(district=AdmissionPlacement.district_code),
            )
        )
        # The shared keyset helper is typed for one-entity selects; this one carries the name.
        keyed = apply_keyset(
            cast(Select[Any], statement), [SortKey(AdmissionPlacement.public_id)], params
        )
        rows = [(row[0], row[1]) for row in (await self.session.execute(keyed)).all()]
        return page_from_rows(rows, params, lambda pair: [pair[0].public_id])

    async def placements(self, run_ids: Sequence[uuid.UUID]) -> Sequence[AdmissionPlacement]:
        return (
            await self.session.scalars(
                select(AdmissionPlacement)
                .where(AdmissionPlacement.run_id.in_(run_ids))
                .order_by(AdmissionPlacement.public_id)
            )
        ).all()

    async def run_schools(self, run_ids: Sequence[uuid.UUID]) -> Sequence[AdmissionRunSchool]:
        return (
            await self.session.scalars(
                select(AdmissionRunSchool)
                .where(AdmissionRunSchool.run_id.in_(run_ids))
                .order_by(AdmissionRunSchool.school_code)
            )
        ).all()

    async def published_placement(
        self, application_id: uuid.UUID
    ) -> tuple[AdmissionPlacement, AdmissionRun] | None:
        row = (
            await self.session.execute(
                select(AdmissionPlacement, AdmissionRun)
                .join(AdmissionRun, AdmissionRun.id == AdmissionPlacement.run_id)
                .where(
                    AdmissionPlacement.application_id == application_id,
                    AdmissionRun.publication_status == PublicationStatus.published,
                )
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    # --- the job's reads and writes ----------------------------------------------------------

    async def load_inputs(
        self, cycle_id: uuid.UUID, district_code: str | None
    ) -> tuple[list[OfferingInput], list[ApplicationInput]]:
        """Every offering of the cycle and the verified applications in scope, one query each."""
        connection = await driver_connection(self.session)
        offering_rows = await connection.fetch(
            """SELECT id, school_code, school_name, district_code, ownership, seats
                 FROM enrolment.offering WHERE cycle_id = $1""",
            cycle_id,
        )
        scope_clause = "" if district_code is None else "AND district_code = $2"
        application_rows = await connection.fetch(
            f"""SELECT id, public_id, track, district_code, batch_code, private_choices,
                       catchment_offering_id, priority_key,
                       CASE WHEN track = 'private' THEN facts_snapshot::text END AS facts
                  FROM enrolment.application
                 WHERE cycle_id = $1 AND status = 'verified' {scope_clause}""",
            *([cycle_id] if district_code is None else [cycle_id, district_code]),
        )
        offerings = [
            OfferingInput(
                id=row["id"],
                school_code=row["school_code"],
                school_name=row["school_name"],
                district_code=row["district_code"],
                ownership=row["ownership"],
                seats=row["seats"],
            )
            for row in offering_rows
        ]
        applications = [
            ApplicationInput(
                id=row["id"],
                public_id=row["public_id"],
                track=row["track"],
                district_code=row["district_code"],
                batch_code=row["batch_code"],
                private_choices=tuple(row["private_choices"] or ()),
                catchment_offering_id=row["catchment_offering_id"],
                priority_key=tuple(row["priority_key"] or ()),
                facts=json.loads(row["facts"]) if row["facts"] is not None else None,
            )
            for row in application_rows
        ]
        return offerings, applications

    async def write_outcome(self, run_id: uuid.UUID, outcome: Outcome) -> None:
        """COPY the run's schools and placements (inside the caller's transaction)."""
        connection = await driver_connection(self.session)
        await connection.copy_records_to_table(
            "admission_run_school",
            schema_name="enrolment",
            columns=[
                "run_id",
                "offering_id",
                "school_code",
                "school_name",
                "district_code",
                "ownership",
                "capacity",
                "admitted",
                "applicants",
                "first_choice",
                "cutoff_key",
                "cutoff_lottery",
                "cutoff_public_id",
                "cutoff_text",
            ],
            records=[
                (
                    run_id,
                    s.offering_id,
                    s.school_code,
                    s.school_name,
                    s.district_code,
                    s.ownership,
                    s.capacity,
                    s.admitted,
                    s.applicants,
                    s.first_choice,
                    s.cutoff_key,
                    s.cutoff_lottery,
                    s.cutoff_public_id,
                    s.cutoff_text,
                )
                for s in outcome.schools
            ],
        )
        await connection.copy_records_to_table(
            "admission_placement",
            schema_name="enrolment",
            columns=[
                "run_id",
                "application_id",
                "public_id",
                "district_code",
                "track",
                "batch_code",
                "offering_id",
                "capacity",
                "seat_no",
                "choice_rank",
                "fallback",
                "lottery",
                "choices",
                "priority",
                "ineligible",
                "explanation",
                "summary",
            ],
            records=[
                (
                    run_id,
                    p.application_id,
                    p.public_id,
                    p.district_code,
                    p.track,
                    p.batch_code,
                    p.offering_id,
                    p.capacity,
                    p.seat_no,
                    p.choice_rank,
                    p.fallback,
                    p.lottery,
                    p.choices,
                    p.priority,
                    p.ineligible,
                    p.explanation,
                    p.summary,
                )
                for p in outcome.placements
            ],
        )

    async def retire_current(self, cycle_id: uuid.UUID, scope: str, keep: uuid.UUID) -> None:
        await self.session.execute(
            update(AdmissionRun)
            .where(
                AdmissionRun.cycle_id == cycle_id,
                AdmissionRun.scope == scope,
                AdmissionRun.is_current,
                AdmissionRun.id != keep,
            )
            .values(is_current=False)
        )


class OfferRepository(Repository[AdmissionOffer]):
    model = AdmissionOffer

    async def live_for_application(
        self, application_id: uuid.UUID, *, lock: bool = False
    ) -> AdmissionOffer | None:
        statement = select(AdmissionOffer).where(
            AdmissionOffer.application_id == application_id, AdmissionOffer.status.in_(LIVE)
        )
        if lock:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def latest_for_application(self, application_id: uuid.UUID) -> AdmissionOffer | None:
        return await self.get_one_or_none(
            select(AdmissionOffer)
            .where(AdmissionOffer.application_id == application_id)
            .order_by(AdmissionOffer.created_at.desc(), AdmissionOffer.id.desc())
            .limit(1)
        )

    async def used_seats(self, offering_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[int]]:
        rows = await self.session.execute(
            select(AdmissionOffer.offering_id, AdmissionOffer.seat_no).where(
                AdmissionOffer.offering_id.in_(offering_ids), AdmissionOffer.status.in_(LIVE)
            )
        )
        used: dict[uuid.UUID, set[int]] = {offering_id: set() for offering_id in offering_ids}
        for offering_id, seat in rows.all():
            used[offering_id].add(int(seat))
        return used

    async def overdue(
        self, cycle_id: uuid.UUID, district_code: str | None, now: datetime
    ) -> Sequence[tuple[AdmissionOffer, Application, str]]:
        statement = (
            select(AdmissionOffer, Application, Child.name)
            .join(Application, Application.id == AdmissionOffer.application_id)
            .join(Child, Child.id == Application.child_id)
            .where(
                AdmissionOffer.cycle_id == cycle_id,
                AdmissionOffer.status == OfferStatus.offered,
                AdmissionOffer.respond_by < now,
            )
            .order_by(AdmissionOffer.id)
            .with_for_update(of=[AdmissionOffer, Application])
        )
        if district_code is not None:
            statement = statement.where(Application.district_code == district_code)
        rows = (await self.session.execute(statement)).all()
        return [(row[0], row[1], row[2]) for row in rows]

    async def reassignment_pool(
        self, cycle_id: uuid.UUID, district_code: str | None
    ) -> Sequence[tuple[Application, str]]:
        """Children owed one 调剂 offer: unplaced, or declined and asking for it, never offered one
        before."""
        asked = exists().where(
            AdmissionOffer.application_id == Application.id,
            AdmissionOffer.status == OfferStatus.declined,
            AdmissionOffer.wants_reassignment,
        )
        offered_before = exists().where(
            AdmissionOffer.application_id == Application.id,
            AdmissionOffer.round == OfferRound.reassignment,
        )
        statement = (
            select(Application, Child.name)
            .join(Child, Child.id == Application.child_id)
            .where(
                Application.cycle_id == cycle_id,
                or_(
                    Application.status == ApplicationStatus.unplaced,
                    and_(Application.status == ApplicationStatus.declined, asked),
                ),
                ~offered_before,
            )
            .order_by(Application.id)
            .with_for_update(of=Application)
        )
        if district_code is not None:
            statement = statement.where(Application.district_code == district_code)
        return [(row[0], row[1]) for row in (await self.session.execute(statement)).all()]

    async def live_roster(
        self, cycle_id: uuid.UUID, school_code: str
    ) -> Sequence[tuple[AdmissionOffer, Application, str, str]]:
        rows = await self.session.execute(
            select(AdmissionOffer, Application, Child.name, Child.id_number_masked)
            .join(Application, Application.id == AdmissionOffer.application_id)
            .join(Child, Child.id == Application.child_id)
            .where(
                AdmissionOffer.cycle_id == cycle_id,
                AdmissionOffer.school_code == school_code,
                AdmissionOffer.status.in_(LIVE),
            )
            .order_by(AdmissionOffer.seat_no)
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows.all()]


class RoundRepository(Repository[ReassignmentRound]):
    model = ReassignmentRound


async def offerings_of(
    session: AsyncSession, cycle_id: uuid.UUID, district_code: str | None
) -> Sequence[Offering]:
    statement = select(Offering).where(Offering.cycle_id == cycle_id)
    if district_code is not None:
        statement = statement.where(Offering.district_code == district_code)
    return (await session.scalars(statement.order_by(Offering.school_code))).all()


async def count_offers(session: AsyncSession, run_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(AdmissionOffer).where(AdmissionOffer.run_id == run_id)
        )
        or 0
    )
