import pytest

from plans.imports.units import extract_units, split_unit_names


def pairs(text: str) -> list[tuple[str, str]]:
    return [(u.name, u.role) for u in extract_units(text)]


def test_organizing_and_implementing_after_a_task_full_width() -> None:
    text = (
        "鼓励和支持特殊教育学校增加学前部。（组织实施单位：市教育局、财政局、发展改革委，"
        "五象新区管委会；具体实施单位：市教育局、各县区人民政府、开发区管委会）"
    )
    assert pairs(text) == [
        ("市教育局", "organizing"),
        ("财政局", "organizing"),
        ("发展改革委", "organizing"),
        ("五象新区管委会", "organizing"),
        ("市教育局", "implementing"),
        ("各县区人民政府", "implementing"),
        ("开发区管委会", "implementing"),
    ]


def test_half_width_brackets_and_colons() -> None:
    text = "治理小区配套园。(牵头单位:市教育局;责任单位:各县(市、区)人民政府、开发区管委会)"
    assert pairs(text) == [
        ("市教育局", "organizing"),
        ("各县(市、区)人民政府", "implementing"),
        ("开发区管委会", "implementing"),
    ]


def test_nested_brackets_keep_collective_phrase_whole() -> None:
    text = "（牵头单位：市教育局；配合单位：市发展改革委、市财政局，各县（市、区）人民政府；完成时限：2022年底前，持续实施）"
    assert pairs(text) == [
        ("市教育局", "organizing"),
        ("市发展改革委", "cooperating"),
        ("市财政局", "cooperating"),
        ("各县（市、区）人民政府", "cooperating"),
    ]


def test_deadline_field_does_not_leak_into_unit_names() -> None:
    names = [name for name, _ in pairs("（责任单位：市教育局；完成时限：2022年底前）")]
    assert names == ["市教育局"]


def test_collective_head_without_suffix_is_joined_to_the_next_name() -> None:
    text = "（具体实施单位：各县、武鸣区人民政府、五象新区管委会、南宁职业技术学院）"
    assert [n for n, _ in pairs(text)] == [
        "各县、武鸣区人民政府",
        "五象新区管委会",
        "南宁职业技术学院",
    ]


def test_labels_outside_brackets_on_their_own_lines() -> None:
    text = "建立教研网络。\n组织实施单位：市教育局\n具体实施单位：各县区人民政府、开发区管委会。"
    assert pairs(text) == [
        ("市教育局", "organizing"),
        ("各县区人民政府", "implementing"),
        ("开发区管委会", "implementing"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "（牵头：市教育局；协办：市委编办、市人社局）",
            [("市教育局", "organizing"), ("市委编办", "cooperating"), ("市人社局", "cooperating")],
        ),
        (
            "（牵头部门：市教育局；配合部门：市财政局等）",
            [("市教育局", "organizing"), ("市财政局", "cooperating")],
        ),
        ("（责任部门：市教育局。）", [("市教育局", "implementing")]),
        (
            "（责任单位：市教育局，市财政局；）",
            [("市教育局", "implementing"), ("市财政局", "implementing")],
        ),
    ],
)
def test_label_variants_and_trailing_punctuation(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert pairs(text) == expected


def test_unlabelled_responsibility_clause() -> None:
    assert pairs("规范收费。（市发展改革委、市教育局按职责分工负责，2022年8月底前完成）") == [
        ("市发展改革委", "implementing"),
        ("市教育局", "implementing"),
    ]
    assert pairs("结对帮扶。（市教育局牵头，市财政局、各县区人民政府配合）") == [
        ("市教育局", "organizing"),
        ("市财政局", "cooperating"),
        ("各县区人民政府", "cooperating"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "2021年全市建成公办中小学校22所（包括新建、迁建、扩建）。",
        "加强民办学校(幼儿园)的监管。",
        "认真贯彻《初中壮语文课程标准》(试行)。",
        "政府与社会资本合作（PPP）。",
        "全面提高义务教育质量，促进学生全面发展。",
    ],
)
def test_asides_in_brackets_are_not_units(text: str) -> None:
    assert extract_units(text) == []


def test_each_unit_and_role_once() -> None:
    text = "（组织实施单位：市教育局、市教育局；具体实施单位：市教育局）"
    assert pairs(text) == [("市教育局", "organizing"), ("市教育局", "implementing")]


def test_split_unit_names_never_splits_inside_brackets() -> None:
    assert split_unit_names("各县（市、区）人民政府、开发区管委会，市教育局") == [
        "各县（市、区）人民政府",
        "开发区管委会",
        "市教育局",
    ]


def test_lead_marked_inside_the_list() -> None:
    text = "（责任单位：市教育局（牵头）、市市场监管局(配合)，各县（市、区）人民政府）"
    assert pairs(text) == [
        ("市教育局", "organizing"),
        ("市市场监管局", "cooperating"),
        ("各县（市、区）人民政府", "implementing"),
    ]


def test_fields_separated_by_commas() -> None:
    text = "（牵头单位：市教育局，配合单位：市财政局，完成时限：2022年6月底前）"
    assert pairs(text) == [("市教育局", "organizing"), ("市财政局", "cooperating")]
