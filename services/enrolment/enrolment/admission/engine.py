"""Student-proposing deferred acceptance with single tie-breaking, and the 调剂 round after it.

The engine is pure: it takes schools and applicants as values and returns values. Every
(applicant, school) pair is ordered by the school-specific priority key (a tuple of numbers
compared lexicographically, smaller first), then by the applicant's one lottery number, then by
applicant id. The id only makes the order total when two lottery numbers collide, so the result
never depends on input order.

A missing priority key is the empty tuple, which sorts *ahead of* every non-empty key. A school
that ranks purely by lottery leaves every key empty; a school with batches must give every one of
its applicants a key.

For speed the priority keys are turned into small integers once (each distinct key is sorted
exactly, in Python, so big integers and int/float mixtures compare as Python compares them);
numpy then ranks every application edge inside its school, and the proposal loop itself only
compares integers.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import chain, repeat
from typing import NamedTuple, cast

import numpy as np

ENGINE_VERSION = "da-stb/1"
"""Recorded with every admission run; bump it with any change that could alter a result."""

SchoolKey = tuple[float, ...]
"""A school-specific priority key: numbers compared lexicographically, smaller is better."""

LotteryNumber = int | float


class AdmissionInputError(ValueError):
    """The instance cannot be admitted as given; the message names the applicant or school."""


@dataclass(frozen=True, slots=True)
class School:
    id: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Applicant:
    id: str
    choices: tuple[str, ...]
    """Schools in order of preference, most wanted first."""
    priority: Mapping[str, SchoolKey]
    """The applicant's key at each chosen school; a school left out means the empty key."""
    lottery: LotteryNumber
    """One number used at every school (single tie-breaking); smaller wins."""
    ineligible: Mapping[str, str] = field(default_factory=dict)
    """Chosen schools whose rules exclude the applicant, with the reason shown to the family."""


class PriorityKey(NamedTuple):
    """The full, strict order of an applicant at a school; tuple comparison is the admission order."""

    school_key: SchoolKey
    lottery: LotteryNumber
    applicant_id: str


class Reason(StrEnum):
    BELOW_CUTOFF = "below_cutoff"
    """The school filled up with applicants whose priority key is better."""
    LOTTERY_BELOW_CUTOFF = "lottery_below_cutoff"
    """Same priority key as the last admitted applicant; the lottery decided."""
    NOT_ELIGIBLE = "not_eligible"
    NO_CAPACITY = "no_capacity"


def _format_key(school_key: SchoolKey) -> str:
    if not school_key:
        return "无优先条件"
    return "(" + ", ".join(str(part) for part in school_key) + ")"


@dataclass(frozen=True, slots=True)
class ChoiceExplanation:
    """Why one choice ranked above the applicant's placement did not admit them."""

    school_id: str
    choice_rank: int
    """1 for the first choice."""
    reason: Reason
    key: PriorityKey
    cutoff: PriorityKey | None
    """The last admitted applicant's key at that school, if the school filled up."""
    capacity: int
    note: str = ""
    """For ``not_eligible``: the rule that excluded the applicant."""

    @property
    def message(self) -> str:
        """The explanation in plain Chinese, as a family would read it."""
        if self.reason is Reason.NOT_ELIGIBLE:
            detail = f"：{self.note}" if self.note else "。"
            return f"你不符合该校的招生条件{detail}"
        if self.reason is Reason.NO_CAPACITY:
            return "该校本次没有招生学位。"
        assert self.cutoff is not None
        full = f"该校{self.capacity}个学位已录满"
        if self.reason is Reason.LOTTERY_BELOW_CUTOFF:
            return (
                f"{full}，你与该校最后录取者的优先级相同，均为 {_format_key(self.key.school_key)}，"
                f"按抽签号排序：你的抽签号 {self.key.lottery} 排在最后录取者的 "
                f"{self.cutoff.lottery} 之后。"
            )
        return (
            f"{full}，你在该校的优先级为 {_format_key(self.key.school_key)}，"
            f"低于该校最后录取者的优先级 {_format_key(self.cutoff.school_key)}。"
        )


@dataclass(frozen=True, slots=True)
class AdmissionResult:
    assignment: dict[str, str | None]
    """Every applicant, in input order, to a school id or None when unplaced."""
    cutoffs: dict[str, PriorityKey | None]
    """Every school to the key of its last admitted applicant, None if it did not fill up."""
    explanations: Mapping[str, list[ChoiceExplanation]]
    """Every applicant to an explanation for each choice ranked above their main-round placement.

    Built on access: a city run has hundreds of thousands of them and a caller usually wants
    one family's, or streams them once into storage.
    """
    reassigned: frozenset[str] = frozenset()
    """Applicants placed by the 调剂 round rather than by their own choices."""


@dataclass(frozen=True, slots=True)
class _Ranked:
    """The instance flattened to integer arrays: one edge per eligible (applicant, choice)."""

    edge_school: list[int]
    edge_rank: list[int]
    """The applicant's 0-based position in the school's full priority order."""
    applicant_edges_start: list[int]
    """Edges of applicant a are ``applicant_edges_start[a]:applicant_edges_start[a + 1]``."""
    school_edges_start: list[int]
    applicant_by_school_rank: list[int]
    """``applicant_by_school_rank[school_edges_start[s] + r]`` holds rank r at school s."""


def _school_index(schools: Sequence[School]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, school in enumerate(schools):
        if school.id in index:
            raise AdmissionInputError(f"school {school.id!r} appears more than once")
        if isinstance(school.capacity, bool) or not isinstance(school.capacity, int):
            raise AdmissionInputError(f"school {school.id!r}: capacity must be an integer")
        if school.capacity < 0:
            raise AdmissionInputError(f"school {school.id!r}: capacity must not be negative")
        index[school.id] = position
    return index


def _is_number(value: object) -> bool:
    """An int or a float that is not NaN (which would make any order meaningless)."""
    return type(value) is int or (type(value) is float and not math.isnan(value))


def _keys_of(applicant: Applicant) -> list[object]:
    return [applicant.priority.get(school_id, ()) for school_id in applicant.choices]


def _diagnose(applicant: Applicant, school_index: Mapping[str, int]) -> AdmissionInputError:
    """Name what is wrong with an applicant the fast path choked on."""
    for school_id in applicant.choices:
        if school_id not in school_index:
            return AdmissionInputError(
                f"applicant {applicant.id!r} chose unknown school {school_id!r}"
            )
    if len(set(applicant.choices)) != len(applicant.choices):
        return AdmissionInputError(f"applicant {applicant.id!r} lists a school more than once")
    if not _is_number(applicant.lottery):
        return AdmissionInputError(f"applicant {applicant.id!r}: lottery must be a number")
    for school_id in applicant.choices:
        school_key = applicant.priority.get(school_id, ())
        if not isinstance(school_key, tuple) or not all(map(_is_number, school_key)):
            return AdmissionInputError(
                f"applicant {applicant.id!r}: priority at {school_id!r} must be a tuple of numbers"
            )
    return AdmissionInputError(f"applicant {applicant.id!r} is malformed")


def _eligible_choices(applicant: Applicant, school_index: Mapping[str, int]) -> tuple[str, ...]:
    # Ineligible choices leave no edge, so the fast path's duplicate check cannot see them.
    if len(set(applicant.choices)) != len(applicant.choices) or not all(
        map(school_index.__contains__, applicant.choices)
    ):
        raise _diagnose(applicant, school_index)
    return tuple(c for c in applicant.choices if c not in applicant.ineligible)


def _valid_keys(keys: Sequence[object]) -> bool:
    """Whether every key is a tuple of numbers, checked in bulk (``_is_number`` per part)."""
    if not set(map(type, keys)) <= {tuple}:
        return False
    parts = list(chain.from_iterable(cast(Sequence[SchoolKey], keys)))
    # NaN is the one number that is not equal to itself.
    return set(map(type, parts)) <= {int, float} and all(map(operator.eq, parts, parts))


def _rank_edges(schools: Sequence[School], applicants: Sequence[Applicant]) -> _Ranked:
    school_index = _school_index(schools)
    school_of = school_index.__getitem__

    edge_school: list[int] = []
    edge_keys: list[SchoolKey] = []
    applicant_edges_start = [0] * (len(applicants) + 1)
    no_key = repeat(())
    # The engine's hottest Python loop: per applicant it stays in C (map over bound methods);
    # errors are diagnosed only once something raises.
    for position, applicant in enumerate(applicants):
        choices = applicant.choices
        if applicant.ineligible:
            choices = _eligible_choices(applicant, school_index)
        try:
            edge_school.extend(map(school_of, choices))
        except KeyError:
            raise _diagnose(applicant, school_index) from None
        edge_keys.extend(map(applicant.priority.get, choices, no_key))
        applicant_edges_start[position + 1] = len(edge_school)

    # Priority keys repeat a lot (batch, date), so each distinct key is numbered as it is first
    # seen (one hash per edge) and the distinct keys are sorted once, by Python's own
    # comparison: exact for big integers and int/float mixtures alike.
    key_ids: dict[SchoolKey, int] = {}
    number_key = key_ids.setdefault
    try:
        edge_key_ids = np.fromiter(
            [number_key(key, len(key_ids)) for key in edge_keys],
            dtype=np.int64,
            count=len(edge_keys),
        )
        distinct_keys = list(key_ids)
        valid = _valid_keys(distinct_keys)
    except TypeError:  # an unhashable key
        valid = False
    if not valid:
        offender = next(a for a in applicants if not _valid_keys(_keys_of(a)))
        raise _diagnose(offender, school_index)
    del edge_keys
    key_rank = np.empty(len(distinct_keys), dtype=np.int64)
    key_rank[sorted(range(len(distinct_keys)), key=distinct_keys.__getitem__)] = np.arange(
        len(distinct_keys)
    )
    keys_of_edges = key_rank[edge_key_ids]

    ids = [applicant.id for applicant in applicants]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for applicant_id in ids:
            if applicant_id in seen:
                raise AdmissionInputError(f"applicant {applicant_id!r} appears more than once")
            seen.add(applicant_id)
    lotteries = [applicant.lottery for applicant in applicants]
    if not _valid_keys([tuple(lotteries)]):  # checked in bulk as if they were one long key
        raise _diagnose(next(a for a in applicants if not _is_number(a.lottery)), school_index)

    # Equal lottery numbers (possible with hand-made ones) go in id order: sorting by id first
    # and then, stably, by lottery does that without building a tuple per applicant.
    by_id: Sequence[int] = range(len(applicants))
    if len(set(lotteries)) != len(lotteries):
        by_id = sorted(by_id, key=ids.__getitem__)
    by_lottery = sorted(by_id, key=lotteries.__getitem__)
    lottery_rank = np.empty(len(applicants), dtype=np.int64)
    lottery_rank[by_lottery] = np.arange(len(applicants))

    schools_of_edges = np.array(edge_school, dtype=np.int64)
    applicants_of_edges = np.repeat(
        np.arange(len(applicants), dtype=np.int64), np.diff(applicant_edges_start)
    )
    lotteries_of_edges = lottery_rank[applicants_of_edges]

    n_keys, n_applicants = max(len(distinct_keys), 1), max(len(applicants), 1)
    if len(schools) * n_keys * n_applicants < 2**62:
        # One int64 sort key is several times faster than lexsort over three columns.
        composite = (schools_of_edges * n_keys + keys_of_edges) * n_applicants
        composite += lotteries_of_edges
        order = np.argsort(composite)
        repeated = np.diff(composite[order]) == 0
    else:
        order = np.lexsort((lotteries_of_edges, keys_of_edges, schools_of_edges))
        repeated = (np.diff(schools_of_edges[order]) == 0) & (
            np.diff(lotteries_of_edges[order]) == 0
        )
    # The lottery rank is unique per applicant, so equal neighbours in the order can only be
    # one applicant naming the same school twice.
    if repeated.any():
        offender = applicants[int(applicants_of_edges[order[int(np.argmax(repeated))]])]
        raise AdmissionInputError(f"applicant {offender.id!r} lists a school more than once")

    school_edges_start = np.zeros(len(schools) + 1, dtype=np.int64)
    np.cumsum(np.bincount(schools_of_edges, minlength=len(schools)), out=school_edges_start[1:])
    edge_rank = np.empty(len(edge_school), dtype=np.int64)
    edge_rank[order] = np.arange(len(edge_school)) - school_edges_start[schools_of_edges[order]]

    return _Ranked(
        edge_school=edge_school,
        edge_rank=edge_rank.tolist(),
        applicant_edges_start=applicant_edges_start,
        school_edges_start=school_edges_start.tolist(),
        applicant_by_school_rank=applicants_of_edges[order].tolist(),
    )


def _propose(ranked: _Ranked, capacities: list[int]) -> tuple[list[int], list[list[int]]]:
    """Run the proposals; return each applicant's school index (-1 unplaced) and the holds.

    Each school keeps a max-heap (negated ranks) of the applicants it holds, so the worst held
    rank is at the top and an incoming proposal is compared against it in O(1).
    """
    edge_school, edge_rank = ranked.edge_school, ranked.edge_rank
    starts, holders = ranked.school_edges_start, ranked.applicant_by_school_rank
    next_edge = ranked.applicant_edges_start[:-1]
    last_edge = ranked.applicant_edges_start[1:]
    held: list[list[int]] = [[] for _ in capacities]
    placed_at = [-1] * len(next_edge)
    free = list(range(len(next_edge) - 1, -1, -1))
    heappush, heapreplace = heapq.heappush, heapq.heapreplace
    while free:
        applicant = free.pop()
        edge, end = next_edge[applicant], last_edge[applicant]
        while edge < end:
            school = edge_school[edge]
            rank = edge_rank[edge]
            edge += 1
            heap = held[school]
            if len(heap) < capacities[school]:
                heappush(heap, -rank)
                placed_at[applicant] = school
                break
            if heap and -heap[0] > rank:
                displaced = holders[starts[school] - heapreplace(heap, -rank)]
                placed_at[applicant] = school
                placed_at[displaced] = -1
                free.append(displaced)
                break
        next_edge[applicant] = edge
    return placed_at, held


def _explain(
    applicant: Applicant,
    placed_at: str | None,
    capacities: Mapping[str, int],
    cutoffs: Mapping[str, PriorityKey | None],
) -> list[ChoiceExplanation]:
    explanations: list[ChoiceExplanation] = []
    for choice_rank, school_id in enumerate(applicant.choices, start=1):
        if school_id == placed_at:
            break
        key = PriorityKey(applicant.priority.get(school_id, ()), applicant.lottery, applicant.id)
        cutoff = cutoffs[school_id]
        capacity = capacities[school_id]
        note = applicant.ineligible.get(school_id)
        if note is not None:
            reason = Reason.NOT_ELIGIBLE
        elif capacity == 0:
            reason = Reason.NO_CAPACITY
        else:
            # Stability guarantees every higher choice filled up with better keys.
            assert cutoff is not None, (applicant.id, school_id)
            assert cutoff < key, (applicant.id, school_id)
            if cutoff.school_key == key.school_key:
                reason = Reason.LOTTERY_BELOW_CUTOFF
            else:
                reason = Reason.BELOW_CUTOFF
        explanations.append(
            ChoiceExplanation(
                school_id=school_id,
                choice_rank=choice_rank,
                reason=reason,
                key=key,
                cutoff=cutoff,
                capacity=capacity,
                note=note or "",
            )
        )
    return explanations


class _Explanations(Mapping[str, list[ChoiceExplanation]]):
    def __init__(
        self,
        applicants: Sequence[Applicant],
        assignment: Mapping[str, str | None],
        capacities: Mapping[str, int],
        cutoffs: Mapping[str, PriorityKey | None],
    ) -> None:
        self._applicants = {applicant.id: applicant for applicant in applicants}
        self._assignment = assignment
        self._capacities = capacities
        self._cutoffs = cutoffs

    def __getitem__(self, applicant_id: str) -> list[ChoiceExplanation]:
        applicant = self._applicants[applicant_id]
        return _explain(applicant, self._assignment[applicant_id], self._capacities, self._cutoffs)

    def __iter__(self) -> Iterator[str]:
        return iter(self._applicants)

    def __len__(self) -> int:
        return len(self._applicants)

    def __repr__(self) -> str:
        return f"<explanations for {len(self)} applicants>"


def run_deferred_acceptance(
    schools: Sequence[School], applicants: Sequence[Applicant]
) -> AdmissionResult:
    """Return the applicant-optimal stable assignment, each school's cutoff and explanations.

    Raises ``AdmissionInputError`` for duplicate ids, unknown or repeated choices, negative
    capacities and priority keys or lottery numbers that are not numbers.
    """
    ranked = _rank_edges(schools, applicants)
    placed_at, held = _propose(ranked, [school.capacity for school in schools])

    school_ids = [school.id for school in schools]
    assignment = {
        applicant.id: school_ids[school] if school >= 0 else None
        for applicant, school in zip(applicants, placed_at, strict=True)
    }
    cutoffs: dict[str, PriorityKey | None] = {}
    for index, school in enumerate(schools):
        heap = held[index]
        if school.capacity == 0 or len(heap) < school.capacity:
            cutoffs[school.id] = None
            continue
        worst_rank = -heap[0]
        last = applicants[
            ranked.applicant_by_school_rank[ranked.school_edges_start[index] + worst_rank]
        ]
        cutoffs[school.id] = PriorityKey(last.priority.get(school.id, ()), last.lottery, last.id)

    capacities = {school.id: school.capacity for school in schools}
    return AdmissionResult(
        assignment=assignment,
        cutoffs=cutoffs,
        explanations=_Explanations(applicants, dict(assignment), capacities, cutoffs),
    )


class Violation(NamedTuple):
    kind: str
    """``unknown_school``, ``over_capacity``, ``not_a_choice``, ``wasted_seat`` or
    ``justified_envy``."""
    applicant_id: str | None
    school_id: str


def find_violations(
    schools: Sequence[School],
    applicants: Sequence[Applicant],
    assignment: Mapping[str, str | None],
    *,
    reassigned: Collection[str] = (),
) -> list[Violation]:
    """Check an assignment for stability in O(applications), independently of the engine.

    For every application ranked above the applicant's placement (all of them when unplaced),
    the school must be full and hold nobody with a worse key. Big runs can be checked with
    this where the ``matching`` package cannot go. Applicants placed by 调剂 (``reassigned``)
    may hold a school they did not choose.
    """
    capacities = {school.id: school.capacity for school in schools}
    held: dict[str, int] = dict.fromkeys(capacities, 0)
    worst_held: dict[str, PriorityKey] = {}
    violations: list[Violation] = []
    for applicant in applicants:
        school_id = assignment.get(applicant.id)
        if school_id is None:
            continue
        if school_id not in held:
            violations.append(Violation("unknown_school", applicant.id, school_id))
            continue
        held[school_id] += 1
        if applicant.id in reassigned:
            continue
        if school_id not in applicant.choices or school_id in applicant.ineligible:
            violations.append(Violation("not_a_choice", applicant.id, school_id))
            continue
        key = PriorityKey(applicant.priority.get(school_id, ()), applicant.lottery, applicant.id)
        if school_id not in worst_held or worst_held[school_id] < key:
            worst_held[school_id] = key
    violations.extend(
        Violation("over_capacity", None, school_id)
        for school_id, count in held.items()
        if count > capacities[school_id]
    )
    for applicant in applicants:
        placed_at = assignment.get(applicant.id)
        for school_id in applicant.choices:
            if school_id == placed_at:
                break
            if school_id in applicant.ineligible:
                continue
            if held[school_id] < capacities[school_id]:
                violations.append(Violation("wasted_seat", applicant.id, school_id))
                continue
            key = PriorityKey(
                applicant.priority.get(school_id, ()), applicant.lottery, applicant.id
            )
            worst = worst_held.get(school_id)
            if worst is not None and key < worst:
                violations.append(Violation("justified_envy", applicant.id, school_id))
    return violations


DistanceFunction = Callable[[Applicant, School], float | None]
"""Distance from an applicant's home to a school; None when the school is out of reach."""


def reassign(
    result: AdmissionResult,
    schools: Sequence[School],
    applicants: Sequence[Applicant],
    *,
    candidates: Mapping[str, Sequence[str]] | None = None,
    distance: Mapping[str, Mapping[str, float]] | DistanceFunction | None = None,
    order: Mapping[str, SchoolKey] | None = None,
) -> AdmissionResult:
    """Place the unplaced applicants of ``result`` in schools with seats left (调剂), once each.

    Unplaced applicants are served one at a time in the order (``order`` key, lottery, id) — a
    missing ``order`` key is the empty tuple, so without ``order`` the lottery alone decides —
    and each takes the first school with a free seat from their list: ``candidates[id]`` when
    given, otherwise every school by ascending distance (ties by school id; a school with no
    distance is out of reach). Schools the applicant is ineligible for are skipped. With one
    common order this is serial dictatorship, so nobody is passed over for someone behind them.

    The main round's cutoffs and explanations are kept, since they explain the choices; the
    applicants placed here are listed in ``reassigned``.
    """
    if candidates is None and distance is None:
        raise ValueError("reassign needs candidates, distance or both")
    school_by_id = {school.id: school for school in schools}
    seats_left = {school.id: school.capacity for school in schools}
    for school_id in result.assignment.values():
        if school_id is not None:
            seats_left[school_id] -= 1
    for school_id, seats in seats_left.items():
        if seats < 0:
            raise AdmissionInputError(f"school {school_id!r} is over capacity before 调剂")

    priority_order = order or {}
    unplaced = sorted(
        (applicant for applicant in applicants if result.assignment[applicant.id] is None),
        key=lambda applicant: PriorityKey(
            priority_order.get(applicant.id, ()), applicant.lottery, applicant.id
        ),
    )

    def nearest_first(applicant: Applicant) -> list[str]:
        reachable: list[tuple[float | None, str]]
        if callable(distance):
            # A function can only be asked school by school; full schools are not worth a call.
            reachable = [
                (distance(applicant, school_by_id[school_id]), school_id)
                for school_id, seats in seats_left.items()
                if seats > 0
            ]
        else:
            assert distance is not None
            reachable = [(d, s) for s, d in distance.get(applicant.id, {}).items()]
        return [s for d, s in sorted((d, s) for d, s in reachable if d is not None)]

    assignment = dict(result.assignment)
    reassigned = set(result.reassigned)
    for applicant in unplaced:
        if candidates is not None and applicant.id in candidates:
            listed = candidates[applicant.id]
        elif distance is not None:
            listed = nearest_first(applicant)
        else:
            continue
        for school_id in listed:
            if school_id not in school_by_id:
                raise AdmissionInputError(
                    f"applicant {applicant.id!r}: 调剂 names unknown school {school_id!r}"
                )
        for school_id in listed:
            if seats_left[school_id] > 0 and school_id not in applicant.ineligible:
                seats_left[school_id] -= 1
                assignment[applicant.id] = school_id
                reassigned.add(applicant.id)
                break
    return replace(result, assignment=assignment, reassigned=frozenset(reassigned))


def private_with_catchment_fallback(
    applicant_id: str,
    *,
    lottery: LotteryNumber,
    catchment_school: str,
    catchment_key: SchoolKey,
    private_school: str | None = None,
    private_key: SchoolKey = (),
) -> Applicant:
    """Build a 公民同招 applicant: an optional private school drawn by lottery, then the catchment.

    The private school ranks its applicants by lottery alone (the empty key), unless it has a
    policy key of its own; losing its draw sends the child on to the catchment public school,
    where the batch key applies. Under deferred acceptance the fall-back costs the child
    nothing at the public school: their batch key there is the same as if they had not tried.
    """
    if private_school is None:
        return Applicant(
            id=applicant_id,
            choices=(catchment_school,),
            priority={catchment_school: catchment_key},
            lottery=lottery,
        )
    if private_school == catchment_school:
        raise AdmissionInputError(
            f"applicant {applicant_id!r}: the private school cannot be the catchment school"
        )
    return Applicant(
        id=applicant_id,
        choices=(private_school, catchment_school),
        priority={private_school: private_key, catchment_school: catchment_key},
        lottery=lottery,
    )
