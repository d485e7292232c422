"""The agency read API: enrolment statistics for supervision, plans and other agencies
(contract: `shared.clients.enrolment.EnrolmentStats`)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, Integer, and_, case, func, select

from enrolment.models import Application, ApplicationStatus, Cycle, Ownership, Stage
from enrolment.policies import StatsReader
from shared.clients.enrolment import EnrolmentStats, SchoolStats
from shared.db import DbSession

router = APIRouter(prefix="/stats", tags=["stats"])

S = ApplicationStatus
NOT_APPLIED = (S.draft, S.withdrawn)
VERIFIED = (S.verified, S.admitted, S.unplaced, S.reassigned, S.confirmed, S.declined)
ADMITTED = (S.admitted, S.reassigned, S.confirmed)


@router.get(
    "/enrolment",
    summary="Applications, admissions, 就近入学 and 随迁子女 shares (scope enrolment:stats:read)",
    response_model=EnrolmentStats,
)
async def enrolment_stats(
    session: DbSession,
    principal: StatsReader,
    year: Annotated[int, Query(ge=2000, le=2100)],
    stage: Stage,
    district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
) -> EnrolmentStats:
    scope = [Cycle.year == year, Cycle.stage == stage, Application.status.not_in(NOT_APPLIED)]
    if district_code is not None:
        scope.append(Application.district_code == district_code)
    admitted = Application.status.in_(ADMITTED)
    in_catchment = and_(
        admitted, Application.admitted_offering_id == Application.catchment_offering_id
    )

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

    totals = (
        await session.execute(
            select(
                func.count(),
                count(Application.status.in_(VERIFIED)),
                count(admitted),
                count(Application.status == S.unplaced),
                count(in_catchment),
                count(Application.migrant.is_(True)),
                count(
                    and_(
                        Application.migrant,
                        admitted,
                        Application.admitted_ownership == Ownership.public,
                    )
                ),
            )
            .select_from(Application)
            .join(Cycle, Cycle.id == Application.cycle_id)
            .where(*scope)
        )
    ).one()
    applications, verified, admitted_count, unplaced, catchment_count, migrants, migrants_public = (
        int(v or 0) for v in totals
    )
    by_batch: dict[str, int] = {
        str(code): int(total)
        for code, total in (
            await session.execute(
                select(Application.batch_code, func.count())
                .join(Cycle, Cycle.id == Application.cycle_id)
                .where(*scope, admitted, Application.batch_code.is_not(None))
                .group_by(Application.batch_code)
            )
        ).all()
    }
    school = func.unnest(Application.school_codes).label("school_code")
    per_school = (
        await session.execute(
            select(
                school,
                func.count(),
                count(
                    and_(
                        admitted,
                        Application.admitted_school_code == Application.catchment_school_code,
                    )
                ),
            )
            .join(Cycle, Cycle.id == Application.cycle_id)
            .where(*scope)
            .group_by(school)
            .order_by(school)
        )
    ).all()
    admitted_by_school: dict[str, int] = {
        str(code): int(total)
        for code, total in (
            await session.execute(
                select(Application.admitted_school_code, func.count())
                .join(Cycle, Cycle.id == Application.cycle_id)
                .where(*scope, admitted, Application.admitted_school_code.is_not(None))
                .group_by(Application.admitted_school_code)
            )
        ).all()
    }
    codes = sorted({str(row[0]) for row in per_school} | {str(code) for code in admitted_by_school})
    applied = {str(row[0]): int(row[1]) for row in per_school}
    in_catch = {str(row[0]): int(row[2]) for row in per_school}
    return EnrolmentStats(
        year=year,
        stage=stage.value,
        district_code=district_code,
        applications=applications,
        verified=verified,
        admitted=admitted_count,
        unplaced=unplaced,
        by_batch={str(k): int(v) for k, v in by_batch.items()},
        catchment_share=round(catchment_count / admitted_count, 4) if admitted_count else None,
        migrant_share_in_public=round(migrants_public / migrants, 4) if migrants else None,
        schools=[
            SchoolStats(
                school_code=code,
                applications=applied.get(code, 0),
                admitted=int(admitted_by_school.get(code, 0)),
                admitted_in_catchment=in_catch.get(code, 0),
            )
            for code in codes
        ],
        as_of=datetime.now(UTC),
    )
