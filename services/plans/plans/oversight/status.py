"""Colours people see, computed from dates for the day asked about (never stored stale)."""

from collections.abc import Sequence
from datetime import date

from plans.models import Assignment, AssignmentState, Level, PlanNode, UnitRole
from plans.oversight.ladder import LEVEL_ORDER_LIGHT, Ladder, level_on
from plans.planning.schemas import Light

_LIGHT: dict[Level, Light] = {
    Level.none: "green",
    Level.blue: "blue",
    Level.yellow: "yellow",
    Level.red: "red",
}


def light_of(level: Level) -> Light:
    return _LIGHT[level]


def effective_due(assignment: Assignment, node: PlanNode) -> date | None:
    return assignment.extended_due or node.due_date


def chased(assignments: Sequence[Assignment]) -> list[Assignment]:
    """Units that must close a task: organising and implementing ones, not cooperating."""
    return [a for a in assignments if a.role != UnitRole.cooperating]


def assignment_light(assignment: Assignment, node: PlanNode, today: date, ladder: Ladder) -> Light:
    if assignment.state == AssignmentState.completed:
        return "done"
    return light_of(level_on(effective_due(assignment, node), today, ladder))


def task_light(
    node: PlanNode, assignments: Sequence[Assignment], today: date, ladder: Ladder
) -> Light:
    responsible = chased(assignments)
    if not responsible:
        return light_of(level_on(node.due_date, today, ladder))
    lights = [assignment_light(a, node, today, ladder) for a in responsible]
    open_lights = [light for light in lights if light != "done"]
    if not open_lights:
        return "done"
    return max(open_lights, key=LEVEL_ORDER_LIGHT.__getitem__)
