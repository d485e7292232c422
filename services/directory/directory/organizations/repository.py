import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import selectinload

from directory.models import (
    Organization,
    OrganizationAlias,
    OrganizationGroup,
    OrganizationGroupMember,
    OrganizationImport,
)
from directory.organizations.names import normalize_name
from directory.organizations.schemas import OrganizationFilters
from shared.auth import OrgFilter
from shared.pagination import CursorParams, SortKey
from shared.repository import Repository


def valid_on(day: date) -> ColumnElement[bool]:
    return and_(
        or_(Organization.valid_from.is_(None), Organization.valid_from <= day),
        or_(Organization.valid_to.is_(None), Organization.valid_to > day),
    )


def _like_pattern(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class OrganizationRepository(Repository[Organization]):
    model = Organization

    def base_statement(self) -> Select[Organization]:
        return select(Organization).options(selectinload(Organization.aliases))

    def filtered_statement(self, filters: OrganizationFilters, today: date) -> Select[Organization]:
        statement = self.base_statement()
        if filters.kind is not None:
            statement = statement.where(Organization.kind == filters.kind)
        if filters.district_code is not None:
            statement = statement.where(Organization.district_code == filters.district_code)
        if filters.parent_id is not None:
            statement = statement.where(Organization.parent_id == filters.parent_id)
        if filters.stage is not None:
            statement = statement.where(Organization.stages.contains([filters.stage.value]))
        if filters.valid_on is not None:
            statement = statement.where(valid_on(filters.valid_on))
        elif not filters.include_closed:
            statement = statement.where(valid_on(today))
        if filters.q:
            pattern = _like_pattern(filters.q.strip())
            normalized = _like_pattern(normalize_name(filters.q))
            statement = statement.where(
                or_(
                    Organization.name.ilike(pattern, escape="\\"),
                    Organization.search_name.like(normalized, escape="\\"),
                    Organization.code.startswith(filters.q.strip(), autoescape=True),
                    exists().where(
                        OrganizationAlias.organization_id == Organization.id,
                        OrganizationAlias.normalized.like(normalized, escape="\\"),
                    ),
                )
            )
        return statement

    async def list_page(
        self, filters: OrganizationFilters, params: CursorParams, today: date
    ) -> tuple[list[Organization], str | None]:
        keys = [SortKey(Organization.id)]

        def key_values(organization: Organization) -> list[Any]:
            return [organization.id]

        return await self.paginate(
            self.filtered_statement(filters, today), params, keys, key_values
        )

    async def get_loaded(self, organization_id: uuid.UUID) -> Organization | None:
        return await self.get_one_or_none(
            self.base_statement().where(Organization.id == organization_id)
        )

    async def get_in_scope(
        self, organization_id: uuid.UUID, scope: OrgFilter
    ) -> Organization | None:
        """The unit if `scope` may change it (its district, or itself as a unit)."""
        statement = self.base_statement().where(
            Organization.id == organization_id,
            scope.where(district=Organization.district_code, org=Organization.id),
        )
        return await self.get_one_or_none(statement)

    async def get_many(self, ids: Iterable[uuid.UUID]) -> Sequence[Organization]:
        wanted = list(set(ids))
        if not wanted:
            return []
        return await self.get_all(self.base_statement().where(Organization.id.in_(wanted)))

    async def get_by_code(self, code: str) -> Organization | None:
        """The current holder of `code` (closed units keep theirs for history)."""
        return await self.get_one_or_none(
            self.base_statement().where(Organization.code == code, Organization.valid_to.is_(None))
        )

    async def with_codes(self, codes: Iterable[str]) -> Sequence[Organization]:
        wanted = list(set(codes))
        if not wanted:
            return []
        return await self.get_all(self.base_statement().where(Organization.code.in_(wanted)))

    async def with_search_names(self, names: Iterable[str]) -> Sequence[Organization]:
        wanted = list(set(names))
        if not wanted:
            return []
        return await self.get_all(self.base_statement().where(Organization.search_name.in_(wanted)))

    async def with_aliases(self, normalized: Iterable[str]) -> Sequence[tuple[str, Organization]]:
        wanted = list(set(normalized))
        if not wanted:
            return []
        statement = (
            select(OrganizationAlias.normalized, Organization)
            .join(Organization, Organization.id == OrganizationAlias.organization_id)
            .where(OrganizationAlias.normalized.in_(wanted))
            .options(selectinload(Organization.aliases))
        )
        rows = (await self.session.execute(statement)).unique().all()
        return [(row[0], row[1]) for row in rows]

    async def current_by_kind_and_name(self, kind: str, search_name: str) -> Organization | None:
        statement = self.base_statement().where(
            Organization.kind == kind,
            Organization.search_name == search_name,
            Organization.valid_to.is_(None),
        )
        return (await self.session.scalars(statement.limit(1))).first()

    async def current_children(self, parent_id: uuid.UUID) -> Sequence[Organization]:
        return await self.get_all(
            self.base_statement().where(
                Organization.parent_id == parent_id, Organization.valid_to.is_(None)
            )
        )

    async def ancestors_include(self, start: uuid.UUID, target: uuid.UUID) -> bool:
        """Whether `target` is `start` or one of its ancestors (for cycle checks)."""
        current: uuid.UUID | None = start
        seen: set[uuid.UUID] = set()
        while current is not None and current not in seen:
            if current == target:
                return True
            seen.add(current)
            current = await self.session.scalar(
                select(Organization.parent_id).where(Organization.id == current)
            )
        return False

    async def successors_include(self, start: uuid.UUID, target: uuid.UUID) -> bool:
        current: uuid.UUID | None = start
        seen: set[uuid.UUID] = set()
        while current is not None and current not in seen:
            if current == target:
                return True
            seen.add(current)
            current = await self.session.scalar(
                select(Organization.successor_id).where(Organization.id == current)
            )
        return False


class GroupRepository(Repository[OrganizationGroup]):
    model = OrganizationGroup

    def base_statement(self) -> Select[OrganizationGroup]:
        return select(OrganizationGroup).options(selectinload(OrganizationGroup.members))

    async def get_loaded(self, group_id: uuid.UUID) -> OrganizationGroup | None:
        return await self.get_one_or_none(
            self.base_statement().where(OrganizationGroup.id == group_id)
        )

    async def get_by_code(self, code: str) -> OrganizationGroup | None:
        return await self.get_one_or_none(
            self.base_statement().where(OrganizationGroup.code == code)
        )

    async def list_all(self) -> Sequence[OrganizationGroup]:
        return await self.get_all(self.base_statement().order_by(OrganizationGroup.code))

    async def with_names(self, normalized: Iterable[str]) -> Sequence[OrganizationGroup]:
        wanted = list(set(normalized))
        if not wanted:
            return []
        return await self.get_all(
            self.base_statement().where(OrganizationGroup.names.overlap(wanted))
        )

    async def members_valid_on(
        self, group_ids: Iterable[uuid.UUID], day: date
    ) -> Sequence[tuple[uuid.UUID, Organization]]:
        wanted = list(set(group_ids))
        if not wanted:
            return []
        statement = (
            select(OrganizationGroupMember.group_id, Organization)
            .join(Organization, Organization.id == OrganizationGroupMember.organization_id)
            .where(OrganizationGroupMember.group_id.in_(wanted), valid_on(day))
            .order_by(Organization.district_code, Organization.name)
        )
        rows = (await self.session.execute(statement)).all()
        return [(row[0], row[1]) for row in rows]


class ImportRepository(Repository[OrganizationImport]):
    model = OrganizationImport
