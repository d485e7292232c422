"""The parser faces whatever people upload: it must never raise, and its tree must hold."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plans.imports.deadlines import parse_deadline
from plans.imports.parser import parse_policy_text
from plans.imports.targets import extract_targets
from plans.imports.units import extract_units

FRAGMENTS = [
    "一、",
    "二、",
    "十一、",
    "（一）",
    "(二)",
    "（三",
    "1.",
    "2．",
    "3、",
    "1.5",
    "（1）",
    "(2)",
    "3）",
    "①",
    "②",
    "行动一：",
    "专项行动二：",
    "第一章",
    "第二部分",
    "第三节",
    "\n",
    "\n\n",
    "。",
    "，",
    "；",
    "：",
    "（",
    "）",
    "(",
    ")",
    "、",
    "组织实施单位：",
    "具体实施单位：",
    "牵头单位:",
    "配合：",
    "完成时限：",
    "时间：",
    "市教育局",
    "各县（市、区）人民政府",
    "各县",
    "2022年底前",
    "持续实施",
    "上半年",
    "第三季度",
    "2018—2020年",
    "到2025年，",
    "学前三年毛入园率达到",
    "97%",
    "以上",
    "分别达到",
    "95%、96%",
    "— 3 —",
    "抄送：",
    "#",
    "**",
    "  ",
    "南府办函〔2018〕402号",
    "关于印发",
    "的通知",
    "实施方案",
    "十四五",
    "二〇二二年",
    "十二月",
    "２０２２",
    "年",
    "月",
    "日",
]

documents = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=80).map(
    "".join
)


def check_tree(text: str) -> None:
    plan = parse_policy_text(text)
    refs: set[str] = set()
    for node in plan.nodes:
        assert node.ref not in refs
        if node.parent is None:
            assert node.level == 1
        else:
            assert node.parent in refs
            parent_level = next(n.level for n in plan.nodes if n.ref == node.parent)
            assert node.level == parent_level + 1
        refs.add(node.ref)
        assert all(0 < len(u.name) <= 40 for u in node.units)
        assert node.deadline is None or node.deadline.raw
    for target in plan.targets:
        assert target.node is None or target.node in refs
    plan.model_dump(mode="json")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_parser_never_raises_and_parents_exist(text: str) -> None:
    check_tree(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_unicode(text: str) -> None:
    check_tree(text)


@settings(max_examples=300, deadline=None)
@given(documents, st.one_of(st.none(), st.integers(min_value=-10, max_value=20000)))
def test_pieces_never_raise(text: str, year: int | None) -> None:
    parse_deadline(text, document_year=year)
    extract_units(text)
    extract_targets(text, default_year=year)
