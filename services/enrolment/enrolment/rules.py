"""Priority batches as data: a membership rule over the family's facts, an order inside the
batch, the documents the batch requires, and the reason shown to the family in plain Chinese.

A rule is a small JSON tree, checked when the cycle is saved:

    {"all": [rule, …]}   {"any": [rule, …]}   {"not": rule}
    {"fact": "hukou_in_catchment"}                       (true when the fact is true)
    {"fact": "hukou_years", "op": "ge", "value": 1}     (eq ne gt ge lt le contains)

The first batch whose rule holds is the child's batch. Its `order` turns facts into the numeric
key the admission engine compares (smaller first): dates become day numbers, `desc` negates.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

FactKind = Literal["bool", "number", "date", "list"]


@dataclass(frozen=True, slots=True)
class FactSpec:
    kind: FactKind
    label: str
    """Chinese, phrased as the statement that holds when the fact is true."""
    negated: str = ""
    """Chinese, for a false boolean."""


FACTS: dict[str, FactSpec] = {
    "hukou_in_catchment": FactSpec("bool", "户籍在该校招生地段内", "户籍不在该校招生地段内"),
    "property_in_catchment": FactSpec("bool", "房产在该校招生地段内", "房产不在该校招生地段内"),
    "hukou_matches_property": FactSpec(
        "bool", "户籍地址与房产地址一致（房户一致）", "户籍地址与房产地址不一致"
    ),
    "has_property": FactSpec("bool", "家庭有房产", "家庭无房产"),
    "property_sole": FactSpec("bool", "房产为独有产权", "房产不是独有产权"),
    "property_family_owned": FactSpec(
        "bool", "房产为父母或儿童本人所有", "房产不属于父母或儿童本人"
    ),
    "lives_at_property": FactSpec("bool", "在该房产实际居住", "未在该房产实际居住"),
    "hukou_in_district": FactSpec("bool", "户籍在本区", "户籍不在本区"),
    "hukou_in_city": FactSpec("bool", "户籍在南宁市", "户籍不在南宁市"),
    "property_in_district": FactSpec("bool", "房产在本区", "房产不在本区"),
    "three_generations": FactSpec("bool", "三代同堂（随祖辈户籍居住）", "不属于三代同堂"),
    "migrant": FactSpec("bool", "随迁子女（非南宁户籍）", "不是随迁子女"),
    "residence_permits_both": FactSpec(
        "bool", "父母双方持有本区居住证", "父母双方未都持有本区有效居住证"
    ),
    "has_residence_proof": FactSpec("bool", "有合法稳定住所证明", "缺少住所证明"),
    "has_employment_proof": FactSpec("bool", "有就业或纳税证明", "缺少就业证明"),
    "property_share": FactSpec("number", "家庭产权份额"),
    "hukou_years": FactSpec("number", "户籍迁入年限（年）"),
    "social_insurance_months": FactSpec("number", "社保缴纳月数"),
    "hukou_move_in_date": FactSpec("date", "户籍迁入日期"),
    "property_handover_date": FactSpec("date", "房产交付（登记）日期"),
    "claims": FactSpec("list", "政策性照顾类别"),
}

OPERATORS = {
    "eq": "为",
    "ne": "不为",
    "gt": "大于",
    "ge": "不少于",
    "lt": "小于",
    "le": "不超过",
    "contains": "包含",
}


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    all: list["Rule"] | None = None
    any: list["Rule"] | None = None
    not_: "Rule | None" = Field(default=None, alias="not")
    fact: str | None = None
    op: Literal["eq", "ne", "gt", "ge", "lt", "le", "contains"] | None = None
    value: bool | float | int | str | None = None

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        return {key: value for key, value in dumped.items() if value is not None}

    @model_validator(mode="after")
    def _one_form(self) -> "Rule":
        forms = [
            self.all is not None,
            self.any is not None,
            self.not_ is not None,
            self.fact is not None,
        ]
        if sum(forms) != 1:
            raise ValueError("a rule is exactly one of all / any / not / fact")
        if self.fact is not None:
            spec = FACTS.get(self.fact)
            if spec is None:
                raise ValueError(f"unknown fact {self.fact!r}; known: {', '.join(FACTS)}")
            if self.op is None:
                if spec.kind != "bool":
                    raise ValueError(f"fact {self.fact!r} needs an op and a value")
            elif self.value is None:
                raise ValueError("an op needs a value")
            elif spec.kind == "list" and self.op != "contains":
                raise ValueError(f"fact {self.fact!r} takes only the contains op")
            elif spec.kind != "list" and self.op == "contains":
                raise ValueError("contains applies to list facts only")
        return self


class OrderKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fact: str
    direction: Literal["asc", "desc"] = "asc"

    @field_validator("fact")
    @classmethod
    def _orderable(cls, value: str) -> str:
        spec = FACTS.get(value)
        if spec is None or spec.kind not in ("number", "date"):
            orderable = [name for name, fact in FACTS.items() if fact.kind in ("number", "date")]
            raise ValueError(f"order by a number or date fact: {', '.join(orderable)}")
        return value


class BatchRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=100)
    reason: str = Field(
        min_length=1, max_length=300, description="Shown to the family, plain Chinese."
    )
    rule: Rule
    order: list[OrderKey] = Field(default_factory=list, max_length=5)
    required_documents: list[list[str]] = Field(
        default_factory=list,
        max_length=20,
        description="Groups of document kinds; each group needs one of its kinds (e.g. one of four residence proofs).",
    )


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    match op:
        case "eq":
            return bool(actual == expected)
        case "ne":
            return bool(actual != expected)
        case "gt":
            return bool(actual > expected)
        case "ge":
            return bool(actual >= expected)
        case "lt":
            return bool(actual < expected)
        case "le":
            return bool(actual <= expected)
        case "contains":
            return expected in actual
    return False


def holds(rule: Rule, facts: Mapping[str, Any]) -> bool:
    if rule.all is not None:
        return all(holds(part, facts) for part in rule.all)
    if rule.any is not None:
        return any(holds(part, facts) for part in rule.any)
    if rule.not_ is not None:
        return not holds(rule.not_, facts)
    assert rule.fact is not None
    actual = facts.get(rule.fact)
    if rule.op is None:
        return bool(actual)
    return _compare(rule.op, actual, rule.value)


def describe(rule: Rule, facts: Mapping[str, Any]) -> str:
    """Why a rule did not hold, in Chinese: the first failing condition."""
    if rule.all is not None:
        for part in rule.all:
            if not holds(part, facts):
                return describe(part, facts)
        return ""
    if rule.any is not None:
        return "以下条件均不满足：" + "；".join(describe(part, facts) for part in rule.any)
    if rule.not_ is not None:
        inner = rule.not_
        if inner.fact is not None and inner.op is None:
            return FACTS[inner.fact].label
        return "不应满足：" + _statement(inner)
    assert rule.fact is not None
    spec = FACTS[rule.fact]
    if rule.op is None:
        return spec.negated or f"不满足：{spec.label}"
    actual = facts.get(rule.fact)
    shown = "无" if actual is None else (round(actual, 2) if isinstance(actual, float) else actual)
    return f"{spec.label}应{OPERATORS[rule.op]}{rule.value}（实际：{shown}）"


def _statement(rule: Rule) -> str:
    if rule.fact is None:
        return "组合条件"
    spec = FACTS[rule.fact]
    if rule.op is None:
        return spec.label
    return f"{spec.label}{OPERATORS[rule.op]}{rule.value}"


@dataclass(frozen=True, slots=True)
class BatchDecision:
    order: int
    """1 for the first batch."""
    batch: BatchRule
    key: tuple[float, ...]
    """(batch order, the batch's order facts…), smaller first."""
    explanation: list[str]
    """For each earlier batch, why the child is not in it."""


def _key_part(value: Any, direction: str) -> float:
    if value is None:
        # Missing dates or numbers sort last inside the batch, whatever the direction.
        return float("inf")
    number = float(value.toordinal()) if isinstance(value, date) else float(value)
    return -number if direction == "desc" else number


def decide(batches: Sequence[BatchRule], facts: Mapping[str, Any]) -> BatchDecision | None:
    explanation: list[str] = []
    for position, batch in enumerate(batches, start=1):
        if holds(batch.rule, facts):
            key = (
                float(position),
                *(_key_part(facts.get(o.fact), o.direction) for o in batch.order),
            )
            return BatchDecision(position, batch, key, explanation)
        explanation.append(f"未进入「{batch.name}」：{describe(batch.rule, facts)}")
    return None


def missing_documents(required: Sequence[Sequence[str]], present: set[str]) -> list[list[str]]:
    return [list(group) for group in required if group and not present.intersection(group)]


def _fact(name: str, op: str | None = None, value: Any = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"fact": name}
    if op is not None:
        rule.update(op=op, value=value)
    return rule


HUKOU = ["hukou_book"]
PROPERTY = ["property_certificate", "real_estate_certificate", "purchase_contract"]


def nanning_batches() -> list[dict[str, Any]]:
    """Nanning's ladder at an oversubscribed public school (DESIGN §4; district 简章 2020–2024)."""
    return [
        {
            "code": "hukou_property_sole",
            "name": "第一批次：房户一致（独有产权）",
            "reason": "户籍与房产均在学区内，房产为独有产权，按户籍迁入时间排序",
            "rule": {
                "all": [
                    _fact("hukou_in_catchment"),
                    _fact("property_in_catchment"),
                    _fact("hukou_matches_property"),
                    _fact("property_sole"),
                    _fact("property_family_owned"),
                    _fact("lives_at_property"),
                ]
            },
            "order": [{"fact": "hukou_move_in_date"}],
            "required_documents": [HUKOU, PROPERTY],
        },
        {
            "code": "property_sole",
            "name": "第二批次：学区内独有产权，户籍在本区其他地址",
            "reason": "房产在学区内且为独有产权，户籍在本区但不在该房产，按房产交付时间排序",
            "rule": {
                "all": [
                    _fact("property_in_catchment"),
                    _fact("property_sole"),
                    _fact("property_family_owned"),
                    _fact("hukou_in_district"),
                ]
            },
            "order": [{"fact": "property_handover_date"}],
            "required_documents": [HUKOU, PROPERTY],
        },
        {
            "code": "property_shared",
            "name": "第三批次：学区内共有产权",
            "reason": "房产在学区内但为共有产权，按家庭产权份额从高到低排序，份额相同按房产交付时间排序",
            "rule": {
                "all": [
                    _fact("property_in_catchment"),
                    {"not": _fact("property_sole")},
                    _fact("hukou_in_district"),
                ]
            },
            "order": [
                {"fact": "property_share", "direction": "desc"},
                {"fact": "property_handover_date"},
            ],
            "required_documents": [HUKOU, PROPERTY],
        },
        {
            "code": "three_generations",
            "name": "第四批次：三代同堂",
            "reason": "随祖辈户籍在学区内居住（三代同堂），按户籍迁入时间排序",
            "rule": {"all": [_fact("hukou_in_catchment"), _fact("three_generations")]},
            "order": [{"fact": "hukou_move_in_date"}],
            "required_documents": [HUKOU],
        },
        {
            "code": "hukou_no_property_1y",
            "name": "第五批次：有户无房（户籍满一年）",
            "reason": "户籍在学区内满一年，家庭在学区内无房产，按户籍迁入时间排序",
            "rule": {
                "all": [
                    _fact("hukou_in_catchment"),
                    {"not": _fact("property_in_catchment")},
                    _fact("hukou_years", "ge", 1),
                ]
            },
            "order": [{"fact": "hukou_move_in_date"}],
            "required_documents": [HUKOU],
        },
        {
            "code": "other_district_owner",
            "name": "第六批次：外区户籍，本区学区内有房",
            "reason": "房产在学区内，户籍在南宁市其他城区，按房产交付时间排序",
            "rule": {
                "all": [
                    _fact("property_in_catchment"),
                    _fact("hukou_in_city"),
                    {"not": _fact("hukou_in_district")},
                ]
            },
            "order": [{"fact": "property_handover_date"}],
            "required_documents": [HUKOU, PROPERTY],
        },
        {
            "code": "hukou_no_property_new",
            "name": "第七批次：有户无房（户籍不满一年）",
            "reason": "户籍在学区内不满一年，家庭在学区内无房产，按户籍迁入时间排序",
            "rule": {"all": [_fact("hukou_in_catchment"), _fact("hukou_years", "lt", 1)]},
            "order": [{"fact": "hukou_move_in_date"}],
            "required_documents": [HUKOU],
        },
        {
            "code": "migrant",
            "name": "随迁子女",
            "reason": "随迁子女，父母持本区居住证并有住所和就业证明，由教育局按居住证相对就近统筹安排，按社保缴纳月数排序",
            "rule": {
                "all": [
                    _fact("migrant"),
                    _fact("residence_permits_both"),
                    _fact("has_residence_proof"),
                    _fact("has_employment_proof"),
                ]
            },
            "order": [{"fact": "social_insurance_months", "direction": "desc"}],
            "required_documents": [
                HUKOU,
                ["residence_permit"],
                [*PROPERTY, "rental_contract"],
                ["labour_contract", "tax_record", "business_licence"],
            ],
        },
        {
            "code": "others",
            "name": "其他",
            "reason": "不符合以上各批次条件，学位不足时由教育局统筹安排",
            "rule": {"any": [_fact("has_property"), {"not": _fact("has_property")}]},
            "order": [],
            "required_documents": [HUKOU],
        },
    ]
