"""School rosters as workbooks, for the school's office and the district's files."""

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

from enrolment.admissions.schemas import LiveRosterEntry, RosterEntry, RunSchoolRead

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TRACK_ZH = {"public": "公办", "private": "民办"}
OFFER_ZH = {"offered": "待确认", "confirmed": "已确认", "declined": "已放弃", "expired": "逾期"}
ROUND_ZH = {"main": "录取", "reassignment": "统筹安排（调剂）"}


def _clean(value: object) -> object:
    """Excel refuses control characters; names typed elsewhere may carry some."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _header(sheet: object, row: int, headers: Sequence[str], widths: Sequence[int]) -> None:
    sheet.append(list(headers))  # type: ignore[attr-defined]
    for cell in sheet[row]:  # type: ignore[index]
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width  # type: ignore[attr-defined]
    sheet.freeze_panes = f"A{row + 1}"  # type: ignore[attr-defined]


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_roster_workbook(school: RunSchoolRead, entries: Sequence[RosterEntry], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "录取名单"
    sheet.append([_clean(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    cutoff = school.cutoff.text if school.cutoff else (school.summary or "")
    sheet.append(
        [
            _clean(
                f"{school.school_name}（{school.school_code}）：学位 {school.capacity}，"
                f"录取 {school.admitted}，报名 {school.applicants}。{cutoff}"
            )
        ]
    )
    _header(
        sheet,
        3,
        (
            "座位号",
            "报名编号",
            "姓名",
            "身份证号",
            "类别",
            "批次",
            "志愿",
            "录取依据",
            "抽签号",
            "确认",
        ),
        (8, 20, 12, 22, 8, 22, 8, 60, 30, 10),
    )
    for entry in entries:
        sheet.append(
            [
                _clean(value)
                for value in (
                    entry.seat_no,
                    entry.public_id,
                    entry.child_name,
                    entry.id_number,
                    TRACK_ZH.get(entry.track.value, entry.track.value),
                    entry.batch_code or "",
                    ("地段（公民同招）" if entry.fallback else entry.choice_rank) or "",
                    entry.basis,
                    entry.lottery,
                    OFFER_ZH.get(entry.offer_status.value, "") if entry.offer_status else "",
                )
            ]
        )
    return _save(workbook)


def live_roster_workbook(title: str, entries: Sequence[LiveRosterEntry]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "学位名单"
    sheet.append([_clean(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    _header(
        sheet,
        2,
        ("座位号", "报名编号", "姓名", "身份证号", "来源", "状态", "确认截止"),
        (8, 20, 12, 22, 16, 10, 20),
    )
    for entry in entries:
        sheet.append(
            [
                _clean(value)
                for value in (
                    entry.seat_no,
                    entry.public_id,
                    entry.child_name,
                    entry.id_number,
                    ROUND_ZH[entry.round.value],
                    OFFER_ZH[entry.status.value],
                    entry.respond_by.isoformat(),
                )
            ]
        )
    return _save(workbook)
