"""Bulk import of organisations from xlsx or CSV, with a per-row error report.

Every row is checked with the same rules as the API (`check_draft`); the good rows are written
and the bad ones reported by row number and field. The whole import is one transaction: if
anything fails while writing, nothing of it is stored. Rows match existing units by code (or,
for units without a code, by kind and name) and update them; the others are created. A row may
name as its parent a unit created further down the file.
"""

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import (
    AuditLog,
    Organization,
    OrganizationImport,
    OrganizationKind,
    Ownership,
    Stage,
)
from directory.organizations.names import normalize_name
from directory.organizations.repository import OrganizationRepository
from directory.organizations.schemas import Alias, Code, ImportReport, Name, RowError
from directory.organizations.service import CodeTaken, Draft, apply_draft, check_draft
from shared import audit
from shared.auth import Principal
from shared.errors import InvalidInput, PayloadTooLarge, translate_validation_error
from shared.i18n import Text
from shared.ids import uuid7

log = structlog.get_logger("directory.imports")

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("kind", "类型", "机构类型"),
    "code": ("code", "代码", "机构代码", "学校标识码", "行政区划代码"),
    "name": ("name", "名称", "机构名称", "学校名称"),
    "parent_code": ("parent_code", "上级代码", "上级机构代码"),
    "district_code": ("district_code", "区县代码"),
    "stages": ("stages", "学段"),
    "ownership": ("ownership", "办学性质"),
    "address": ("address", "地址"),
    "aliases": ("aliases", "别名"),
    "valid_from": ("valid_from", "启用日期"),
    "valid_to": ("valid_to", "停用日期"),
    "latitude": ("latitude", "纬度"),
    "longitude": ("longitude", "经度"),
}
REQUIRED_COLUMNS = ("kind", "name")
_HEADER = {alias.lower(): column for column, aliases in COLUMNS.items() for alias in aliases}

KIND_WORDS: dict[str, OrganizationKind] = {
    "市教育局": OrganizationKind.city_bureau,
    "区县教育局": OrganizationKind.district_bureau,
    "县区教育局": OrganizationKind.district_bureau,
    "学校": OrganizationKind.school,
    "幼儿园": OrganizationKind.kindergarten,
    "部门": OrganizationKind.department,
    "政府部门": OrganizationKind.department,
    "政府": OrganizationKind.government,
    "人民政府": OrganizationKind.government,
    "院校": OrganizationKind.institution,
    "事业单位": OrganizationKind.institution,
}
STAGE_WORDS: dict[str, tuple[str, ...]] = {
    "小学": ("primary",),
    "初中": ("junior",),
    "高中": ("senior",),
    "幼儿园": ("kindergarten",),
    "学前": ("kindergarten",),
    "九年一贯制": ("primary", "junior"),
    "完全中学": ("junior", "senior"),
    "十二年一贯制": ("primary", "junior", "senior"),
}
OWNERSHIP_WORDS = {"公办": "public", "民办": "private"}
_LIST_SEPARATORS = re.compile(r"[、,，;；/|\s]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ImportFileInvalid(InvalidInput):
    code = "directory.organization_import.invalid_file"
    title = Text("导入文件无法读取", "The import file cannot be read")


class ImportRow(BaseModel):
    """One row after its cells are read; pydantic checks the shapes, `check_draft` the rules."""

    model_config = ConfigDict(extra="forbid")

    kind: OrganizationKind
    code: Code | None = None
    name: Name
    parent_code: Code | None = None
    district_code: Code | None = None
    stages: list[Stage] = []
    ownership: Ownership | None = None
    address: str | None = None
    aliases: list[Alias] = []
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass
class Row:
    number: int
    cells: dict[str, str]
    data: ImportRow | None = None
    errors: list[RowError] = field(default_factory=list)
    organization: Organization | None = None
    existing: bool = False

    def fail(self, column: str, message: Text | str) -> None:
        self.errors.append(RowError(row=self.number, field=column, message=str(message)))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileInvalid(
            Text("不是有效的 xlsx 文件", "Not a valid xlsx file"),
        ) from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _read_csv(content: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ImportFileInvalid(Text("无法识别文件编码", "Unknown text encoding"))
    if "\x00" in text:
        raise ImportFileInvalid(Text("不是文本格式的 CSV 文件", "Not a text CSV file"))
    try:
        for values in csv.reader(io.StringIO(text)):
            yield [value.strip() for value in values]
    except csv.Error as error:
        raise ImportFileInvalid(Text("CSV 格式错误", "Malformed CSV")) from error


def file_format(content: bytes, filename: str | None) -> str:
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if filename and filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileInvalid(Text("不是有效的 xlsx 文件", "Not a valid xlsx file"))
    return "csv"


def read_rows(content: bytes, filename: str | None) -> tuple[str, list[Row]]:
    if len(content) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(
            Text(f"导入文件不能超过 {MAX_IMPORT_BYTES // 1048576} MB", "The file is too large")
        )
    if not content.strip():
        raise ImportFileInvalid(Text("文件为空", "The file is empty"))
    kind = file_format(content, filename)
    try:
        lines = _read_xlsx(content) if kind == "xlsx" else _read_csv(content)
        header: list[str] | None = None
        rows: list[Row] = []
        for number, values in enumerate(lines, start=1):
            if header is None:
                header = _columns(values)
                continue
            if not any(values):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise PayloadTooLarge(
                    Text(f"一次最多导入 {MAX_IMPORT_ROWS} 行", f"At most {MAX_IMPORT_ROWS} rows")
                )
            cells = {
                column: values[index] if index < len(values) else ""
                for index, column in enumerate(header)
                if column
            }
            rows.append(Row(number=number, cells=cells))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ImportFileInvalid(Text("文件内容无法读取", "The file cannot be read")) from error
    if header is None:
        raise ImportFileInvalid(Text("文件没有表头", "The file has no header row"))
    return kind, rows


def _columns(values: list[str]) -> list[str]:
    columns: list[str] = []
    unknown: list[str] = []
    for value in values:
        key = value.strip().lower()
        if not key:
            columns.append("")
            continue
        column = _HEADER.get(key)
        if column is None:
            unknown.append(value)
        columns.append(column or "")
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if unknown or missing:
        parts_zh, parts_en = [], []
        if missing:
            parts_zh.append(f"缺少列：{'、'.join(missing)}")
            parts_en.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            parts_zh.append(f"无法识别的列：{'、'.join(unknown)}")
            parts_en.append(f"unknown columns: {', '.join(unknown)}")
        raise ImportFileInvalid(Text("；".join(parts_zh), "; ".join(parts_en)))
    return columns


def _split(value: str) -> list[str]:
    return [part for part in _LIST_SEPARATORS.split(value) if part]


def _parse_date(value: str) -> str:
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", value)
    if not match:
        return value  # pydantic reports it
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def parse_row(row: Row) -> None:
    raw: dict[str, Any] = {}
    for column, value in row.cells.items():
        if value == "":
            continue
        if _CONTROL.search(value):
            row.fail(column, Text("含有不可见的控制字符", "Contains control characters"))
            continue
        if column == "kind":
            raw[column] = KIND_WORDS.get(value, value.lower())
        elif column == "stages":
            stages: list[str] = []
            for word in _split(value):
                stages += STAGE_WORDS.get(word, (word.lower(),))
            raw[column] = list(dict.fromkeys(stages))
        elif column == "ownership":
            raw[column] = OWNERSHIP_WORDS.get(value, value.lower())
        elif column == "aliases":
            raw[column] = [part for part in re.split(r"[、;；|]", value) if part.strip()]
        elif column in ("valid_from", "valid_to"):
            raw[column] = _parse_date(value)
        elif column in ("latitude", "longitude"):
            try:
                raw[column] = Decimal(value)
            except InvalidOperation:
                raw[column] = value
        else:
            raw[column] = value
    if row.errors:
        return
    try:
        row.data = ImportRow.model_validate(raw)
    except ValidationError as error:
        for problem in error.errors():
            translated = translate_validation_error(problem)
            column = str(problem["loc"][0]) if problem["loc"] else "row"
            row.fail(column, translated.message)
        return
    for column, bound in (("latitude", 90), ("longitude", 180)):
        value = getattr(row.data, column)
        if value is not None and not (-bound <= value <= bound):
            row.fail(column, Text(f"应在 ±{bound} 之间", f"must be within ±{bound}"))


@dataclass
class _Plan:
    rows: list[Row]
    by_code: dict[str, Row]


class OrganizationImporter:
    async def run(
        self,
        session: AsyncSession,
        *,
        content: bytes,
        filename: str | None,
        principal: Principal,
        dry_run: bool = False,
    ) -> ImportReport:
        kind, rows = read_rows(content, filename)
        for row in rows:
            parse_row(row)
        plan = self._index_codes(rows)
        repository = OrganizationRepository(session)
        existing = await self._existing(repository, rows)
        by_name = await self._existing_by_name(repository, rows)
        self._resolve(plan, existing, by_name, dry_run)

        good = [row for row in rows if not row.errors and row.organization is not None]
        created = sum(1 for row in good if not row.existing)
        updated = len(good) - created
        errors = sorted(
            (error for row in rows for error in row.errors), key=lambda e: (e.row, e.field)
        )
        report = ImportReport(
            id=None,
            dry_run=dry_run,
            rows_total=len(rows),
            rows_created=created,
            rows_updated=updated,
            rows_failed=sum(1 for row in rows if row.errors),
            errors=errors,
        )
        if dry_run:
            return report

        for row in good:
            if not row.existing and row.organization is not None:
                session.add(row.organization)
        record = OrganizationImport(
            id=uuid7(),
            created_by=principal.subject,
            filename=(filename or "")[:200] or None,
            file_format=kind,
            file_sha256=hashlib.sha256(content).hexdigest(),
            rows_total=report.rows_total,
            rows_created=created,
            rows_updated=updated,
            rows_failed=report.rows_failed,
            errors=[error.model_dump() for error in errors],
        )
        session.add(record)
        try:
            await session.flush()
        except Exception as error:
            # A concurrent change took a code between our checks and the write: the request
            # rolls back, so nothing of this import is stored.
            log.warning("organization_import_failed", error=type(error).__name__)
            raise CodeTaken(
                Text(
                    "导入期间有机构代码被占用，本次导入未保存任何数据",
                    "A code was taken while importing; nothing was stored",
                )
            ) from error
        audit.record(
            session,
            AuditLog,
            action="organization.imported",
            resource_type="organization_import",
            resource_id=record.id,
            principal=principal,
            details={
                "rows": report.rows_total,
                "created": created,
                "updated": updated,
                "failed": report.rows_failed,
            },
        )
        report.id = record.id
        return report

    def _index_codes(self, rows: list[Row]) -> _Plan:
        by_code: dict[str, Row] = {}
        for row in rows:
            if row.data is None or row.data.code is None:
                continue
            first = by_code.get(row.data.code)
            if first is not None:
                row.fail(
                    "code",
                    Text(
                        f"代码与第 {first.number} 行重复",
                        f"The same code as row {first.number}",
                    ),
                )
            else:
                by_code[row.data.code] = row
        return _Plan(rows, by_code)

    async def _existing(
        self, repository: OrganizationRepository, rows: list[Row]
    ) -> dict[str, Organization]:
        codes: set[str] = set()
        for row in rows:
            if row.data is not None:
                codes.update(code for code in (row.data.code, row.data.parent_code) if code)
        return {
            organization.code: organization
            for organization in await repository.with_codes(codes)
            if organization.code is not None and organization.valid_to is None
        }

    async def _existing_by_name(
        self, repository: OrganizationRepository, rows: list[Row]
    ) -> dict[tuple[str, str], Organization]:
        names = {
            normalize_name(row.data.name)
            for row in rows
            if row.data is not None and row.data.code is None
        }
        return {
            (organization.kind.value, organization.search_name): organization
            for organization in await repository.with_search_names(names)
            if organization.valid_to is None
        }

    def _resolve(
        self,
        plan: _Plan,
        existing: dict[str, Organization],
        by_name: dict[tuple[str, str], Organization],
        dry_run: bool,
    ) -> None:
        pending = [row for row in plan.rows if not row.errors and row.data is not None]
        while pending:
            deferred: list[Row] = []
            for row in pending:
                assert row.data is not None
                parent: Organization | None = None
                parent_code = row.data.parent_code
                if parent_code is not None:
                    in_file = plan.by_code.get(parent_code)
                    if in_file is not None and in_file is not row:
                        if in_file.errors:
                            row.fail(
                                "parent_code",
                                Text(
                                    f"上级机构（第 {in_file.number} 行）有错误",
                                    f"The parent (row {in_file.number}) has errors",
                                ),
                            )
                            continue
                        if in_file.organization is None:
                            deferred.append(row)
                            continue
                        parent = in_file.organization
                    elif parent_code in existing:
                        parent = existing[parent_code]
                    else:
                        row.fail(
                            "parent_code",
                            Text("上级机构代码不存在", "No organisation has this parent code"),
                        )
                        continue
                self._place(row, parent, existing, by_name, dry_run)
            if len(deferred) == len(pending):
                for row in deferred:
                    row.fail(
                        "parent_code",
                        Text("上级关系成环", "The parent codes form a cycle"),
                    )
                break
            pending = deferred

    def _place(
        self,
        row: Row,
        parent: Organization | None,
        existing: dict[str, Organization],
        by_name: dict[tuple[str, str], Organization],
        dry_run: bool,
    ) -> None:
        data = row.data
        assert data is not None
        if data.code is not None:
            target = existing.get(data.code)
        else:
            target = by_name.get((data.kind.value, normalize_name(data.name)))
        if target is not None and target.kind != data.kind:
            row.fail(
                "kind",
                Text(
                    f"与现有机构「{target.name}」的类型不同",
                    f"Differs from the existing {target.name}",
                ),
            )
            return
        if parent is not None and target is not None and parent is target:
            row.fail("parent_code", Text("上级机构不能是自己", "A unit cannot be its own parent"))
            return
        draft = Draft(
            kind=data.kind,
            code=data.code,
            name=data.name,
            parent_id=parent.id if parent is not None else None,
            district_code=data.district_code,
            stages=[stage.value for stage in data.stages],
            ownership=data.ownership,
            address=data.address,
            latitude=data.latitude,
            longitude=data.longitude,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            successor_id=target.successor_id if target is not None else None,
            aliases=data.aliases or ([a.alias for a in target.aliases] if target else []),
        )
        problems = check_draft(draft, parent)
        if problems:
            for column, message in problems:
                row.fail("parent_code" if column == "parent_id" else column, message)
            return
        row.existing = target is not None
        if target is None:
            organization = Organization(id=uuid7(), aliases=[])
            apply_draft(organization, draft)
            row.organization = organization
        else:
            # A dry run must not touch loaded rows: the request's session would commit them.
            if not dry_run:
                apply_draft(target, draft)
            row.organization = target


organization_importer = OrganizationImporter()
