"""Business time: cycle windows and daily opening hours, in Asia/Shanghai."""

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


def hours_for(
    day: date,
    daily_hours: Sequence[dict[str, str]],
    overrides: dict[str, list[dict[str, str]]],
) -> Sequence[dict[str, str]]:
    return overrides.get(day.isoformat(), daily_hours)


def within_daily_hours(
    moment: datetime,
    daily_hours: Sequence[dict[str, str]],
    overrides: dict[str, list[dict[str, str]]],
) -> bool:
    local = moment.astimezone(SHANGHAI)
    spans = hours_for(local.date(), daily_hours, overrides)
    if not spans:
        return True
    now = local.time()
    return any(parse_hhmm(span["start"]) <= now < parse_hhmm(span["end"]) for span in spans)


def describe_hours(spans: Sequence[dict[str, str]]) -> str:
    return "、".join(f"{span['start']}–{span['end']}" for span in spans) or "全天"


def local_text(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
