import pytest

from plans.imports.targets import extract_targets


def rows(
    text: str, default_year: int | None = None
) -> list[tuple[str, int | None, str, float, str | None]]:
    return [
        (t.indicator, t.year, t.comparator, t.value, t.unit)
        for t in extract_targets(text, default_year=default_year)
    ]


def test_year_led_sentence_with_three_indicators() -> None:
    text = "2019 年，学前三年毛入园率达到 96.5%，九年义务教育巩固率达到 96%以上，高中阶段毛入学率达到 95.6%；南宁职业技术学院扎实推进建设。"
    assert rows(text) == [
        ("学前三年毛入园率", 2019, ">=", 96.5, "%"),
        ("九年义务教育巩固率", 2019, ">=", 96.0, "%"),
        ("高中阶段毛入学率", 2019, ">=", 95.6, "%"),
    ]


def test_stage_year_carries_across_sentences_of_the_paragraph() -> None:
    text = (
        "到 2020 年，构建起现代教育体系。学前三年毛入园率达到 97%，高中阶段毛入学率达到 95% 以上。"
    )
    assert rows(text) == [
        ("学前三年毛入园率", 2020, ">=", 97.0, "%"),
        ("高中阶段毛入学率", 2020, ">=", 95.0, "%"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("到2025年，学前三年毛入园率达到98%。", ("学前三年毛入园率", 2025, ">=", 98.0, "%")),
        ("2025年，义务教育巩固率不低于97%。", ("义务教育巩固率", 2025, ">=", 97.0, "%")),
        ("2025年，大班额比例控制在5%以内。", ("大班额比例", 2025, "<=", 5.0, "%")),
        ("2025年，大班额比例控制在5%以下。", ("大班额比例", 2025, "<=", 5.0, "%")),
        ("2025年，辍学率不超过0.5%。", ("辍学率", 2025, "<=", 0.5, "%")),
        ("2025年，近视率低于50%。", ("近视率", 2025, "<", 50.0, "%")),
        ("2025年，优质学位占比超过60%。", ("优质学位占比", 2025, ">", 60.0, "%")),
        (
            "2025年，随迁子女公办学校就读比例保持在85%以上。",
            ("随迁子女公办学校就读比例", 2025, ">=", 85.0, "%"),
        ),
        ("2025年，在园幼儿不少于30万人。", ("在园幼儿", 2025, ">=", 30.0, "万人")),
        ("2025年，示范性幼儿园达到120所。", ("示范性幼儿园", 2025, ">=", 120.0, "所")),
        ("2025年，生均校舍面积达到12平方米。", ("生均校舍面积", 2025, ">=", 12.0, "平方米")),
        ("2025年，名师工作室达到25个。", ("名师工作室", 2025, ">=", 25.0, "个")),
        ("2025年，专任教师达到3000人。", ("专任教师", 2025, ">=", 3000.0, "人")),
        (
            "２０２５年，学前三年毛入园率达到９７．５％。",
            ("学前三年毛入园率", 2025, ">=", 97.5, "%"),
        ),
        ("2025年，学前三年毛入园率达到百分之九十七。", ("学前三年毛入园率", 2025, ">=", 97.0, "%")),
        (
            "力争全市义务教育学校办学条件标准化率达到 80% 以上。",
            ("义务教育学校办学条件标准化率", None, ">=", 80.0, "%"),
        ),
    ],
)
def test_comparators_and_units(
    text: str, expected: tuple[str, int | None, str, float, str | None]
) -> None:
    assert rows(text) == [expected]


def test_several_indicators_share_one_value() -> None:
    assert rows("到2022年，普惠性幼儿园覆盖率、公办园在园幼儿占比均达到50%。") == [
        ("普惠性幼儿园覆盖率", 2022, ">=", 50.0, "%"),
        ("公办园在园幼儿占比", 2022, ">=", 50.0, "%"),
    ]


def test_respectively_pairs_values_with_indicators() -> None:
    text = "到2025年，学前三年毛入园率、高中阶段毛入学率分别达到98%、96%。"
    assert rows(text) == [
        ("学前三年毛入园率", 2025, ">=", 98.0, "%"),
        ("高中阶段毛入学率", 2025, ">=", 96.0, "%"),
    ]


def test_respectively_pairs_values_with_listed_years() -> None:
    text = "2018年、2019年、2020年学前三年毛入园率分别达到 95%、96%、97%。"
    assert rows(text) == [
        ("学前三年毛入园率", 2018, ">=", 95.0, "%"),
        ("学前三年毛入园率", 2019, ">=", 96.0, "%"),
        ("学前三年毛入园率", 2020, ">=", 97.0, "%"),
    ]


def test_annual_plan_year_fills_in_and_is_marked_inferred() -> None:
    targets = extract_targets("督促县区加快幼儿园建设，力争年内建成12所幼儿园。", default_year=2018)
    assert [(t.indicator, t.year, t.value, t.unit, t.year_inferred) for t in targets] == [
        ("建成幼儿园", 2018, 12.0, "所", True)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "坚持以学生为中心，以立德树人为根本任务。",
        "获得调剂周转编制9977名，占全区周转编制数的17%。",
        "全市中小学党的工作实现 100%全覆盖。",
        "2021年全市建成投入使用公办中小学校22所，提供学位约4.04万个。",
        "确保中小学教师平均工资收入不低于当地公务员平均工资收入水平。",
        "重点支持人口大镇新建 1—2 所公办幼儿园。",
        "",
    ],
)
def test_statements_that_are_not_targets(text: str) -> None:
    assert rows(text) == []


def test_year_does_not_leak_into_the_next_paragraph() -> None:
    assert rows("2019年，学前三年毛入园率达到96.5%。")[0][1] == 2019
    assert rows("学前三年毛入园率达到97%。")[0][1] is None
