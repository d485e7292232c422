"""优质均衡 resource computation (教督〔2017〕6号, 资源配置).

From raw per-school counts this derives the seven indicators, checks every school against the
6-of-7 rule with the 85 % floor, computes the enrolment-weighted coefficient of variation of each
indicator across the county's schools of one stage, and gives the county verdict with Chinese
reasons. Thresholds come from the framework (the built-in national one unless a resolved
framework with overlays is passed), so a Guangxi or Nanning overlay changes them without code.

Precision: every value in the result is kept at full precision and the verdicts are decided on
it; numbers in reason strings are rounded for reading (indicator values to 2 decimals, CVs to 3 —
the Shenyang spec's precision), with extra digits when rounding would hide a miss.

Scope: teaching points (教学点) with fewer than 50 pupils are left out of the resource indicators
(anchors §1.1, Hebei restatement of the 办法). Special-education and vocational schools are out of
scope too; callers simply do not pass them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import builtin
from .evaluators import (
    Entity,
    EntityCompliance,
    MemberCheck,
    RuleRef,
    WeightedCVResult,
    combine_outcomes,
    evaluate_n_of_m,
    evaluate_weighted_cv,
    rule_for,
)
from .model import (
    STAGE_NAMES,
    FrameworkError,
    NOfMSpec,
    Outcome,
    ResolvedFramework,
    Stage,
    WeightedCVSpec,
    as_resolved,
)

TEACHING_POINT_MIN_PUPILS = 50

Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BalanceSchool(_Model):
    """One school's raw statistics for one stage (for a 一贯制 school: one part, see
    :func:`apportion_combined_school`). A missing count gives insufficient data, not an error."""

    id: str = Field(min_length=1, max_length=64)
    students: int | None = Field(
        default=None, ge=1, le=1_000_000, description="在校生数 of this stage"
    )
    kind: Literal["school", "teaching_point"]
    qualified_teachers: Amount | None = Field(
        default=None, description="专任教师高于规定学历（小学专科及以上、初中本科及以上）"
    )
    backbone_teachers: Amount | None = Field(default=None, description="县级及以上骨干教师")
    pe_art_teachers: Amount | None = Field(
        default=None, description="体育、音乐、美术、艺术专任教师"
    )
    teaching_space_m2: Amount | None = Field(
        default=None, description="教学及辅助用房面积（扣除室内体育用房）"
    )
    sports_space_m2: Amount | None = Field(default=None, description="体育馆 + 校内体育场面积")
    equipment_value_yuan: Amount | None = Field(
        default=None, description="教学仪器设备资产值（账面原值，元）"
    )
    multimedia_classrooms: Amount | None = Field(default=None, description="网络多媒体教室间数")


class BalanceInput(_Model):
    county: str = Field(min_length=1, max_length=32)
    stage: Stage
    schools: list[BalanceSchool] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> BalanceInput:
        seen: set[str] = set()
        for school in self.schools:
            if school.id in seen:
                raise ValueError(f"学校 {school.id} 重复出现")
            seen.add(school.id)
        return self


SchoolStatus = Literal["compliant", "non_compliant", "insufficient_data", "excluded"]
_STATUS: dict[Outcome, SchoolStatus] = {
    "pass": "compliant",
    "fail": "non_compliant",
    "insufficient_data": "insufficient_data",
}
_OUTCOME: dict[SchoolStatus, Outcome] = {status: outcome for outcome, status in _STATUS.items()}


class SchoolBalance(_Model):
    """One school's seven indicator values, each with threshold, floor and met flags."""

    id: str
    kind: Literal["school", "teaching_point"]
    students: int | None
    included: bool
    status: SchoolStatus
    met_count: int
    compliant: bool | None
    reason: str
    qualified_teachers_per_100: MemberCheck
    backbone_teachers_per_100: MemberCheck
    pe_art_teachers_per_100: MemberCheck
    teaching_space_per_pupil: MemberCheck
    sports_space_per_pupil: MemberCheck
    equipment_value_per_pupil: MemberCheck
    multimedia_classrooms_per_100: MemberCheck


class IndicatorCV(_Model):
    name: str
    cv: float | None
    mean: float | None = Field(description="enrolment-weighted county mean")
    threshold: float | None
    met: bool | None
    school_count: int
    outcome: Outcome
    reason: str


class BalanceResult(_Model):
    county: str
    stage: Stage
    rule: RuleRef
    outcome: Outcome
    county_pass: bool
    reasons: list[str]
    notes: list[str]
    schools: list[SchoolBalance]
    cv: dict[str, IndicatorCV]
    input: BalanceInput


def derive_values(school: BalanceSchool) -> dict[str, float | None]:
    """The seven indicators. Multiplying before dividing keeps integer inputs exact, so a school
    with exactly 42 qualified teachers per 1000 pupils gets 4.2, not 4.199999…"""
    pupils = school.students

    def per_100(count: float | None) -> float | None:
        return None if count is None or pupils is None else count * 100 / pupils

    def per_pupil(amount: float | None) -> float | None:
        return None if amount is None or pupils is None else amount / pupils

    return {
        "qualified_teachers_per_100": per_100(school.qualified_teachers),
        "backbone_teachers_per_100": per_100(school.backbone_teachers),
        "pe_art_teachers_per_100": per_100(school.pe_art_teachers),
        "teaching_space_per_pupil": per_pupil(school.teaching_space_m2),
        "sports_space_per_pupil": per_pupil(school.sports_space_m2),
        "equipment_value_per_pupil": per_pupil(school.equipment_value_yuan),
        "multimedia_classrooms_per_100": per_100(school.multimedia_classrooms),
    }


def is_excluded(school: BalanceSchool) -> bool:
    """Teaching points under 50 pupils are outside the resource indicators; one with unknown
    enrolment stays in, so its missing count surfaces as insufficient data."""
    return (
        school.kind == "teaching_point"
        and school.students is not None
        and school.students < TEACHING_POINT_MIN_PUPILS
    )


def balance_entities(input: BalanceInput) -> list[Entity]:
    """The schools that count, as entities for the framework evaluators (weight = enrolment)."""
    return [
        Entity(
            id=s.id,
            stage=input.stage,
            weight=None if s.students is None else float(s.students),
            values=derive_values(s),
        )
        for s in input.schools
        if not is_excluded(s)
    ]


def _resource_specs(
    framework: ResolvedFramework,
) -> tuple[NOfMSpec, RuleRef, dict[str, tuple[WeightedCVSpec, RuleRef]]]:
    school_node = framework.find(builtin.RESOURCE_SCHOOL_CODE)
    if school_node is None or not isinstance(school_node.evaluator, NOfMSpec):
        raise FrameworkError(f"{framework.code}: no per-school resource rule")
    spec = school_node.evaluator
    missing = set(builtin.RESOURCE_INDICATORS) - {m.key for m in spec.members}
    if missing:
        raise FrameworkError(f"{framework.code}: resource rule lacks {sorted(missing)}")
    cvs: dict[str, tuple[WeightedCVSpec, RuleRef]] = {}
    for node in framework.leaves():
        if isinstance(node.evaluator, WeightedCVSpec):
            cvs[node.evaluator.indicator] = (node.evaluator, rule_for(framework, node))
    return spec, rule_for(framework, school_node), cvs


def evaluate_balance(
    input: BalanceInput, *, framework: ResolvedFramework | None = None
) -> BalanceResult:
    """The 优质均衡 resource verdict for one county and one stage.

    ``county_pass`` is true only when every included school is compliant (≥ 6 of 7 met, the rest
    ≥ 85 % of the threshold) and every indicator's weighted CV is within the stage's limit. The
    ``outcome`` distinguishes a failure from missing data.
    """
    resolved = framework or as_resolved(builtin.COMPULSORY_QUALITY_BALANCE)
    spec, school_rule, cv_specs = _resource_specs(resolved)
    stage = input.stage
    stage_name = STAGE_NAMES[stage]

    entities = balance_entities(input)
    group = evaluate_n_of_m(spec, entities, rule=school_rule, stage=stage)
    by_id: dict[str, EntityCompliance] = {e.id: e for e in group.entities}

    schools: list[SchoolBalance] = []
    notes: list[str] = []
    for school in input.schools:
        excluded = is_excluded(school)
        compliance = by_id.get(school.id)
        if compliance is None:
            # Still computed, so the bureau sees the excluded point's figures; not judged.
            entity = Entity(id=school.id, stage=stage, values=derive_values(school))
            compliance = evaluate_n_of_m(spec, [entity], rule=school_rule, stage=stage).entities[0]
        status: SchoolStatus
        if excluded:
            status = "excluded"
            reason = (
                f"教学点 {school.id} 在校生 {school.students} 人，不足{TEACHING_POINT_MIN_PUPILS}人，"
                "不纳入资源配置指标计算"
            )
            notes.append(reason)
        else:
            status = _STATUS[compliance.outcome]
            reason = compliance.reason
        checks = {c.key: c for c in compliance.checks}
        schools.append(
            SchoolBalance(
                id=school.id,
                kind=school.kind,
                students=school.students,
                included=not excluded,
                status=status,
                met_count=compliance.met_count,
                compliant=None if excluded else compliance.compliant,
                reason=reason,
                qualified_teachers_per_100=checks["qualified_teachers_per_100"],
                backbone_teachers_per_100=checks["backbone_teachers_per_100"],
                pe_art_teachers_per_100=checks["pe_art_teachers_per_100"],
                teaching_space_per_pupil=checks["teaching_space_per_pupil"],
                sports_space_per_pupil=checks["sports_space_per_pupil"],
                equipment_value_per_pupil=checks["equipment_value_per_pupil"],
                multimedia_classrooms_per_100=checks["multimedia_classrooms_per_100"],
            )
        )

    cv: dict[str, IndicatorCV] = {}
    cv_results: list[WeightedCVResult] = []
    for member in spec.members:
        if member.key not in cv_specs:
            continue
        cv_spec, cv_rule = cv_specs[member.key]
        result = evaluate_weighted_cv(cv_spec, entities, rule=cv_rule, stage=stage)
        cv_results.append(result)
        only = result.groups[0] if result.groups else None
        cv[member.key] = IndicatorCV(
            name=member.name,
            cv=only.cv if only else None,
            mean=only.mean if only else None,
            threshold=only.limit if only else None,
            met=only.met if only else None,
            school_count=only.entity_count if only else 0,
            outcome=result.outcome,
            reason=result.reason,
        )

    outcomes = [group.outcome, *(r.outcome for r in cv_results)]
    outcome = combine_outcomes(outcomes)

    reasons: list[str] = []
    for wanted in ("fail", "insufficient_data"):
        reasons.extend(s.reason for s in schools if s.included and _OUTCOME.get(s.status) == wanted)
        reasons.extend(c.reason for c in cv.values() if c.outcome == wanted)
    if not entities:
        reasons.append(f"没有纳入计算的{stage_name}学校")
    if outcome == "pass":
        reasons.append(
            f"{stage_name}{len(entities)}所学校均达到资源配置要求，7项指标校际差异系数均未超过标准"
        )

    return BalanceResult(
        county=input.county,
        stage=stage,
        rule=RuleRef(
            framework_code=resolved.code,
            framework_version=resolved.version,
            indicator_code="R",
            indicator_name="资源配置",
            overlays=_overlays_touching(resolved, school_rule, cv_specs),
        ),
        outcome=outcome,
        county_pass=outcome == "pass",
        reasons=reasons,
        notes=notes,
        schools=schools,
        cv=cv,
        input=input,
    )


def _overlays_touching(
    framework: ResolvedFramework,
    school_rule: RuleRef,
    cv_specs: Mapping[str, tuple[WeightedCVSpec, RuleRef]],
) -> list[str]:
    rules = [school_rule, *(rule for _, rule in cv_specs.values())]
    touching = {ref for rule in rules for ref in rule.overlays}
    return [ref for ref in framework.overlays if ref in touching]


# --- 一贯制 / 完全中学 ---------------------------------------------------------------------------

Part = Literal["primary", "junior", "senior"]

# 小学生 : 初中生 : 高中生 = 1 : 1.1 : 1.32 (九年一贯制 1 : 1.1; 完全中学 初中 : 高中 = 1 : 1.2,
# and 1.1 × 1.2 = 1.32, so one table serves all three school types). Source: anchors §1.1.1,
# the Shenyang "指标计算公式" notes [R] and a 2015 note on splitting 基本均衡 data (dyhzdl.cn).
# Whether Guangxi uses the same ratios is an open question for the bureau, hence a parameter.
DEFAULT_PART_WEIGHTS: Mapping[Part, float] = {"primary": 1.0, "junior": 1.1, "senior": 1.32}


class CombinedPart(_Model):
    """One part of a combined school: its enrolment and its own teachers.

    Teachers are not apportioned: 教育事业统计 records each 专任教师 under the stage they teach,
    and "高于规定学历" means 专科+ for primary but 本科+ for junior, so a school-wide count of
    qualified teachers could not be split meaningfully anyway (the Shenyang element list likewise
    collects teachers per stage and splits only space, sports area, equipment and classrooms).
    """

    students: int = Field(ge=0, le=1_000_000)
    qualified_teachers: Amount | None = None
    backbone_teachers: Amount | None = None
    pe_art_teachers: Amount | None = None


class CombinedSchool(_Model):
    """A 九年一贯制 / 十二年一贯制 school or 完全中学 with school-wide shared resources."""

    id: str = Field(min_length=1, max_length=64)
    parts: dict[Part, CombinedPart]
    teaching_space_m2: Amount | None = None
    sports_space_m2: Amount | None = None
    equipment_value_yuan: Amount | None = None
    multimedia_classrooms: Amount | None = None

    @model_validator(mode="after")
    def _has_compulsory_part(self) -> CombinedSchool:
        if not any(p in self.parts for p in ("primary", "junior")):
            raise ValueError(f"学校 {self.id} 没有义务教育阶段（小学或初中）")
        return self


def apportion_combined_school(
    school: CombinedSchool, *, weights: Mapping[Part, float] = DEFAULT_PART_WEIGHTS
) -> dict[Stage, BalanceSchool]:
    """Split a combined school into its primary and junior parts for :func:`evaluate_balance`.

    Shared resources (teaching and sports space, equipment value, multimedia classrooms) go to
    each part in proportion to its weighted enrolment wₚ·nₚ / Σ w·n; the senior part of a
    十二年一贯制 school or 完全中学 takes its share and is then dropped, because only the
    compulsory parts are assessed. Teachers stay with the part they are reported under.
    """
    weighted = {part: weights[part] * p.students for part, p in school.parts.items()}
    total = sum(weighted.values())

    def share(amount: float | None, part: Part) -> float | None:
        if amount is None or total == 0:
            return None
        return amount * weighted[part] / total

    out: dict[Stage, BalanceSchool] = {}
    stages: tuple[Stage, ...] = ("primary", "junior")
    for stage in stages:
        part = school.parts.get(stage)
        if part is None or part.students == 0:
            continue
        out[stage] = BalanceSchool(
            id=school.id,
            students=part.students,
            kind="school",
            qualified_teachers=part.qualified_teachers,
            backbone_teachers=part.backbone_teachers,
            pe_art_teachers=part.pe_art_teachers,
            teaching_space_m2=share(school.teaching_space_m2, stage),
            sports_space_m2=share(school.sports_space_m2, stage),
            equipment_value_yuan=share(school.equipment_value_yuan, stage),
            multimedia_classrooms=share(school.multimedia_classrooms, stage),
        )
    return out
