"""Who sees and does what in supervision.

- city staff (`city_admin@city:450100`) see everything;
- district staff (`district_admin@district:X`) see district X;
- school staff (`school_staff@school:C`) see what concerns school C;
- an inspector (`inspector@district:X`) sees only the schools assigned to them — not the whole
  district their grant names. The token's subject is linked to an `Inspector` record
  (`account_subject`); assignments come from this service's own tables.

Endpoints declare one of the `…Scope` dependencies below; repositories turn `Scope.where(...)`
into the WHERE clause, so rows outside the scope are never loaded.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Authorize, Principal, Role
from shared.db import DbSession
from shared.errors import Forbidden
from shared.i18n import Text
from supervision.models import Inspector, InspectorAssignment


@dataclass(frozen=True, slots=True)
class Scope:
    principal: Principal
    city_wide: bool = False
    districts: frozenset[str] = frozenset()
    schools: frozenset[str] = frozenset()
    inspector_id: uuid.UUID | None = None
    inspector_district: str | None = None
    assigned_schools: frozenset[str] = frozenset()

    @property
    def subject(self) -> str:
        return self.principal.subject

    @property
    def is_inspector(self) -> bool:
        return self.inspector_id is not None

    def manages(self, district_code: str | None) -> bool:
        """City staff, or district staff of that district."""
        return self.city_wide or (district_code is not None and district_code in self.districts)

    def is_school_staff_of(self, school_code: str | None) -> bool:
        return school_code is not None and school_code in self.schools

    def is_assigned_to(self, school_code: str | None) -> bool:
        return school_code is not None and school_code in self.assigned_schools

    def sees(self, district_code: str | None, school_code: str | None) -> bool:
        return (
            self.manages(district_code)
            or self.is_school_staff_of(school_code)
            or self.is_assigned_to(school_code)
        )

    def where(
        self,
        district_column: Any,
        school_column: Any | None = None,
    ) -> ColumnElement[bool]:
        """The rows this principal sees, by their district and (optionally) school columns."""
        if self.city_wide:
            return true()
        clauses: list[ColumnElement[bool]] = []
        if self.districts:
            clauses.append(district_column.in_(sorted(self.districts)))
        visible_schools = self.schools | self.assigned_schools
        if school_column is not None and visible_schools:
            clauses.append(school_column.in_(sorted(visible_schools)))
        return or_(*clauses) if clauses else false()

    def require_manager(self, district_code: str | None) -> None:
        if not self.manages(district_code):
            raise OutOfScope()

    def require_city(self) -> None:
        if not self.city_wide:
            raise Forbidden(Text("只有市级督导部门可以执行此操作", "Only city staff may do this"))


class OutOfScope(Forbidden):
    code = "supervision.scope.forbidden"
    title = Text("不在您的管辖或责任范围内", "Outside your area of responsibility")


async def load_scope(session: AsyncSession, principal: Principal) -> Scope:
    admin = principal.org_filter(Role.city_admin, Role.district_admin)
    schools = principal.org_filter(Role.school_staff).schools
    inspector: Inspector | None = None
    assigned: frozenset[str] = frozenset()
    if principal.has_role(Role.inspector):
        inspector = await session.scalar(
            select(Inspector).where(
                Inspector.account_subject == principal.subject, Inspector.active.is_(True)
            )
        )
        # The record's district must be one the token grants; otherwise the link is stale.
        granted = principal.org_filter(Role.inspector)
        if inspector is not None and not (
            granted.city_wide or inspector.district_code in granted.districts
        ):
            inspector = None
        if inspector is not None:
            rows = await session.scalars(
                select(InspectorAssignment.school_code).where(
                    InspectorAssignment.inspector_id == inspector.id,
                    InspectorAssignment.ends_on.is_(None),
                )
            )
            assigned = frozenset(rows)
    return Scope(
        principal=principal,
        city_wide=admin.city_wide,
        districts=admin.districts,
        schools=schools,
        inspector_id=inspector.id if inspector else None,
        inspector_district=inspector.district_code if inspector else None,
        assigned_schools=assigned,
    )


def scope_for(*roles: Role) -> Any:
    """A dependency: the caller must hold one of ``roles``; gives their scope."""
    authorize = Authorize(*roles)

    async def dependency(
        principal: Annotated[Principal, Depends(authorize)], session: DbSession
    ) -> Scope:
        return await load_scope(session, principal)

    return Depends(dependency)


READER_ROLES: tuple[Role, ...] = (
    Role.city_admin,
    Role.district_admin,
    Role.school_staff,
    Role.inspector,
)

# Anyone working in supervision: what they see is cut by their scope.
ReaderScope = Annotated[Scope, scope_for(*READER_ROLES)]
# 督导部门 staff: the city, and districts for their own district.
ManagerScope = Annotated[Scope, scope_for(Role.city_admin, Role.district_admin)]
# City staff only (activating frameworks, approving publications …).
CityScope = Annotated[Scope, scope_for(Role.city_admin)]
# Managers and inspectors (raising findings, recording scores).
FieldScope = Annotated[Scope, scope_for(Role.city_admin, Role.district_admin, Role.inspector)]
# Registered responsible inspectors (the inspector app).
InspectorScope = Annotated[Scope, scope_for(Role.inspector)]
