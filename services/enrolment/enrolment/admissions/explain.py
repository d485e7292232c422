"""Priority keys and the engine's reasons in plain Chinese, as a family reads them.

A public school's key is (batch order, the batch's order facts…) as `enrolment.rules.decide`
builds it: dates are day numbers, `desc` facts are negated, a missing fact is the largest number
(it sorts last). Reading a key back needs the cycle's batches, which say what each part means.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from enrolment.admission.engine import ChoiceExplanation, Reason
from enrolment.models import Ownership
from enrolment.rules import FACTS, BatchRule

MISSING_KEY_PART = 1e15
"""Stands for a missing date or number in a key (`rules` uses infinity, which JSON cannot carry).
Larger than any day number or count, so the order is the same."""


def finite_key(key: Sequence[float]) -> tuple[float, ...]:
    """The key with infinities replaced by `MISSING_KEY_PART`, ready for JSON and the engine."""
    return tuple(MISSING_KEY_PART if part >= MISSING_KEY_PART else float(part) for part in key)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.4g}"


def _part(fact: str, direction: str, value: float) -> str:
    spec = FACTS.get(fact)
    label = spec.label if spec is not None else fact
    if value >= MISSING_KEY_PART:
        return f"{label}：未提供（排在最后）"
    real = -value if direction == "desc" else value
    if spec is not None and spec.kind == "date":
        try:
            return f"{label} {date.fromordinal(int(real)).isoformat()}"
        except (ValueError, OverflowError):
            return f"{label} {_number(real)}"
    if fact == "property_share":
        return f"{label} {real * 100:.4g}%"
    return f"{label} {_number(real)}"


@dataclass(frozen=True, slots=True)
class KeyReader:
    """Reads keys of one cycle."""

    batches: Sequence[BatchRule]

    def batch_name(self, key: Sequence[float]) -> str | None:
        if not key:
            return None
        order = int(key[0])
        if 1 <= order <= len(self.batches):
            return self.batches[order - 1].name
        return f"第{order}顺序"

    def describe(self, key: Sequence[float], ownership: Ownership | str) -> str:
        if not key:
            if ownership == Ownership.private:
                return "民办学校报名，电脑随机录取"
            return "无优先条件，按抽签号"
        order = int(key[0])
        batch = self.batches[order - 1] if 1 <= order <= len(self.batches) else None
        name = batch.name if batch is not None else f"第{order}顺序"
        if batch is None:
            return name
        parts = [
            _part(spec.fact, spec.direction, value)
            for spec, value in zip(batch.order, key[1:], strict=False)
        ]
        return "，".join([name, *parts])


def choice_message(
    explanation: ChoiceExplanation,
    *,
    school_name: str,
    ownership: Ownership | str,
    reader: KeyReader,
) -> str:
    """Why one choice above the child's placement did not admit them."""
    quoted = f"「{school_name}」"
    match explanation.reason:
        case Reason.NOT_ELIGIBLE:
            return f"不符合{quoted}的招生条件：{explanation.note or '见招生简章'}。"
        case Reason.NO_CAPACITY:
            return f"{quoted}本次没有招生学位。"
        case Reason.LOTTERY_BELOW_CUTOFF if ownership == Ownership.private:
            return (
                f"{quoted}（民办）报名人数超过招生计划（{explanation.capacity}个学位），"
                "按公民同招规定全部报名者电脑随机录取，你的抽签号未进入录取范围。"
            )
        case Reason.LOTTERY_BELOW_CUTOFF:
            own = reader.describe(explanation.key.school_key, ownership)
            return (
                f"{quoted}{explanation.capacity}个学位已录满。你与该校最后录取的儿童同属"
                f"「{own}」，同一顺序内按抽签号从小到大录取，你的抽签号排在其后。"
            )
        case _:
            own = reader.describe(explanation.key.school_key, ownership)
            cutoff = (
                reader.describe(explanation.cutoff.school_key, ownership)
                if explanation.cutoff is not None
                else "—"
            )
            return (
                f"{quoted}{explanation.capacity}个学位已录满，录取到「{cutoff}」为止；"
                f"你的录取顺序是「{own}」，排在其后。"
            )


def admitted_message(
    *, school_name: str, ownership: Ownership | str, choice_rank: int, fallback: bool, basis: str
) -> str:
    if fallback:
        return (
            f"按公民同招规定回到地段学校「{school_name}」，按「{basis}」录取"
            "（未被民办学校录取不影响在地段学校的录取顺序）。"
        )
    kind = "（民办）" if ownership == Ownership.private else ""
    return f"被「{school_name}」{kind}录取（第{choice_rank}志愿），录取依据：{basis}。"


def summary(
    *,
    school_name: str | None,
    choice_rank: int | None,
    fallback: bool,
    had_choices: bool,
    basis: str | None,
) -> str:
    """One sentence for the family: where the child goes, or what happens next."""
    if school_name is None:
        if not had_choices:
            return (
                "暂未录取：报名地址未匹配到招生地段，将由教育局统筹安排一次学位（调剂），"
                "请留意通知。"
            )
        return (
            "暂未录取：所填报的学校均已录满（见各志愿说明），将由教育局统筹安排一次学位（调剂），"
            "请留意通知。"
        )
    if fallback:
        return f"已被地段学校「{school_name}」录取（民办学校未录取，按公民同招规定回到地段学校）。"
    return f"已被「{school_name}」录取（第{choice_rank}志愿）。录取依据：{basis}。"
