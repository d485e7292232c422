"""Bulk school statistics as a spreadsheet: one row per school, headers in Chinese (or the
English keys). Parsing is pure: it returns each row's statistics or the row's errors, naming the
spreadsheet row and column, so a district fixes the file in one pass."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import ValidationError

from supervision.schooldata.schemas import SchoolStatistics


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str


COLUMNS: tuple[Column, ...] = (
    Column("school_code", "学校标识码"),
    Column("school_name", "学校名称"),
    Column("school_kind", "学校类型（学校/教学点）"),
    Column("primary_students", "小学在校生数"),
    Column("primary_qualified_teachers", "小学专科及以上学历专任教师数"),
    Column("primary_backbone_teachers", "小学县级及以上骨干教师数"),
    Column("primary_pe_art_teachers", "小学体育艺术专任教师数"),
    Column("junior_students", "初中在校生数"),
    Column("junior_qualified_teachers", "初中本科及以上学历专任教师数"),
    Column("junior_backbone_teachers", "初中县级及以上骨干教师数"),
    Column("junior_pe_art_teachers", "初中体育艺术专任教师数"),
    Column("senior_students", "高中在校生数"),
    Column("teaching_space_m2", "教学及辅助用房面积（㎡）"),
    Column("sports_space_m2", "体育运动场馆面积（㎡）"),
    Column("equipment_value_yuan", "教学仪器设备值（元）"),
    Column("multimedia_classrooms", "网络多媒体教室数（间）"),
)
_BY_HEADER = {c.header: c.key for c in COLUMNS} | {c.key: c.key for c in COLUMNS}
# Short headers people type by hand.
_BY_HEADER |= {
    "学校类型": "school_kind",
    "教学及辅助用房面积": "teaching_space_m2",
    "体育运动场馆面积": "sports_space_m2",
    "教学仪器设备值": "equipment_value_yuan",
    "网络多媒体教室数": "multimedia_classrooms",
}
_KINDS = {
    "学校": "school",
    "school": "school",
    "教学点": "teaching_point",
    "teaching_point": "teaching_point",
}
_PART_FIELDS = ("students", "qualified_teachers", "backbone_teachers", "pe_art_teachers")
_SHARED_FIELDS = (
    "teaching_space_m2",
    "sports_space_m2",
    "equipment_value_yuan",
    "multimedia_classrooms",
)


class SheetError(ValueError):
    """The file as a whole is unusable (not xlsx, no header, too many rows)."""


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ParsedRow:
    row: int
    school_code: str
    statistics: SchoolStatistics | None
    errors: list[RowError] = field(default_factory=list)


def template() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "学校统计"
    sheet.append([c.header for c in COLUMNS])
    sheet.append([c.key for c in COLUMNS])
    sheet.row_dimensions[2].hidden = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header_key(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return _BY_HEADER.get(text)


def _number(value: Any) -> float | str | None:
    """A number, None for an empty cell, or the offending text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return str(value)


def parse(data: bytes, *, max_rows: int) -> list[ParsedRow]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SheetError("不是有效的 xlsx 文件") from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise SheetError("工作簿中没有工作表")
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise SheetError("第1行应为表头")
        keys = [_header_key(cell) for cell in header]
        if "school_code" not in keys:
            raise SheetError("表头缺少“学校标识码”（school_code）列")
        parsed: list[ParsedRow] = []
        for number, values in enumerate(rows, start=2):
            cells = {key: values[i] for i, key in enumerate(keys) if key and i < len(values)}
            if all(v is None or str(v).strip() == "" for v in cells.values()):
                continue
            if cells.get("school_code") == "school_code":
                continue  # the template's hidden key row
            if len(parsed) >= max_rows:
                raise SheetError(f"数据行超过 {max_rows} 行")
            parsed.append(_parse_row(number, cells))
        return parsed
    finally:
        workbook.close()


def _parse_row(number: int, cells: dict[str, Any]) -> ParsedRow:
    errors: list[RowError] = []
    code = str(cells.get("school_code") or "").strip()
    if code.endswith(".0"):  # a code typed as a number
        code = code[:-2]
    if not code:
        errors.append(RowError(number, "school_code", "缺少学校标识码"))
    elif not code.isdigit() or len(code) > 20:
        errors.append(RowError(number, "school_code", f"学校标识码 {code} 格式不正确"))

    kind_cell = str(cells.get("school_kind") or "学校").strip()
    kind = _KINDS.get(kind_cell)
    if kind is None:
        errors.append(
            RowError(number, "school_kind", f"学校类型应为“学校”或“教学点”，不是“{kind_cell}”")
        )

    numbers: dict[str, float | None] = {}
    invalid: set[str] = set()
    for key, raw in cells.items():
        if key in ("school_code", "school_name", "school_kind"):
            continue
        value = _number(raw)
        if isinstance(value, str):
            errors.append(RowError(number, key, f"应为数字，不是“{value}”"))
            numbers[key] = None
            invalid.add(key)
        else:
            numbers[key] = value

    parts: dict[str, dict[str, Any]] = {}
    for part in ("primary", "junior", "senior"):
        students = numbers.get(f"{part}_students")
        if students is None:
            if f"{part}_students" in invalid:
                continue
            stray = [f for f in _PART_FIELDS[1:] if numbers.get(f"{part}_{f}") is not None]
            for name in stray:
                errors.append(RowError(number, f"{part}_{name}", "填写了该学段数据但缺少在校生数"))
            continue
        if students != int(students):
            errors.append(RowError(number, f"{part}_students", "在校生数应为整数"))
            continue
        parts[part] = {"students": int(students)}
        if part != "senior":
            for name in _PART_FIELDS[1:]:
                parts[part][name] = numbers.get(f"{part}_{name}")

    if errors:
        return ParsedRow(number, code, None, errors)
    payload: dict[str, Any] = {"kind": kind, "parts": parts}
    payload.update({name: numbers.get(name) for name in _SHARED_FIELDS})
    try:
        statistics = SchoolStatistics.model_validate(payload)
    except ValidationError as error:
        for item in error.errors():
            loc = [str(p) for p in item.get("loc", ())]
            column = _column_for(loc)
            message = str(item.get("msg", "")).removeprefix("Value error, ")
            errors.append(RowError(number, column, message))
        return ParsedRow(number, code, None, errors)
    return ParsedRow(number, code, statistics)


def _column_for(loc: list[str]) -> str:
    if len(loc) >= 3 and loc[0] == "parts":
        return f"{loc[1]}_{loc[2]}"
    if loc and loc[0] in _SHARED_FIELDS:
        return loc[0]
    return "row"


def header_of(key: str) -> str:
    return next((c.header for c in COLUMNS if c.key == key), key)
