"""From verified applications to the engine's instance, and from its result to the rows a run
keeps. Pure: no database, so the rules are tested on values and the job only moves data.

Nanning's rules as the engine sees them:

- a public-track child chooses their catchment school, keyed by their batch key
  (`Application.priority_key`, computed at submission); without a catchment school the child
  has no choice and goes to 调剂;
- a private-track child (公民同招) chooses their private school(s), each ranking by lottery alone,
  then falls back to their catchment school with the batch key they would have had as a public
  applicant (recomputed here from the facts stored at submission);
- every child has one lottery number, HMAC-SHA256(seed, "cycle id:public id"), used at every
  school (single tie-breaking).
"""

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from enrolment.admission.engine import (
    AdmissionResult,
    Applicant,
    PriorityKey,
    Reason,
    School,
    private_with_catchment_fallback,
)
from enrolment.admission.instance import inputs_digest
from enrolment.admission.lottery import lottery_number
from enrolment.admissions.explain import (
    KeyReader,
    admitted_message,
    choice_message,
    finite_key,
    summary,
)
from enrolment.models import Track
from enrolment.rules import FACTS, BatchRule, decide


class RunInputError(ValueError):
    """The cycle's data cannot be admitted as it stands; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class OfferingInput:
    id: uuid.UUID
    school_code: str
    school_name: str
    district_code: str
    ownership: str
    seats: int


@dataclass(frozen=True, slots=True)
class ApplicationInput:
    id: uuid.UUID
    public_id: str
    track: str
    district_code: str | None
    batch_code: str | None
    private_choices: tuple[uuid.UUID, ...]
    catchment_offering_id: uuid.UUID | None
    priority_key: tuple[float, ...]
    facts: Mapping[str, Any] | None
    """The facts stored at submission; read only for private-track children."""


@dataclass(slots=True)
class Instance:
    cycle_id: str
    commitment: str
    offerings: dict[str, OfferingInput]
    """By school code."""
    schools: list[School]
    applicants: list[Applicant]
    """Sorted by public id."""
    inputs: dict[str, ApplicationInput]
    """By public id."""
    fallback: dict[str, str] = field(default_factory=dict)
    """Private-track public id → the catchment school they fall back to."""
    digest: str = ""

    def document_applicants(self) -> list[dict[str, Any]]:
        """The applicants as the published results document and the digest carry them."""
        return [
            {
                "id": applicant.id,
                "choices": list(applicant.choices),
                "priority": {school: list(key) for school, key in applicant.priority.items()},
                "ineligible": dict(applicant.ineligible),
            }
            for applicant in self.applicants
        ]

    def document_schools(self) -> list[dict[str, Any]]:
        return [{"id": school.id, "capacity": school.capacity} for school in self.schools]


def _facts_for_rules(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored facts have ISO dates as text; the batch rules compare dates."""
    facts = dict(stored)
    for name, spec in FACTS.items():
        value = facts.get(name)
        if spec.kind == "date" and isinstance(value, str):
            try:
                facts[name] = date.fromisoformat(value)
            except ValueError:
                facts[name] = None
    return facts


def catchment_key(
    batches: Sequence[BatchRule], stored: Mapping[str, Any] | None
) -> tuple[float, ...]:
    """A private-track child's key at the catchment school: their public batch, as if they had
    applied there (公民同招: losing the private lottery costs nothing at the public school)."""
    decision = decide(batches, _facts_for_rules(stored or {}))
    if decision is None:
        return (float(len(batches) + 1),)
    return finite_key(decision.key)


def build_instance(
    *,
    cycle_id: uuid.UUID,
    commitment: str,
    seed: str,
    batches: Sequence[BatchRule],
    offerings: Sequence[OfferingInput],
    applications: Sequence[ApplicationInput],
    district_code: str | None,
) -> Instance:
    """The engine's schools and applicants for one run (a cycle, or one district of it)."""
    by_id = {offering.id: offering for offering in offerings}
    in_scope = {
        offering.school_code: offering
        for offering in sorted(offerings, key=lambda o: o.school_code)
        if district_code is None or offering.district_code == district_code
    }
    cycle = str(cycle_id)
    applicants: list[Applicant] = []
    inputs: dict[str, ApplicationInput] = {}
    fallback: dict[str, str] = {}
    outside: list[str] = []

    def code_in_scope(offering_id: uuid.UUID, public_id: str) -> str | None:
        offering = by_id.get(offering_id)
        if offering is None:
            return None  # the offering was removed after the child applied
        if offering.school_code not in in_scope:
            outside.append(f"{public_id} → {offering.school_code}")
            return None
        return offering.school_code

    for application in sorted(applications, key=lambda a: a.public_id):
        public_id = application.public_id
        inputs[public_id] = application
        lottery = lottery_number(seed, cycle, public_id)
        catchment = (
            code_in_scope(application.catchment_offering_id, public_id)
            if application.catchment_offering_id is not None
            else None
        )
        if application.track == Track.private:
            private = [
                code
                for offering_id in application.private_choices
                if (code := code_in_scope(offering_id, public_id)) is not None
            ]
            if catchment in private:
                catchment = None
            key = catchment_key(batches, application.facts) if catchment else ()
            if len(private) <= 1 and catchment is not None:
                applicant = private_with_catchment_fallback(
                    public_id,
                    lottery=lottery,
                    catchment_school=catchment,
                    catchment_key=key,
                    private_school=private[0] if private else None,
                )
            else:
                choices = (*private, *([catchment] if catchment else []))
                applicant = Applicant(
                    id=public_id,
                    choices=choices,
                    priority=dict.fromkeys(private, ()) | ({catchment: key} if catchment else {}),
                    lottery=lottery,
                )
            if catchment is not None and private:
                fallback[public_id] = catchment
        else:
            choices_public: tuple[str, ...] = (catchment,) if catchment else ()
            applicant = Applicant(
                id=public_id,
                choices=choices_public,
                priority={catchment: finite_key(application.priority_key)} if catchment else {},
                lottery=lottery,
            )
        applicants.append(applicant)

    if outside:
        raise RunInputError(
            f"{len(outside)} 份报名填报了本次录取范围以外的学校（如 {'；'.join(outside[:3])}），"
            "请按整个招生周期统一录取"
        )
    instance = Instance(
        cycle_id=cycle,
        commitment=commitment,
        offerings=in_scope,
        schools=[School(id=code, capacity=o.seats) for code, o in in_scope.items()],
        applicants=applicants,
        inputs=inputs,
        fallback=fallback,
    )
    instance.digest = inputs_digest(
        cycle, commitment, instance.document_schools(), instance.document_applicants()
    )
    return instance


@dataclass(frozen=True, slots=True)
class SchoolRow:
    offering_id: uuid.UUID
    school_code: str
    school_name: str
    district_code: str
    ownership: str
    capacity: int
    admitted: int
    applicants: int
    first_choice: int
    cutoff_key: list[float] | None
    cutoff_lottery: Decimal | None
    cutoff_public_id: str | None
    cutoff_text: str | None


@dataclass(frozen=True, slots=True)
class PlacementRow:
    application_id: uuid.UUID
    public_id: str
    district_code: str | None
    track: str
    batch_code: str | None
    offering_id: uuid.UUID | None
    capacity: int | None
    seat_no: int | None
    choice_rank: int | None
    fallback: bool
    lottery: Decimal
    choices: list[str]
    priority: str
    """JSON text, as written to the jsonb column."""
    ineligible: str
    explanation: str
    summary: str


@dataclass(frozen=True, slots=True)
class Outcome:
    schools: list[SchoolRow]
    placements: list[PlacementRow]
    statistics: dict[str, Any]
    assignment: dict[str, str | None]


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _admission_order(school: str) -> Callable[[Applicant], PriorityKey]:
    def key(applicant: Applicant) -> PriorityKey:
        return PriorityKey(applicant.priority.get(school, ()), applicant.lottery, applicant.id)

    return key


def outcome_rows(
    instance: Instance, result: AdmissionResult, batches: Sequence[BatchRule]
) -> Outcome:
    """Rows for `admission_run_school` and `admission_placement`, and the run's statistics.

    Seats are numbered per school in admission order (seat 1 is the best key), so the database
    can refuse a seat number beyond the capacity or a seat held twice.
    """
    reader = KeyReader(batches)
    offerings = instance.offerings
    by_school: dict[str, list[Applicant]] = defaultdict(list)
    demand: Counter[str] = Counter()
    first: Counter[str] = Counter()
    for applicant in instance.applicants:
        for position, code in enumerate(applicant.choices):
            if code in applicant.ineligible:
                continue
            demand[code] += 1
            if position == 0:
                first[code] += 1
        placed = result.assignment[applicant.id]
        if placed is not None:
            by_school[placed].append(applicant)

    seat_of: dict[str, int] = {}
    for code, admitted in by_school.items():
        for seat, applicant in enumerate(sorted(admitted, key=_admission_order(code)), start=1):
            seat_of[applicant.id] = seat

    schools: list[SchoolRow] = []
    for school in instance.schools:
        offering = offerings[school.id]
        cutoff = result.cutoffs.get(school.id)
        schools.append(
            SchoolRow(
                offering_id=offering.id,
                school_code=school.id,
                school_name=offering.school_name,
                district_code=offering.district_code,
                ownership=offering.ownership,
                capacity=school.capacity,
                admitted=len(by_school.get(school.id, ())),
                applicants=demand[school.id],
                first_choice=first[school.id],
                cutoff_key=list(cutoff.school_key) if cutoff else None,
                cutoff_lottery=Decimal(cutoff.lottery) if cutoff else None,
                cutoff_public_id=cutoff.applicant_id if cutoff else None,
                cutoff_text=(
                    f"已录满，录取到「{reader.describe(cutoff.school_key, offering.ownership)}」为止"
                    "（同一顺序内按抽签号）"
                    if cutoff
                    else f"未录满，余 {school.capacity - len(by_school.get(school.id, ()))} 个学位"
                ),
            )
        )

    placements: list[PlacementRow] = []
    by_batch: dict[str, Counter[str]] = defaultdict(Counter)
    private = Counter[str]()
    placed_count = first_choice = no_choice = 0
    for applicant in instance.applicants:
        source = instance.inputs[applicant.id]
        placed = result.assignment[applicant.id]
        entries: list[dict[str, Any]] = []
        for explained in result.explanations[applicant.id]:
            offering = offerings[explained.school_id]
            entries.append(
                {
                    "choice": explained.choice_rank,
                    "school_code": explained.school_id,
                    "school_name": offering.school_name,
                    "outcome": "ineligible"
                    if explained.reason is Reason.NOT_ELIGIBLE
                    else "not_admitted",
                    "reason": explained.reason.value,
                    "message": choice_message(
                        explained,
                        school_name=offering.school_name,
                        ownership=offering.ownership,
                        reader=reader,
                    ),
                }
            )
        rank: int | None = None
        basis: str | None = None
        is_fallback = False
        if placed is not None:
            offering = offerings[placed]
            rank = applicant.choices.index(placed) + 1
            is_fallback = instance.fallback.get(applicant.id) == placed
            basis = reader.describe(applicant.priority.get(placed, ()), offering.ownership)
            entries.append(
                {
                    "choice": rank,
                    "school_code": placed,
                    "school_name": offering.school_name,
                    "outcome": "admitted",
                    "reason": "admitted",
                    "message": admitted_message(
                        school_name=offering.school_name,
                        ownership=offering.ownership,
                        choice_rank=rank,
                        fallback=is_fallback,
                        basis=basis,
                    ),
                }
            )
            placed_count += 1
            first_choice += rank == 1
        elif not applicant.choices:
            no_choice += 1
        batch = source.batch_code or "none"
        by_batch[batch]["applications"] += 1
        by_batch[batch]["placed"] += placed is not None
        if source.track == Track.private:
            private["applications"] += 1
            if placed is not None and not is_fallback:
                private["won_lottery"] += 1
            elif is_fallback:
                private["fell_back_to_catchment"] += 1
            else:
                private["unplaced"] += 1
        offering_placed = offerings[placed] if placed is not None else None
        placements.append(
            PlacementRow(
                application_id=source.id,
                public_id=applicant.id,
                district_code=source.district_code,
                track=source.track,
                batch_code=source.batch_code,
                offering_id=offering_placed.id if offering_placed else None,
                capacity=offering_placed.seats if offering_placed else None,
                seat_no=seat_of.get(applicant.id) if placed is not None else None,
                choice_rank=rank,
                fallback=is_fallback,
                lottery=Decimal(applicant.lottery),
                choices=list(applicant.choices),
                priority=_dumps({k: list(v) for k, v in applicant.priority.items()}),
                ineligible=_dumps(dict(applicant.ineligible)),
                explanation=_dumps(entries),
                summary=summary(
                    school_name=offering_placed.school_name if offering_placed else None,
                    choice_rank=rank,
                    fallback=is_fallback,
                    had_choices=bool(applicant.choices),
                    basis=basis,
                ),
            )
        )

    total = len(instance.applicants)
    seats = sum(school.capacity for school in instance.schools)
    names = {batch.code: batch.name for batch in batches}
    names.update(private_lottery="民办学校报名", none="未分批次")
    statistics: dict[str, Any] = {
        "applications": total,
        "placed": placed_count,
        "unplaced": total - placed_count,
        "placed_first_choice": first_choice,
        "without_choice": no_choice,
        "seats": seats,
        "seats_left": seats - placed_count,
        "schools": len(instance.schools),
        "schools_full": sum(1 for cutoff in result.cutoffs.values() if cutoff is not None),
        "by_batch": [
            {
                "batch_code": code,
                "batch_name": names.get(code, code),
                "applications": counts["applications"],
                "placed": counts["placed"],
            }
            for code, counts in sorted(by_batch.items())
        ],
        "private": {
            "applications": private["applications"],
            "won_lottery": private["won_lottery"],
            "fell_back_to_catchment": private["fell_back_to_catchment"],
            "unplaced": private["unplaced"],
        },
    }
    return Outcome(
        schools=schools,
        placements=placements,
        statistics=statistics,
        assignment=dict(result.assignment),
    )
