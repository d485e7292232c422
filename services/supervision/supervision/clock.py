"""Business dates: deadlines, visit months and daily scans are days in Asia/Shanghai."""

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(BUSINESS_TZ).date()


def business_date(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_month(day: date) -> date:
    """The first day of the month before ``day``'s."""
    return month_start(month_start(day) - timedelta(days=1))


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(value: str) -> date:
    """``2026-10`` → 2026-10-01; ValueError otherwise."""
    year, _, month = value.partition("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(value)
    return date(int(year), int(month), 1)
