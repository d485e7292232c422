import uuid
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import selectinload

from directory.accounts.schemas import UserFilters
from directory.models import ParentAccount, RoleGrant, UserAccount
from shared.auth import OrgFilter
from shared.pagination import CursorParams, SortKey
from shared.repository import Repository


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class UserRepository(Repository[UserAccount]):
    model = UserAccount

    def base_statement(self) -> Select[UserAccount]:
        return select(UserAccount).options(selectinload(UserAccount.grants))

    def visible(self, scope: OrgFilter) -> Select[UserAccount]:
        """Users a scope may see: city-wide all; a district those with a grant inside it."""
        statement = self.base_statement()
        if scope.city_wide:
            return statement
        return statement.where(
            exists().where(
                RoleGrant.user_id == UserAccount.id,
                scope.where(district=RoleGrant.district_code),
            )
        )

    async def get_by_username(self, username: str) -> UserAccount | None:
        return await self.get_one_or_none(
            self.base_statement().where(UserAccount.username == username.lower())
        )

    async def get_for_sign_in(self, username: str) -> UserAccount | None:
        """Locked for the rest of the transaction: concurrent failures count one by one."""
        statement = (
            select(UserAccount)
            .where(UserAccount.username == username.lower())
            .options(selectinload(UserAccount.grants))
            .with_for_update(of=UserAccount)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def get_loaded(self, user_id: uuid.UUID) -> UserAccount | None:
        return await self.get_one_or_none(self.base_statement().where(UserAccount.id == user_id))

    async def get_visible(self, user_id: uuid.UUID, scope: OrgFilter) -> UserAccount | None:
        return await self.get_one_or_none(self.visible(scope).where(UserAccount.id == user_id))

    async def list_page(
        self, scope: OrgFilter, filters: UserFilters, params: CursorParams
    ) -> tuple[list[UserAccount], str | None]:
        statement = self.visible(scope)
        if filters.q:
            pattern = _like(filters.q.strip())
            statement = statement.where(
                or_(
                    UserAccount.username.ilike(pattern, escape="\\"),
                    UserAccount.display_name.ilike(pattern, escape="\\"),
                )
            )
        if filters.role is not None or filters.district_code is not None:
            grant_clauses = [RoleGrant.user_id == UserAccount.id]
            if filters.role is not None:
                grant_clauses.append(RoleGrant.role == filters.role)
            if filters.district_code is not None:
                grant_clauses.append(RoleGrant.district_code == filters.district_code)
            statement = statement.where(exists().where(*grant_clauses))

        def key_values(user: UserAccount) -> list[Any]:
            return [user.id]

        return await self.paginate(statement, params, [SortKey(UserAccount.id)], key_values)


class RoleGrantRepository(Repository[RoleGrant]):
    model = RoleGrant

    async def get_for_user(self, user_id: uuid.UUID, grant_id: uuid.UUID) -> RoleGrant | None:
        return await self.get_one_or_none(
            select(RoleGrant).where(RoleGrant.id == grant_id, RoleGrant.user_id == user_id)
        )


class ParentRepository(Repository[ParentAccount]):
    model = ParentAccount

    async def get_by_phone_index(self, phone_index: str) -> ParentAccount | None:
        return await self.get_one_or_none(
            select(ParentAccount).where(ParentAccount.phone_index == phone_index)
        )
