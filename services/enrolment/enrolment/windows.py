"""Business time: cycle windows and daily opening hours, in Asia/Shanghai.

A day's hours are a list of spans `{"start": "HH:MM", "end": "HH:MM"}`, each including its
start and excluding its end (08:30–12:30 takes 08:30:00 and refuses 12:30:00); `24:00` ends a
span at midnight, so `00:00–24:00` is open all day. An override day may instead be
`{"closed": true}`. Nothing is implicit: an empty list is not a day's hours.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_SECONDS = 24 * 3600

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def hhmm_seconds(value: str) -> int:
    """`08:30` → 30600; `24:00` → 86400 (a span's end only)."""
    hours, _, minutes = value.partition(":")
    return int(hours) * 3600 + int(minutes) * 60


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    """Seconds after local midnight, included."""
    end: int
    """Seconds after local midnight, excluded; 86400 is midnight at the day's end."""

    @classmethod
    def parse(cls, value: Mapping[str, str]) -> "Span":
        return cls(hhmm_seconds(value["start"]), hhmm_seconds(value["end"]))

    def holds(self, seconds: float) -> bool:
        return self.start <= seconds < self.end

    def describe(self) -> str:
        return f"{_hhmm(self.start)}–{_hhmm(self.end)}"


DayHours = tuple[Span, ...]
"""The spans a day is open in; empty: closed that day."""

ALL_DAY: DayHours = (Span(0, DAY_SECONDS),)


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def day_hours(stored: Any) -> DayHours:
    """A day's hours as stored in a cycle: a list of spans, or `{"closed": true}`."""
    if isinstance(stored, Mapping):
        if stored.get("closed") is not True:
            raise ValueError(f"a day's hours are a list of spans or {{'closed': true}}: {stored}")
        return ()
    return tuple(Span.parse(span) for span in stored)


def overrides_by_day(stored: Mapping[str, Any]) -> dict[date, DayHours]:
    return {date.fromisoformat(day): day_hours(value) for day, value in stored.items()}


def hours_for(day: date, daily_hours: DayHours, overrides: Mapping[date, DayHours]) -> DayHours:
    return overrides.get(day, daily_hours)


def within_daily_hours(
    moment: datetime, daily_hours: DayHours, overrides: Mapping[date, DayHours]
) -> bool:
    local = moment.astimezone(SHANGHAI)
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return any(span.holds(seconds) for span in hours_for(local.date(), daily_hours, overrides))


def describe_hours(spans: Sequence[Span]) -> str:
    if not spans:
        return "当日不开放"
    if tuple(spans) == ALL_DAY:
        return "全天"
    return "、".join(span.describe() for span in spans)


def within_window(moment: datetime, opens_at: datetime, closes_at: datetime) -> bool:
    """A window includes its opening moment and excludes its closing one."""
    return opens_at <= moment < closes_at


def local_text(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
