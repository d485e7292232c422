"""Who may do what in plans, and the WHERE clauses that enforce it in queries.

Two kinds of standing, from the token's grants:

- **Owner** of a plan: a city admin (every plan), a district admin for the plans their district
  issued, or staff holding an org grant on the issuing organisation. Owners see the whole plan,
  review reports and decide extensions.
- **Assignee**: a unit responsible for a task — `unit_reporter@org:<org id>`, district staff
  (`district_admin@district:<code>`) for the units in their district, school staff for their
  school. Assignees see and report only their own tasks.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement, false, or_, true

from plans.models import Assignment, Plan
from shared.auth import Authorize, Principal, Role
from shared.clients.plans import PROGRESS_SCOPE

STAFF_ROLES = (Role.city_admin, Role.district_admin, Role.unit_reporter, Role.school_staff)

PlanStaff = Annotated[Principal, Depends(Authorize(*STAFF_ROLES))]
PlanAuthor = Annotated[Principal, Depends(Authorize(Role.city_admin, Role.district_admin))]
ProgressReader = Annotated[
    Principal,
    Depends(Authorize(Role.city_admin, scopes=[PROGRESS_SCOPE], allow_service=True)),
]
IndicatorAdmin = Annotated[Principal, Depends(Authorize(Role.city_admin))]


def _uuids(values: frozenset[str]) -> frozenset[uuid.UUID]:
    parsed: set[uuid.UUID] = set()
    for value in values:
        try:
            parsed.add(uuid.UUID(value))
        except ValueError:
            continue
    return frozenset(parsed)


@dataclass(frozen=True, slots=True)
class Access:
    subject: str
    city_wide: bool
    districts: frozenset[str]
    orgs: frozenset[uuid.UUID]
    schools: frozenset[str]

    @classmethod
    def of(cls, principal: Principal) -> "Access":
        scope = principal.org_filter(*STAFF_ROLES)
        return cls(
            subject=principal.subject,
            city_wide=scope.city_wide,
            districts=scope.districts,
            orgs=_uuids(scope.orgs),
            schools=scope.schools,
        )

    # --- ownership ---------------------------------------------------------------------------

    def owned_plans(self) -> ColumnElement[bool]:
        if self.city_wide:
            return true()
        clauses: list[ColumnElement[bool]] = []
        if self.districts:
            clauses.append(Plan.owner_district_code.in_(self.districts))
        if self.orgs:
            clauses.append(Plan.owner_org_id.in_(self.orgs))
        return or_(*clauses) if clauses else false()

    def owns(self, plan: Plan) -> bool:
        return self.owns_values(plan.owner_district_code, plan.owner_org_id)

    def owns_values(self, owner_district_code: str | None, owner_org_id: uuid.UUID | None) -> bool:
        return (
            self.city_wide
            or (owner_district_code is not None and owner_district_code in self.districts)
            or (owner_org_id is not None and owner_org_id in self.orgs)
        )

    # --- assignments -------------------------------------------------------------------------

    def own_assignments(self) -> ColumnElement[bool]:
        """Assignments this principal reports for (never city-wide: the city reviews)."""
        clauses: list[ColumnElement[bool]] = []
        if self.orgs:
            clauses.append(Assignment.org_id.in_(self.orgs))
        if self.districts:
            clauses.append(Assignment.district_code.in_(self.districts))
        codes = self.districts | self.schools
        if codes:
            clauses.append(Assignment.org_code.in_(codes))
        return or_(*clauses) if clauses else false()

    def reports_for(self, assignment: Assignment) -> bool:
        return (
            assignment.org_id in self.orgs
            or (assignment.district_code is not None and assignment.district_code in self.districts)
            or (
                assignment.org_code is not None
                and assignment.org_code in (self.districts | self.schools)
            )
        )

    def sees_scope(self, scope_code: str) -> bool:
        """Indicator figures for an area: the city sees all, a district its own."""
        return self.city_wide or scope_code in self.districts
