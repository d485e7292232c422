"""The enrolment-weighted coefficient of variation (差异系数) and its golden case."""

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervision.frameworks.balance import BalanceInput, evaluate_balance
from supervision.frameworks.evaluators import weighted_cv

# The worked example of the 2012 method (5 primary schools, 生均图书册数), DESIGN.md §6.
PUPILS = [45, 37, 89, 76, 55]
BOOKS = [279, 137, 935, 160, 402]
PER_PUPIL = [b / p for b, p in zip(BOOKS, PUPILS, strict=True)]


def test_golden_weighted_cv_is_0_515() -> None:
    cv = weighted_cv(PER_PUPIL, PUPILS)

    assert cv is not None
    assert round(cv, 3) == 0.515


def test_golden_case_is_not_the_unweighted_cv_that_would_wrongly_pass() -> None:
    unweighted = statistics.pstdev(PER_PUPIL) / statistics.mean(PER_PUPIL)
    cv = weighted_cv(PER_PUPIL, PUPILS)

    assert round(unweighted, 3) == 0.489
    assert cv is not None
    assert not math.isclose(cv, unweighted, abs_tol=1e-3)
    # Against the primary limit the naive figure passes and the official one fails.
    assert unweighted <= 0.50 < cv


def _golden_county() -> BalanceInput:
    """The golden data as equipment value per pupil; every other indicator identical across the
    five schools, so only this CV can fail. (Values ×1000 so the schools also meet the 2000 元
    threshold; the CV is scale-free.)"""
    schools = []
    for i, (pupils, books) in enumerate(zip(PUPILS, BOOKS, strict=True), start=1):
        schools.append(
            {
                "id": f"450103000{i}",
                "students": pupils,
                "kind": "school",
                "qualified_teachers": pupils * 0.05,
                "backbone_teachers": pupils * 0.02,
                "pe_art_teachers": pupils * 0.01,
                "teaching_space_m2": pupils * 5,
                "sports_space_m2": pupils * 8,
                "equipment_value_yuan": books * 1000,
                "multimedia_classrooms": pupils * 0.03,
            }
        )
    return BalanceInput.model_validate({"county": "450103", "stage": "primary", "schools": schools})


def test_golden_county_fails_on_the_weighted_cv_with_a_chinese_reason() -> None:
    result = evaluate_balance(_golden_county())

    equipment = result.cv["equipment_value_per_pupil"]
    assert equipment.cv is not None
    assert round(equipment.cv, 3) == 0.515
    assert equipment.threshold == 0.50
    assert equipment.met is False
    assert result.county_pass is False
    assert result.outcome == "fail"
    assert any("生均教学仪器设备值" in r and "0.515" in r and "超过" in r for r in result.reasons)
    # Every other indicator is the same at every school: CV 0, within the limit.
    others = [c for key, c in result.cv.items() if key != "equipment_value_per_pupil"]
    assert all(c.cv == pytest.approx(0.0, abs=1e-12) and c.met for c in others)
    assert all(s.compliant for s in result.schools)


values = st.floats(min_value=0.01, max_value=1e5, allow_nan=False, allow_infinity=False)
enrolments = st.integers(min_value=1, max_value=5000)
schools = st.lists(st.tuples(values, enrolments), min_size=1, max_size=30)


@given(schools, st.floats(min_value=1e-3, max_value=1e4))
def test_cv_is_invariant_to_scaling_all_values(
    data: list[tuple[float, int]], factor: float
) -> None:
    xs = [x for x, _ in data]
    ps = [p for _, p in data]

    original = weighted_cv(xs, ps)
    scaled = weighted_cv([x * factor for x in xs], ps)

    assert original is not None
    assert scaled is not None
    assert math.isclose(original, scaled, rel_tol=1e-9, abs_tol=1e-12)


@given(schools, st.randoms(use_true_random=False))
def test_cv_is_invariant_to_the_order_of_schools(
    data: list[tuple[float, int]], rnd: random.Random
) -> None:
    shuffled = list(data)
    rnd.shuffle(shuffled)

    original = weighted_cv([x for x, _ in data], [p for _, p in data])
    permuted = weighted_cv([x for x, _ in shuffled], [p for _, p in shuffled])

    assert original is not None
    assert permuted is not None
    assert math.isclose(original, permuted, rel_tol=1e-12, abs_tol=1e-15)


@given(values, st.lists(enrolments, min_size=1, max_size=30))
def test_cv_of_identical_values_is_zero(value: float, ps: list[int]) -> None:
    assert weighted_cv([value] * len(ps), ps) == 0.0


def test_cv_is_undefined_without_pupils_or_with_a_zero_mean() -> None:
    assert weighted_cv([], []) is None
    assert weighted_cv([0.0, 0.0], [10, 20]) is None
