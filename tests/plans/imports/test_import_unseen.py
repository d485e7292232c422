"""Documents in styles the seeds do not use: written here, never tuned against the parser's
output line by line, to check it generalises (行动一：, （完成时限：…）, per-stage targets,
第一章, ①, half-width brackets, page furniture)."""

from datetime import date
from pathlib import Path

import pytest

from plans.imports.parser import ParsedNode, ParsedPlan, parse_policy_text

DATA = Path(__file__).parent / "data"


def parse(name: str) -> ParsedPlan:
    return parse_policy_text((DATA / name).read_text(encoding="utf-8"))


def by_ref(plan: ParsedPlan) -> dict[str, ParsedNode]:
    return {n.ref: n for n in plan.nodes}


def units(node: ParsedNode) -> list[tuple[str, str]]:
    return [(u.name, u.role) for u in node.units]


@pytest.fixture(scope="module")
def action_plan() -> ParsedPlan:
    return parse("synthetic_action_plan.txt")


@pytest.fixture(scope="module")
def stage_plan() -> ParsedPlan:
    return parse("synthetic_stage_plan.txt")


def test_action_plan_header(action_plan: ParsedPlan) -> None:
    plan = action_plan.plan
    assert plan.title == "南宁市学前教育普惠提质行动计划（2023—2025年）"
    assert plan.doc_number == "南教办〔2023〕15号"
    assert plan.issuer == "南宁市教育局办公室"
    assert plan.period is not None
    assert (plan.period.start, plan.period.end) == (2023, 2025)


def test_action_items_nest_under_the_part_that_introduces_them(action_plan: ParsedPlan) -> None:
    assert [(n.ref, n.level, n.kind) for n in action_plan.nodes] == [
        ("一", 1, "heading"),
        ("二", 1, "heading"),
        ("二/行动一", 2, "heading"),
        ("二/行动一/1", 3, "task"),
        ("二/行动一/2", 3, "task"),
        ("二/行动二", 2, "heading"),
        ("二/行动二/1", 3, "task"),
        ("二/行动二/1/（1）", 4, "task"),
        ("二/行动二/1/（2）", 4, "task"),
        ("二/行动二/2", 3, "task"),
        ("三", 1, "heading"),
        ("三/（一）", 2, "heading"),
        ("三/（二）", 2, "heading"),
    ]
    nodes = by_ref(action_plan)
    assert nodes["二/行动一"].title == "普惠资源扩容行动"
    assert nodes["二/行动一"].numbering == "行动一"
    assert nodes["二/行动一/1"].numbering == "1．"


def test_action_plan_units_and_deadlines(action_plan: ParsedPlan) -> None:
    nodes = by_ref(action_plan)
    first = nodes["二/行动一/1"]
    assert units(first) == [
        ("市教育局", "organizing"),
        ("市发展改革委", "cooperating"),
        ("市财政局", "cooperating"),
        ("各县（市、区）人民政府", "cooperating"),
    ]
    assert first.deadline is not None
    assert first.deadline.model_dump(mode="json") == {
        "raw": "2025年底前，持续实施",
        "due": "2025-12-31",
        "granularity": "year",
        "ongoing": True,
        "range_start": None,
        "year_inferred": False,
        "ambiguous": False,
    }
    half_width = nodes["二/行动一/2"]
    assert units(half_width) == [
        ("各县(市、区)人民政府", "implementing"),
        ("开发区管委会", "implementing"),
    ]
    assert half_width.deadline is not None
    assert half_width.deadline.due == date(2023, 6, 30)

    chinese_numerals = nodes["二/行动二/1"].deadline
    assert chinese_numerals is not None
    assert chinese_numerals.due == date(2023, 12, 31)
    assert units(nodes["二/行动二/1/（1）"]) == [
        ("市教育局", "organizing"),
        ("各县区教育局", "cooperating"),
    ]
    every_term = nodes["二/行动二/1/（2）"].deadline
    assert every_term is not None
    assert (every_term.ongoing, every_term.due) == (True, None)
    free_text = nodes["二/行动二/2"]
    assert units(free_text) == [("市发展改革委", "implementing"), ("市教育局", "implementing")]
    assert free_text.deadline is not None
    assert free_text.deadline.due == date(2023, 8, 31)


def test_action_plan_furniture_is_dropped(action_plan: ParsedPlan) -> None:
    for n in action_plan.nodes:
        assert "— 3 —" not in n.text
        assert "抄送" not in n.text
        assert "印发" not in n.text
    # the page number sat between 行动一/2 and 行动二; it must not end up in either
    assert by_ref(action_plan)["二/行动一/2"].text.endswith("2023年6月底前)")


def test_action_plan_stage_targets(action_plan: ParsedPlan) -> None:
    found = {
        (t.indicator, t.year, t.comparator, t.value, t.unit, t.node) for t in action_plan.targets
    }
    assert ("学前三年毛入园率", 2025, ">=", 93.0, "%", "一") in found
    assert ("普惠性幼儿园覆盖率", 2025, ">=", 90.0, "%", "一") in found
    assert ("公办园在园幼儿占比", 2025, ">=", 55.0, "%", "一") in found


def test_chapters_sections_and_circled_items(stage_plan: ParsedPlan) -> None:
    nodes = by_ref(stage_plan)
    assert [n.ref for n in stage_plan.nodes if n.parent is None] == ["第一章", "第二章", "第三章"]
    assert nodes["第一章/第二节"].title == "分阶段目标"
    assert nodes["第二章/一/（二）/1/②"].parent == "第二章/一/（二）/1"
    assert nodes["第二章/一/（二）/1/②"].level == 5
    assert nodes["第二章/一/（二）"].kind == "heading"
    assert [n.kind for n in stage_plan.nodes if n.ref.startswith("第三章/")] == [
        "heading",
        "heading",
    ]
    assert stage_plan.plan.period is not None
    assert (stage_plan.plan.period.start, stage_plan.plan.period.end) == (2021, 2025)


def test_stage_plan_units_and_deadlines(stage_plan: ParsedPlan) -> None:
    nodes = by_ref(stage_plan)
    assert units(nodes["第二章/一/（一）"]) == [
        ("市教育局", "implementing"),
        ("市自然资源局", "implementing"),
        ("各区人民政府", "implementing"),
    ]
    assert nodes["第二章/一/（一）"].kind == "task"
    assert units(nodes["第二章/二/（一）"]) == [
        ("市教育局", "organizing"),
        ("市委编办", "cooperating"),
        ("市人社局", "cooperating"),
    ]
    half = nodes["第二章/一/（二）/1"].deadline
    assert half is not None
    assert (half.due, half.granularity) == (date(2024, 6, 30), "half")
    quarter = nodes["第二章/一/（二）/1/②"].deadline
    assert quarter is not None
    assert (quarter.due, quarter.granularity) == (date(2022, 9, 30), "quarter")
    ongoing = nodes["第二章/二/（二）"].deadline
    assert ongoing is not None
    assert (ongoing.ongoing, ongoing.due) == (True, None)
    assert nodes["第二章/二/（二）"].kind == "task"


def test_per_stage_targets(stage_plan: ParsedPlan) -> None:
    found = {(t.indicator, t.year, t.comparator, t.value, t.unit) for t in stage_plan.targets}
    assert {
        ("学前三年毛入园率", 2025, ">=", 95.0, "%"),
        ("九年义务教育巩固率", 2025, ">=", 99.0, "%"),
        ("高中阶段毛入学率", 2025, ">=", 96.0, "%"),
        ("学前三年毛入园率", 2023, ">=", 93.0, "%"),
        ("普惠性幼儿园覆盖率", 2023, ">=", 85.0, "%"),
        ("普惠性幼儿园覆盖率", 2025, ">=", 90.0, "%"),
        ("义务教育大班额比例", 2025, "<=", 3.0, "%"),
        ("新增公办学位", 2025, ">=", 5.0, "万个"),
    } <= found


def test_skipped_level_nests_by_marker_type() -> None:
    text = "一、总体要求\n1. 第一项。\n2. 第二项。\n（一）补充说明。\n（1）细项。\n二、保障"
    plan = parse_policy_text(text)
    assert [(n.ref, n.parent) for n in plan.nodes] == [
        ("一", None),
        ("一/1", "一"),
        ("一/2", "一"),
        ("一/（一）", "一"),
        ("一/（一）/（1）", "一/（一）"),
        ("二", None),
    ]


def test_top_level_actions_outrank_chinese_numbering() -> None:
    text = "专项行动一：学位扩容\n一、目标\n二、措施\n专项行动二：质量提升\n一、目标"
    plan = parse_policy_text(text)
    assert [(n.ref, n.parent) for n in plan.nodes] == [
        ("行动一", None),
        ("行动一/一", "行动一"),
        ("行动一/二", "行动一"),
        ("行动二", None),
        ("行动二/一", "行动二"),
    ]


def test_decimal_at_line_start_is_not_an_item() -> None:
    plan = parse_policy_text("一、投入\n1.5亿元用于学校建设。\n1. 加大投入。")
    assert [n.ref for n in plan.nodes] == ["一", "一/1"]
    assert "1.5亿元" in plan.nodes[0].text


def test_numbering_gaps_and_duplicates_are_warned_not_dropped() -> None:
    plan = parse_policy_text("一、甲\n1. 子项。\n3. 子项。\n3. 子项。\n二、乙")
    assert [n.ref for n in plan.nodes] == ["一", "一/1", "一/3", "一/3~2", "二"]
    assert any("一/3" in w for w in plan.plan.warnings)
    assert any("duplicate" in w for w in plan.plan.warnings)


def test_text_without_structure() -> None:
    plan = parse_policy_text("这是一段没有编号的文字。")
    assert plan.nodes == []
    assert plan.plan.warnings


def test_word_enclosed_numerals_and_ascii_dot_after_chinese_numeral() -> None:
    plan = parse_policy_text("一.总体要求\n㈠完善制度。\n⑴建立台账。\n⑵定期通报。\n㈡加强督导。")
    assert [(n.ref, n.numbering) for n in plan.nodes] == [
        ("一", "一."),
        ("一/（一）", "㈠"),
        ("一/（一）/（1）", "⑴"),
        ("一/（一）/（2）", "⑵"),
        ("一/（二）", "㈡"),
    ]


def test_numbered_line_that_looks_like_furniture_is_kept() -> None:
    plan = parse_policy_text(
        "一、制度建设\n1. 研究制定并印发\n2. 抄送：各有关单位。\n— 2 —\n3. 完善机制。"
    )
    assert [n.title for n in plan.nodes] == ["制度建设", "研究制定并印发", "抄送", "完善机制"]


def test_red_header_title_split_over_two_lines() -> None:
    text = (
        "南宁市人民政府办公厅关于印发南宁市贯彻\n"
        "《广西教育提升三年行动计划》实施方案的通知\n"
        "南府办函〔2018〕402号\n"
        "一、指导思想\n"
    )
    plan = parse_policy_text(text).plan
    assert plan.title == "南宁市贯彻《广西教育提升三年行动计划》实施方案"
    assert plan.issuer == "南宁市人民政府办公厅"
