"""The admission engine: stability properties, the `matching` oracle, and Nanning's golden cases."""

from __future__ import annotations

import math
import random
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrolment.admission.engine import (
    AdmissionInputError,
    AdmissionResult,
    Applicant,
    PriorityKey,
    Reason,
    School,
    SchoolKey,
    find_violations,
    private_with_catchment_fallback,
    reassign,
    run_deferred_acceptance,
)

with warnings.catch_warnings():
    # Importing `matching` calls warnings.simplefilter("always"); keep that out of the suite.
    from matching.games import HospitalResident

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def instances(
    draw: st.DrawFn, max_schools: int = 6, max_applicants: int = 25
) -> tuple[list[School], list[Applicant]]:
    """Small instances with many ties: short keys over few values, colliding lottery numbers."""
    school_count = draw(st.integers(1, max_schools))
    schools = [School(f"S{i}", draw(st.integers(0, 4))) for i in range(school_count)]
    school_ids = [school.id for school in schools]
    applicants = []
    for index in range(draw(st.integers(0, max_applicants))):
        choices = tuple(draw(st.lists(st.sampled_from(school_ids), unique=True, max_size=4)))
        priority: dict[str, SchoolKey] = {}
        for school_id in choices:
            if draw(st.booleans()):
                priority[school_id] = tuple(draw(st.lists(st.integers(0, 2), max_size=2)))
        ineligible = {
            school_id: "rule"
            for school_id in choices
            if draw(st.integers(0, 9)) == 0  # about one choice in ten
        }
        lottery = draw(st.one_of(st.integers(0, 6), st.floats(0, 6, allow_nan=False)))
        applicants.append(Applicant(f"A{index}", choices, priority, lottery, ineligible))
    return schools, applicants


def key_at(applicant: Applicant, school_id: str) -> PriorityKey:
    return PriorityKey(applicant.priority.get(school_id, ()), applicant.lottery, applicant.id)


def solve_with_matching(
    schools: Sequence[School], applicants: Sequence[Applicant]
) -> dict[str, str | None]:
    """The applicant-optimal stable assignment according to `matching` 1.4.3."""
    open_schools = {school.id: school.capacity for school in schools if school.capacity > 0}
    resident_prefs = {
        applicant.id: [
            s for s in applicant.choices if s in open_schools and s not in applicant.ineligible
        ]
        for applicant in applicants
    }
    resident_prefs = {a: prefs for a, prefs in resident_prefs.items() if prefs}
    by_id = {applicant.id: applicant for applicant in applicants}
    hospital_prefs = {
        school_id: sorted(
            (by_id[a] for a, prefs in resident_prefs.items() if school_id in prefs),
            key=partial(key_at, school_id=school_id),
        )
        for school_id in open_schools
    }
    hospital_prefs_by_id = {
        s: [a.id for a in ranked] for s, ranked in hospital_prefs.items() if ranked
    }
    assignment: dict[str, str | None] = dict.fromkeys(by_id)
    if not hospital_prefs_by_id:
        return assignment
    game = HospitalResident.create_from_dictionaries(
        resident_prefs, hospital_prefs_by_id, {s: open_schools[s] for s in hospital_prefs_by_id}
    )
    for hospital, residents in game.solve(optimal="resident").items():
        for resident in residents:
            assignment[resident.name] = hospital.name
    return assignment


# --- properties on random instances -----------------------------------------------------------


@PROPERTY_SETTINGS
@given(instances())
def test_assignment_is_stable_and_within_capacity(
    instance: tuple[list[School], list[Applicant]],
) -> None:
    schools, applicants = instance
    result = run_deferred_acceptance(schools, applicants)

    assert list(result.assignment) == [applicant.id for applicant in applicants]
    # The independent checker covers capacity, placement only at an eligible choice, no
    # wasted seat and no justified envy.
    assert find_violations(schools, applicants, result.assignment) == []


@PROPERTY_SETTINGS
@given(instances())
def test_cutoffs_are_the_last_admitted_keys(
    instance: tuple[list[School], list[Applicant]],
) -> None:
    schools, applicants = instance
    result = run_deferred_acceptance(schools, applicants)

    for school in schools:
        admitted = [
            key_at(applicant, school.id)
            for applicant in applicants
            if result.assignment[applicant.id] == school.id
        ]
        if school.capacity > 0 and len(admitted) == school.capacity:
            assert result.cutoffs[school.id] == max(admitted)
        else:
            assert result.cutoffs[school.id] is None


@PROPERTY_SETTINGS
@given(instances())
def test_every_higher_choice_is_explained(
    instance: tuple[list[School], list[Applicant]],
) -> None:
    schools, applicants = instance
    result = run_deferred_acceptance(schools, applicants)
    capacities = {school.id: school.capacity for school in schools}

    for applicant in applicants:
        placed_at = result.assignment[applicant.id]
        higher = (
            applicant.choices[: applicant.choices.index(placed_at)]
            if placed_at is not None
            else applicant.choices
        )
        explanations = result.explanations[applicant.id]
        assert [e.school_id for e in explanations] == list(higher)
        for explanation in explanations:
            assert explanation.key == key_at(applicant, explanation.school_id)
            assert explanation.message
            if explanation.school_id in applicant.ineligible:
                assert explanation.reason is Reason.NOT_ELIGIBLE
            elif capacities[explanation.school_id] == 0:
                assert explanation.reason is Reason.NO_CAPACITY
            else:
                assert explanation.cutoff is not None
                assert explanation.cutoff < explanation.key
                same_key = explanation.cutoff.school_key == explanation.key.school_key
                assert (explanation.reason is Reason.LOTTERY_BELOW_CUTOFF) == same_key


@PROPERTY_SETTINGS
@given(instances(), st.randoms(use_true_random=False))
def test_same_result_whatever_the_input_order(
    instance: tuple[list[School], list[Applicant]], rng: random.Random
) -> None:
    schools, applicants = instance
    first = run_deferred_acceptance(schools, applicants)
    again = run_deferred_acceptance(schools, applicants)
    shuffled_schools, shuffled_applicants = list(schools), list(applicants)
    rng.shuffle(shuffled_schools)
    rng.shuffle(shuffled_applicants)
    shuffled = run_deferred_acceptance(shuffled_schools, shuffled_applicants)

    for other in (again, shuffled):
        assert other.assignment == first.assignment
        assert other.cutoffs == first.cutoffs
        assert dict(other.explanations) == dict(first.explanations)


# --- the `matching` oracle --------------------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(instances(max_schools=8, max_applicants=40))
def test_equals_matching_on_small_instances(
    instance: tuple[list[School], list[Applicant]],
) -> None:
    schools, applicants = instance
    assert run_deferred_acceptance(schools, applicants).assignment == solve_with_matching(
        schools, applicants
    )


def random_city(seed: int, applicants: int, schools: int) -> tuple[list[School], list[Applicant]]:
    """A district-like instance: batches 1–8, move-in dates, popular and unpopular schools."""
    rng = random.Random(seed)
    # About 80 % as many seats as applicants, unevenly spread.
    school_list = [
        School(f"S{i}", rng.randint(0, 8 * applicants // (5 * schools))) for i in range(schools)
    ]
    popularity = [rng.random() ** 2 + 0.01 for _ in range(schools)]
    applicant_list = []
    for index in range(applicants):
        wanted = rng.randint(1, min(6, schools))
        choices: list[str] = []
        while len(choices) < wanted:
            school_id = rng.choices(school_list, weights=popularity)[0].id
            if school_id not in choices:
                choices.append(school_id)
        priority: dict[str, SchoolKey] = {
            s: (rng.randint(1, 8), 20150101 + rng.randint(0, 40)) for s in choices
        }
        applicant_list.append(
            Applicant(f"A{index}", tuple(choices), priority, rng.getrandbits(256))
        )
    return school_list, applicant_list


@pytest.mark.parametrize("seed", range(8))
def test_equals_matching_on_district_sized_instances(seed: int) -> None:
    schools, applicants = random_city(seed, applicants=100 + 40 * seed, schools=5 + 3 * seed)
    result = run_deferred_acceptance(schools, applicants)

    assert result.assignment == solve_with_matching(schools, applicants)
    # The instance exercises the algorithm: children displaced and children left over.
    assert any(school_id is None for school_id in result.assignment.values())
    assert sum(len(e) for e in result.explanations.values()) > len(applicants) // 4


def test_checker_finds_envy_and_wasted_seats() -> None:
    schools = [School("S1", 1), School("S2", 2)]
    applicants = [
        Applicant("A1", ("S1",), {"S1": (1,)}, 0.5),
        Applicant("A2", ("S1", "S2"), {"S1": (2,)}, 0.1),
    ]
    bad = {"A1": None, "A2": "S1"}  # A1 outranks A2 at S1, and A1 could have had S1

    assert set(find_violations(schools, applicants, bad)) == {
        ("justified_envy", "A1", "S1"),
    }
    assert set(find_violations(schools, applicants, {"A1": "S1", "A2": None})) == {
        ("wasted_seat", "A2", "S2"),
    }
    assert set(find_violations(schools, applicants, {"A1": "S2", "A2": "S9"})) == {
        ("not_a_choice", "A1", "S2"),
        ("unknown_school", "A2", "S9"),
        ("wasted_seat", "A1", "S1"),
        ("wasted_seat", "A2", "S1"),
        ("wasted_seat", "A2", "S2"),
    }
    assert ("over_capacity", None, "S1") in find_violations(
        schools,
        [*applicants, Applicant("A3", ("S1",), {}, 0.2)],
        dict.fromkeys(["A1", "A2", "A3"], "S1"),
    )


# --- serial dictatorship (one common key: 中考 score, sealed 平行志愿) ------------------------


def serial_dictatorship(
    schools: Sequence[School], applicants: Sequence[Applicant], score: Mapping[str, SchoolKey]
) -> dict[str, str | None]:
    """分数优先、遵循志愿: in score order, each takes their best choice with a free seat."""
    seats = {school.id: school.capacity for school in schools}
    assignment: dict[str, str | None] = {}
    for applicant in sorted(applicants, key=lambda a: (score[a.id], a.lottery, a.id)):
        school_id = next((s for s in applicant.choices if seats[s] > 0), None)
        assignment[applicant.id] = school_id
        if school_id is not None:
            seats[school_id] -= 1
    return assignment


@PROPERTY_SETTINGS
@given(instances(), st.data())
def test_one_common_key_is_serial_dictatorship(
    instance: tuple[list[School], list[Applicant]], data: st.DataObject
) -> None:
    schools, drawn = instance
    # A 中考 score (negated: higher scores first), the same at every school.
    score = {a.id: (-data.draw(st.integers(300, 305)),) for a in drawn}
    applicants = [
        Applicant(a.id, a.choices, dict.fromkeys(a.choices, score[a.id]), a.lottery) for a in drawn
    ]
    result = run_deferred_acceptance(schools, applicants)

    assert result.assignment == serial_dictatorship(schools, applicants, score)


# --- Nanning's batch order at an oversubscribed public school ---------------------------------


def nanning_key(batch: str, *, date: int = 0, share: float = 0.0) -> SchoolKey:
    """The district's admission order as a priority key (smaller first).

    1 房户一致、独立产权, by 户籍 move-in date; 2 房产在片区、户籍不在, by hand-over date;
    3 共有产权, by share, larger first; 4 三代同堂, by 户籍 move-in date; 5 有户无房 with 户籍
    over a year old; 6 other districts' owners, by hand-over date; 7 有户无房 under a year;
    8 others. Whatever is still tied goes to the lottery.
    """
    match batch:
        case "房户一致":
            return (1, date)
        case "有房无户":
            return (2, date)
        case "共有产权":
            return (3, -share)
        case "三代同堂":
            return (4, date)
        case "有户无房满一年":
            return (5, date)
        case "外区有房":
            return (6, date)
        case "有户无房不满一年":
            return (7, date)
        case _:
            return (8,)


# In the order the district must admit them. Each applicant's key is deliberately "better" on
# the tie-break field than the one before, so only the batch can explain the order.
NANNING_ORDER = [
    ("房户一致-早", nanning_key("房户一致", date=20180301), 0.90),
    ("房户一致-晚", nanning_key("房户一致", date=20190815), 0.10),
    ("有房无户-早", nanning_key("有房无户", date=20100101), 0.80),
    ("有房无户-晚", nanning_key("有房无户", date=20121231), 0.05),
    ("共有产权-80%", nanning_key("共有产权", share=0.8), 0.70),
    ("共有产权-50%", nanning_key("共有产权", share=0.5), 0.01),
    ("三代同堂", nanning_key("三代同堂", date=20050101), 0.60),
    ("有户无房-满一年", nanning_key("有户无房满一年", date=20000101), 0.50),
    ("外区有房", nanning_key("外区有房", date=19990101), 0.40),
    ("有户无房-不满一年", nanning_key("有户无房不满一年", date=19980101), 0.30),
    ("其他-抽签小", nanning_key("其他"), 0.20),
    ("其他-抽签大", nanning_key("其他"), 0.25),
]


@pytest.mark.parametrize("seats", range(len(NANNING_ORDER) + 1))
def test_nanning_batches_fill_an_oversubscribed_school_in_order(seats: int) -> None:
    applicants = [
        Applicant(name, ("学校",), {"学校": key}, lottery) for name, key, lottery in NANNING_ORDER
    ]
    result = run_deferred_acceptance([School("学校", seats)], applicants[::-1])

    admitted = [name for name, school in result.assignment.items() if school == "学校"]
    assert sorted(admitted) == sorted(name for name, _, _ in NANNING_ORDER[:seats])
    if 0 < seats < len(NANNING_ORDER):
        last_name, last_key, last_lottery = NANNING_ORDER[seats - 1]
        assert result.cutoffs["学校"] == PriorityKey(last_key, last_lottery, last_name)


def test_lottery_decides_only_inside_the_batch_that_straddles_the_cutoff() -> None:
    same_day = nanning_key("房户一致", date=20190301)
    applicants = [
        Applicant("先迁入", ("学校",), {"学校": nanning_key("房户一致", date=20170105)}, 0.99),
        Applicant("同日-甲", ("学校",), {"学校": same_day}, 0.42),
        Applicant("同日-乙", ("学校",), {"学校": same_day}, 0.17),
        Applicant("同日-丙", ("学校",), {"学校": same_day}, 0.58),
        Applicant("第二批", ("学校",), {"学校": nanning_key("有房无户", date=20000101)}, 0.01),
    ]
    result = run_deferred_acceptance([School("学校", 3)], applicants)

    assert result.assignment == {
        "先迁入": "学校",
        "同日-甲": "学校",
        "同日-乙": "学校",
        "同日-丙": None,
        "第二批": None,
    }
    assert result.cutoffs["学校"] == PriorityKey(same_day, 0.42, "同日-甲")
    (lost_draw,) = result.explanations["同日-丙"]
    assert lost_draw.reason is Reason.LOTTERY_BELOW_CUTOFF
    assert "抽签号 0.58" in lost_draw.message
    (lower_batch,) = result.explanations["第二批"]
    assert lower_batch.reason is Reason.BELOW_CUTOFF
    assert "(2, 20000101)" in lower_batch.message


# --- 公民同招: a private-school lottery with fall-back to the catchment school -------------------


def test_private_lottery_losers_fall_back_to_their_catchment_school() -> None:
    batch_1 = nanning_key("房户一致", date=20180101)
    batch_3 = nanning_key("共有产权", share=0.5)
    applicants = [
        private_with_catchment_fallback(
            "民办-中签",
            lottery=0.05,
            private_school="民办",
            catchment_school="公办",
            catchment_key=batch_1,
        ),
        private_with_catchment_fallback(
            "民办-未中签",
            lottery=0.60,
            private_school="民办",
            catchment_school="公办",
            catchment_key=batch_1,
        ),
        private_with_catchment_fallback(
            "民办-未中签-外片区",
            lottery=0.70,
            private_school="民办",
            catchment_school="别校",
            catchment_key=batch_1,
        ),
        private_with_catchment_fallback(
            "只报公办", lottery=0.01, catchment_school="公办", catchment_key=batch_3
        ),
        private_with_catchment_fallback(
            "只报公办-第一批", lottery=0.99, catchment_school="公办", catchment_key=batch_1
        ),
    ]
    schools = [School("民办", 1), School("公办", 2), School("别校", 5)]
    result = run_deferred_acceptance(schools, applicants)

    assert result.assignment == {
        "民办-中签": "民办",
        # Losing the draw costs nothing at the public school: batch 1 still beats batch 3
        # there, even though the batch-3 child chose it first and holds a better lottery number.
        "民办-未中签": "公办",
        "民办-未中签-外片区": "别校",
        "只报公办": None,
        "只报公办-第一批": "公办",
    }
    (private_draw,) = result.explanations["民办-未中签"]
    assert private_draw.school_id == "民办"
    assert private_draw.reason is Reason.LOTTERY_BELOW_CUTOFF
    (catchment,) = result.explanations["只报公办"]
    assert catchment.reason is Reason.BELOW_CUTOFF


def test_private_school_only_draws_by_lottery() -> None:
    applicants = [
        private_with_catchment_fallback(
            f"A{i}",
            lottery=lottery,
            private_school="民办",
            catchment_school="公办",
            catchment_key=(1, 20180101 + i),
        )
        for i, lottery in enumerate([0.9, 0.3, 0.5, 0.1, 0.7])
    ]
    result = run_deferred_acceptance([School("民办", 2), School("公办", 10)], applicants)

    assert {a for a, s in result.assignment.items() if s == "民办"} == {"A1", "A3"}
    assert {a for a, s in result.assignment.items() if s == "公办"} == {"A0", "A2", "A4"}


def test_private_school_cannot_be_the_catchment_school() -> None:
    with pytest.raises(AdmissionInputError, match="A1"):
        private_with_catchment_fallback(
            "A1", lottery=1, private_school="S", catchment_school="S", catchment_key=(1,)
        )


# --- 调剂 -----------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(instances(), st.data())
def test_reassignment_only_fills_free_seats_of_unplaced_applicants(
    instance: tuple[list[School], list[Applicant]], data: st.DataObject
) -> None:
    schools, applicants = instance
    result = run_deferred_acceptance(schools, applicants)
    school_ids = [school.id for school in schools]
    distance = {
        a.id: data.draw(st.dictionaries(st.sampled_from(school_ids), st.floats(0, 10)))
        for a in applicants
    }
    candidates = {
        a.id: data.draw(st.lists(st.sampled_from(school_ids), unique=True))
        for a in applicants
        if data.draw(st.booleans())
    }
    after = reassign(result, schools, applicants, candidates=candidates, distance=distance)

    placed = Counter(s for s in after.assignment.values() if s is not None)
    assert all(placed[school.id] <= school.capacity for school in schools)
    for applicant in applicants:
        before = result.assignment[applicant.id]
        if before is not None:
            assert after.assignment[applicant.id] == before
        elif applicant.id in after.reassigned:
            assert after.assignment[applicant.id] not in applicant.ineligible
        else:
            assert after.assignment[applicant.id] is None
    assert find_violations(schools, applicants, after.assignment, reassigned=after.reassigned) == []
    # Nobody left unplaced could have taken a seat still free on their own list.
    for applicant in applicants:
        if after.assignment[applicant.id] is None:
            listed = candidates.get(applicant.id, distance[applicant.id])
            assert all(
                placed[s] == next(x.capacity for x in schools if x.id == s)
                or s in applicant.ineligible
                for s in listed
            )


def test_reassignment_serves_the_lottery_order_nearest_first() -> None:
    schools = [School("满", 1), School("近", 1), School("远", 2)]
    applicants = [
        Applicant("中签", ("满",), {}, 0.1),
        Applicant("甲", ("满",), {}, 0.2),
        Applicant("乙", ("满",), {}, 0.3),
        Applicant("丙", ("满",), {}, 0.4),
        Applicant("丁", ("满",), {}, 0.5),
    ]
    distance = {a.id: {"近": 1.0, "远": 5.0} for a in applicants}
    result = reassign(
        run_deferred_acceptance(schools, applicants),
        schools,
        applicants,
        distance=distance,
        candidates={"乙": ["远"]},
    )

    assert result.assignment == {"中签": "满", "甲": "近", "乙": "远", "丙": "远", "丁": None}
    assert result.reassigned == {"甲", "乙", "丙"}
    # The main round's explanations still say why 满 refused them.
    assert [e.school_id for e in result.explanations["丁"]] == ["满"]


def test_reassignment_order_key_comes_before_the_lottery() -> None:
    schools = [School("满", 0), School("空", 1)]
    applicants = [Applicant("抽签靠前", ("满",), {}, 0.1), Applicant("优抚", ("满",), {}, 0.9)]
    result = reassign(
        run_deferred_acceptance(schools, applicants),
        schools,
        applicants,
        candidates={"抽签靠前": ["空"], "优抚": ["空"]},
        order={"优抚": (0,), "抽签靠前": (1,)},
    )

    assert result.assignment == {"抽签靠前": None, "优抚": "空"}


def test_reassignment_by_distance_function_skips_unreachable_schools() -> None:
    schools = [School("满", 0), School("很远", 3), School("隔壁", 1)]
    applicants = [
        Applicant("住隔壁", ("满",), {}, 1),
        Applicant("住城外", ("满",), {}, 2),
        Applicant("住很远旁", ("满",), {}, 3),
    ]
    home = {"住隔壁": 0.0, "住城外": 80.0, "住很远旁": 45.0}
    school_at = {"满": 0.0, "很远": 50.0, "隔壁": 1.0}

    def km(applicant: Applicant, school: School) -> float | None:
        distance = abs(home[applicant.id] - school_at[school.id])
        return None if distance > 20 else distance

    result = reassign(
        run_deferred_acceptance(schools, applicants), schools, applicants, distance=km
    )

    assert result.assignment == {"住隔壁": "隔壁", "住城外": None, "住很远旁": "很远"}


def test_reassignment_refuses_unknown_schools() -> None:
    schools = [School("S", 0)]
    applicants = [Applicant("A", ("S",), {}, 1)]
    result = run_deferred_acceptance(schools, applicants)
    with pytest.raises(AdmissionInputError, match="applicant 'A'.*'X'"):
        reassign(result, schools, applicants, candidates={"A": ["X"]})
    with pytest.raises(AdmissionInputError, match="applicant 'A'.*'X'"):
        reassign(result, schools, applicants, distance={"A": {"X": 1.0}})


def test_reassignment_needs_a_way_to_choose_schools() -> None:
    schools = [School("S", 1)]
    applicants = [Applicant("A", (), {}, 1)]
    with pytest.raises(ValueError, match="candidates"):
        reassign(run_deferred_acceptance(schools, applicants), schools, applicants)


# --- bad input --------------------------------------------------------------------------------


def _applicant(**changes: object) -> Applicant:
    fields: dict[str, object] = {"id": "A2", "choices": ("S1",), "priority": {}, "lottery": 0.5}
    fields.update(changes)
    return Applicant(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("schools", "bad", "message"),
    [
        (
            [School("S1", 1)],
            _applicant(choices=("S1", "S9")),
            "applicant 'A2' chose unknown school 'S9'",
        ),
        (
            [School("S1", 1)],
            _applicant(choices=("S1", "S1")),
            "applicant 'A2' lists a school more than once",
        ),
        (
            [School("S1", 1)],
            _applicant(choices=("S1", "S1"), ineligible={"S1": "x"}),
            "applicant 'A2' lists a school more than once",
        ),
        ([School("S1", 1)], _applicant(id="A1"), "applicant 'A1' appears more than once"),
        ([School("S1", 1), School("S1", 2)], _applicant(), "school 'S1' appears more than once"),
        ([School("S1", -1)], _applicant(), "school 'S1': capacity must not be negative"),
        (
            [School("S1", 1)],
            _applicant(lottery=math.nan),
            "applicant 'A2': lottery must be a number",
        ),
        ([School("S1", 1)], _applicant(lottery=True), "applicant 'A2': lottery must be a number"),
        (
            [School("S1", 1)],
            _applicant(priority={"S1": [1, 2]}),
            "applicant 'A2': priority at 'S1'",
        ),
        (
            [School("S1", 1)],
            _applicant(priority={"S1": ("1",)}),
            "applicant 'A2': priority at 'S1'",
        ),
    ],
)
def test_bad_input_names_the_applicant_or_school(
    schools: list[School], bad: Applicant, message: str
) -> None:
    good = Applicant("A1", ("S1",), {"S1": (1,)}, 0.1)
    with pytest.raises(AdmissionInputError) as raised:
        run_deferred_acceptance(schools, [good, bad])
    assert message in str(raised.value)


def test_empty_and_unwanted_instances_admit_nobody() -> None:
    assert run_deferred_acceptance([], []) == AdmissionResult({}, {}, {})
    result = run_deferred_acceptance([School("S1", 3)], [Applicant("A1", (), {}, 1)])
    assert result.assignment == {"A1": None}
    assert result.cutoffs == {"S1": None}
    assert result.explanations["A1"] == []
