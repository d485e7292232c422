"""Acceptance on the bureau's real documents (copies of ../shared/seeds in data/)."""

from collections import defaultdict
from pathlib import Path

import pytest

from plans.imports.parser import ParsedNode, ParsedPlan, parse_policy_text

DATA = Path(__file__).parent / "data"
FURNITURE = ("公开方式", "分享到", "您的位置", "欢迎您", "发布时间", "抄送", "印发给你们")


def parse(name: str) -> ParsedPlan:
    return parse_policy_text((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed000() -> ParsedPlan:
    return parse("000_3897184aa9194b90.txt")


@pytest.fixture(scope="module")
def seed001() -> ParsedPlan:
    return parse("001_ae262387f17bac79.txt")


@pytest.fixture(scope="module")
def seed002() -> ParsedPlan:
    return parse("002_42d7a22f1583c568.txt")


def by_ref(plan: ParsedPlan) -> dict[str, ParsedNode]:
    return {n.ref: n for n in plan.nodes}


def children(plan: ParsedPlan, ref: str | None) -> list[ParsedNode]:
    return [n for n in plan.nodes if n.parent == ref]


def roles(node: ParsedNode, role: str) -> list[str]:
    return [u.name for u in node.units if u.role == role]


def assert_well_formed(plan: ParsedPlan) -> None:
    refs = [n.ref for n in plan.nodes]
    assert len(refs) == len(set(refs))
    seen: set[str] = set()
    for n in plan.nodes:
        assert n.parent is None or n.parent in seen, f"{n.ref}: parent {n.parent} not before it"
        assert n.title, f"{n.ref} has no title"
        assert len(n.title) <= 60
        assert not any(f in n.text for f in FURNITURE), f"{n.ref} carries page furniture"
        seen.add(n.ref)


# --- seed 001: three-year implementation plan -------------------------------------------------


def test_001_header(seed001: ParsedPlan) -> None:
    plan = seed001.plan
    assert plan.title == "南宁市贯彻《广西教育提升三年行动计划（2018—2020年）》实施方案"
    assert plan.doc_number == "南府办函〔2018〕402号"
    assert plan.issuer == "南宁市人民政府办公厅"
    assert plan.period is not None
    assert (plan.period.start, plan.period.end) == (2018, 2020)
    assert plan.warnings == []


def test_001_tree(seed001: ParsedPlan) -> None:
    assert_well_formed(seed001)
    top = children(seed001, None)
    assert [(n.ref, n.title) for n in top] == [
        ("一", "指导思想"),
        ("二", "基本原则"),
        ("三", "工作目标"),
        ("四", "主要任务"),
        ("五", "保障措施"),
    ]
    works = children(seed001, "四")
    assert [n.title for n in works] == [
        "实施学前教育普及普惠工程",
        "实施义务教育优质均衡工程",
        "实施普通高中优质普及工程",
        "实施现代职业教育提升发展工程",
        "实施高等学校综合实力提升工程",
        "实施教育开放发展工程",
        "实施教师队伍提质增量工程",
        "实施教育信息化推进工程",
        "实施特殊群体教育保障工程",
    ]
    assert [len(children(seed001, w.ref)) for w in works] == [3, 4, 3, 4, 2, 2, 4, 3, 4]
    assert all(w.kind == "heading" and w.level == 2 for w in works)


def test_001_tasks_carry_their_units(seed001: ParsedPlan) -> None:
    nodes = by_ref(seed001)
    tasks = [n for n in seed001.nodes if n.kind == "task"]
    # Every numbered item under 四 is a task naming the units that organise it; no other is.
    assert {n.ref for n in tasks} == {
        n.ref for n in seed001.nodes if n.ref.startswith("四/") and n.level == 3
    }
    assert len(tasks) == 29
    assert all(roles(t, "organizing") for t in tasks)
    # 四/（五） (universities) name only organising units; every other task names both.
    without_implementing = {t.ref for t in tasks if not roles(t, "implementing")}
    assert without_implementing == {"四/（五）/1", "四/（五）/2"}

    first = nodes["四/（一）/1"]
    assert (first.numbering, first.title, first.level, first.parent) == (
        "1.",
        "扩大公办学前教育资源",
        3,
        "四/（一）",
    )
    assert roles(first, "organizing") == [
        "市教育局",
        "财政局",
        "发展改革委",
        "编办",
        "规划局",
        "国土资源局",
        "住房局",
        "民政局",
        "残联",
        "五象新区管委会",
    ]
    assert roles(first, "implementing") == [
        "市教育局",
        "各县区人民政府",
        "开发区管委会",
        "五象新区管委会",
    ]
    assert "各县、武鸣区人民政府" in roles(nodes["四/（四）/1"], "implementing")
    assert roles(nodes["四/（九）/4"], "organizing")[0] == "市民政局"
    assert roles(nodes["四/（四）/4"], "implementing") == [
        "市社区教育指导委员会成员单位",
        "南宁职业技术学院",
    ]


def test_001_page_breaks_are_mended(seed001: ParsedPlan) -> None:
    nodes = by_ref(seed001)
    assert "“十三五”规划" in nodes["二/（二）"].text
    # the unit clause of 四/（一）/1 spans a page break in the source
    assert "编办、规划局" in nodes["四/（一）/1"].text
    assert roles(nodes["四/（九）/2"], "implementing")[0] == "各县区人民政府"


def test_001_principles_and_safeguards_are_headings(seed001: ParsedPlan) -> None:
    assert all(n.kind == "heading" for n in seed001.nodes if n.ref.startswith(("二", "五")))


def test_001_yearly_targets_for_the_three_indicators(seed001: ParsedPlan) -> None:
    found: dict[tuple[str, int | None], set[tuple[str, float, str | None]]] = defaultdict(set)
    for t in seed001.targets:
        found[(t.indicator, t.year)].add((t.comparator, t.value, t.unit))
    assert found[("学前三年毛入园率", 2018)] == {(">=", 96.0, "%")}
    assert found[("学前三年毛入园率", 2019)] == {(">=", 96.5, "%")}
    assert found[("学前三年毛入园率", 2020)] == {(">=", 97.0, "%")}
    assert found[("九年义务教育巩固率", 2018)] == {(">=", 96.0, "%")}
    assert found[("九年义务教育巩固率", 2019)] == {(">=", 96.0, "%")}
    assert found[("九年义务教育巩固率", 2020)] == {(">=", 96.0, "%")}
    assert found[("高中阶段毛入学率", 2018)] == {(">=", 95.5, "%")}
    assert found[("高中阶段毛入学率", 2019)] == {(">=", 95.6, "%")}
    # the overall goal (≥95 %) and the 2020 yearly goal (95.8 %) are both stated
    assert found[("高中阶段毛入学率", 2020)] == {(">=", 95.0, "%"), (">=", 95.8, "%")}
    yearly = [t for t in seed001.targets if t.node == "三/（二）"]
    assert {t.year for t in yearly} == {2018, 2019, 2020}


def test_001_no_task_has_an_invented_deadline(seed001: ParsedPlan) -> None:
    # The plan names no 完成时限; "到2019年，…" inside a task is a target, not a deadline.
    assert all(n.deadline is None for n in seed001.nodes)


# --- seed 002: annual work points -------------------------------------------------------------


def test_002_header(seed002: ParsedPlan) -> None:
    plan = seed002.plan
    assert plan.title == "南宁市教育局2018年工作要点"
    assert plan.doc_number == "南教办〔2018〕23号"
    assert plan.issuer == "南宁市教育局"
    assert plan.period is not None
    assert (plan.period.start, plan.period.end) == (2018, 2018)
    assert plan.document_year == 2018


def test_002_seven_parts_with_their_items(seed002: ParsedPlan) -> None:
    assert_well_formed(seed002)
    parts = children(seed002, None)
    assert [p.ref for p in parts] == ["一", "二", "三", "四", "五", "六", "七"]
    assert parts[0].title == (
        "深入学习贯彻习近平新时代中国特色社会主义思想和十九大精神,切实加强和改进党对教育工作的领导"
    )
    assert parts[6].title == "提升保障能力,为教育改革发展奠定坚实基础"
    counts = [len(children(seed002, p.ref)) for p in parts]
    assert counts == [4, 8, 5, 5, 6, 4, 5]
    items = [n for n in seed002.nodes if n.level == 2]
    assert all(n.kind == "task" for n in items)
    assert all(p.kind == "heading" for p in parts)
    nodes = by_ref(seed002)
    assert nodes["二/7"].title == "强化教育督导"
    assert nodes["七/5"].title == "切实维护教育系统安全稳定"
    assert nodes["七/5"].text.endswith("反邪教教育。")


def test_002_count_targets_belong_to_the_plan_year(seed002: ParsedPlan) -> None:
    found = {(t.indicator, t.year, t.value, t.unit, t.year_inferred) for t in seed002.targets}
    assert ("建成幼儿园", 2018, 12.0, "所", True) in found
    assert ("建成公办中小学校", 2018, 10.0, "所", True) in found


# --- seed 000: a report on the overall plan ----------------------------------------------------


def test_000_parses_without_garbage(seed000: ParsedPlan) -> None:
    assert_well_formed(seed000)
    plan = seed000.plan
    assert plan.title == "打造“品质教育 学在南宁”亮丽名片 推动南宁新时代教育高质量发展"
    assert plan.issuer == "南宁市教育局"
    assert plan.doc_number is None
    assert [(n.ref, n.title) for n in seed000.nodes] == [
        ("一", "强化顶层设计，抓好系统工程布局谋篇"),
        ("二", "完善运行机制，推进南宁教育高质量发展"),
        ("二/（一）", "实施项目引领，推进南宁教育高质量发展"),
        ("二/（二）", "打造示范样本，带动各校追求品质教育"),
        ("二/（三）", "强化三级督导，确保目标任务有序推进"),
        ("三", "提升工作成效，实现南宁新时代教育高质量发展"),
        ("三/（一）", "全面落实立德树人根本任务"),
        ("三/（二）", "全面促进各级各类教育内涵发展"),
        ("三/（三）", "全面打造高素质专业化创新型的师资队伍"),
    ]
    # a report of what was done: no tasks, no units, no targets invented from its figures
    assert all(n.kind == "heading" and not n.units and n.deadline is None for n in seed000.nodes)
    assert seed000.targets == []
    # markdown emphasis is gone, the page-broken word is whole again
    assert "中小学党建品牌" in by_ref(seed000)["三/（一）"].text
    text = by_ref(seed000)["三/（二）"].text
    assert "抓好强基工程" in text
    assert "**" not in text
