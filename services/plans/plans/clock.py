"""Business days are Asia/Shanghai days (DESIGN.md §3). Everything that asks "what day is it"
goes through here, so tests and jobs can inject a clock."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], date]


def shanghai_today() -> date:
    return datetime.now(SHANGHAI).date()


def shanghai_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def get_today(request: Request) -> date:
    clock: Clock = getattr(request.app.state, "clock", shanghai_today)
    return clock()


Today = Annotated[date, Depends(get_today)]
