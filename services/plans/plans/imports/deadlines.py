"""Deadline normaliser for Chinese plan documents.

General-purpose Chinese date libraries mis-read these phrases once trailing text is attached
("2022年底前，持续实施") and cannot express "no end date" at all (see the plans anchors, §3.4),
so this is a small rule set anchored to the *document's* year, never to today's date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from plans.imports.units import trailing_parenthetical

Granularity = Literal["day", "month", "quarter", "half", "year"]

__all__ = [
    "Deadline",
    "Granularity",
    "cn_to_int",
    "find_deadline",
    "normalize_numerals",
    "parse_deadline",
]


class Deadline(BaseModel):
    """A deadline as written and as understood.

    ``due`` is the last day by which the work is due (``None`` when the text only says the work
    is ongoing, or when the year cannot be known). ``ambiguous`` marks readings a person should
    check: "2022年8月前" may mean "before August" or "by the end of August"; we read the latter.
    """

    model_config = ConfigDict(frozen=True)

    raw: str
    due: date | None
    granularity: Granularity | None
    ongoing: bool = False
    range_start: date | None = None
    year_inferred: bool = False
    ambiguous: bool = False


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_to_int(token: str) -> int | None:
    """Chinese or Arabic numeral (一, 十二, 二十九, 一百零五, 12, １２) to int; None if not one."""
    token = token.strip().translate(_FULLWIDTH_DIGITS)
    if not token:
        return None
    if token.isascii() and token.isdigit():
        return int(token)
    total = 0
    current = 0
    for ch in token:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            # "十二" starts with the unit: an implicit 一.
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_YEAR = re.compile(r"([零〇○Ｏ一二三四五六七八九]{4})(?=\s*年)")
_CN_MONTH_DAY = re.compile(r"([零〇一二两三四五六七八九十]{1,3})(?=\s*[月日号])")
_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"[—–\-－～~‐‑‒―─]+")


def normalize_numerals(text: str) -> str:
    """Full-width and Chinese date numerals to ASCII, spaces removed, dashes unified to "-".

    Only numerals directly before 年/月/日 are converted: a blanket conversion would turn
    "九年义务教育" into "9年义务教育".
    """
    text = text.translate(_FULLWIDTH_DIGITS)
    text = _SPACES.sub("", text)
    text = _CN_YEAR.sub(lambda m: "".join(str(_CN_DIGITS[c]) for c in m.group(1)), text)
    text = _CN_MONTH_DAY.sub(lambda m: str(cn_to_int(m.group(1))), text)
    return _DASHES.sub("-", text)


# Alternatives are ordered from the most to the least specific so that, at any position, the
# longest reading wins ("2022年8月底" is a month, not the year 2022 followed by noise).
_DATE = re.compile(
    r"(?<!\d)(?:"
    r"(?P<iso>(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2}))(?!\d)"
    r"|(?P<range>(?P<r1>\d{4})年?(?:-|至|到)(?P<r2>\d{4})(?!\d)年?)"
    r"|(?P<day>(?:(?P<dy>\d{4})年)?(?P<dm>\d{1,2})月(?P<dd>\d{1,2})[日号])"
    r"|(?P<mon>(?:(?P<my>\d{4})年)?(?P<mm>\d{1,2})月(?P<mend>底|末|份)?)"
    r"|(?P<qtr>(?:(?P<qy>\d{4})年)?第?(?P<qn>[一二三四1-4])季度)"
    r"|(?P<half>(?:(?P<hy>\d{4})年)?(?P<hh>上|下)半年)"
    r"|(?P<fyp>十(?P<fyn>[一二三四五六七八九])五[”\"’]?(?P<fyw>期间|时期|末期|末)?)"
    r"|(?P<year>(?P<yy>\d{4})年(?P<yend>底|末|年底|年末)?)"
    r"|(?P<bare>年底|年末|年内|今年|本年度|本年)"
    r")"
)
_BEFORE = re.compile(r"(?:前|之前|以前)")
_ONGOING = re.compile(
    r"持续实施|持续推进|持续开展|长期坚持|长期实施|长期推进|长期开展|长期|常态化|长效|持续|每年|每学期|每季度|每月"
)


class _Hit:
    __slots__ = ("ambiguous", "due", "granularity", "inferred", "start")

    def __init__(
        self,
        due: date | None,
        granularity: Granularity,
        *,
        start: date | None = None,
        inferred: bool = False,
        ambiguous: bool = False,
    ) -> None:
        self.due = due
        self.granularity: Granularity = granularity
        self.start = start
        self.inferred = inferred
        self.ambiguous = ambiguous


def _valid_year(y: int) -> bool:
    return 1949 <= y <= 2100


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _resolve_year(written: str | None, document_year: int | None) -> tuple[int | None, bool]:
    if written:
        return int(written), False
    if document_year is None:
        return None, False
    return document_year, True


def _hit(m: re.Match[str], document_year: int | None, followed_by_before: bool) -> _Hit | None:
    g = m.group
    y: int | None
    if m.group("iso"):
        y, mo, d = int(g("iy")), int(g("im")), int(g("id"))
        if not _valid_year(y):
            return None
        try:
            return _Hit(date(y, mo, d), "day")
        except ValueError:
            return None
    if m.group("range"):
        y1, y2 = int(g("r1")), int(g("r2"))
        if not (_valid_year(y1) and _valid_year(y2)) or y2 < y1:
            return None
        return _Hit(date(y2, 12, 31), "year", start=date(y1, 1, 1))
    if m.group("day"):
        y, inferred = _resolve_year(g("dy"), document_year)
        mo, d = int(g("dm")), int(g("dd"))
        if not 1 <= mo <= 12:
            return None
        if y is None:
            return _Hit(None, "day")
        try:
            return _Hit(date(y, mo, d), "day", inferred=inferred)
        except ValueError:
            return None
    if m.group("mon"):
        y, inferred = _resolve_year(g("my"), document_year)
        mo = int(g("mm"))
        if not 1 <= mo <= 12 or (y is not None and not _valid_year(y)):
            return None
        # "8月底前" is unambiguous; "8月前" could mean "before August".
        ambiguous = followed_by_before and not g("mend")
        due = _month_end(y, mo) if y is not None else None
        return _Hit(due, "month", inferred=inferred, ambiguous=ambiguous)
    if m.group("qtr"):
        y, inferred = _resolve_year(g("qy"), document_year)
        q = cn_to_int(g("qn")) or 1
        due = _month_end(y, q * 3) if y is not None else None
        return _Hit(due, "quarter", inferred=inferred)
    if m.group("half"):
        y, inferred = _resolve_year(g("hy"), document_year)
        mo = 6 if g("hh") == "上" else 12
        due = _month_end(y, mo) if y is not None else None
        return _Hit(due, "half", inferred=inferred)
    if m.group("fyp"):
        # Five-year plans: the 13th (十三五) ran 2016-2020, each one five years after the last.
        n = cn_to_int(g("fyn"))
        if n is None:
            return None
        first = 2016 + (n - 3) * 5
        if not _valid_year(first):
            return None
        end = date(first + 4, 12, 31)
        if g("fyw") in ("末", "末期"):
            return _Hit(end, "year")
        if g("fyw"):
            return _Hit(end, "year", start=date(first, 1, 1))
        return None
    if m.group("year"):
        y = int(g("yy"))
        if not _valid_year(y):
            return None
        # "2025年前" may mean "before 2025"; "2025年底前" and "到2025年" may not.
        ambiguous = followed_by_before and not g("yend")
        return _Hit(date(y, 12, 31), "year", ambiguous=ambiguous)
    if g("bare"):
        y, inferred = _resolve_year(None, document_year)
        return _Hit(date(y, 12, 31) if y is not None else None, "year", inferred=inferred)
    return None


def parse_deadline(raw: str, *, document_year: int | None) -> Deadline | None:
    """Normalise one deadline phrase; None when it contains no date and no "ongoing" wording.

    When a phrase names several dates ("2019年6月底前完成方案，2020年底前全面完成") the latest
    one is the due date: the task is not done before its last step is.
    """
    if document_year is not None and not _valid_year(document_year):
        document_year = None
    text = normalize_numerals(raw)
    hits: list[_Hit] = []
    for m in _DATE.finditer(text):
        before = _BEFORE.match(text, m.end()) is not None
        h = _hit(m, document_year, before)
        if h is not None:
            hits.append(h)
    ongoing = _ONGOING.search(text) is not None
    if not hits and not ongoing:
        return None
    raw_clean = raw.strip()
    if not hits:
        return Deadline(raw=raw_clean, due=None, granularity=None, ongoing=True)
    dated = [h for h in hits if h.due is not None]
    best = max(dated, key=lambda h: h.due or date.min) if dated else hits[-1]
    return Deadline(
        raw=raw_clean,
        due=best.due,
        granularity=best.granularity,
        ongoing=ongoing,
        range_start=best.start,
        year_inferred=best.inferred,
        ambiguous=best.ambiguous,
    )


# --- finding a deadline inside a task's text -------------------------------------------------

_DEADLINE_LABEL = r"(?:完成时限|完成时间|办结时限|时限要求|时间要求|时间节点|截止时间|完成期限|时间安排|时限|时间)"
_OTHER_LABEL = (
    r"(?:组织实施单位|具体实施单位|牵头单位|牵头部门|责任单位|责任部门|配合单位|配合部门|协办单位"
    r"|协同单位|参与单位|实施单位|承办单位|主责单位|牵头|配合|协办|责任人|联系人)"
)
_LABELLED = re.compile(
    _DEADLINE_LABEL
    + r"\s*[：:]\s*(?P<v>.*?)(?=\s*[，,；;]?\s*"
    + _OTHER_LABEL
    + r"\s*[：:]|[；;。）)\n]|$)"
)
_CLAUSE_SPLIT = re.compile(r"[，,；;]")
_SENTENCE_END = ("。", "；", ";", ".", "！", "？", "")
_DEADLINE_WORD = re.compile(r"前|底|末|完成|持续|长期|启动|季度|半年|期间|每")
_SENTENCE_SPLIT = re.compile(r"[。！？!?\n]")
# A closing clause that is nothing but a deadline ("2022年底前完成", "持续推进"), as opposed to a
# sentence that merely mentions a year.
_DEADLINE_CLAUSE = re.compile(
    r"^(?:于|在|力争|确保|争取|并于|并在|须于|要在|务必于)?"
    r"(?P<d>[^，。；]{2,16}?(?:前|之前|以前|底|末|内|季度|半年|期间)|持续实施|持续推进|长期坚持|长期实施|长期推进|常态化推进)"
    r"(?:完成|全面完成|基本完成|落实|落实到位|到位|实现|建成|出台|启动|办结|完成任务)?$"
)


def find_deadline(text: str, *, document_year: int | None) -> Deadline | None:
    """The deadline a task's text gives, if it gives one.

    Looked for, in order: a labelled field ("完成时限：…", "时间：…"); the date clauses of a
    trailing responsibility parenthesis ("（市教育局负责，2022年8月底前完成）"); a closing clause
    that is only a deadline ("…，2022年底前完成。"). Years mentioned mid-sentence ("到2019年，
    所有县区通过评估") are targets, not deadlines, and are left to the target extractor.
    """
    for m in _LABELLED.finditer(text):
        value = m.group("v").strip(" ，,")
        if value:
            d = parse_deadline(value, document_year=document_year)
            if d is not None:
                return d
    paren = trailing_parenthetical(text)
    body = text
    if paren is not None:
        body = text.rstrip().rstrip("。.;；")
        body = body[: len(body) - len(paren) - 2]
        parts = [p.strip() for p in _CLAUSE_SPLIT.split(paren)]
        dated = [
            p for p in parts if p and parse_deadline(p, document_year=document_year) is not None
        ]
        # "…实施第三期行动计划（2018—2020年）。" names a plan's period, not this task's deadline:
        # a deadline parenthesis stands after the sentence or says when ("前", "完成", "持续").
        stands_alone = body.rstrip()[-1:] in _SENTENCE_END
        if dated and (stands_alone or any(_DEADLINE_WORD.search(p) for p in dated)):
            return parse_deadline("，".join(dated), document_year=document_year)
    sentences = [s for s in _SENTENCE_SPLIT.split(body) if s.strip()]
    if not sentences:
        return None
    last = sentences[-1].strip()
    clause = _CLAUSE_SPLIT.split(last)[-1].strip()
    if _DEADLINE_CLAUSE.match(normalize_numerals(clause)):
        return parse_deadline(clause, document_year=document_year)
    return None
