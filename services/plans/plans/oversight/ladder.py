"""The 督办 ladder as pure functions of (due date, today): no clock, no database.

Before the deadline a unit is reminded at T−7, T−3 and T−1 (blue). The day after the deadline
passes without an accepted completion the task turns yellow (催办, the responsible leader is
copied); `red_after_days` after it, red (通报). While it stays open a reminder repeats every
`overdue_repeat_days`. Each step has a key; the scan records the key with the due date, so a
step is taken once per due date however often the scan runs — and an approved extension (a new
due date) starts the ladder afresh.

A scan that missed days (a worker was down) takes only the step that applies today, not every
step it missed: people get one current reminder, not a burst of stale ones.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from plans.models import Level


@dataclass(frozen=True, slots=True)
class Ladder:
    reminder_days_before: tuple[int, ...] = (7, 3, 1)
    yellow_after_days: int = 1
    red_after_days: int = 6
    overdue_repeat_days: int = 3

    @classmethod
    def from_settings(cls, settings: Any) -> "Ladder":
        return cls(
            reminder_days_before=tuple(sorted(set(settings.reminder_days_before), reverse=True)),
            yellow_after_days=settings.yellow_after_days,
            red_after_days=max(settings.red_after_days, settings.yellow_after_days),
            overdue_repeat_days=settings.overdue_repeat_days,
        )

    @property
    def horizon(self) -> int:
        """How many days ahead of a deadline the ladder starts."""
        return max(self.reminder_days_before, default=0)


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    level: Level


def level_on(due: date | None, today: date, ladder: Ladder, *, completed: bool = False) -> Level:
    if completed or due is None:
        return Level.none
    days_left = (due - today).days
    if days_left >= 0:
        return Level.blue if days_left <= ladder.horizon else Level.none
    overdue = -days_left
    if overdue >= ladder.red_after_days:
        return Level.red
    if overdue >= ladder.yellow_after_days:
        return Level.yellow
    return Level.blue


def steps_on(due: date, today: date, ladder: Ladder) -> list[Step]:
    """The steps that apply on `today` for an open task due on `due`."""
    days_left = (due - today).days
    if days_left >= 0:
        reached = [days for days in ladder.reminder_days_before if days_left <= days]
        return [Step(f"before:{min(reached)}", Level.blue)] if reached else []
    overdue = -days_left
    level = level_on(due, today, ladder)
    steps: list[Step] = []
    if level in (Level.yellow, Level.red):
        steps.append(Step(f"level:{level.value}", level))
    repeat = (overdue - 1) // ladder.overdue_repeat_days
    if repeat >= 1:
        steps.append(Step(f"overdue:{repeat}", level))
    return steps


def days_overdue(due: date | None, today: date) -> int:
    return max((today - due).days, 0) if due is not None else 0


LEVEL_ORDER_LIGHT = {"done": -1, "green": 0, "blue": 1, "yellow": 2, "red": 3}
