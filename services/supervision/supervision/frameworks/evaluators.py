"""Evaluators: one pure function per evaluator kind, and a combinator over a whole framework.

Every result is ``pass`` / ``fail`` / ``insufficient_data``, keeps the inputs it used, the
computed value(s), the threshold and the rule (framework code + version + indicator code, plus the
overlays that changed the indicator), and gives a Chinese reason. Missing, non-numeric or
non-finite inputs give ``insufficient_data``; evaluators never raise on input data. (A framework
that cannot be evaluated at all — e.g. a grading leaf pointing at a missing rubric — is a
configuration error and raises :class:`~.model.FrameworkError`.)

Comparisons use full precision. The only tolerance is a relative 1e-9, so that binary floating
point artefacts (0.85 × 2.3 = 1.9549999999999998) cannot flip a value that equals its threshold in
decimal; rounding happens in reason strings only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .model import (
    STAGE_NAMES,
    Comparator,
    Framework,
    FrameworkError,
    GradingSpec,
    IndicatorNode,
    NOfMSpec,
    Outcome,
    ResolvedFramework,
    RubricSpec,
    Stage,
    ThresholdSpec,
    VetoSpec,
    WeightedCVSpec,
    as_resolved,
    threshold_for,
)

InputValue = bool | float | None

_REL_TOL = 1e-9
_ABS_TOL = 1e-12


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- inputs -------------------------------------------------------------------------------------


class Entity(_Model):
    """One school (or kindergarten) with its derived indicator values and its weight (enrolment)."""

    id: str = Field(min_length=1)
    stage: Stage | None = None
    weight: float | None = Field(default=None, ge=0)
    values: dict[str, float | None] = Field(default_factory=dict)


class FrameworkInputs(_Model):
    """Everything a framework is evaluated against: county-level values keyed by input name
    (``threshold``, ``rubric``, ``grading`` and ``veto`` leaves) and per-school entities
    (``n_of_m`` and ``weighted_cv`` leaves). ``stage`` picks per-stage thresholds of county-level
    items and is the default stage of entities that do not name one."""

    stage: Stage | None = None
    values: dict[str, InputValue] = Field(default_factory=dict)
    entities: list[Entity] = Field(default_factory=list)


# --- results ------------------------------------------------------------------------------------


class RuleRef(_Model):
    framework_code: str
    framework_version: str
    indicator_code: str
    indicator_name: str = ""
    overlays: list[str] = Field(
        default_factory=list, description="overlays (code@version) that changed this indicator"
    )

    @property
    def label(self) -> str:
        return self.indicator_name or self.indicator_code


class _Result(_Model):
    rule: RuleRef
    outcome: Outcome
    reason: str


class ThresholdResult(_Result):
    kind: Literal["threshold"] = "threshold"
    inputs: dict[str, InputValue]
    stage: Stage | None = None
    value: bool | float | None
    comparator: Comparator
    threshold: float | None
    unit: str


class MemberCheck(_Model):
    """One indicator of one entity in an N-of-M group."""

    key: str
    name: str
    unit: str
    value: float | None
    threshold: float | None
    floor: float | None = Field(
        description="floor_fraction × threshold; missed values must reach it"
    )
    met: bool | None
    reaches_floor: bool | None


class EntityCompliance(_Model):
    id: str
    stage: Stage | None
    checks: list[MemberCheck]
    met_count: int
    compliant: bool | None
    outcome: Outcome
    reason: str


class NOfMResult(_Result):
    kind: Literal["n_of_m"] = "n_of_m"
    inputs: list[Entity]
    min_met: int
    floor_fraction: float | None
    entities: list[EntityCompliance]
    compliant_count: int


class CVInput(_Model):
    id: str
    stage: Stage | None
    weight: float | None
    value: float | None


class CVGroup(_Model):
    """The coefficient of variation of one indicator over the entities of one stage."""

    stage: Stage | None
    entity_count: int
    mean: float | None = Field(description="enrolment-weighted mean X̄")
    sd: float | None = Field(description="enrolment-weighted standard deviation S")
    cv: float | None
    limit: float | None
    met: bool | None
    outcome: Outcome
    reason: str


class WeightedCVResult(_Result):
    kind: Literal["weighted_cv"] = "weighted_cv"
    indicator: str
    inputs: list[CVInput]
    groups: list[CVGroup]


class RubricItemScore(_Model):
    key: str
    name: str
    score: float | None
    max_score: float
    weight: float
    weighted: float | None


class RubricResult(_Result):
    kind: Literal["rubric"] = "rubric"
    inputs: dict[str, InputValue]
    items: list[RubricItemScore]
    total: float | None
    max_total: float
    pass_score: float | None


class GradingResult(_Result):
    kind: Literal["grading"] = "grading"
    inputs: dict[str, InputValue]
    score: float | None
    grade: str | None
    bands: list[tuple[str, float]]
    passing_grades: list[str]


class VetoItemResult(_Model):
    key: str
    name: str
    value: bool | None
    triggered: bool | None


class VetoResult(_Result):
    kind: Literal["veto"] = "veto"
    inputs: dict[str, InputValue]
    items: list[VetoItemResult]
    triggered: list[str]


LeafResult = Annotated[
    ThresholdResult | NOfMResult | WeightedCVResult | RubricResult | GradingResult | VetoResult,
    Field(discriminator="kind"),
]


class NodeResult(_Model):
    code: str
    name: str
    required: bool
    veto: bool
    outcome: Outcome
    reason: str
    result: LeafResult | None = None
    children: list[NodeResult] = Field(default_factory=list)


class FrameworkResult(_Model):
    framework_id: str
    framework_code: str
    framework_version: str
    framework_name: str
    basis: str
    as_of: date | None
    overlays: list[str]
    outcome: Outcome
    passed: bool
    vetoed: bool
    grade: str | None
    reasons: list[str]
    nodes: list[NodeResult]
    inputs: FrameworkInputs


# --- helpers ------------------------------------------------------------------------------------


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)


def compare(value: float, comparator: Comparator, threshold: float) -> bool:
    """``value comparator threshold`` at full precision (tolerating only float artefacts)."""
    if comparator == ">=":
        return value >= threshold or _close(value, threshold)
    if comparator == ">":
        return value > threshold and not _close(value, threshold)
    if comparator == "<=":
        return value <= threshold or _close(value, threshold)
    if comparator == "<":
        return value < threshold and not _close(value, threshold)
    if comparator == "==":
        return _close(value, threshold)
    raise ValueError(f"comparator {comparator!r} does not compare numbers")


def _number(value: object) -> float | None:
    """A finite number, or None. Booleans are not numbers here: a yes/no answer given for a
    numeric item is a data-entry mistake, reported as missing rather than read as 0 or 1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    # Spreadsheet imports turn yes/no columns into 1/0.
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def fmt(value: float, digits: int = 2, against: float | None = None) -> str:
    """Display a number rounded to ``digits`` decimals without trailing zeros, adding digits when
    the rounded figure would look equal to ``against`` though the values differ (so a reason never
    says "0.500 超过 0.50")."""
    if against is not None and not _close(value, against):
        while digits < 10 and f"{value:.{digits}f}" == f"{against:.{digits}f}":
            digits += 1
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_cv(value: float, against: float | None = None) -> str:
    """Coefficients of variation are published to 3 decimals (Shenyang spec; 0.515)."""
    if against is not None and not _close(value, against):
        digits = 3
        while digits < 10 and f"{value:.{digits}f}" == f"{against:.{digits}f}":
            digits += 1
        return f"{value:.{digits}f}"
    return f"{value:.3f}"


_COMPARATOR_TEXT: dict[Comparator, str] = {
    ">=": "≥",
    ">": ">",
    "<=": "≤",
    "<": "<",
    "==": "=",
    "is_true": "是",
}


def _pct(fraction: float) -> str:
    return f"{fmt(fraction * 100, 2)}%"


def _stage_text(stage: Stage | None) -> str:
    return STAGE_NAMES[stage] if stage is not None else ""


def combine_outcomes(outcomes: Sequence[Outcome]) -> Outcome:
    """fail beats insufficient_data beats pass."""
    if "fail" in outcomes:
        return "fail"
    if "insufficient_data" in outcomes:
        return "insufficient_data"
    return "pass"


# --- the math ----------------------------------------------------------------------------------


def weighted_stats(values: Sequence[float], weights: Sequence[float]) -> tuple[float, float] | None:
    """Enrolment-weighted mean X̄ = ΣPᵢxᵢ/ΣPᵢ and SD S = √(Σ(Pᵢ/ΣPᵢ)(xᵢ−X̄)²).

    ``None`` when there is nothing to weigh (no entities, or all weights zero).
    """
    if len(values) != len(weights):
        raise ValueError("values and weights differ in length")
    total = math.fsum(weights)
    if not values or total <= 0:
        return None
    mean = math.fsum(p * x for x, p in zip(values, weights, strict=True)) / total
    # Identical values would otherwise leave a float residue of ~1e-17 in S; report exactly 0.
    if all(x == values[0] for x in values):
        return values[0], 0.0
    variance = math.fsum(
        (p / total) * (x - mean) ** 2 for x, p in zip(values, weights, strict=True)
    )
    return mean, math.sqrt(variance)


def weighted_cv(values: Sequence[float], weights: Sequence[float]) -> float | None:
    """Enrolment-weighted coefficient of variation CV = S / X̄ (the 差异系数 of the 2012 method,
    applied per indicator in 教督〔2017〕6号). ``None`` when undefined (no weight, or X̄ ≤ 0)."""
    stats = weighted_stats(values, weights)
    if stats is None or stats[0] <= 0:
        return None
    mean, sd = stats
    return sd / mean


# --- evaluators ---------------------------------------------------------------------------------


def evaluate_threshold(
    spec: ThresholdSpec, value: InputValue, *, rule: RuleRef, stage: Stage | None = None
) -> ThresholdResult:
    """One value against a threshold, or a yes/no finding for ``is_true`` items."""
    threshold = threshold_for(spec.threshold, stage)
    name = rule.label

    def result(outcome: Outcome, reason: str) -> ThresholdResult:
        return ThresholdResult(
            rule=rule,
            outcome=outcome,
            reason=reason,
            inputs={spec.input: value},
            stage=stage,
            value=value,
            comparator=spec.comparator,
            threshold=threshold,
            unit=spec.unit,
        )

    if spec.comparator == "is_true":
        flag = _flag(value)
        if flag is None:
            return result("insufficient_data", f"{name}：缺少认定结果（{spec.input}，是/否）")
        return result("pass" if flag else "fail", f"{name}：{'已达到' if flag else '未达到'}要求")
    if threshold is None:
        return result(
            "insufficient_data", f"{name}：没有适用于{_stage_text(stage) or '该学段'}的标准"
        )
    number = _number(value)
    if number is None:
        missing = "缺少数据" if value is None else "数据不是有效数值"
        return result("insufficient_data", f"{name}：{missing}（{spec.input}）")
    ok = compare(number, spec.comparator, threshold)
    shown = fmt(number, 2, against=threshold)
    wanted = f"{_COMPARATOR_TEXT[spec.comparator]} {fmt(threshold, 4)}{spec.unit}"
    verdict = "达到要求" if ok else "未达到要求"
    return result("pass" if ok else "fail", f"{name}：{shown}{spec.unit}，{verdict}（{wanted}）")


def _entity_compliance(
    spec: NOfMSpec, entity: Entity, stage: Stage | None, label: str
) -> EntityCompliance:
    checks: list[MemberCheck] = []
    for member in spec.members:
        threshold = threshold_for(member.threshold, stage)
        value = _number(entity.values.get(member.key))
        floor = None
        if threshold is not None and spec.floor_fraction is not None:
            # Rounded to 10 places so the stored floor reads 3.825, not 3.8249999999999997; the
            # comparison below tolerates the same artefact either way.
            floor = round(threshold * spec.floor_fraction, 10)
        met = None if value is None or threshold is None else compare(value, ">=", threshold)
        if met is None or value is None:
            reaches = None
        elif floor is None:
            reaches = True
        else:
            reaches = compare(value, ">=", floor)
        checks.append(
            MemberCheck(
                key=member.key,
                name=member.name,
                unit=member.unit,
                value=value,
                threshold=threshold,
                floor=floor,
                met=met,
                reaches_floor=reaches,
            )
        )

    met_count = sum(1 for c in checks if c.met)
    unknown = [c for c in checks if c.met is None]
    below_floor = [c for c in checks if c.reaches_floor is False]
    missed = [c for c in checks if c.met is False and c.reaches_floor]
    who = f"{label} {entity.id}"
    total = len(checks)
    floor_text = _pct(spec.floor_fraction) if spec.floor_fraction is not None else ""

    outcome: Outcome
    if below_floor:
        outcome = "fail"
        parts = [
            f"{c.name} {fmt(c.value or 0.0, 2, against=c.floor)}{c.unit}，低于标准 "
            f"{fmt(c.threshold or 0.0, 4)}{c.unit} 的{floor_text}（{fmt(c.floor or 0.0, 4)}{c.unit}）"
            for c in below_floor
        ]
        reason = f"{who}：" + "；".join(parts)
    elif met_count + len(unknown) < spec.min_met:
        outcome = "fail"
        names = "、".join(c.name for c in checks if c.met is False)
        reason = (
            f"{who}：{total}项中仅{met_count}项达标，要求至少{spec.min_met}项（未达标：{names}）"
        )
    elif unknown:
        outcome = "insufficient_data"
        no_threshold = [c for c in unknown if c.threshold is None]
        if no_threshold:
            reason = f"{who}：{'、'.join(c.name for c in no_threshold)}没有适用于该学段的标准"
        else:
            names = "、".join(f"{c.name}（{c.key}）" for c in unknown)
            reason = f"{who}：缺少{names}，无法判定"
    else:
        outcome = "pass"
        reason = f"{who}：{total}项中{met_count}项达标"
        if missed:
            reason += f"；{'、'.join(c.name for c in missed)}未达标但不低于标准的{floor_text}"
    compliant = None if outcome == "insufficient_data" else outcome == "pass"
    return EntityCompliance(
        id=entity.id,
        stage=stage,
        checks=checks,
        met_count=met_count,
        compliant=compliant,
        outcome=outcome,
        reason=reason,
    )


def evaluate_n_of_m(
    spec: NOfMSpec,
    entities: Sequence[Entity],
    *,
    rule: RuleRef,
    stage: Stage | None = None,
    label: str = "学校",
) -> NOfMResult:
    """Each entity meets ≥ ``min_met`` members and every missed one reaches the floor.

    The group passes when every entity does. An entity with a value below the floor, or with
    too few members met even if its missing values were all met, fails whatever else is missing.
    """
    per_entity = [_entity_compliance(spec, e, e.stage or stage, label) for e in entities]
    compliant = sum(1 for e in per_entity if e.outcome == "pass")
    if not per_entity:
        outcome: Outcome = "insufficient_data"
        reason = f"{rule.label}：没有可评估的{label}"
    else:
        outcome = combine_outcomes([e.outcome for e in per_entity])
        floor = f"，余项不低于标准的{_pct(spec.floor_fraction)}" if spec.floor_fraction else ""
        rule_text = f"至少{spec.min_met}项达标{floor}"
        if outcome == "pass":
            reason = f"{rule.label}：{len(per_entity)}所{label}均达到要求（{rule_text}）"
        else:
            bad = [e for e in per_entity if e.outcome == outcome]
            what = "未达到要求" if outcome == "fail" else "数据不全"
            ids = "、".join(e.id for e in bad)
            reason = f"{rule.label}：{len(bad)}所{label}{what}（{rule_text}）：{ids}"
    return NOfMResult(
        rule=rule,
        outcome=outcome,
        reason=reason,
        inputs=list(entities),
        min_met=spec.min_met,
        floor_fraction=spec.floor_fraction,
        entities=per_entity,
        compliant_count=compliant,
    )


_STAGE_ORDER: dict[Stage | None, int] = {"primary": 0, "junior": 1, None: 2}


def evaluate_weighted_cv(
    spec: WeightedCVSpec,
    entities: Sequence[Entity],
    *,
    rule: RuleRef,
    stage: Stage | None = None,
    label: str = "学校",
) -> WeightedCVResult:
    """Enrolment-weighted CV of ``spec.indicator``, per stage, each against its stage's limit.

    Primary and junior schools are never pooled: the 2017 rule sets a limit per stage.
    """
    inputs = [
        CVInput(
            id=e.id,
            stage=e.stage or stage,
            weight=e.weight,
            value=e.values.get(spec.indicator),
        )
        for e in entities
    ]
    by_stage: dict[Stage | None, list[CVInput]] = {}
    for item in inputs:
        by_stage.setdefault(item.stage, []).append(item)

    groups: list[CVGroup] = []
    for group_stage in sorted(by_stage, key=lambda s: _STAGE_ORDER[s]):
        groups.append(_cv_group(spec, by_stage[group_stage], group_stage, rule, label))

    if not groups:
        outcome: Outcome = "insufficient_data"
        reason = f"{rule.label}：没有可计算差异系数的{label}"
    else:
        outcome = combine_outcomes([g.outcome for g in groups])
        reason = "；".join(g.reason for g in groups)
    return WeightedCVResult(
        rule=rule,
        outcome=outcome,
        reason=reason,
        indicator=spec.indicator,
        inputs=inputs,
        groups=groups,
    )


def _cv_group(
    spec: WeightedCVSpec, items: list[CVInput], stage: Stage | None, rule: RuleRef, label: str
) -> CVGroup:
    limit = threshold_for(spec.limit, stage)
    stage_text = _stage_text(stage)
    head = f"{rule.label}（{stage_text}）" if stage_text else rule.label

    def group(
        outcome: Outcome,
        reason: str,
        stats: tuple[float, float] | None = None,
        cv: float | None = None,
    ) -> CVGroup:
        return CVGroup(
            stage=stage,
            entity_count=len(items),
            mean=stats[0] if stats else None,
            sd=stats[1] if stats else None,
            cv=cv,
            limit=limit,
            met=None if cv is None or limit is None else outcome == "pass",
            outcome=outcome,
            reason=reason,
        )

    incomplete = [
        i.id
        for i in items
        if _number(i.value) is None or _number(i.weight) is None or (i.value or 0) < 0
    ]
    if incomplete:
        return group(
            "insufficient_data", f"{head}：{label} {'、'.join(incomplete)} 缺少数值或在校生数"
        )
    if limit is None:
        return group(
            "insufficient_data", f"{head}：没有适用于{stage_text or '该学段'}的差异系数标准"
        )
    values = [float(i.value or 0.0) for i in items]
    weights = [float(i.weight or 0.0) for i in items]
    stats = weighted_stats(values, weights)
    cv = weighted_cv(values, weights)
    if cv is None:
        why = "在校生数合计为0" if stats is None else "加权平均值为0"
        return group("insufficient_data", f"{head}：{why}，差异系数无法计算", stats)
    ok = compare(cv, "<=", limit)
    verdict = "未超过" if ok else "超过"
    # Limits are written with two decimals in the 办法 (0.50, 0.45); keep that unless an overlay
    # sets a finer one.
    shown_limit = f"{limit:.2f}" if _close(round(limit, 2), limit) else fmt(limit, 4)
    reason = f"{head}为 {fmt_cv(cv, against=limit)}，{verdict}标准 {shown_limit}"
    return group("pass" if ok else "fail", reason, stats, cv)


def evaluate_rubric(
    spec: RubricSpec, scores: Mapping[str, InputValue], *, rule: RuleRef
) -> RubricResult:
    """Total = Σ weight × score. Incomplete or out-of-range scores give insufficient data."""
    items: list[RubricItemScore] = []
    missing: list[str] = []
    out_of_range: list[str] = []
    for item in spec.items:
        score = _number(scores.get(item.key))
        if score is None:
            missing.append(item.name)
        elif not (0 <= score <= item.max_score or _close(score, item.max_score)):
            out_of_range.append(f"{item.name}（{fmt(score)}，满分{fmt(item.max_score)}）")
            score = None
        items.append(
            RubricItemScore(
                key=item.key,
                name=item.name,
                score=score,
                max_score=item.max_score,
                weight=item.weight,
                weighted=None if score is None else item.weight * score,
            )
        )
    inputs = {i.key: scores.get(i.key) for i in spec.items}
    max_total = spec.max_total

    def result(outcome: Outcome, reason: str, total: float | None = None) -> RubricResult:
        return RubricResult(
            rule=rule,
            outcome=outcome,
            reason=reason,
            inputs=inputs,
            items=items,
            total=total,
            max_total=max_total,
            pass_score=spec.pass_score,
        )

    if out_of_range:
        return result("insufficient_data", f"{rule.label}：得分超出范围：{'、'.join(out_of_range)}")
    if missing:
        return result("insufficient_data", f"{rule.label}：缺少评分：{'、'.join(missing)}")
    total = math.fsum(i.weighted or 0.0 for i in items)
    shown = f"{rule.label}：总分 {fmt(total, 2)}/{fmt(max_total, 2)}"
    if spec.pass_score is None:
        return result("pass", shown, total)
    ok = compare(total, ">=", spec.pass_score)
    verdict = "达到" if ok else "未达到"
    return result(
        "pass" if ok else "fail", f"{shown}，{verdict}合格线 {fmt(spec.pass_score)}", total
    )


def evaluate_grading(
    spec: GradingSpec, score: InputValue, *, rule: RuleRef, missing_reason: str | None = None
) -> GradingResult:
    """The highest band whose ``min_score`` the score reaches; passes if that grade is passing."""
    number = _number(score)
    bands = [(b.grade, b.min_score) for b in spec.ordered_bands()]
    inputs: dict[str, InputValue] = {spec.input or f"{spec.source}.total": score}

    def result(outcome: Outcome, reason: str, grade: str | None = None) -> GradingResult:
        return GradingResult(
            rule=rule,
            outcome=outcome,
            reason=reason,
            inputs=inputs,
            score=number,
            grade=grade,
            bands=bands,
            passing_grades=list(spec.passing_grades),
        )

    if number is None:
        return result(
            "insufficient_data", missing_reason or f"{rule.label}：缺少得分，无法评定等级"
        )
    grade = next((g for g, minimum in bands if compare(number, ">=", minimum)), None)
    if grade is None:
        return result(
            "fail", f"{rule.label}：得分 {fmt(number)}，低于最低等级线 {fmt(bands[-1][1])}"
        )
    ok = grade in spec.passing_grades
    return result(
        "pass" if ok else "fail", f"{rule.label}：得分 {fmt(number)}，评定为{grade}", grade
    )


def evaluate_veto(spec: VetoSpec, flags: Mapping[str, InputValue], *, rule: RuleRef) -> VetoResult:
    """Fails when any veto condition happened; insufficient when one is unconfirmed."""
    items = []
    for item in spec.items:
        value = _flag(flags.get(item.key))
        items.append(VetoItemResult(key=item.key, name=item.name, value=value, triggered=value))
    triggered = [i for i in items if i.triggered]
    unknown = [i for i in items if i.triggered is None]
    inputs = {i.key: flags.get(i.key) for i in spec.items}
    outcome: Outcome
    if triggered:
        outcome = "fail"
        reason = f"一票否决：{'、'.join(i.name for i in triggered)}"
    elif unknown:
        outcome = "insufficient_data"
        reason = f"{rule.label}：尚未确认是否存在：{'、'.join(i.name for i in unknown)}"
    else:
        outcome = "pass"
        reason = f"{rule.label}：未发现一票否决情形"
    return VetoResult(
        rule=rule,
        outcome=outcome,
        reason=reason,
        inputs=inputs,
        items=items,
        triggered=[i.key for i in triggered],
    )


# --- the combinator -----------------------------------------------------------------------------


def rule_for(framework: ResolvedFramework, node: IndicatorNode) -> RuleRef:
    return RuleRef(
        framework_code=framework.code,
        framework_version=framework.version,
        indicator_code=node.code,
        indicator_name=node.name,
        overlays=list(framework.changed_by.get(node.code, [])),
    )


def evaluate_framework(
    framework: Framework | ResolvedFramework, inputs: FrameworkInputs | Mapping[str, Any]
) -> FrameworkResult:
    """Evaluate every indicator and give the verdict.

    ``fail`` if a required item fails or any veto triggers (a veto counts even on an item that is
    otherwise not required); else ``insufficient_data`` if a required item lacks data; else
    ``pass``. With a ``grade_indicator``, the grade comes from that leaf, and a veto forces the
    lowest band.
    """
    resolved = as_resolved(framework)
    data = inputs if isinstance(inputs, FrameworkInputs) else FrameworkInputs.model_validate(inputs)
    _check_sources(resolved)
    memo: dict[str, LeafResult] = {}

    def leaf(node: IndicatorNode) -> LeafResult:
        if node.code not in memo:
            memo[node.code] = _evaluate_leaf(resolved, node, data, leaf)
        return memo[node.code]

    def visit(node: IndicatorNode) -> NodeResult:
        if node.evaluator is not None:
            result = leaf(node)
            return NodeResult(
                code=node.code,
                name=node.name,
                required=node.required,
                veto=node.veto or isinstance(node.evaluator, VetoSpec),
                outcome=result.outcome,
                reason=result.reason,
                result=result,
            )
        children = [visit(c) for c in node.children]
        outcome = combine_outcomes([c.outcome for c in children if c.required])
        return NodeResult(
            code=node.code,
            name=node.name,
            required=node.required,
            veto=node.veto,
            outcome=outcome,
            reason=_group_reason(node.name, children, outcome),
            children=children,
        )

    nodes = [visit(n) for n in resolved.indicators]
    vetoes = [n for n in _walk_results(nodes) if n.veto and n.outcome == "fail"]
    vetoed = bool(vetoes)
    outcome: Outcome = (
        "fail" if vetoed else combine_outcomes([n.outcome for n in nodes if n.required])
    )

    reasons: list[str] = [
        f"[{n.code}] {n.reason}"
        if n.reason.startswith("一票否决")
        else f"[{n.code}] 一票否决 — {n.reason}"
        for n in vetoes
    ]
    for wanted in ("fail", "insufficient_data"):
        for node in _required_leaves(nodes):
            if node.outcome == wanted and node not in vetoes:
                reasons.append(f"[{node.code}] {node.reason}")

    grade = None
    if resolved.grade_indicator is not None:
        grading = resolved.find(resolved.grade_indicator)
        graded = memo.get(resolved.grade_indicator)
        if vetoed and grading is not None and isinstance(grading.evaluator, GradingSpec):
            grade = grading.evaluator.ordered_bands()[-1].grade
        elif isinstance(graded, GradingResult):
            grade = graded.grade

    return FrameworkResult(
        framework_id=resolved.id,
        framework_code=resolved.code,
        framework_version=resolved.version,
        framework_name=resolved.name,
        basis=resolved.basis,
        as_of=resolved.as_of,
        overlays=list(resolved.overlays),
        outcome=outcome,
        passed=outcome == "pass",
        vetoed=vetoed,
        grade=grade,
        reasons=reasons,
        nodes=nodes,
        inputs=data,
    )


def _check_sources(framework: ResolvedFramework) -> None:
    for node in framework.leaves():
        spec = node.evaluator
        if isinstance(spec, GradingSpec) and spec.source is not None:
            source = framework.find(spec.source)
            if source is None or not isinstance(source.evaluator, RubricSpec):
                raise FrameworkError(f"{node.code}: grading source {spec.source} is not a rubric")


def _evaluate_leaf(
    framework: ResolvedFramework,
    node: IndicatorNode,
    data: FrameworkInputs,
    leaf: Callable[[IndicatorNode], LeafResult],
) -> LeafResult:
    rule = rule_for(framework, node)
    spec = node.evaluator
    if isinstance(spec, ThresholdSpec):
        return evaluate_threshold(spec, data.values.get(spec.input), rule=rule, stage=data.stage)
    if isinstance(spec, NOfMSpec):
        return evaluate_n_of_m(spec, data.entities, rule=rule, stage=data.stage)
    if isinstance(spec, WeightedCVSpec):
        return evaluate_weighted_cv(spec, data.entities, rule=rule, stage=data.stage)
    if isinstance(spec, RubricSpec):
        return evaluate_rubric(spec, data.values, rule=rule)
    if isinstance(spec, GradingSpec):
        if spec.input is not None:
            return evaluate_grading(spec, data.values.get(spec.input), rule=rule)
        assert spec.source is not None
        source_node = framework.find(spec.source)
        assert source_node is not None
        source = leaf(source_node)
        total = source.total if isinstance(source, RubricResult) else None
        why = f"{rule.label}：评分不完整（{source.reason}）" if total is None else None
        return evaluate_grading(spec, total, rule=rule, missing_reason=why)
    if isinstance(spec, VetoSpec):
        return evaluate_veto(spec, data.values, rule=rule)
    raise FrameworkError(f"{node.code}: no evaluator")


def _group_reason(name: str, children: list[NodeResult], outcome: Outcome) -> str:
    required = [c for c in children if c.required]
    if outcome == "pass":
        return f"{name}：{len(required)}项均达到要求"
    bad = [c.code for c in required if c.outcome == outcome]
    what = "未达到要求" if outcome == "fail" else "缺少数据"
    return f"{name}：{len(bad)}项{what}（{'、'.join(bad)}）"


def _walk_results(nodes: Sequence[NodeResult]) -> list[NodeResult]:
    out: list[NodeResult] = []
    for node in nodes:
        out.append(node)
        out.extend(_walk_results(node.children))
    return out


def _required_leaves(nodes: Sequence[NodeResult]) -> list[NodeResult]:
    out: list[NodeResult] = []
    for node in nodes:
        if not node.required:
            continue
        if node.result is not None:
            out.append(node)
        else:
            out.extend(_required_leaves(node.children))
    return out


NodeResult.model_rebuild()
