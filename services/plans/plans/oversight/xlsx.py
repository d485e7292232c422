"""The monthly bulletin as a workbook: a ranked table of units and the list of overdue tasks."""

import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

from plans.oversight.schemas import Bulletin, BulletinRow

HEADERS = (
    "排名",
    "单位",
    "单位代码",
    "承担任务",
    "应办结",
    "本月到期",
    "按期办结",
    "逾期办结",
    "逾期未办结",
    "按期办结率",
    "黄色督办",
    "红色督办",
)
OVERDUE_HEADERS = ("单位", "规划", "任务编号", "任务", "完成时限", "逾期天数", "督办等级")
LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "red": "红色"}
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _clean(value: object) -> object:
    """Excel refuses control characters; a title pasted from elsewhere may carry some."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _row(row: BulletinRow) -> list[object]:
    return [
        row.rank,
        row.org_name,
        row.org_code,
        row.tasks,
        row.due,
        row.due_in_month,
        row.completed_on_time,
        row.completed_late,
        row.overdue,
        row.on_time_rate,
        row.yellow,
        row.red,
    ]


def bulletin_workbook(bulletin: Bulletin, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "按期办结率"
    sheet.append([_clean(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"统计截至 {bulletin.as_of.isoformat()}"])
    sheet.append(list(HEADERS))
    for cell in sheet[3]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for row in bulletin.rows:
        sheet.append([_clean(v) for v in _row(row)])
    if bulletin.totals is not None:
        sheet.append([_clean(v) for v in _row(bulletin.totals)])
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
    for cells in sheet.iter_rows(min_row=4, min_col=10, max_col=10):
        for cell in cells:
            cell.number_format = "0.0%"
    widths = (6, 28, 12, 10, 8, 10, 10, 10, 12, 12, 10, 10)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[chr(64 + index)].width = width
    sheet.freeze_panes = "A4"

    overdue = workbook.create_sheet("逾期任务")
    overdue.append(list(OVERDUE_HEADERS))
    for cell in overdue[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for task in bulletin.overdue_tasks:
        overdue.append(
            [
                _clean(value)
                for value in (
                    task.org_name,
                    task.plan_title,
                    task.node_ref,
                    task.title,
                    task.due,
                    task.days_overdue,
                    LEVEL_ZH.get(task.level, task.level),
                )
            ]
        )
    for cells in overdue.iter_rows(min_row=2, min_col=5, max_col=5):
        for cell in cells:
            cell.number_format = "yyyy-mm-dd"
    for index, width in enumerate((28, 36, 14, 40, 12, 10, 10), start=1):
        overdue.column_dimensions[chr(64 + index)].width = width

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
