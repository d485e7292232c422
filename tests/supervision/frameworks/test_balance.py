"""evaluate_balance: the 优质均衡 resource verdict (教督〔2017〕6号 资源配置)."""

from typing import Any

import pytest
from pydantic import ValidationError

from supervision.frameworks.balance import (
    BalanceInput,
    CombinedPart,
    CombinedSchool,
    apportion_combined_school,
    evaluate_balance,
)

# Indicator → (raw field, divisor) so tests can state schools by their indicator values.
RAW = {
    "qualified_teachers_per_100": ("qualified_teachers", 100),
    "backbone_teachers_per_100": ("backbone_teachers", 100),
    "pe_art_teachers_per_100": ("pe_art_teachers", 100),
    "teaching_space_per_pupil": ("teaching_space_m2", 1),
    "sports_space_per_pupil": ("sports_space_m2", 1),
    "equipment_value_per_pupil": ("equipment_value_yuan", 1),
    "multimedia_classrooms_per_100": ("multimedia_classrooms", 100),
}

# Comfortably above every primary threshold, but below four junior ones
# (5.0 < 5.3, 5.0 < 5.8, 8.0 < 10.2 — under its 85 % floor 8.67 —, 2200 < 2500).
GOOD_PRIMARY = {
    "qualified_teachers_per_100": 5.0,
    "backbone_teachers_per_100": 1.2,
    "pe_art_teachers_per_100": 1.0,
    "teaching_space_per_pupil": 5.0,
    "sports_space_per_pupil": 8.0,
    "equipment_value_per_pupil": 2200.0,
    "multimedia_classrooms_per_100": 2.5,
}


def school(
    id: str, students: int = 1000, kind: str = "school", **values: float | None
) -> dict[str, Any]:
    indicators = {**GOOD_PRIMARY, **values}
    out: dict[str, Any] = {"id": id, "students": students, "kind": kind}
    for key, value in indicators.items():
        field, per = RAW[key]
        out[field] = None if value is None else value * students / per
    return out


def county(*schools: dict[str, Any], stage: str = "primary") -> BalanceInput:
    return BalanceInput.model_validate(
        {"county": "450103", "stage": stage, "schools": list(schools)}
    )


def test_issue_example_passes_with_its_seven_values() -> None:
    data = {
        "county": "450103",
        "stage": "primary",
        "schools": [
            {
                "id": "4501030001",
                "students": 1200,
                "kind": "school",
                "qualified_teachers": 60,
                "backbone_teachers": 14,
                "pe_art_teachers": 12,
                "teaching_space_m2": 6000,
                "sports_space_m2": 9500,
                "equipment_value_yuan": 2600000,
                "multimedia_classrooms": 30,
            }
        ],
    }

    result = evaluate_balance(BalanceInput.model_validate(data))

    only = result.schools[0]
    assert only.qualified_teachers_per_100.value == 5.0
    assert only.qualified_teachers_per_100.threshold == 4.2
    assert only.qualified_teachers_per_100.met is True
    assert only.multimedia_classrooms_per_100.value == 2.5
    assert only.met_count == 7
    assert only.compliant is True
    assert result.county_pass is True
    assert result.rule.framework_code == "compulsory_quality_balance"
    assert result.input == BalanceInput.model_validate(data)


def test_six_of_seven_with_the_seventh_at_84_percent_is_non_compliant() -> None:
    result = evaluate_balance(county(school("A", sports_space_per_pupil=0.84 * 7.5)))

    a = result.schools[0]
    assert a.met_count == 6
    assert a.sports_space_per_pupil.met is False
    assert a.sports_space_per_pupil.reaches_floor is False
    assert a.compliant is False
    assert a.status == "non_compliant"
    assert result.county_pass is False
    assert any("学校 A" in r and "生均体育运动场馆面积" in r and "85%" in r for r in result.reasons)


def test_six_of_seven_with_the_seventh_at_86_percent_is_compliant() -> None:
    result = evaluate_balance(county(school("A", sports_space_per_pupil=0.86 * 7.5)))

    a = result.schools[0]
    assert a.met_count == 6
    assert a.sports_space_per_pupil.met is False
    assert a.sports_space_per_pupil.reaches_floor is True
    assert a.compliant is True
    assert result.county_pass is True


def test_a_missed_value_exactly_at_the_floor_still_counts() -> None:
    # 3.57 = 85 % of 4.2 in decimal, though 0.85 * 4.2 is not exact in binary.
    result = evaluate_balance(county(school("A", 1000, qualified_teachers_per_100=3.57)))

    assert result.schools[0].qualified_teachers_per_100.reaches_floor is True
    assert result.schools[0].compliant is True


def test_five_of_seven_fails_even_when_both_misses_reach_the_floor() -> None:
    result = evaluate_balance(
        county(school("A", sports_space_per_pupil=7.0, multimedia_classrooms_per_100=2.2))
    )

    a = result.schools[0]
    assert a.met_count == 5
    assert a.compliant is False
    assert "仅5项达标" in a.reason


def test_same_data_passes_primary_and_fails_junior() -> None:
    primary = evaluate_balance(county(school("A"), school("B"), stage="primary"))
    junior = evaluate_balance(county(school("A"), school("B"), stage="junior"))

    assert primary.county_pass is True
    assert junior.county_pass is False
    assert junior.schools[0].qualified_teachers_per_100.threshold == 5.3
    assert junior.schools[0].sports_space_per_pupil.reaches_floor is False
    assert junior.cv["qualified_teachers_per_100"].threshold == 0.45


def test_cv_between_the_junior_and_primary_limits_fails_only_junior() -> None:
    # Two equal-sized schools at 1 ± d have CV = d; 0.47 sits between 0.45 and 0.50.
    low = school("A", equipment_value_per_pupil=5000 * 0.53)
    high = school("B", equipment_value_per_pupil=5000 * 1.47)

    primary = evaluate_balance(county(low, high, stage="primary"))
    junior = evaluate_balance(county(low, high, stage="junior"))

    assert primary.cv["equipment_value_per_pupil"].cv == pytest.approx(0.47)
    assert primary.cv["equipment_value_per_pupil"].met is True
    assert junior.cv["equipment_value_per_pupil"].met is False


def test_teaching_points_under_50_pupils_are_left_out() -> None:
    # A 30-pupil teaching point far below every threshold, and with a value that would wreck the CV.
    tiny = school(
        "TP30",
        30,
        "teaching_point",
        qualified_teachers_per_100=1.0,
        equipment_value_per_pupil=50000,
        multimedia_classrooms_per_100=0.0,
    )
    result = evaluate_balance(county(school("A"), school("B"), tiny))

    point = next(s for s in result.schools if s.id == "TP30")
    assert point.included is False
    assert point.status == "excluded"
    assert point.compliant is None
    assert result.county_pass is True
    assert result.cv["equipment_value_per_pupil"].school_count == 2
    assert result.cv["equipment_value_per_pupil"].cv == 0.0
    assert any("TP30" in n and "不足50人" in n for n in result.notes)


def test_teaching_point_with_50_pupils_is_kept() -> None:
    point = school("TP50", 50, "teaching_point", qualified_teachers_per_100=2.0)
    result = evaluate_balance(county(school("A"), point))

    kept = next(s for s in result.schools if s.id == "TP50")
    assert kept.included is True
    assert kept.compliant is False
    assert result.cv["qualified_teachers_per_100"].school_count == 2
    assert result.county_pass is False
    assert any("TP50" in r for r in result.reasons)


def test_a_missing_count_gives_insufficient_data_not_an_error() -> None:
    result = evaluate_balance(county(school("A"), school("B", backbone_teachers_per_100=None)))

    b = next(s for s in result.schools if s.id == "B")
    assert b.status == "insufficient_data"
    assert b.compliant is None
    assert b.backbone_teachers_per_100.value is None
    assert result.cv["backbone_teachers_per_100"].outcome == "insufficient_data"
    assert result.outcome == "insufficient_data"
    assert result.county_pass is False
    assert any("B" in r and "backbone_teachers_per_100" in r for r in result.reasons)


def test_a_failure_elsewhere_outweighs_missing_data() -> None:
    result = evaluate_balance(
        county(school("A", sports_space_per_pupil=1.0), school("B", backbone_teachers_per_100=None))
    )

    assert result.outcome == "fail"


def test_a_school_already_failing_is_not_rescued_by_a_missing_value() -> None:
    result = evaluate_balance(
        county(
            school(
                "A",
                backbone_teachers_per_100=None,
                sports_space_per_pupil=7.0,
                multimedia_classrooms_per_100=2.2,
                pe_art_teachers_per_100=0.8,
            )
        )
    )

    assert result.schools[0].status == "non_compliant"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"students": -3}, "students"),
        ({"students": 0}, "students"),
        ({"kind": "campus"}, "kind"),
        ({"sports_space_m2": "big"}, "sports_space_m2"),
        ({"equipment_value_yuan": -1}, "equipment_value_yuan"),
    ],
)
def test_malformed_school_data_is_rejected_naming_the_field(
    change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        county({**school("A"), **change})

    assert caught.value.errors()[0]["loc"] == ("schools", 0, field)


def test_duplicate_school_ids_are_rejected() -> None:
    with pytest.raises(ValidationError, match="学校 A 重复出现"):
        county(school("A"), school("A"))


def test_nine_year_school_splits_shared_resources_by_weighted_enrolment() -> None:
    combined = CombinedSchool(
        id="4501030009",
        parts={
            "primary": CombinedPart(students=1000, qualified_teachers=50, backbone_teachers=12),
            "junior": CombinedPart(students=500, qualified_teachers=30, backbone_teachers=6),
        },
        teaching_space_m2=8000,
        equipment_value_yuan=4_000_000,
        multimedia_classrooms=42,
    )

    parts = apportion_combined_school(combined)

    # Weighted enrolment 1000 × 1 : 500 × 1.1 = 1000 : 550.
    assert parts["primary"].teaching_space_m2 == pytest.approx(8000 * 1000 / 1550)
    assert parts["junior"].teaching_space_m2 == pytest.approx(8000 * 550 / 1550)
    assert parts["primary"].multimedia_classrooms == pytest.approx(42 * 1000 / 1550)
    # Teachers stay with the part they teach in.
    assert parts["primary"].qualified_teachers == 50
    assert parts["junior"].qualified_teachers == 30
    assert parts["junior"].students == 500
    # Nothing given, nothing invented: the sports area stays unknown.
    assert parts["junior"].sports_space_m2 is None


def test_complete_secondary_school_gives_the_senior_part_its_share_and_drops_it() -> None:
    combined = CombinedSchool(
        id="4501030010",
        parts={"junior": CombinedPart(students=600), "senior": CombinedPart(students=500)},
        teaching_space_m2=13_200,
    )

    parts = apportion_combined_school(combined)

    # 初中 : 高中 = 1 : 1.2, i.e. 600 × 1.1 : 500 × 1.32 = 660 : 660.
    assert set(parts) == {"junior"}
    assert parts["junior"].teaching_space_m2 == pytest.approx(6600)


def test_a_narrow_cv_miss_is_decided_at_full_precision_and_shown_with_enough_digits() -> None:
    # CV 0.5004 rounds to 0.500 at the published 3 decimals, yet exceeds 0.50.
    low = school("A", equipment_value_per_pupil=5000 * (1 - 0.5004))
    high = school("B", equipment_value_per_pupil=5000 * (1 + 0.5004))

    result = evaluate_balance(county(low, high))

    equipment = result.cv["equipment_value_per_pupil"]
    assert equipment.met is False
    assert result.county_pass is False
    assert "为 0.5004，超过标准 0.50" in equipment.reason
