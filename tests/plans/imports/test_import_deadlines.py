from datetime import date

import pytest

from plans.imports.deadlines import Deadline, cn_to_int, find_deadline, parse_deadline

D = date

# raw, document_year, due, granularity, ongoing, range_start, year_inferred
CASES: list[tuple[str, int | None, date | None, str | None, bool, date | None, bool]] = [
    # X年底前 and its spellings
    ("2022年底前", None, D(2022, 12, 31), "year", False, None, False),
    ("2022年年底前", None, D(2022, 12, 31), "year", False, None, False),
    ("2022年末", None, D(2022, 12, 31), "year", False, None, False),
    ("2019 年底前", None, D(2019, 12, 31), "year", False, None, False),
    # X年Y月底前 / Y月 / leap years
    ("2022年8月底前", None, D(2022, 8, 31), "month", False, None, False),
    ("2019年6月底前", None, D(2019, 6, 30), "month", False, None, False),
    ("2024年2月底前", None, D(2024, 2, 29), "month", False, None, False),
    ("2023年2月底前", None, D(2023, 2, 28), "month", False, None, False),
    ("2022年12月", None, D(2022, 12, 31), "month", False, None, False),
    ("9月底前完成", 2021, D(2021, 9, 30), "month", False, None, True),
    # X年Y月Z日前
    ("2019年6月15日前", None, D(2019, 6, 15), "day", False, None, False),
    ("2019年6月15号前", None, D(2019, 6, 15), "day", False, None, False),
    ("3月15日前", 2020, D(2020, 3, 15), "day", False, None, True),
    ("2019-06-15", None, D(2019, 6, 15), "day", False, None, False),
    # halves
    ("上半年", 2021, D(2021, 6, 30), "half", False, None, True),
    ("下半年", 2021, D(2021, 12, 31), "half", False, None, True),
    ("2022年上半年", 2018, D(2022, 6, 30), "half", False, None, False),
    ("2022 年下半年", None, D(2022, 12, 31), "half", False, None, False),
    # quarters
    ("2021年第三季度", None, D(2021, 9, 30), "quarter", False, None, False),
    ("第一季度", 2020, D(2020, 3, 31), "quarter", False, None, True),
    ("一季度", 2020, D(2020, 3, 31), "quarter", False, None, True),
    ("四季度", 2020, D(2020, 12, 31), "quarter", False, None, True),
    ("2021年第2季度", None, D(2021, 6, 30), "quarter", False, None, False),
    # ranges, every dash
    ("2018—2020年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    ("2018–2020年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    ("2018-2020年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    ("2018－2020年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    ("2018～2020年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    ("2018~2020年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    ("2018至2020年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    ("2018年至2020年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    ("2018— 2020 年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    # 到X年 / 至X年
    ("到2025年", None, D(2025, 12, 31), "year", False, None, False),
    ("至2025年", None, D(2025, 12, 31), "year", False, None, False),
    ("到 2020 年", None, D(2020, 12, 31), "year", False, None, False),
    # ongoing, alone and combined
    ("持续实施", 2022, None, None, True, None, False),
    ("长期坚持", 2022, None, None, True, None, False),
    ("持续推进", 2022, None, None, True, None, False),
    ("2022年底前，持续实施", None, D(2022, 12, 31), "year", True, None, False),
    ("2022年6月底前完成，长期坚持", None, D(2022, 6, 30), "month", True, None, False),
    ("上半年启动，持续推进", 2021, D(2021, 6, 30), "half", True, None, True),
    # Chinese and full-width numerals
    ("二〇二二年底前", None, D(2022, 12, 31), "year", False, None, False),
    ("二〇二二年十二月底前", None, D(2022, 12, 31), "month", False, None, False),
    ("二〇二一年九月三十日前", None, D(2021, 9, 30), "day", False, None, False),
    ("２０２２年３月底前", None, D(2022, 3, 31), "month", False, None, False),
    ("２０１８—２０２０年", None, D(2020, 12, 31), "year", False, D(2018, 1, 1), False),
    # five-year-plan periods
    ("“十四五”期间", None, D(2025, 12, 31), "year", False, D(2021, 1, 1), False),
    ("“十三五”末", None, D(2020, 12, 31), "year", False, None, False),
    # year without 底 inferred from the document
    ("年底前", 2019, D(2019, 12, 31), "year", False, None, True),
    ("年内完成", 2019, D(2019, 12, 31), "year", False, None, True),
    # several dates: the last one is when the task is done
    (
        "2019年6月底前完成方案，2020年底前全面完成",
        None,
        D(2020, 12, 31),
        "year",
        False,
        None,
        False,
    ),
]


@pytest.mark.parametrize(
    ("raw", "doc_year", "due", "granularity", "ongoing", "range_start", "inferred"), CASES
)
def test_deadline_rules(
    raw: str,
    doc_year: int | None,
    due: date | None,
    granularity: str | None,
    ongoing: bool,
    range_start: date | None,
    inferred: bool,
) -> None:
    d = parse_deadline(raw, document_year=doc_year)
    assert d is not None
    assert d.raw == raw.strip()
    assert (d.due, d.granularity, d.ongoing, d.range_start, d.year_inferred) == (
        due,
        granularity,
        ongoing,
        range_start,
        inferred,
    )


@pytest.mark.parametrize(
    ("raw", "ambiguous"),
    [("2022年8月前", True), ("2022年8月底前", False), ("2025年前", True), ("2025年底前", False)],
)
def test_before_without_end_is_flagged_ambiguous(raw: str, ambiguous: bool) -> None:
    d = parse_deadline(raw, document_year=None)
    assert d is not None
    assert d.ambiguous is ambiguous


def test_undated_phrase_without_document_year_has_no_due_date() -> None:
    d = parse_deadline("上半年", document_year=None)
    assert d is not None
    assert d.due is None
    assert d.granularity == "half"
    assert d.year_inferred is False


@pytest.mark.parametrize(
    "raw", ["", "尽快", "加强组织领导", "九年义务教育", "20152020年", "2018年13月底前", "3个月内"]
)
def test_text_without_a_deadline_gives_none(raw: str) -> None:
    assert parse_deadline(raw, document_year=2020) is None


def test_deadline_serialises_as_iso_dates() -> None:
    d = parse_deadline("2018—2020年", document_year=None)
    assert d is not None
    assert d.model_dump(mode="json") == {
        "raw": "2018—2020年",
        "due": "2020-12-31",
        "granularity": "year",
        "ongoing": False,
        "range_start": "2018-01-01",
        "year_inferred": False,
        "ambiguous": False,
    }


@pytest.mark.parametrize(
    ("text", "raw", "due", "ongoing"),
    [
        ("建立监测制度。（完成时限：2019年6月底前）", "2019年6月底前", D(2019, 6, 30), False),
        ("建立监测制度。(完成时限:2019年6月底前)", "2019年6月底前", D(2019, 6, 30), False),
        ("组织送教下乡。（时间：2020年下半年）", "2020年下半年", D(2020, 12, 31), False),
        (
            "实施学前教育行动计划。（牵头单位：市教育局；配合单位：市财政局；完成时限：2022年底前，持续实施）",
            "2022年底前，持续实施",
            D(2022, 12, 31),
            True,
        ),
        (
            "规范民办幼儿园收费。（市发展改革委、市教育局按职责分工负责，2022年8月底前完成）",
            "2022年8月底前完成",
            D(2022, 8, 31),
            False,
        ),
        ("完善集团考核办法，2025年底前完成。", "2025年底前完成", D(2025, 12, 31), False),
        ("改进教师评价。长期坚持。", "长期坚持", None, True),
        (
            "建立制度（完成时限：2021年底前，责任单位：市教育局）",
            "2021年底前",
            D(2021, 12, 31),
            False,
        ),
    ],
)
def test_find_deadline_in_task_text(text: str, raw: str, due: date | None, ongoing: bool) -> None:
    d = find_deadline(text, document_year=2020)
    assert d is not None
    assert (d.raw, d.due, d.ongoing) == (raw, due, ongoing)


@pytest.mark.parametrize(
    "text",
    [
        # a target year mid-text is not the task's deadline
        "开展评估。到2019年，我市所有县区通过义务教育发展基本均衡县国家评估认定。（组织实施单位：市教育局）",
        "持续推进“两学一做”学习教育常态化制度化。",
        "2018年秋季学期全市公办义务教育学校实现学区制管理改革全覆盖，大力推进消除大班额。",
        "建成学校22所（包括新建、迁建、扩建）。",
        "",
    ],
)
def test_find_deadline_ignores_years_that_are_not_deadlines(text: str) -> None:
    assert find_deadline(text, document_year=2018) is None


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十九", 29),
        ("一百零五", 105),
        ("１２", 12),
        ("x", None),
    ],
)
def test_cn_to_int(token: str, value: int | None) -> None:
    assert cn_to_int(token) == value


def test_deadline_is_immutable() -> None:
    d = parse_deadline("2022年底前", document_year=None)
    assert isinstance(d, Deadline)
    with pytest.raises(ValueError, match="frozen"):
        d.due = None  # type: ignore[misc]


def test_plan_period_in_brackets_is_not_the_task_deadline() -> None:
    assert (
        find_deadline("深入实施第三期学前教育行动计划（2018—2020年）。", document_year=2018) is None
    )
    d = find_deadline("深入实施第三期学前教育行动计划。（2018—2020年）", document_year=2018)
    assert d is not None
    assert d.range_start == date(2018, 1, 1)
