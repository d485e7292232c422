"""Indicator targets stated in plan text ("2019 年，学前三年毛入园率达到 96.5%").

A target is a comparator and a value, never a bare number: "96%以上" is ≥ 96 and "达到97%" is
read as a floor (≥ 97), as the bureau's plans mean it. The year comes from the clause that opens
the sentence or paragraph ("2019 年，…", "到2025年，…"); paragraphs are processed one at a time
so that a year never leaks into the next paragraph.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from plans.imports.deadlines import cn_to_int

Comparator = Literal[">=", ">", "<=", "<", "="]

__all__ = ["Comparator", "Target", "extract_targets"]


class Target(BaseModel):
    """One target. ``year`` is None when the text names none (a person decides);
    ``year_inferred`` is true when the year is the annual plan's own year rather than written
    next to the target. ``node`` is the ref of the plan node the sentence belongs to (None for
    the document's preamble); ``raw`` is the clause it was read from."""

    model_config = ConfigDict(frozen=True)

    indicator: str
    year: int | None
    comparator: Comparator
    value: float
    unit: str | None
    year_inferred: bool = False
    node: str | None = None
    raw: str


_FULLWIDTH = str.maketrans("０１２３４５６７８９％．", "0123456789%.")
_CN_PERCENT = re.compile(
    r"百分之([零〇一二两三四五六七八九十百]+)(?:点([零〇一二三四五六七八九]+))?"
)
_SENTENCES = re.compile(r"[^。！？!?\n]+")
_CLAUSES = re.compile(r"[^，,；;]+")

_UNIT = (
    r"%|个百分点|万人次|人次|万平方米|平方米|万人|万元|亿元|万个|万册|万|所|个|人|名|间|张|项|家|套|台"
    r"|班|门|册|处|座|支|倍"
)
_ONE_VALUE = (
    rf"(?:约|近|超)?\s*\d+(?:\.\d+)?\s*(?:{_UNIT})(?:\s*(?:及以上|以上|以内|以下|之内|左右))?"
)
_VERBS: dict[str, Comparator] = {
    "不低于": ">=",
    "不少于": ">=",
    "不小于": ">=",
    "至少": ">=",
    "达到": ">=",
    "达": ">=",
    "提高到": ">=",
    "提高至": ">=",
    "提升到": ">=",
    "提升至": ">=",
    "增加到": ">=",
    "增加至": ">=",
    "增长到": ">=",
    "增长至": ">=",
    "增至": ">=",
    "保持在": ">=",
    "稳定在": ">=",
    "高于": ">",
    "超过": ">",
    "不高于": "<=",
    "不超过": "<=",
    "控制在": "<=",
    "降低到": "<=",
    "降低至": "<=",
    "降到": "<=",
    "降至": "<=",
    "下降到": "<=",
    "下降至": "<=",
    "减少到": "<=",
    "减少至": "<=",
    "低于": "<",
    "小于": "<",
    "少于": "<",
    "为": "=",
}
_SUFFIX: dict[str, Comparator] = {
    "及以上": ">=",
    "以上": ">=",
    "以内": "<=",
    "以下": "<=",
    "之内": "<=",
    "左右": "=",
}
# Longest verbs first so that "不低于" is not read as "低于".
_VERB_ALT = "|".join(sorted(_VERBS, key=len, reverse=True))
# Verb first, indicator = the text before it: a lazy "indicator" group in front of the verb
# would be retried from every start position and make long clauses quadratic.
_COMPARE = re.compile(
    rf"(?P<verb>{_VERB_ALT})\s*(?P<vals>{_ONE_VALUE}(?:\s*[、和及]\s*{_ONE_VALUE})*)"
)
_DIGIT = re.compile(r"\d")
_VALUE = re.compile(
    rf"(?:约|近|超)?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>{_UNIT})(?:\s*(?P<suffix>及以上|以上|以内|以下|之内|左右))?"
)
# Counts promised by a building verb ("力争年内建成12所幼儿园"): only with a forward-looking
# word in the clause, because the same wording in a report states what was already done.
_FORWARD = re.compile(r"力争|确保|争取|计划|预计|年内|目标")
_COUNT = re.compile(
    r"(?P<verb>新开办|改扩建|新建|建成|新增|创建|培育|遴选|建设|配备|提供|开办|认定|培训|引进|招聘|补充|打造|增加)"
    r"(?P<pre>[^，,；;。\d]{0,20}?)\s*(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>万平方米|平方米|万人次|人次|万人|万个|所|个|间|名|人|项|家|套|台|班|处|座|支)"
    r"(?P<suffix>以上)?(?P<noun>[^，,；;。、\d（(]{0,20})"
)
_LEAD_YEARS = re.compile(
    r"^\s*(?:力争|争取|确保|预计|计划)?\s*(?:到|至|截至|截止|在)?\s*"
    r"(?P<y>\d{4})\s*年(?:\s*[—–\-－~～至到]\s*(?P<y2>\d{4})\s*年)?"
    r"(?P<more>(?:\s*[、和及与]\s*\d{4}\s*年)*)"
    r"\s*(?:底|末)?\s*(?:前)?\s*"
)
_YEAR_IN = re.compile(r"(?:到|至|截至|截止|在)?\s*(\d{4})\s*年(?:底|末)?(?:前)?")
_LEADING_WORDS = re.compile(
    r"^(?:力争|争取|确保|努力|力求|使得|使|让|其中|我市|全市|全区|本市|基本|进一步|年度|同时|并且|并|且|总体上|总体|整体|要|将|为|"
    r"到|至|截至|截止|预计|计划|目标)+"
)
_TRAILING_WORDS = re.compile(
    r"(?:分别|均|都|要|将|稳步|逐步|基本|进一步|力争|总体|整体|稳定|持续)+$"
)
_SPLITTABLE_ENDING = re.compile(r"(?:率|比例|比重|占比|指数|人数|数量|规模|面积)$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _cn_percent(m: re.Match[str]) -> str:
    whole = cn_to_int(m.group(1))
    if whole is None:
        return m.group(0)
    frac = m.group(2)
    if frac:
        digits = "".join(str(cn_to_int(c)) for c in frac)
        return f"{whole}.{digits}%"
    return f"{whole}%"


def _normalise(text: str) -> str:
    return _CN_PERCENT.sub(_cn_percent, text.translate(_FULLWIDTH))


def _clean_indicator(raw: str) -> str:
    ind = re.sub(r"\s+", "", raw)
    ind = _YEAR_IN.sub("", ind)
    ind = _LEADING_WORDS.sub("", ind)
    ind = _TRAILING_WORDS.sub("", ind)
    return ind.strip("，,、；;：:“”\"'（）()")


def _indicators(raw: str, n_values: int) -> list[str]:
    whole = _clean_indicator(raw)
    parts = [_clean_indicator(p) for p in re.split(r"[、]|和|及|与", raw)]
    parts = [p for p in parts if p]
    # Split "A、B达到95%" only when every part reads as an indicator: "小学、初中巩固率" is one.
    if len(parts) > 1 and (
        len(parts) == n_values or all(_SPLITTABLE_ENDING.search(p) for p in parts)
    ):
        return parts
    return [whole] if whole else []


def _valid_indicator(ind: str) -> bool:
    return 2 <= len(ind) <= 40 and _CJK.search(ind) is not None


def _lead_years(clause: str) -> tuple[list[int], str] | None:
    m = _LEAD_YEARS.match(clause)
    if m is None:
        return None
    first = int(m.group("y"))
    if not 1949 <= first <= 2100:
        return None
    if m.group("y2"):
        years = [int(m.group("y2"))]
    else:
        years = [first] + [int(y) for y in re.findall(r"\d{4}", m.group("more") or "")]
    return years, clause[m.end() :]


def extract_targets(paragraph: str, *, default_year: int | None = None) -> list[Target]:
    """Targets stated in one paragraph.

    ``default_year`` is the year a target without a written year belongs to — the year of an
    annual 工作要点 — and is reported as inferred. Several indicators before one verb share its
    value; "分别达到 a、b、c" pairs values with the listed indicators or, failing that, with the
    listed years ("2018年、2019年、2020年…分别达到…").
    """
    text = _normalise(paragraph)
    out: list[Target] = []
    years: list[int] = []
    for sm in _SENTENCES.finditer(text):
        for cm in _CLAUSES.finditer(sm.group(0)):
            clause = cm.group(0)
            lead = _lead_years(clause)
            if lead is not None:
                years, clause = lead
            if not clause.strip():
                continue
            found = _compare_targets(clause, years, default_year)
            if not found and _FORWARD.search(clause):
                found = _count_targets(clause, years, default_year)
            out.extend(found)
    return out


def _year_for(ind_raw: str, years: list[int], default_year: int | None) -> tuple[int | None, bool]:
    inline = _YEAR_IN.search(ind_raw)
    if inline is not None:
        return int(inline.group(1)), False
    if years:
        return years[-1], False
    if default_year is not None:
        return default_year, True
    return None, False


def _compare_targets(clause: str, years: list[int], default_year: int | None) -> list[Target]:
    out: list[Target] = []
    if _DIGIT.search(clause) is None:
        return out
    previous_end = 0
    for m in _COMPARE.finditer(clause):
        ind_raw = clause[previous_end : m.start()]
        previous_end = m.end()
        verb_cmp = _VERBS[m.group("verb")]
        values = list(_VALUE.finditer(m.group("vals")))
        last_suffix = values[-1].group("suffix") if values else None
        if m.group("verb") == "为" and not any(v.group("unit") == "%" for v in values):
            # "以…为…" is everywhere; only "为 N%" reads as a target.
            continue
        indicators = [i for i in _indicators(ind_raw, len(values)) if _valid_indicator(i)]
        if not indicators or not values:
            continue
        year, inferred = _year_for(ind_raw, years, default_year)
        pairs: list[tuple[str, int | None, re.Match[str]]] = []
        if len(values) == 1:
            pairs = [(ind, year, values[0]) for ind in indicators]
        elif len(indicators) == len(values):
            pairs = [(ind, year, v) for ind, v in zip(indicators, values, strict=True)]
        elif len(indicators) == 1 and len(years) == len(values):
            pairs = [(indicators[0], y, v) for y, v in zip(years, values, strict=True)]
            inferred = False
        raw = (ind_raw + m.group(0)).strip()
        for ind, y, v in pairs:
            suffix = v.group("suffix") or last_suffix
            comparator = _SUFFIX[suffix] if suffix and verb_cmp != ">" else verb_cmp
            out.append(
                Target(
                    indicator=ind,
                    year=y,
                    comparator=comparator,
                    value=float(v.group("num")),
                    unit=v.group("unit"),
                    year_inferred=inferred and y is not None,
                    raw=raw,
                )
            )
    return out


def _count_targets(clause: str, years: list[int], default_year: int | None) -> list[Target]:
    out: list[Target] = []
    for m in _COUNT.finditer(clause):
        pre = _clean_indicator(m.group("pre"))
        noun = m.group("noun").strip()
        ind = m.group("verb") + (pre or "") + (noun if not pre else "")
        ind = ind.strip("，,、；;：:“”\"'")
        if len(ind) <= len(m.group("verb")) or not _valid_indicator(ind):
            continue
        year, inferred = _year_for(m.group("pre"), years, default_year)
        out.append(
            Target(
                indicator=ind,
                year=year,
                comparator=">=",
                value=float(m.group("num")),
                unit=m.group("unit"),
                year_inferred=inferred,
                raw=m.group(0).strip(),
            )
        )
    return out
