"""Supervision frameworks (督导评估指标体系) as versioned, serialisable data.

A framework is a tree of indicators whose leaves name an evaluator (see ``evaluators.py``). The
supervision service stores frameworks as JSON documents validated by :class:`Framework`; national
baselines are overlaid by provincial and city frameworks that change thresholds by indicator code
(the 6000 vs 8000 元 and 85 % vs 90 % disagreements in the anchors are exactly such overlays).
:func:`resolve` turns a baseline plus its overlays into the rule set in force on a given date.

Conventions kept across all frameworks:

- rates are percentages on a 0-100 scale, as the policy texts write them (85 % → ``85``);
- coefficients of variation and floor fractions are plain fractions (0.50, 0.85);
- ``effective_to`` is the last day a framework is in force (inclusive), as policy texts state it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Stage = Literal["primary", "junior"]
Level = Literal["national", "provincial", "city", "county"]
Comparator = Literal[">=", ">", "<=", "<", "==", "is_true"]
Outcome = Literal["pass", "fail", "insufficient_data"]

STAGE_NAMES: dict[Stage, str] = {"primary": "小学", "junior": "初中"}
LEVEL_ORDER: dict[Level, int] = {"national": 0, "provincial": 1, "city": 2, "county": 3}

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Key = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")]
# One number for every stage, or one per stage ({"primary": 4.2, "junior": 5.3}).
StageThreshold = float | dict[Stage, float]


class _Model(BaseModel):
    # Stored documents are edited by hand in consoles; a misspelt key must be an error, not a
    # silently ignored field.
    model_config = ConfigDict(extra="forbid", frozen=True)


def threshold_for(value: StageThreshold | None, stage: Stage | None) -> float | None:
    """The threshold that applies to ``stage``; ``None`` when there is none for it."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(stage) if stage is not None else None
    return value


def merge_threshold(old: StageThreshold | None, new: StageThreshold) -> StageThreshold:
    """An overlay that names only some stages keeps the parent's other stages."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {**old, **new}
    return new


# --- evaluator specs --------------------------------------------------------------------------


class ThresholdSpec(_Model):
    """One county-level value compared with a threshold (e.g. 随迁子女在公办学校就读比例 ≥ 85 %).

    ``is_true`` is for items judged on evidence (规划布局合理 …): the input is the inspectors'
    yes/no finding and there is no threshold.
    """

    kind: Literal["threshold"] = "threshold"
    input: Key
    comparator: Comparator = ">="
    threshold: StageThreshold | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _threshold_matches_comparator(self) -> ThresholdSpec:
        if self.comparator == "is_true" and self.threshold is not None:
            raise ValueError("comparator 'is_true' takes no threshold")
        if self.comparator != "is_true" and self.threshold is None:
            raise ValueError(f"comparator {self.comparator!r} needs a threshold")
        return self


class NOfMMember(_Model):
    """One per-entity indicator of an N-of-M group; met when the value is ≥ its threshold."""

    key: Key
    name: str
    unit: str = ""
    threshold: StageThreshold
    note: str | None = None


class NOfMSpec(_Model):
    """Each entity (school) meets at least ``min_met`` members and every missed member still
    reaches ``floor_fraction`` × its threshold (教督〔2017〕6号: 6 of 7, the rest ≥ 85 %)."""

    kind: Literal["n_of_m"] = "n_of_m"
    members: list[NOfMMember] = Field(min_length=1)
    min_met: int = Field(ge=0)
    floor_fraction: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> NOfMSpec:
        keys = [m.key for m in self.members]
        if len(set(keys)) != len(keys):
            raise ValueError("n_of_m member keys must be unique")
        if self.min_met > len(self.members):
            raise ValueError("min_met cannot exceed the number of members")
        return self

    def member(self, key: str) -> NOfMMember | None:
        return next((m for m in self.members if m.key == key), None)


class WeightedCVSpec(_Model):
    """Enrolment-weighted coefficient of variation of one per-entity indicator ≤ ``limit``.

    Computed per stage over the entities of that stage: X̄ = ΣPᵢxᵢ/ΣPᵢ,
    S = √(Σ(Pᵢ/ΣPᵢ)(xᵢ−X̄)²), CV = S/X̄, with Pᵢ the entity's weight (enrolment).
    """

    kind: Literal["weighted_cv"] = "weighted_cv"
    indicator: Key
    limit: StageThreshold


class RubricItem(_Model):
    key: Key
    name: str
    max_score: float = Field(gt=0)
    weight: float = Field(default=1.0, gt=0)
    note: str | None = None


class RubricSpec(_Model):
    """Weighted item scores → total = Σ weightᵢ × scoreᵢ (each score in [0, max_score]).

    Without ``pass_score`` the rubric only produces a total, usually for a ``grading`` leaf; its
    node should then be ``required=False`` so the total alone decides nothing.
    """

    kind: Literal["rubric"] = "rubric"
    items: list[RubricItem] = Field(min_length=1)
    pass_score: float | None = None

    @model_validator(mode="after")
    def _unique_items(self) -> RubricSpec:
        keys = [i.key for i in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError("rubric item keys must be unique")
        return self

    @property
    def max_total(self) -> float:
        return sum(i.weight * i.max_score for i in self.items)


class GradeBand(_Model):
    grade: str = Field(min_length=1)
    min_score: float


class GradingSpec(_Model):
    """Score bands → a grade (合格 / 基本合格 / 不合格). The score is either an input value or the
    total of a rubric leaf of the same framework (``source`` = that leaf's code)."""

    kind: Literal["grading"] = "grading"
    input: Key | None = None
    source: Code | None = None
    bands: list[GradeBand] = Field(min_length=1)
    passing_grades: list[str] = Field(default_factory=lambda: ["合格", "基本合格"])

    @model_validator(mode="after")
    def _consistent(self) -> GradingSpec:
        if (self.input is None) == (self.source is None):
            raise ValueError("grading needs exactly one of 'input' or 'source'")
        grades = [b.grade for b in self.bands]
        if len(set(grades)) != len(grades):
            raise ValueError("grade labels must be unique")
        if len({b.min_score for b in self.bands}) != len(self.bands):
            raise ValueError("grade bands must have distinct min_score")
        unknown = set(self.passing_grades) - set(grades)
        if unknown:
            raise ValueError(f"passing_grades not among the bands: {sorted(unknown)}")
        return self

    def ordered_bands(self) -> list[GradeBand]:
        return sorted(self.bands, key=lambda b: b.min_score, reverse=True)


class VetoItem(_Model):
    """A condition that, when it happened (input ``true``), fails the whole evaluation."""

    key: Key
    name: str
    note: str | None = None


class VetoSpec(_Model):
    kind: Literal["veto"] = "veto"
    items: list[VetoItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_items(self) -> VetoSpec:
        keys = [i.key for i in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError("veto item keys must be unique")
        return self


EvaluatorSpec = Annotated[
    ThresholdSpec | NOfMSpec | WeightedCVSpec | RubricSpec | GradingSpec | VetoSpec,
    Field(discriminator="kind"),
]


# --- the tree -----------------------------------------------------------------------------------


class IndicatorNode(_Model):
    """A node of the indicator tree. Leaves carry an evaluator; inner nodes group children.

    ``required`` nodes decide the verdict; ``veto`` marks a node whose failure is a one-vote veto
    (一票否决) — reported as such and, in graded frameworks, forcing the lowest grade.
    """

    code: Code
    name: str = Field(min_length=1)
    note: str | None = None
    required: bool = True
    veto: bool = False
    evaluator: EvaluatorSpec | None = None
    children: list[IndicatorNode] = Field(default_factory=list)

    @model_validator(mode="after")
    def _leaf_or_group(self) -> IndicatorNode:
        if self.evaluator is None and not self.children:
            raise ValueError(f"indicator {self.code}: needs an evaluator or children")
        if self.evaluator is not None and self.children:
            raise ValueError(f"indicator {self.code}: a leaf with an evaluator has no children")
        return self

    @property
    def is_leaf(self) -> bool:
        return self.evaluator is not None

    def walk(self) -> Iterator[IndicatorNode]:
        yield self
        for child in self.children:
            yield from child.walk()


def walk_nodes(nodes: Sequence[IndicatorNode]) -> Iterator[IndicatorNode]:
    for node in nodes:
        yield from node.walk()


class FrameworkRef(_Model):
    """Names a framework; ``version=None`` matches any version of ``code``."""

    code: Code
    version: str | None = None

    def matches(self, code: str, version: str) -> bool:
        return self.code == code and (self.version is None or self.version == version)


class ThresholdOverride(_Model):
    """An overlay's change to one indicator of its parent, addressed by indicator code.

    ``threshold`` replaces a ``threshold`` leaf's threshold, a ``weighted_cv`` leaf's limit, a
    ``rubric`` leaf's pass score, or (with ``member``) one member of an ``n_of_m`` group. A
    per-stage threshold that names only some stages keeps the parent's other stages.
    """

    indicator: Code
    member: Key | None = None
    threshold: StageThreshold | None = None
    min_met: int | None = Field(default=None, ge=0)
    floor_fraction: float | None = Field(default=None, gt=0, le=1)
    note: str | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> ThresholdOverride:
        if self.threshold is None and self.min_met is None and self.floor_fraction is None:
            raise ValueError(f"override of {self.indicator} changes nothing")
        return self


class Framework(_Model):
    """A versioned framework: a national baseline, or an overlay of a ``parent`` framework.

    An overlay's ``overrides`` change its parent's thresholds; its ``indicators`` (if any) are
    added to the parent's tree as extra top-level indicators (e.g. a city's own local item).
    """

    id: str = Field(min_length=1)
    code: Code
    name: str = Field(min_length=1)
    version: str = Field(min_length=1, max_length=32)
    basis: str = Field(min_length=1, description="依据文件, e.g. 教督〔2017〕6号")
    level: Level
    effective_from: date
    effective_to: date | None = None
    parent: FrameworkRef | None = None
    note: str | None = None
    grade_indicator: Code | None = Field(
        default=None, description="code of the grading leaf that gives the overall grade"
    )
    indicators: list[IndicatorNode] = Field(default_factory=list)
    overrides: list[ThresholdOverride] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        if self.parent is None and self.overrides:
            raise ValueError("only an overlay (a framework with a parent) can override thresholds")
        if self.parent is None and not self.indicators:
            raise ValueError("a framework without a parent needs indicators")
        codes = [n.code for n in walk_nodes(self.indicators)]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"indicator codes must be unique: {duplicates}")
        return self

    @property
    def ref(self) -> str:
        return f"{self.code}@{self.version}"

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


# --- resolution --------------------------------------------------------------------------------


class FrameworkError(ValueError):
    """A framework or overlay cannot be applied as asked (configuration, not evaluation, error)."""


class ResolvedFramework(_Model):
    """The effective indicator set of a framework on a date, with its overlays applied."""

    id: str
    code: str
    name: str
    version: str
    basis: str
    as_of: date | None
    overlays: list[str] = Field(default_factory=list, description="applied overlays, code@version")
    grade_indicator: str | None = None
    indicators: list[IndicatorNode]
    # indicator code → overlays (code@version) that changed it, in application order; kept so a
    # result can say which local rule produced its threshold.
    changed_by: dict[str, list[str]] = Field(default_factory=dict)

    def nodes(self) -> Iterator[IndicatorNode]:
        return walk_nodes(self.indicators)

    def find(self, code: str) -> IndicatorNode | None:
        return next((n for n in self.nodes() if n.code == code), None)

    def leaves(self) -> Iterator[IndicatorNode]:
        return (n for n in self.nodes() if n.is_leaf)


def as_resolved(framework: Framework | ResolvedFramework) -> ResolvedFramework:
    """A framework used as is, without checking dates or applying overlays."""
    if isinstance(framework, ResolvedFramework):
        return framework
    if framework.parent is not None:
        raise FrameworkError(f"{framework.ref} is an overlay; resolve it against its parent")
    return ResolvedFramework(
        id=framework.id,
        code=framework.code,
        name=framework.name,
        version=framework.version,
        basis=framework.basis,
        as_of=None,
        grade_indicator=framework.grade_indicator,
        indicators=list(framework.indicators),
    )


def resolve(framework: Framework, overlays: Sequence[Framework], as_of: date) -> ResolvedFramework:
    """The indicator set in force on ``as_of``: ``framework`` with the applicable overlays.

    ``overlays`` may hold every stored overlay; those not in force on ``as_of`` or not descending
    from ``framework`` are skipped. When several versions of one overlay code are in force, the
    one that took effect last wins. Overlays apply from the highest level down (provincial before
    city before county), so the most local rule has the last word.
    """
    if framework.parent is not None:
        raise FrameworkError(f"{framework.ref} is an overlay, not a baseline")
    if not framework.in_force(as_of):
        raise FrameworkError(f"{framework.ref} is not in force on {as_of.isoformat()}")

    latest: dict[str, Framework] = {}
    for overlay in overlays:
        if overlay.parent is None or not overlay.in_force(as_of):
            continue
        current = latest.get(overlay.code)
        if current is None or (overlay.effective_from, overlay.version) > (
            current.effective_from,
            current.version,
        ):
            latest[overlay.code] = overlay

    # Keep only overlays that chain back to the baseline through other chosen overlays. Appending
    # in level order as parents become known gives an order where a parent always precedes its
    # overlays, so the most local rule is applied last.
    chain: list[Framework] = []
    known: list[tuple[str, str]] = [(framework.code, framework.version)]
    pending = sorted(latest.values(), key=lambda o: (LEVEL_ORDER[o.level], o.effective_from))
    progress = True
    while pending and progress:
        progress = False
        for overlay in list(pending):
            assert overlay.parent is not None
            parent = overlay.parent
            if any(parent.matches(code, version) for code, version in known):
                chain.append(overlay)
                known.append((overlay.code, overlay.version))
                pending.remove(overlay)
                progress = True

    indicators = list(framework.indicators)
    changed_by: dict[str, list[str]] = {}
    grade_indicator = framework.grade_indicator
    for overlay in chain:
        existing = {n.code for n in walk_nodes(indicators)}
        clash = sorted(existing & {n.code for n in walk_nodes(overlay.indicators)})
        if clash:
            raise FrameworkError(f"{overlay.ref} adds indicators that already exist: {clash}")
        indicators = [*indicators, *overlay.indicators]
        for override in overlay.overrides:
            indicators = _apply_override(indicators, override, overlay.ref)
            changed_by.setdefault(override.indicator, []).append(overlay.ref)
        if overlay.grade_indicator is not None:
            grade_indicator = overlay.grade_indicator

    resolved = ResolvedFramework(
        id=framework.id,
        code=framework.code,
        name=framework.name,
        version=framework.version,
        basis=framework.basis,
        as_of=as_of,
        overlays=[o.ref for o in chain],
        grade_indicator=grade_indicator,
        indicators=indicators,
        changed_by=changed_by,
    )
    if grade_indicator is not None:
        node = resolved.find(grade_indicator)
        if node is None or not isinstance(node.evaluator, GradingSpec):
            raise FrameworkError(f"grade_indicator {grade_indicator} is not a grading indicator")
    return resolved


def _apply_override(
    nodes: list[IndicatorNode], override: ThresholdOverride, source: str
) -> list[IndicatorNode]:
    found = False

    def rewrite(node: IndicatorNode) -> IndicatorNode:
        nonlocal found
        if node.code == override.indicator:
            found = True
            if node.evaluator is None:
                raise FrameworkError(f"{source}: {node.code} is a group, not an evaluated item")
            return node.model_copy(update={"evaluator": _override_spec(node, override, source)})
        if not node.children:
            return node
        return node.model_copy(update={"children": [rewrite(c) for c in node.children]})

    out = [rewrite(n) for n in nodes]
    if not found:
        raise FrameworkError(f"{source}: no indicator {override.indicator} to override")
    return out


def _override_spec(
    node: IndicatorNode, override: ThresholdOverride, source: str
) -> ThresholdSpec | NOfMSpec | WeightedCVSpec | RubricSpec | GradingSpec | VetoSpec:
    spec = node.evaluator
    new = override.threshold
    where = f"{source}: {node.code}"
    if isinstance(spec, NOfMSpec):
        members = spec.members
        if new is not None:
            if override.member is None:
                raise FrameworkError(f"{where}: name the n_of_m member whose threshold changes")
            member = spec.member(override.member)
            if member is None:
                raise FrameworkError(f"{where}: no member {override.member}")
            changed = member.model_copy(
                update={"threshold": merge_threshold(member.threshold, new)}
            )
            members = [changed if m.key == member.key else m for m in spec.members]
        # Built anew rather than copied so the group is re-validated (min_met ≤ members).
        return NOfMSpec(
            members=members,
            min_met=spec.min_met if override.min_met is None else override.min_met,
            floor_fraction=(
                spec.floor_fraction if override.floor_fraction is None else override.floor_fraction
            ),
        )
    if (
        override.member is not None
        or override.min_met is not None
        or override.floor_fraction is not None
    ):
        raise FrameworkError(f"{where}: member/min_met/floor_fraction apply to n_of_m only")
    assert new is not None
    if isinstance(spec, ThresholdSpec):
        if spec.comparator == "is_true":
            raise FrameworkError(f"{where}: a yes/no item has no threshold to override")
        return spec.model_copy(update={"threshold": merge_threshold(spec.threshold, new)})
    if isinstance(spec, WeightedCVSpec):
        return spec.model_copy(update={"limit": merge_threshold(spec.limit, new)})
    if isinstance(spec, RubricSpec):
        if isinstance(new, dict):
            raise FrameworkError(f"{where}: a rubric pass score is one number")
        return spec.model_copy(update={"pass_score": new})
    raise FrameworkError(f"{where}: {type(spec).__name__} has no threshold to override")


IndicatorNode.model_rebuild()
