"""调剂 (统筹安排): one offer each for the children left without a seat.

After publication, unplaced children — and those who declined their offer and asked for 调剂 —
are served one at a time by (their batch key, their lottery number): the same priority order
as the main round, so nobody is passed over for someone behind them. Each takes the first
school with a seat left from the district's list (or their own list), or the nearest one by
distance. Offers past their deadline are declined first, which frees their seats. A child gets
one 调剂 offer; declining it ends the matter (不服从不再安排), which the database enforces.
"""

import math
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.admission.engine import AdmissionResult, Applicant, School, reassign
from enrolment.admission.lottery import lottery_number
from enrolment.admissions.build import catchment_key
from enrolment.admissions.explain import finite_key
from enrolment.admissions.repository import (
    LotteryRepository,
    OfferRepository,
    RunRepository,
    offerings_of,
)
from enrolment.admissions.schemas import ReassignedChild, ReassignmentIn, ReassignmentReport
from enrolment.admissions.service import admission_service
from enrolment.applications.facts import primary_address
from enrolment.applications.workflow import transition
from enrolment.cycles.service import cycle_service
from enrolment.errors import LotteryConflict, ResultsNotPublished, SchoolNotInRun
from enrolment.models import (
    AdmissionOffer,
    Application,
    ApplicationStatus,
    AuditLog,
    Cycle,
    FamilyFacts,
    Offering,
    OfferRound,
    OfferStatus,
    ReassignmentRound,
    Track,
)
from enrolment.policies import REVIEW_ROLES
from enrolment.rules import BatchRule
from enrolment.windows import local_text
from shared import audit
from shared.auth import Principal
from shared.errors import InvalidInput
from shared.i18n import Text
from shared.ids import uuid7

EARTH_RADIUS_KM = 6371.0


def centroid(polygon: list[list[list[float]]] | None) -> tuple[float, float] | None:
    """The mean of the outer ring's vertices (lng, lat): close enough to rank nearby schools."""
    if not polygon or not polygon[0]:
        return None
    ring = (
        polygon[0][:-1] if len(polygon[0]) > 1 and polygon[0][0] == polygon[0][-1] else polygon[0]
    )
    return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lng1, lat1, lng2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _home(facts: FamilyFacts | None) -> tuple[float, float] | None:
    address: dict[str, Any] | None = primary_address(facts)
    if not address or address.get("lng") is None or address.get("lat") is None:
        return None
    return (float(address["lng"]), float(address["lat"]))


def _unknown_school(field: str) -> InvalidInput:
    return InvalidInput.for_field(
        field,
        Text("不是本招生周期的学校", "Not a school of this cycle"),
        "unknown_school",
    )


async def run_round(
    session: AsyncSession,
    principal: Principal,
    cycle_id: uuid.UUID,
    data: ReassignmentIn,
    now: datetime,
) -> ReassignmentReport:
    cycle = await cycle_service.get(session, cycle_id)
    district = data.district_code if cycle.district_code is None else None
    admission_service.require_manager(principal, cycle, district)
    if data.respond_by <= now:
        raise InvalidInput.for_field(
            "body.respond_by",
            Text("确认截止时间须晚于现在", "respond_by must be in the future"),
            "too_early",
        )
    published = await RunRepository(session).published(cycle.id)
    if not any(district is None or run.scope in ("all", district) for run in published):
        raise ResultsNotPublished(
            Text("录取结果公布后才能统筹安排（调剂）", "Publish the results before 调剂")
        )
    lottery = await LotteryRepository(session).of_cycle(cycle.id)
    if lottery is None or lottery.revealed_seed is None:
        raise LotteryConflict(Text("抽签种子尚未公开", "The seed has not been revealed"))

    offerings = list(await offerings_of(session, cycle.id, district))
    by_code = {offering.school_code: offering for offering in offerings}
    for position, listed in enumerate(data.schools):
        if listed not in by_code:
            raise _unknown_school(f"body.schools.{position}")
    for public_id, codes in data.candidates.items():
        for position, listed in enumerate(codes):
            if listed not in by_code:
                raise _unknown_school(f"body.candidates.{public_id}.{position}")

    offers = OfferRepository(session)
    expired = await _expire_overdue(session, offers, cycle.id, district, now)
    await session.flush()  # the seats and statuses below must see the lapsed offers
    pool = await offers.reassignment_pool(cycle.id, district)

    used = await offers.used_seats([offering.id for offering in offerings])
    seats_left = {
        offering.school_code: max(offering.seats - len(used[offering.id]), 0)
        for offering in offerings
    }
    batches = [BatchRule.model_validate(batch) for batch in cycle.batches]
    applicants, order, homes = await _applicants(
        session, cycle, pool, batches, lottery.revealed_seed
    )
    distance: dict[str, dict[str, float]] | None = None
    if data.method == "distance":
        locations = {
            code: point for code, o in by_code.items() if (point := centroid(o.polygon)) is not None
        }
        distance = {
            public_id: {code: distance_km(home, point) for code, point in locations.items()}
            for public_id, home in homes.items()
        }
    candidates = {
        applicant.id: list(data.candidates.get(applicant.id, data.schools))
        for applicant in applicants
        if applicant.id in data.candidates or data.method == "list" or applicant.id not in homes
    }
    schools = [School(id=code, capacity=seats) for code, seats in seats_left.items()]
    empty = AdmissionResult(
        assignment={applicant.id: None for applicant in applicants},
        cutoffs=dict.fromkeys(seats_left),
        explanations={},
    )
    result = reassign(
        empty, schools, applicants, candidates=candidates, distance=distance or {}, order=order
    )

    round_ = ReassignmentRound(
        id=uuid7(),
        cycle_id=cycle.id,
        district_code=district or cycle.district_code,
        method=data.method,
        params={"schools": data.schools, "candidates": len(data.candidates)},
        respond_by=data.respond_by,
        candidates=len(pool),
        offered=len(result.reassigned),
        expired=expired,
        created_at=now,
        created_by=principal.subject,
    )
    session.add(round_)
    await session.flush()

    free = {
        offering.school_code: sorted(set(range(1, offering.seats + 1)) - used[offering.id])
        for offering in offerings
    }
    placed: list[ReassignedChild] = []
    for application, child_name in pool:
        school_code = result.assignment.get(application.public_id)
        if school_code is None:
            continue
        code: str = school_code
        offering = by_code[code]
        seat = free[code].pop(0)
        session.add(
            AdmissionOffer(
                id=uuid7(),
                cycle_id=cycle.id,
                application_id=application.id,
                round=OfferRound.reassignment,
                round_id=round_.id,
                offering_id=offering.id,
                school_code=code,
                capacity=offering.seats,
                seat_no=seat,
                status=OfferStatus.offered,
                respond_by=data.respond_by,
                created_at=now,
            )
        )
        application.admitted_offering_id = offering.id
        application.admitted_school_code = code
        application.admitted_ownership = offering.ownership
        transition(
            session,
            application,
            ApplicationStatus.reassigned,
            actor_kind="staff",
            principal=principal,
            now=now,
            reason_code="reassignment",
            message=f"{offering.school_name}，请于 {local_text(data.respond_by)} 前确认",
            child_name=child_name,
        )
        placed.append(ReassignedChild(public_id=application.public_id, school_code=code))
    audit.record(
        session,
        AuditLog,
        action="reassignment.round",
        resource_type="reassignment_round",
        resource_id=round_.id,
        principal=principal,
        details={"candidates": len(pool), "offered": len(placed), "expired": expired},
    )
    return ReassignmentReport(
        round_id=round_.id,
        expired=expired,
        candidates=len(pool),
        offered=len(placed),
        still_unplaced=len(pool) - len(placed),
        offers=placed,
    )


async def _expire_overdue(
    session: AsyncSession,
    offers: OfferRepository,
    cycle_id: uuid.UUID,
    district: str | None,
    now: datetime,
) -> int:
    overdue = await offers.overdue(cycle_id, district, now)
    for offer, application, child_name in overdue:
        offer.status = OfferStatus.expired
        offer.responded_at = now
        transition(
            session,
            application,
            ApplicationStatus.declined,
            actor_kind="system",
            principal=None,
            now=now,
            reason_code="offer_expired",
            message="逾期未确认，视为放弃学位",
            child_name=child_name,
        )
    return len(overdue)


async def _applicants(
    session: AsyncSession,
    cycle: Cycle,
    pool: Sequence[tuple[Application, str]],
    batches: Sequence[BatchRule],
    seed: str,
) -> tuple[list[Applicant], dict[str, tuple[float, ...]], dict[str, tuple[float, float]]]:
    child_ids = [application.child_id for application, _ in pool]
    facts = {
        row.child_id: row
        for row in (
            await session.scalars(select(FamilyFacts).where(FamilyFacts.child_id.in_(child_ids)))
        ).all()
    }
    applicants: list[Applicant] = []
    order: dict[str, tuple[float, ...]] = {}
    homes: dict[str, tuple[float, float]] = {}
    for application, _ in pool:
        public_id = application.public_id
        if application.track == Track.private:
            key = catchment_key(batches, application.facts_snapshot)
        else:
            key = finite_key(application.priority_key or [])
        order[public_id] = key
        applicants.append(
            Applicant(
                id=public_id,
                choices=(),
                priority={},
                lottery=lottery_number(seed, str(cycle.id), public_id),
            )
        )
        home = _home(facts.get(application.child_id))
        if home is not None:
            homes[public_id] = home
    return applicants, order, homes


async def live_roster_offering(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, school_code: str
) -> Offering:
    offering = await session.scalar(
        select(Offering).where(Offering.cycle_id == cycle_id, Offering.school_code == school_code)
    )
    scope = principal.org_filter(*REVIEW_ROLES)
    if offering is None or not scope.allows_school(offering.school_code, offering.district_code):
        raise SchoolNotInRun()
    return offering
