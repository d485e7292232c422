"""Counting what bulletins and progress views show — pure functions over rows already loaded.

按期办结率 (on-time closure rate) = tasks closed by their deadline ÷ tasks that were due or
closed by the day asked about. A task closed early counts as soon as it is closed; one not yet
due and still open is not counted either way.
"""

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from plans.models import Assignment, NodeKind, PlanNode, UnitRole
from plans.oversight.ladder import LEVEL_ORDER_LIGHT, Ladder, days_overdue, level_on
from plans.oversight.status import effective_due, light_of
from plans.planning.schemas import Light


@dataclass(frozen=True, slots=True)
class Facts:
    due: date | None
    completed: bool
    on_time: bool
    late: bool
    is_due: bool
    overdue: bool
    light: Light
    days_overdue: int


def facts(assignment: Assignment, node: PlanNode, as_of: date, ladder: Ladder) -> Facts:
    return facts_of(effective_due(assignment, node), assignment.completed_on, as_of, ladder)


def facts_of(due: date | None, completed_on: date | None, as_of: date, ladder: Ladder) -> Facts:
    """What one unit's task looks like on `as_of`, from its deadline and its closure date."""
    completed = completed_on is not None and completed_on <= as_of
    on_time = completed and (due is None or (completed_on is not None and completed_on <= due))
    overdue = not completed and due is not None and due < as_of
    return Facts(
        due=due,
        completed=completed,
        on_time=on_time,
        late=completed and not on_time,
        is_due=due is not None and due <= as_of,
        overdue=overdue,
        light="done" if completed else light_of(level_on(due, as_of, ladder)),
        days_overdue=days_overdue(due, as_of) if overdue else 0,
    )


def node_facts(
    node: PlanNode, assignments: Sequence[Assignment], as_of: date, ladder: Ladder
) -> Facts:
    """A task as a whole: closed when every responsible unit closed it, late if any was."""
    responsible = [a for a in assignments if a.role != UnitRole.cooperating]
    if not responsible:
        due = node.due_date
        overdue = due is not None and due < as_of
        return Facts(
            due=due,
            completed=False,
            on_time=False,
            late=False,
            is_due=due is not None and due <= as_of,
            overdue=overdue,
            light=light_of(level_on(due, as_of, ladder)),
            days_overdue=days_overdue(due, as_of) if overdue else 0,
        )
    parts = [facts(a, node, as_of, ladder) for a in responsible]
    completed = all(p.completed for p in parts)
    due_dates = [p.due for p in parts if p.due is not None]
    open_lights = [p.light for p in parts if p.light != "done"]
    return Facts(
        due=max(due_dates) if due_dates else None,
        completed=completed,
        on_time=completed and all(p.on_time for p in parts),
        late=completed and not all(p.on_time for p in parts),
        is_due=any(p.is_due for p in parts),
        overdue=any(p.overdue for p in parts),
        light=max(open_lights, key=LEVEL_ORDER_LIGHT.__getitem__) if open_lights else "done",
        days_overdue=max(p.days_overdue for p in parts),
    )


@dataclass
class Tally:
    tasks: int = 0
    completed: int = 0
    completed_on_time: int = 0
    completed_late: int = 0
    due: int = 0
    due_in_period: int = 0
    overdue: int = 0
    settled: int = 0
    lights: Counter[str] = field(default_factory=Counter)
    percent_total: int = 0
    percent_count: int = 0

    def add(
        self, fact: Facts, *, percent: int | None = None, period_start: date | None = None
    ) -> None:
        self.tasks += 1
        self.completed += fact.completed
        self.completed_on_time += fact.on_time
        self.completed_late += fact.late
        self.due += fact.is_due
        self.overdue += fact.overdue
        self.settled += fact.is_due or fact.completed
        if period_start is not None and fact.is_due and fact.due is not None:
            self.due_in_period += fact.due >= period_start
        self.lights[fact.light] += 1
        if percent is not None:
            self.percent_total += percent
            self.percent_count += 1

    @property
    def on_time_rate(self) -> float | None:
        return round(self.completed_on_time / self.settled, 4) if self.settled else None

    @property
    def average_percent(self) -> float | None:
        return round(self.percent_total / self.percent_count, 1) if self.percent_count else None


def key_work_of(nodes: Iterable[PlanNode]) -> dict[uuid.UUID, PlanNode | None]:
    """Each task's key work: the nearest heading above it (四/（一） for 四/（一）/1)."""
    by_id = {node.id: node for node in nodes}
    result: dict[uuid.UUID, PlanNode | None] = {}
    for node in by_id.values():
        if node.kind != NodeKind.task:
            continue
        parent = by_id.get(node.parent_id) if node.parent_id else None
        while parent is not None and parent.kind != NodeKind.heading:
            parent = by_id.get(parent.parent_id) if parent.parent_id else None
        result[node.id] = parent
    return result
