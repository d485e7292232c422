"""Frameworks as data: serialisation, overlays with effective dates, and the combinator's verdicts."""

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from supervision.frameworks.balance import BalanceInput, balance_entities, evaluate_balance
from supervision.frameworks.builtin import (
    BUILTIN_FRAMEWORKS,
    COMPULSORY_QUALITY_BALANCE,
    KINDERGARTEN_CONDUCT,
    PRESCHOOL_UNIVERSAL_INCLUSIVE,
    SCHOOL_ROUTINE_MANAGEMENT,
)
from supervision.frameworks.evaluators import (
    GradingResult,
    NOfMResult,
    RuleRef,
    ThresholdResult,
    WeightedCVResult,
    evaluate_framework,
    evaluate_threshold,
)
from supervision.frameworks.model import (
    Framework,
    FrameworkError,
    FrameworkRef,
    NOfMSpec,
    ThresholdOverride,
    ThresholdSpec,
    WeightedCVSpec,
    resolve,
)

# --- data ---------------------------------------------------------------------------------------

# A county meeting every 优质均衡 government and quality item and the satisfaction bar.
QUALITY_BALANCE_COUNTY: dict[str, Any] = {
    "layout_planning_reasonable": True,
    "urban_rural_standards_unified": True,
    "schools_short_of_music_art_rooms": 0,
    "schools_with_undersized_music_art_rooms": 0,
    "max_enrolment_primary_junior_school": 1980,
    "max_enrolment_combined_school": 2400,
    "max_class_size_primary": 45,
    "max_class_size_junior": 48,
    "small_schools_funded_as_100": True,
    "special_education_funds_per_pupil": 7000,
    "teacher_to_civil_servant_pay_pct": 102,
    "performance_pay_fully_approved": True,
    "teacher_training_360h_completion_pct": 100,
    "staffing_allocated_by_county": True,
    "teacher_rotation_pct": 12,
    "backbone_share_of_rotation_pct": 25,
    "teacher_certification_pct": 100,
    "nearby_enrolment_primary_pct": 100,
    "nearby_enrolment_junior_pct": 96,
    "quota_allocation_pct": 55,
    "quota_favours_rural_junior": True,
    "left_behind_care_system": True,
    "migrant_children_public_pct": 88,
    "junior_retention_3y_pct": 97,
    "disabled_children_enrolment_pct": 96,
    "charters_and_informatisation": True,
    "min_school_training_budget_pct": 5.5,
    "ict_teaching_effective": True,
    "moral_education_good": True,
    "curriculum_complete": True,
    "no_excessive_homework": True,
    "monitoring_min_level": 3,
    "monitoring_max_inter_school_difference": 0.12,
    "social_recognition_pct": 90,
    "exam_based_admission": False,
    "illegal_school_choice": False,
    "key_schools": False,
    "key_classes": False,
    "major_safety_accident": False,
    "serious_violations": False,
    "data_fraud": False,
}


def _schools(stage: str, equipment: tuple[float, float] = (2600, 2600)) -> BalanceInput:
    schools = [
        {
            "id": f"{stage}-{i}",
            "students": 1000,
            "kind": "school",
            "qualified_teachers": 60,
            "backbone_teachers": 12,
            "pe_art_teachers": 10,
            "teaching_space_m2": 6000,
            "sports_space_m2": 11000,
            "equipment_value_yuan": value * 1000,
            "multimedia_classrooms": 25,
        }
        for i, value in enumerate(equipment)
    ]
    return BalanceInput.model_validate({"county": "450103", "stage": stage, "schools": schools})


def quality_balance_inputs(**changes: Any) -> dict[str, Any]:
    entities = balance_entities(_schools("primary")) + balance_entities(_schools("junior"))
    return {
        "values": {**QUALITY_BALANCE_COUNTY, **changes},
        "entities": [e.model_dump() for e in entities],
    }


PRESCHOOL_COUNTY: dict[str, Any] = {
    "gross_enrolment_3y_pct": 91,
    "inclusive_coverage_pct": 84,
    "public_kindergarten_share_pct": 52,
    "party_leadership": True,
    "development_plan_sound": True,
    "townships_with_public_centre_pct": 100,
    "community_kindergartens_inclusive_pct": 100,
    "funding_in_place": True,
    "fees_reasonable": True,
    "teacher_pay_secured": True,
    "safety_mechanism_in_place": True,
    "major_safety_accidents_2y": 0,
    "regulation_in_place": True,
    "conduct_inspection_coverage_pct": 100,
    "responsible_inspector_coverage_pct": 100,
    "unlicensed_kindergartens": 0,
    "premises_qualified": True,
    "classes_within_size_limit_pct": 90,
    "staffing_compliant_kindergartens_pct": 100,
    "children_per_teacher": 14.2,
    "principal_teacher_certification_pct": 100,
    "no_primary_schooling": True,
    "serious_ethics_incidents_2y": 0,
    "social_recognition_pct": 88,
    "data_fraud": False,
}


def overlay(
    code: str,
    *overrides: ThresholdOverride,
    level: str = "city",
    parent: str = "compulsory_quality_balance",
    version: str = "1",
    start: date = date(2024, 1, 1),
    end: date | None = None,
) -> Framework:
    return Framework.model_validate(
        {
            "id": f"{code}-{version}",
            "code": code,
            "name": code,
            "version": version,
            "basis": "test overlay",
            "level": level,
            "effective_from": start,
            "effective_to": end,
            "parent": {"code": parent},
            "overrides": [o.model_dump() for o in overrides],
        }
    )


def leaf_result(result: Any, code: str) -> Any:
    stack = list(result.nodes)
    while stack:
        node = stack.pop()
        if node.code == code:
            return node.result
        stack.extend(node.children)
    raise KeyError(code)


# --- frameworks as data -------------------------------------------------------------------------


@pytest.mark.parametrize("framework", BUILTIN_FRAMEWORKS, ids=lambda f: f.code)
def test_builtin_frameworks_survive_a_json_round_trip(framework: Framework) -> None:
    stored = framework.model_dump_json()

    assert Framework.model_validate_json(stored) == framework


def test_quality_balance_encodes_the_documented_numbers() -> None:
    fw = resolve(COMPULSORY_QUALITY_BALANCE, [], date(2025, 1, 1))
    school_rule = fw.find("R.S")
    assert school_rule is not None
    assert isinstance(school_rule.evaluator, NOfMSpec)
    thresholds = {m.key: m.threshold for m in school_rule.evaluator.members}

    assert thresholds == {
        "qualified_teachers_per_100": {"primary": 4.2, "junior": 5.3},
        "backbone_teachers_per_100": {"primary": 1.0, "junior": 1.0},
        "pe_art_teachers_per_100": {"primary": 0.9, "junior": 0.9},
        "teaching_space_per_pupil": {"primary": 4.5, "junior": 5.8},
        "sports_space_per_pupil": {"primary": 7.5, "junior": 10.2},
        "equipment_value_per_pupil": {"primary": 2000.0, "junior": 2500.0},
        "multimedia_classrooms_per_100": {"primary": 2.3, "junior": 2.4},
    }
    assert school_rule.evaluator.min_met == 6
    assert school_rule.evaluator.floor_fraction == 0.85
    cv_leaves = [n for n in fw.leaves() if isinstance(n.evaluator, WeightedCVSpec)]
    assert len(cv_leaves) == 7
    assert all(n.evaluator.limit == {"primary": 0.5, "junior": 0.45} for n in cv_leaves)  # type: ignore[union-attr]
    government = fw.find("G")
    quality = fw.find("Q")
    assert government is not None
    assert quality is not None
    assert len(government.children) == 15
    assert len(quality.children) == 9


def test_unknown_evaluator_kind_is_rejected() -> None:
    document = COMPULSORY_QUALITY_BALANCE.model_dump(mode="json")
    document["indicators"][3]["evaluator"]["kind"] = "average"  # S, 社会认可度

    with pytest.raises(ValidationError, match="average"):
        Framework.model_validate(document)


def test_duplicate_indicator_codes_are_rejected() -> None:
    document = PRESCHOOL_UNIVERSAL_INCLUSIVE.model_dump(mode="json")
    document["indicators"][0]["children"][1]["code"] = "P.1"

    with pytest.raises(ValidationError, match="unique"):
        Framework.model_validate(document)


# --- the combinator -----------------------------------------------------------------------------


def test_quality_balance_passes_when_everything_is_met() -> None:
    result = evaluate_framework(COMPULSORY_QUALITY_BALANCE, quality_balance_inputs())

    assert result.outcome == "pass"
    assert result.passed is True
    assert result.vetoed is False
    assert result.reasons == []


def test_combinator_judges_resources_per_school_and_cv_per_stage() -> None:
    inputs = quality_balance_inputs()
    result = evaluate_framework(COMPULSORY_QUALITY_BALANCE, inputs)

    schools = leaf_result(result, "R.S")
    assert isinstance(schools, NOfMResult)
    assert schools.compliant_count == 4
    cv = leaf_result(result, "R.CV.6")
    assert isinstance(cv, WeightedCVResult)
    assert [(g.stage, g.limit) for g in cv.groups] == [("primary", 0.5), ("junior", 0.45)]
    assert cv.rule.indicator_code == "R.CV.6"
    assert cv.rule.framework_version == "2017.1"


def test_junior_cv_of_0_47_fails_the_county_while_the_same_primary_cv_would_pass() -> None:
    # Two equal schools per stage at 5000 元 × (1 ± 0.47): CV 0.47, every school above its threshold.
    spread = (5000 * 0.53, 5000 * 1.47)
    entities = balance_entities(_schools("primary", spread)) + balance_entities(
        _schools("junior", spread)
    )
    inputs = {"values": QUALITY_BALANCE_COUNTY, "entities": [e.model_dump() for e in entities]}

    result = evaluate_framework(COMPULSORY_QUALITY_BALANCE, inputs)

    assert leaf_result(result, "R.S").outcome == "pass"
    cv = leaf_result(result, "R.CV.6")
    assert [g.met for g in cv.groups] == [True, False]
    assert result.outcome == "fail"
    assert len(result.reasons) == 1
    assert "初中）为 0.470，超过标准 0.45" in result.reasons[0]


def test_a_failed_government_item_fails_the_county() -> None:
    result = evaluate_framework(
        COMPULSORY_QUALITY_BALANCE, quality_balance_inputs(migrant_children_public_pct=80)
    )

    assert result.outcome == "fail"
    assert result.vetoed is False
    assert any(r.startswith("[G.15.2]") and "80%" in r and "85%" in r for r in result.reasons)


def test_missing_government_data_is_insufficient_not_a_failure() -> None:
    values = dict(QUALITY_BALANCE_COUNTY)
    del values["nearby_enrolment_junior_pct"]  # the enrolment service was down
    inputs = quality_balance_inputs()
    inputs["values"] = values

    result = evaluate_framework(COMPULSORY_QUALITY_BALANCE, inputs)

    assert result.outcome == "insufficient_data"
    assert result.passed is False
    assert any(r.startswith("[G.13.2]") and "缺少数据" in r for r in result.reasons)


def test_missing_data_does_not_hide_a_failure() -> None:
    inputs = quality_balance_inputs(max_class_size_primary=52)
    del inputs["values"]["nearby_enrolment_junior_pct"]

    result = evaluate_framework(COMPULSORY_QUALITY_BALANCE, inputs)

    assert result.outcome == "fail"
    assert result.reasons[0].startswith("[G.5.1]")


def test_no_school_data_leaves_the_resource_items_insufficient() -> None:
    result = evaluate_framework(COMPULSORY_QUALITY_BALANCE, {"values": QUALITY_BALANCE_COUNTY})

    assert result.outcome == "insufficient_data"
    assert leaf_result(result, "R.S").outcome == "insufficient_data"


def test_a_veto_item_fails_the_county_and_is_reported_first() -> None:
    result = evaluate_framework(
        COMPULSORY_QUALITY_BALANCE, quality_balance_inputs(key_classes=True)
    )

    assert result.outcome == "fail"
    assert result.vetoed is True
    assert result.reasons[0].startswith("[V] 一票否决")
    assert "设置重点班" in result.reasons[0]


def test_low_social_recognition_is_a_veto() -> None:
    result = evaluate_framework(
        COMPULSORY_QUALITY_BALANCE, quality_balance_inputs(social_recognition_pct=84.9)
    )

    assert result.vetoed is True
    assert result.reasons[0].startswith("[S] 一票否决")


def test_a_veto_outweighs_missing_data() -> None:
    inputs = quality_balance_inputs(exam_based_admission=True)
    del inputs["values"]["nearby_enrolment_primary_pct"]

    result = evaluate_framework(COMPULSORY_QUALITY_BALANCE, inputs)

    assert result.outcome == "fail"


def test_unconfirmed_veto_items_leave_the_verdict_open() -> None:
    inputs = quality_balance_inputs()
    del inputs["values"]["data_fraud"]

    result = evaluate_framework(COMPULSORY_QUALITY_BALANCE, inputs)

    assert result.outcome == "insufficient_data"
    assert any("弄虚作假" in r for r in result.reasons)


def test_results_keep_their_inputs() -> None:
    result = evaluate_framework(
        COMPULSORY_QUALITY_BALANCE, quality_balance_inputs(migrant_children_public_pct=86.5)
    )

    item = leaf_result(result, "G.15.2")
    assert isinstance(item, ThresholdResult)
    assert item.inputs == {"migrant_children_public_pct": 86.5}
    assert item.threshold == 85
    assert item.outcome == "pass"
    assert result.inputs.values["migrant_children_public_pct"] == 86.5


# --- single evaluators on bad data --------------------------------------------------------------

RULE = RuleRef(
    framework_code="t", framework_version="1", indicator_code="X", indicator_name="测试项"
)


@pytest.mark.parametrize("value", [None, float("nan"), float("inf"), True])
def test_threshold_on_missing_or_unusable_value_is_insufficient(value: Any) -> None:
    spec = ThresholdSpec(input="x", comparator=">=", threshold=85, unit="%")

    result = evaluate_threshold(spec, value, rule=RULE)

    assert result.outcome == "insufficient_data"
    assert "测试项" in result.reason


def test_threshold_per_stage_without_a_stage_is_insufficient() -> None:
    spec = ThresholdSpec(input="x", threshold={"primary": 100, "junior": 95}, unit="%")

    assert evaluate_threshold(spec, 99, rule=RULE).outcome == "insufficient_data"
    assert evaluate_threshold(spec, 99, rule=RULE, stage="junior").outcome == "pass"
    assert evaluate_threshold(spec, 99, rule=RULE, stage="primary").outcome == "fail"


# --- overlays -----------------------------------------------------------------------------------

NANNING_8000 = ThresholdOverride(
    indicator="G.7", threshold=8000, note="特教生均公用经费提高到8000元"
)


def _special_ed(as_of: date, overlays: list[Framework]) -> ThresholdResult:
    fw = resolve(COMPULSORY_QUALITY_BALANCE, overlays, as_of)
    result = evaluate_framework(fw, quality_balance_inputs(special_education_funds_per_pupil=7000))
    item = leaf_result(result, "G.7")
    assert isinstance(item, ThresholdResult)
    return item


def test_overlay_raises_a_threshold_only_while_in_force() -> None:
    nanning = overlay("nanning", NANNING_8000, start=date(2024, 1, 1), end=date(2025, 12, 31))

    before = _special_ed(date(2023, 12, 31), [nanning])
    first_day = _special_ed(date(2024, 1, 1), [nanning])
    last_day = _special_ed(date(2025, 12, 31), [nanning])
    after = _special_ed(date(2026, 1, 1), [nanning])

    assert (before.threshold, before.outcome) == (6000, "pass")
    assert (first_day.threshold, first_day.outcome) == (8000, "fail")
    assert (last_day.threshold, last_day.outcome) == (8000, "fail")
    assert (after.threshold, after.outcome) == (6000, "pass")
    assert first_day.rule.overlays == ["nanning@1"]
    assert before.rule.overlays == []
    # The resource computation names only overlays that changed resource rules.
    in_force = resolve(COMPULSORY_QUALITY_BALANCE, [nanning], date(2024, 6, 1))
    assert evaluate_balance(_schools("primary"), framework=in_force).rule.overlays == []


def test_city_overlay_has_the_last_word_over_the_province() -> None:
    guangxi = overlay(
        "guangxi",
        ThresholdOverride(indicator="G.7", threshold=7000),
        ThresholdOverride(indicator="S", threshold=88),
        level="provincial",
        start=date(2022, 1, 1),
    )
    nanning = overlay(
        "nanning", NANNING_8000, parent="guangxi", start=date(2024, 1, 1), end=date(2025, 12, 31)
    )

    fw = resolve(COMPULSORY_QUALITY_BALANCE, [nanning, guangxi], date(2024, 6, 1))

    assert fw.overlays == ["guangxi@1", "nanning@1"]
    special_ed = fw.find("G.7")
    satisfaction = fw.find("S")
    assert special_ed is not None
    assert satisfaction is not None
    assert isinstance(special_ed.evaluator, ThresholdSpec)
    assert isinstance(satisfaction.evaluator, ThresholdSpec)
    assert special_ed.evaluator.threshold == 8000
    assert satisfaction.evaluator.threshold == 88
    assert fw.changed_by["G.7"] == ["guangxi@1", "nanning@1"]


def test_a_city_overlay_on_a_province_not_in_force_is_not_applied() -> None:
    guangxi = overlay("guangxi", NANNING_8000, level="provincial", start=date(2030, 1, 1))
    nanning = overlay("nanning", NANNING_8000, parent="guangxi")

    fw = resolve(COMPULSORY_QUALITY_BALANCE, [guangxi, nanning], date(2024, 6, 1))

    assert fw.overlays == []


def test_a_newer_version_of_an_overlay_supersedes_the_older() -> None:
    v1 = overlay("nanning", ThresholdOverride(indicator="G.7", threshold=7000), version="1")
    v2 = overlay(
        "nanning", NANNING_8000, version="2", start=date(2025, 1, 1), end=date(2025, 12, 31)
    )

    assert resolve(COMPULSORY_QUALITY_BALANCE, [v1, v2], date(2024, 6, 1)).overlays == ["nanning@1"]
    assert resolve(COMPULSORY_QUALITY_BALANCE, [v1, v2], date(2025, 6, 1)).overlays == ["nanning@2"]
    assert resolve(COMPULSORY_QUALITY_BALANCE, [v1, v2], date(2026, 6, 1)).overlays == ["nanning@1"]


def test_overlays_of_other_frameworks_are_ignored() -> None:
    henan = overlay(
        "henan",
        ThresholdOverride(indicator="P.1", threshold=90),
        level="provincial",
        parent="preschool_universal_inclusive",
    )

    assert resolve(COMPULSORY_QUALITY_BALANCE, [henan], date(2024, 6, 1)).overlays == []
    preschool = resolve(PRESCHOOL_UNIVERSAL_INCLUSIVE, [henan], date(2024, 6, 1))
    result = evaluate_framework(
        preschool, {"values": {**PRESCHOOL_COUNTY, "gross_enrolment_3y_pct": 88}}
    )
    assert result.outcome == "fail"
    assert result.reasons[0].startswith("[P.1]")


def test_overlay_changes_one_stage_of_a_member_and_keeps_the_other() -> None:
    tighter = overlay(
        "guangxi",
        ThresholdOverride(
            indicator="R.S", member="sports_space_per_pupil", threshold={"junior": 11}
        ),
        ThresholdOverride(indicator="R.CV.1", threshold={"primary": 0.45}),
        level="provincial",
    )

    fw = resolve(COMPULSORY_QUALITY_BALANCE, [tighter], date(2024, 6, 1))

    node = fw.find("R.S")
    assert node is not None
    assert isinstance(node.evaluator, NOfMSpec)
    sports = node.evaluator.member("sports_space_per_pupil")
    assert sports is not None
    assert sports.threshold == {"primary": 7.5, "junior": 11}
    balance = evaluate_balance(_schools("primary"), framework=fw)
    assert balance.cv["qualified_teachers_per_100"].threshold == 0.45
    assert balance.rule.overlays == ["guangxi@1"]


def test_overlay_naming_a_missing_indicator_is_a_configuration_error() -> None:
    broken = overlay("nanning", ThresholdOverride(indicator="G.99", threshold=1))

    with pytest.raises(FrameworkError, match="G.99"):
        resolve(COMPULSORY_QUALITY_BALANCE, [broken], date(2024, 6, 1))


def test_resolving_outside_the_baseline_dates_is_refused() -> None:
    with pytest.raises(FrameworkError, match="not in force"):
        resolve(COMPULSORY_QUALITY_BALANCE, [], date(2016, 6, 1))


def test_overlay_must_name_a_parent_to_override() -> None:
    with pytest.raises(ValidationError, match="only an overlay"):
        Framework(
            id="x",
            code="x",
            name="x",
            version="1",
            basis="x",
            level="city",
            effective_from=date(2024, 1, 1),
            parent=None,
            overrides=[NANNING_8000],
        )
    assert FrameworkRef(code="x").matches("x", "anything")


# --- rubric and grading -------------------------------------------------------------------------


def _routine(**scores: Any) -> dict[str, Any]:
    base = {
        "leadership": 13,
        "conditions": 13,
        "management": 17,
        "teaching": 17,
        "quality": 16,
        "outcomes": 9,
        "major_safety_accident": False,
        "serious_ethics_incident": False,
        "data_fraud": False,
    }
    return {"values": {**base, **scores}}


@pytest.mark.parametrize(
    ("scores", "total", "grade", "outcome"),
    [
        ({}, 85, "合格", "pass"),
        ({"teaching": 12, "quality": 11}, 75, "基本合格", "pass"),
        ({"teaching": 12, "quality": 6}, 70, "基本合格", "pass"),
        ({"leadership": 8, "teaching": 12, "quality": 6}, 65, "基本合格", "pass"),
        ({"leadership": 3, "teaching": 7, "quality": 6}, 55, "不合格", "fail"),
        ({"outcomes": 4}, 80, "合格", "pass"),
    ],
)
def test_routine_management_rubric_total_maps_to_grade_bands(
    scores: dict[str, float], total: float, grade: str, outcome: str
) -> None:
    result = evaluate_framework(SCHOOL_ROUTINE_MANAGEMENT, _routine(**scores))

    rubric = leaf_result(result, "SCORE")
    assert rubric.total == total
    assert rubric.max_total == 100
    assert result.grade == grade
    assert result.outcome == outcome


def test_incomplete_rubric_leaves_the_grade_open() -> None:
    result = evaluate_framework(SCHOOL_ROUTINE_MANAGEMENT, _routine(teaching=None))

    assert result.outcome == "insufficient_data"
    assert result.grade is None
    assert any("教学工作" in r for r in result.reasons)


def test_score_above_an_items_maximum_is_not_accepted() -> None:
    result = evaluate_framework(SCHOOL_ROUTINE_MANAGEMENT, _routine(leadership=16))

    assert result.outcome == "insufficient_data"
    assert any("超出范围" in r for r in result.reasons)


def test_veto_forces_the_lowest_grade_whatever_the_score() -> None:
    result = evaluate_framework(
        KINDERGARTEN_CONDUCT,
        {
            "values": {
                "conditions": 20,
                "safety_health": 19,
                "care_education": 19,
                "staff": 18,
                "management": 19,
                "unlicensed": False,
                "major_safety_accident": True,
                "serious_ethics_incident": False,
            }
        },
    )

    assert leaf_result(result, "SCORE").total == 95
    assert result.vetoed is True
    assert result.grade == "不合格"
    assert result.outcome == "fail"


# --- 学前普及普惠 -------------------------------------------------------------------------------


def test_preschool_county_meeting_every_item_passes() -> None:
    result = evaluate_framework(PRESCHOOL_UNIVERSAL_INCLUSIVE, {"values": PRESCHOOL_COUNTY})

    assert result.outcome == "pass"


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("gross_enrolment_3y_pct", 84.9, "P.1"),
        ("inclusive_coverage_pct", 79, "P.2"),
        ("public_kindergarten_share_pct", 49.5, "P.3"),
        ("social_recognition_pct", 84, "S"),
        ("children_per_teacher", 16, "Q.3.2"),
        ("unlicensed_kindergartens", 2, "G.9.4"),
    ],
)
def test_preschool_county_below_a_national_bar_fails(key: str, value: float, code: str) -> None:
    result = evaluate_framework(
        PRESCHOOL_UNIVERSAL_INCLUSIVE, {"values": {**PRESCHOOL_COUNTY, key: value}}
    )

    assert result.outcome == "fail"
    assert result.reasons[0].startswith(f"[{code}]")


@pytest.mark.parametrize(
    ("pct", "grade", "outcome"),
    [
        (100, "合格", "pass"),
        (85, "基本合格", "pass"),
        (80, "基本合格", "pass"),
        (79, "不合格", "fail"),
    ],
)
def test_preschool_staffing_is_graded(pct: float, grade: str, outcome: str) -> None:
    values = {**PRESCHOOL_COUNTY, "staffing_compliant_kindergartens_pct": pct}

    result = evaluate_framework(PRESCHOOL_UNIVERSAL_INCLUSIVE, {"values": values})

    staffing = leaf_result(result, "Q.3.1")
    assert isinstance(staffing, GradingResult)
    assert staffing.grade == grade
    assert result.outcome == outcome


def test_overlay_adds_a_local_indicator_that_then_decides_the_verdict() -> None:
    local = Framework.model_validate(
        {
            "id": "nanning-funds-1",
            "code": "nanning_funds",
            "name": "南宁市生均公用经费",
            "version": "1",
            "basis": "test overlay",
            "level": "city",
            "effective_from": "2024-01-01",
            "parent": {"code": "compulsory_quality_balance", "version": "2017.1"},
            "indicators": [
                {
                    "code": "L.1",
                    "name": "小学生均公用经费",
                    "evaluator": {
                        "kind": "threshold",
                        "input": "primary_public_funds_per_pupil",
                        "threshold": 1150,
                        "unit": "元",
                    },
                }
            ],
        }
    )
    fw = resolve(COMPULSORY_QUALITY_BALANCE, [local], date(2024, 6, 1))

    low = evaluate_framework(fw, quality_balance_inputs(primary_public_funds_per_pupil=1100))
    high = evaluate_framework(fw, quality_balance_inputs(primary_public_funds_per_pupil=1200))

    assert low.outcome == "fail"
    assert low.reasons == ["[L.1] 小学生均公用经费：1100元，未达到要求（≥ 1150元）"]
    assert high.outcome == "pass"
