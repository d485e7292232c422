"""Policy text → plan header, node tree, tasks and indicator targets.

The parser proposes and a person confirms (the import endpoint returns a preview), so it keeps
raw text and raw unit names next to everything it interprets, and never raises on odd input.

Structure follows the GB/T 9704 numbering: 一、 / （一） / 1. / （1） / ①, plus 第一部分 / 第一章
/ 第一节 above them and 行动一：/ 专项行动一： wherever they first appear. Markers are ranked by
their *type*, not by how deep they happen to sit, so a document that skips a level (一、 then
1.) still nests correctly.

Output (``ParsedPlan.model_dump(mode="json")``), beyond the shape in issue 6:

- ``plan.document_year``: the year undated deadlines are read in; ``plan.warnings``: what the
  person confirming should check (numbering gaps and duplicates, unknown year, no structure).
- ``nodes[].ref`` is the path of numbering tokens ("四/（一）/1"); a repeated number gets "~2".
  ``level`` is the depth in the tree (1 = top). ``numbering`` is the marker as written.
  ``title`` is the item's text up to the first 。/：/；/！/？ (at most 60 characters);
  ``text`` is the whole item after its marker, paragraphs joined by newlines, unit clause
  included.
- ``nodes[].kind``: ``task`` when the item names responsible units or a deadline, or is a
  leaf numbered 1. / （1） / ① or deeper; otherwise ``heading``. So principles and safeguards
  written as （一）… leaves without units stay headings, and units are not inherited.
- ``nodes[].deadline`` adds ``range_start``, ``year_inferred`` and ``ambiguous`` (see
  ``deadlines.Deadline``); it comes only from a labelled field, a trailing responsibility
  parenthesis or a closing deadline clause, never from a year mentioned mid-sentence.
- ``targets[]`` adds ``year_inferred``, ``node`` (the ref the sentence belongs to, None for the
  preamble) and ``raw`` (the clause, numerals normalised). ``year`` may be null. A target
  stated twice in identical terms is listed once, where it first appears.

Page furniture (page numbers, 抄送/印发 lines, web-page chrome, markdown marks) is dropped, and
lines cut by page breaks are rejoined before anything is numbered.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from pydantic import BaseModel, Field

from plans.imports.deadlines import Deadline, cn_to_int, find_deadline
from plans.imports.targets import Target, extract_targets
from plans.imports.units import UnitAssignment, extract_units

__all__ = [
    "CorruptDocumentError",
    "DocumentReadError",
    "ParsedNode",
    "ParsedPlan",
    "Period",
    "PlanHeader",
    "UnsupportedDocumentError",
    "parse_policy_text",
    "read_document",
]

NodeKind = Literal["heading", "task"]


# --- output models ---------------------------------------------------------------------------


class Period(BaseModel):
    start: int | None
    end: int | None


class PlanHeader(BaseModel):
    """What the document says about itself.

    ``document_year`` is the year undated deadlines ("上半年", "年底前") are read in: the year
    of an annual plan, else of the 文号, else the period's first year. ``warnings`` tell the
    person confirming the import what to check (numbering gaps, missing year, no structure).
    """

    title: str | None
    doc_number: str | None
    issuer: str | None
    period: Period | None
    document_year: int | None = None
    warnings: list[str] = Field(default_factory=list)


class ParsedNode(BaseModel):
    """One numbered item. ``ref`` is the path of numbering tokens ("四/（一）/1"), ``level`` its
    depth in the tree (1 = top), ``numbering`` the marker as written ("1.", "（一）", "一、")."""

    ref: str
    parent: str | None
    level: int
    numbering: str
    kind: NodeKind
    title: str
    text: str
    units: list[UnitAssignment]
    deadline: Deadline | None


class ParsedPlan(BaseModel):
    plan: PlanHeader
    nodes: list[ParsedNode]
    targets: list[Target]


# --- reading files ---------------------------------------------------------------------------


class DocumentReadError(Exception):
    """The upload cannot be turned into text. ``code`` is stable, for API problem documents."""

    code = "plans.import.unreadable"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnsupportedDocumentError(DocumentReadError):
    code = "plans.import.unsupported_format"


class CorruptDocumentError(DocumentReadError):
    code = "plans.import.corrupt"


_TEXT_SUFFIXES = {".txt", ".text", ".md", ""}


def read_document(data: bytes, filename: str) -> str:
    """Text of a .txt (UTF-8, UTF-8 with BOM, UTF-16 with BOM, else GB18030) or .docx upload.

    .docx text keeps body order: paragraphs and tables as they appear. A task-division table
    (序号 / 工作任务 / 牵头单位 / 责任单位 / 完成时限) becomes one numbered line per row with its
    labelled fields in brackets, which is the shape the parser reads in running text.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".docx" or (suffix in _TEXT_SUFFIXES and data.startswith(b"PK\x03\x04")):
        return _read_docx(data, filename)
    if suffix == ".doc" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedDocumentError(
            f"{filename}: legacy Word (.doc) files are not supported; save it as .docx or .txt"
        )
    if suffix not in _TEXT_SUFFIXES:
        raise UnsupportedDocumentError(
            f"{filename}: unsupported file type {suffix!r}; upload .txt or .docx"
        )
    return _decode_text(data, filename)


def _decode_text(data: bytes, filename: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CorruptDocumentError(f"{filename}: invalid UTF-16 text") from exc
    if b"\x00" in data:
        raise CorruptDocumentError(f"{filename}: binary content, not a text file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CorruptDocumentError(f"{filename}: text is neither UTF-8 nor GB18030")


_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号"),
    "organizing": ("牵头单位", "牵头部门", "组织实施单位", "牵头"),
    "implementing": ("责任单位", "责任部门", "具体实施单位", "实施单位"),
    "cooperating": ("配合单位", "配合部门", "协办单位", "参与单位"),
    "deadline": ("完成时限", "完成时间", "时间节点", "时限", "时间"),
    "task": (
        "工作任务",
        "主要任务",
        "重点任务",
        "具体任务",
        "任务内容",
        "工作内容",
        "工作措施",
        "主要措施",
        "具体措施",
        "任务",
        "措施",
        "内容",
    ),
}
_COLUMN_LABEL = {
    "organizing": "牵头单位",
    "implementing": "责任单位",
    "cooperating": "配合单位",
    "deadline": "完成时限",
}


def _read_docx(data: bytes, filename: str) -> str:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                lines.append(block.text)
            elif isinstance(block, Table):
                lines.extend(_table_lines(block))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CorruptDocumentError(f"{filename}: not a readable .docx file ({exc})") from exc
    except Exception as exc:  # lxml and python-docx raise many types on damaged parts
        raise CorruptDocumentError(f"{filename}: damaged .docx file ({exc})") from exc
    return "\n".join(lines)


def _table_lines(table: Any) -> Iterator[str]:
    rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
    if not rows:
        return
    header = rows[0]
    columns: dict[str, int] = {}
    for idx, title in enumerate(header):
        compact = re.sub(r"\s+", "", title)
        for role, names in _TABLE_COLUMNS.items():
            if role not in columns and compact in names:
                columns[role] = idx
                break
    is_task_table = "task" in columns and any(
        r in columns for r in ("organizing", "implementing", "cooperating", "deadline")
    )
    if not is_task_table:
        for row in rows:
            # Merged cells repeat their text in every grid cell they span.
            cells = [c for i, c in enumerate(row) if c and (i == 0 or c != row[i - 1])]
            if cells:
                yield "\u3000".join(cells)
        return
    for n, row in enumerate(rows[1:], start=1):
        task = row[columns["task"]].replace("\n", "") if columns["task"] < len(row) else ""
        if not task:
            continue
        number = str(n)
        if "number" in columns and columns["number"] < len(row):
            written = row[columns["number"]].strip().rstrip(".．、")
            if written.isdigit():
                number = written
        fields = []
        for role, label in _COLUMN_LABEL.items():
            col = columns.get(role)
            if col is not None and col < len(row) and row[col]:
                fields.append(f"{label}：{row[col].replace(chr(10), '、')}")
        clause = f"（{'；'.join(fields)}）" if fields else ""
        yield f"{number}. {task.rstrip('。')}。{clause}"


# --- line cleaning and paragraphs ------------------------------------------------------------

_MD_HEADING = re.compile(r"^\s*#{1,6}\s*")
_MD_EMPHASIS = re.compile(r"\*\*|__")
_FURNITURE = re.compile(
    r"^(?:"
    r"[—\-–－~～_\s]*(?:第\s*)?\d{1,4}\s*页?(?:\s*[/／]\s*\d{1,4})?(?:\s*共\s*\d+\s*页)?[—\-–－~～_\s]*"
    r"|[-*_=—]{3,}"
    r"|(?:抄送|抄报|分送|主送)[：:].*"
    r"|.{0,40}\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发"
    r"|(?:公开方式|公开属性|信息公开选项)[：:].*"
    r"|[（(]此件[^）)]{0,20}[）)]"
    r"|分享到[：:]?.*"
    r"|您的位置[：:].*"
    r"|.{0,20}欢迎您[!！]?"
    r"|发布时间[：:].*"
    r"|(?:打印本页|关闭窗口|【打印】|【关闭】|扫一扫.*|字号[：:].*)"
    r"|(?:联系人|联系电话|校对)[：:].{0,40}"
    r")$"
)
_TERMINAL = "。！？!?；;）)”》」』】"
_UNFINISHED_END = "，,、：:“《（(〈「『【"
_OPENERS = "（(《〈“「『【"
_CLOSERS = "）)》〉”」』】"


def _clean_line(line: str) -> str:
    line = _MD_HEADING.sub("", line)
    line = _MD_EMPHASIS.sub("", line)
    return line.strip()


def _balance(text: str) -> int:
    return sum(text.count(c) for c in _OPENERS) - sum(text.count(c) for c in _CLOSERS)


@dataclass
class _Para:
    first: str
    is_heading_line: bool  # a markdown "#" line is a paragraph of its own
    marker: _Marker | None  # numbering at the start of the paragraph
    # Joining cut lines keeps running tallies instead of rescanning the text, so a document of
    # thousands of cut lines still parses in linear time.
    rest: list[str] = field(default_factory=list)
    length: int = 0
    last: str = ""
    balance: int = 0
    has_stop: bool = False

    @classmethod
    def start(cls, line: str, is_heading_line: bool, marker: _Marker | None) -> _Para:
        return cls(
            line, is_heading_line, marker, [], len(line), line[-1], _balance(line), "。" in line
        )

    def join(self, line: str) -> None:
        self.rest.append(line)
        self.length += len(line)
        self.last = line[-1]
        self.balance += _balance(line)
        self.has_stop = self.has_stop or "。" in line

    @property
    def text(self) -> str:
        return self.first + "".join(self.rest)


def _unfinished(p: _Para) -> bool:
    """Whether a paragraph was cut by a page or line break and continues on the next line.

    Short lines without a full stop are headings ("一、强化顶层设计，抓好系统工程布局谋篇") and
    stay whole; long ones without a final stop, or ones with an open bracket, were cut.
    """
    if p.last in _UNFINISHED_END or p.balance > 0:
        return True
    if p.last in _TERMINAL:
        return False
    return p.length >= 50 or p.has_stop


def _continues(prev: _Para, in_body: bool) -> bool:
    if prev.is_heading_line:
        return False
    if _unfinished(prev):
        return True
    # In the body, running text ends with a full stop; a body line without one was cut by a
    # page break ("…九年义务教育巩固" / "率达到 96%以上"). Item lines and table rows (cells are
    # joined with an ideographic space) may legitimately lack it.
    return (
        in_body
        and prev.marker is None
        and prev.last not in _TERMINAL
        and prev.length >= 20
        and "\u3000" not in prev.first
        and "\t" not in prev.first
    )


def _paragraphs(text: str) -> list[_Para]:
    out: list[_Para] = []
    in_body = False
    for raw_line in text.splitlines():
        is_md_heading = raw_line.lstrip().startswith("#")
        line = _clean_line(raw_line)
        if not line:
            continue
        marker = _match_marker(line)
        # A numbered line is content even when it reads like furniture ("3. 制定印发…").
        if marker is None and _FURNITURE.match(line):
            continue
        if out and marker is None and not is_md_heading and _continues(out[-1], in_body):
            out[-1].join(line)
            continue
        out.append(_Para.start(line, is_md_heading, marker))
        in_body = in_body or marker is not None
    return out


# --- numbering markers -----------------------------------------------------------------------

_CN_NUM = "零〇一二三四五六七八九十百两"
_MARKERS: tuple[tuple[str, float, re.Pattern[str]], ...] = (
    ("part", 0.0, re.compile(rf"^第\s*(?P<n>[{_CN_NUM}\d]+)\s*(?:部分|篇)\s*[、：:．.]?\s*")),
    ("chapter", 1.0, re.compile(rf"^第\s*(?P<n>[{_CN_NUM}\d]+)\s*章\s*[、：:．.]?\s*")),
    ("section", 2.0, re.compile(rf"^第\s*(?P<n>[{_CN_NUM}\d]+)\s*节\s*[、：:．.]?\s*")),
    ("cn", 3.0, re.compile(rf"^(?P<n>[{_CN_NUM}]{{1,4}})\s*[、．.]\s*")),
    # 行动 items take their rank from where they first appear (see _Stack.rank_of).
    ("action", -1.0, re.compile(rf"^(?:专项)?行动\s*(?P<n>[{_CN_NUM}\d]+)\s*[：:、．.]?\s*")),
    (
        "paren_cn",
        4.0,
        re.compile(rf"^(?:[（(]\s*(?P<n>[{_CN_NUM}]{{1,4}})\s*[）)]|(?P<n2>[㈠-㈩]))\s*"),
    ),
    # "1.5亿元" at a line start is a number, not an item.
    ("arabic", 5.0, re.compile(r"^(?P<n>[0-9０-９]{1,3})\s*(?:[.．](?![0-9０-９])|、)\s*")),
    (
        "paren_arabic",
        6.0,
        re.compile(
            r"^(?:[（(]\s*(?P<n>[0-9０-９]{1,3})\s*[）)]|(?P<n2>[0-9０-９]{1,3})[）)]|(?P<n3>[⑴-⒇]))\s*"
        ),
    ),
    ("circled", 7.0, re.compile(r"^(?P<n>[①-⑳])\s*")),
)
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# Word's single-character "㈠" and "⑴" stand for （一） and （1）.
_ENCLOSED = {chr(0x3220 + i): c for i, c in enumerate("一二三四五六七八九十")} | {
    chr(0x2474 + i): str(i + 1) for i in range(20)
}
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_TASK_RANK = 5.0


@dataclass(frozen=True)
class _Marker:
    style: str
    ordinal: int | None
    token: str  # what goes into the ref
    numbering: str  # as written
    end: int  # where the marker ends in its line; the rest is the item's text


def _match_marker(line: str) -> _Marker | None:
    for style, _rank, pattern in _MARKERS:
        m = pattern.match(line)
        if m is None:
            continue
        groups = m.groupdict()
        n = groups.get("n") or groups.get("n2") or groups.get("n3") or ""
        n = _ENCLOSED.get(n, n).translate(_FULLWIDTH_DIGITS)
        written = m.group(0).strip()
        if style == "circled":
            ordinal: int | None = _CIRCLED.index(n) + 1
            token = n
        else:
            ordinal = cn_to_int(n)
            token = {
                "part": f"第{n}部分",
                "chapter": f"第{n}章",
                "section": f"第{n}节",
                "cn": n,
                "action": f"行动{n}",
                "paren_cn": f"（{n}）",
                "arabic": n,
                "paren_arabic": f"（{n}）",
            }[style]
        if style == "action":
            written = written.rstrip("：:、．. ")
        return _Marker(style, ordinal, token, written, m.end())
    return None


# --- tree building ---------------------------------------------------------------------------


@dataclass
class _Node:
    ref: str
    parent: _Node | None
    depth: int
    style: str
    rank: float
    ordinal: int | None
    numbering: str
    paragraphs: list[str]
    children: list[_Node] = field(default_factory=list)


class _Stack:
    def __init__(self) -> None:
        self.items: list[_Node] = []
        self.action_rank: float | None = None

    def rank_of(self, style: str) -> float:
        if style != "action":
            return next(rank for s, rank, _ in _MARKERS if s == style)
        if self.action_rank is None:
            # Top-level "行动一：" outranks everything below it; nested under 一、 it sits
            # between 一、 and （一）.
            self.action_rank = self.items[-1].rank + 0.5 if self.items else 0.5
        return self.action_rank

    def parent_for(self, style: str, rank: float) -> _Node | None:
        same = [i for i, n in enumerate(self.items) if n.style == style]
        if same:
            del self.items[same[-1] :]
        else:
            while self.items and self.items[-1].rank >= rank:
                self.items.pop()
        return self.items[-1] if self.items else None


_TITLE_END = re.compile(r"[。！？!?；;：]|(?<![0-9]):(?![0-9])")
_TITLE_MAX = 60


def _title(rest: str) -> str:
    m = _TITLE_END.search(rest)
    title = rest[: m.start()] if m else rest
    if re.fullmatch(r"(?:专项)?行动[零〇一二三四五六七八九十百两\d]+", title.strip()) and m:
        # "行动一：学前教育普惠扩容行动。" — the label alone is no title.
        tail = rest[m.end() :]
        m2 = _TITLE_END.search(tail)
        title = title + "：" + (tail[: m2.start()] if m2 else tail)
    title = title.strip().rstrip("，,、")
    if len(title) > _TITLE_MAX:
        comma = re.search(r"[，,]", title[6:])
        if comma and comma.start() + 6 <= _TITLE_MAX:
            title = title[: comma.start() + 6]
        else:
            title = title[:_TITLE_MAX]
    return title or rest[:_TITLE_MAX].strip()


# --- header ----------------------------------------------------------------------------------

_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}\s*[〔［\[【(（]\s*(?:19|20)\d{2}\s*[〕］\]】)）]\s*\d{1,5}\s*号"
)
_NOTICE_TITLE = re.compile(
    r"^(?P<issuer>.{0,40}?)关于(?:印发|转发|下发|发布)(?P<inner>.+?)的(?:通知|函|决定|意见)$"
)
_PLAN_WORD = re.compile(
    r"(?:方案|计划|规划|要点|意见|纲要|办法|措施|细则|工程|任务分工|清单|安排|行动)"
    r"(?:[（(][^（()）]{0,20}[）)])?$"
)
_ISSUER_LINE = re.compile(
    r"^(?!各)[\u4e00-\u9fff（）()]{2,30}?(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会|教育局|教育厅|政府|局|厅|委|办)$"
)
_SOURCE = re.compile(r"来源[：:]\s*(?P<s>[\u4e00-\u9fff]{2,30})")
_RANGE = re.compile(r"((?:19|20)\d{2})\s*年?\s*[—–\-－~～至到]+\s*((?:19|20)\d{2})\s*年?")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_DATE_LINE = re.compile(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
_FIVE_YEAR = re.compile(r"十([一二三四五六七八九])五")
_ANNUAL = re.compile(r"工作要点|年度|工作计划|工作安排|年工作")
_SPACE_NEAR_PUNCT = re.compile(r"\s+(?=[\d—–\-〉》）)〔〕])|(?<=[\d—–\-《〈（(〔〕])\s+")


def _tidy(text: str) -> str:
    return _SPACE_NEAR_PUNCT.sub("", text.strip())


def _range(text: str) -> Period | None:
    for m in _RANGE.finditer(text):
        if int(m.group(1)) <= int(m.group(2)):
            return Period(start=int(m.group(1)), end=int(m.group(2)))
    return None


def _period(title: str, header: str, full_text: str) -> tuple[Period | None, int | None]:
    """The plan's period and, for an annual plan, its year.

    The title is the best witness ("（2018—2020年）", "“十四五”", "2018年工作要点"); failing
    that, the first year range in the preamble, then anywhere in the text.
    """
    period = _range(title)
    if period is not None:
        return period, None
    fm = _FIVE_YEAR.search(title)
    if fm is not None:
        n = cn_to_int(fm.group(1))
        if n is not None:
            first = 2016 + (n - 3) * 5
            return Period(start=first, end=first + 4), None
    ym = _YEAR.search(title)
    if ym and _ANNUAL.search(title):
        year = int(ym.group(1))
        return Period(start=year, end=year), year
    return _range(header) or _range(full_text), None


_NOTICE_END = re.compile(r"的(?:通知|函|决定|意见)$")


def _mend_split_titles(paras: list[str]) -> list[str]:
    """Rejoin a 红头 title set on two lines ("…关于印发南宁市贯彻" / "《…》实施方案的通知")."""
    out: list[str] = []
    i = 0
    while i < len(paras):
        p = paras[i]
        if (
            i + 1 < len(paras)
            and "关于" in p
            and not _NOTICE_END.search(p)
            and _NOTICE_END.search(paras[i + 1])
            and "。" not in p + paras[i + 1]
            and len(p) + len(paras[i + 1]) <= 120
        ):
            out.append(p + paras[i + 1])
            i += 2
            continue
        out.append(p)
        i += 1
    return out


def _header(paras: list[str], full_text: str) -> PlanHeader:
    paras = _mend_split_titles(paras)
    doc_number: str | None = None
    for p in paras:
        m = _DOC_NUMBER.search(p)
        if m:
            doc_number = re.sub(r"\s+", "", m.group(0))
            break

    notice_issuer: str | None = None
    notice_inner: str | None = None
    candidates: list[str] = []
    bare_orgs: list[str] = []
    for p in paras:
        compact = p.strip()
        nm = _NOTICE_TITLE.match(compact)
        if nm:
            notice_issuer = notice_issuer or (nm.group("issuer").strip() or None)
            notice_inner = notice_inner or _tidy(nm.group("inner")).strip("《》")
            continue
        if _ISSUER_LINE.match(compact):
            bare_orgs.append(compact)
            continue
        if (
            len(compact) <= 80
            and "。" not in compact
            and not compact.endswith(("：", ":", "，", ","))
            and not _DOC_NUMBER.fullmatch(compact)
            and not _DATE_LINE.match(compact)
            and not compact.isdigit()
        ):
            candidates.append(compact)

    title: str | None = None
    plan_like = [c for c in candidates if _PLAN_WORD.search(c)]
    if plan_like:
        title = _tidy(plan_like[-1])
    elif notice_inner:
        title = notice_inner
    elif candidates:
        title = _tidy(candidates[0])

    issuer = notice_issuer or (bare_orgs[0] if bare_orgs else None)
    if issuer is None:
        sm = _SOURCE.search("\n".join(paras))
        issuer = sm.group("s") if sm else None

    period, annual_year = _period(title or "", "\n".join(paras), full_text)

    doc_year: int | None = annual_year
    if doc_year is None and doc_number:
        ym = re.search(r"(?:19|20)\d{2}", doc_number)
        doc_year = int(ym.group(0)) if ym else None
    if doc_year is None and period is not None:
        doc_year = period.start
    if doc_year is None:
        for p in paras:
            dm = re.search(r"((?:19|20)\d{2})\s*(?:年\s*\d{1,2}\s*月|-\d{1,2}-\d{1,2})", p)
            if dm:
                doc_year = int(dm.group(1))
                break
    return PlanHeader(
        title=title,
        doc_number=doc_number,
        issuer=issuer,
        period=period,
        document_year=doc_year,
    )


# --- main entry ------------------------------------------------------------------------------


_MAX_WARNINGS = 50


def parse_policy_text(text: str) -> ParsedPlan:
    """Parse a plan document's text into its header, node tree and indicator targets."""
    paras = _paragraphs(text.replace("\r\n", "\n").replace("\r", "\n"))
    header_paras: list[str] = []
    roots: list[_Node] = []
    order: list[_Node] = []
    stack = _Stack()
    used_refs: set[str] = set()
    next_duplicate: dict[str, int] = {}
    warnings: list[str] = []
    last_ordinal: dict[tuple[str | None, str], int | None] = {}

    for para in paras:
        marker = para.marker
        para_text = para.text
        if marker is None:
            if order:
                order[-1].paragraphs.append(para_text)
            else:
                header_paras.append(para_text)
            continue
        rank = stack.rank_of(marker.style)
        parent = stack.parent_for(marker.style, rank)
        base = f"{parent.ref}/{marker.token}" if parent else marker.token
        ref = base
        if base in used_refs:
            # "~" never occurs in a numbering token, so these refs cannot clash with real ones.
            n = next_duplicate.get(base, 2)
            next_duplicate[base] = n + 1
            ref = f"{base}~{n}"
            warnings.append(f"duplicate numbering {base!r}: the later item is {ref!r}")
        used_refs.add(ref)
        key = (parent.ref if parent else None, marker.style)
        previous = last_ordinal.get(key, 0)
        if (
            marker.ordinal is not None
            and previous is not None
            and marker.ordinal != previous + 1
            and ref == base
        ):
            warnings.append(f"numbering jumps to {ref!r} after item {previous} at this level")
        last_ordinal[key] = marker.ordinal
        node = _Node(
            ref=ref,
            parent=parent,
            depth=(parent.depth + 1) if parent else 1,
            style=marker.style,
            rank=rank,
            ordinal=marker.ordinal,
            numbering=marker.numbering,
            paragraphs=[rest] if (rest := para_text[marker.end :].strip()) else [],
        )
        if parent:
            parent.children.append(node)
        else:
            roots.append(node)
        stack.items.append(node)
        order.append(node)

    plan = _header(header_paras, text)
    if not order:
        warnings.append("no numbered items (一、 / （一） / 1. …) were found")
    if plan.document_year is None:
        warnings.append("the document's year is unknown: undated deadlines have no due date")
    doc_year = plan.document_year
    annual = (
        plan.period is not None
        and plan.period.start is not None
        and plan.period.start == plan.period.end
    )
    default_target_year = plan.period.start if annual and plan.period else None

    nodes: list[ParsedNode] = []
    targets: list[Target] = []
    seen_targets: set[tuple[str, int | None, str, float, str | None]] = set()

    def add_targets(paragraphs: list[str], ref: str | None) -> None:
        for p in paragraphs:
            for t in extract_targets(p, default_year=default_target_year):
                key = (t.indicator, t.year, t.comparator, t.value, t.unit)
                if key not in seen_targets:
                    seen_targets.add(key)
                    targets.append(t.model_copy(update={"node": ref}))

    add_targets(header_paras, None)
    for node in order:
        body = "\n".join(node.paragraphs)
        units = extract_units(body)
        deadline = find_deadline(body, document_year=doc_year)
        is_task = (
            bool(units) or deadline is not None or (not node.children and node.rank >= _TASK_RANK)
        )
        nodes.append(
            ParsedNode(
                ref=node.ref,
                parent=node.parent.ref if node.parent else None,
                level=node.depth,
                numbering=node.numbering,
                kind="task" if is_task else "heading",
                title=_title(node.paragraphs[0]) if node.paragraphs else "",
                text=body,
                units=units,
                deadline=deadline,
            )
        )
        add_targets(node.paragraphs, node.ref)

    if len(warnings) > _MAX_WARNINGS:
        more = len(warnings) - _MAX_WARNINGS
        warnings = [*warnings[:_MAX_WARNINGS], f"… and {more} more numbering warnings"]
    plan.warnings = warnings
    return ParsedPlan(plan=plan, nodes=nodes, targets=targets)
