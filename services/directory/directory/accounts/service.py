import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from directory.accounts.repository import RoleGrantRepository, UserRepository
from directory.accounts.schemas import GrantIn, PasswordChange, UserCreate, UserFilters, UserUpdate
from directory.auth.sessions import session_service
from directory.models import (
    GRANTABLE_ROLES,
    AuditLog,
    Organization,
    OrganizationKind,
    RoleGrant,
    UserAccount,
)
from directory.organizations.repository import OrganizationRepository
from directory.runtime import Runtime
from shared import audit
from shared.auth import Grant, OrgFilter, Principal, Role, ScopeLevel
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.i18n import Text
from shared.ids import uuid7
from shared.pagination import CursorParams

# The levels each role may be granted at.
ROLE_LEVELS: dict[Role, frozenset[ScopeLevel]] = {
    Role.city_admin: frozenset({ScopeLevel.city}),
    Role.district_admin: frozenset({ScopeLevel.district}),
    Role.school_staff: frozenset({ScopeLevel.school}),
    Role.inspector: frozenset({ScopeLevel.city, ScopeLevel.district}),
    Role.unit_reporter: frozenset({ScopeLevel.org}),
}
LEVEL_KINDS: dict[ScopeLevel, frozenset[OrganizationKind]] = {
    ScopeLevel.city: frozenset({OrganizationKind.city_bureau}),
    ScopeLevel.district: frozenset({OrganizationKind.district_bureau}),
    ScopeLevel.school: frozenset({OrganizationKind.school, OrganizationKind.kindergarten}),
}


class UserNotFound(NotFound):
    code = "directory.user.not_found"
    title = Text("用户不存在", "User not found")


class GrantNotFound(NotFound):
    code = "directory.grant.not_found"
    title = Text("授权不存在", "Grant not found")


class UsernameTaken(Conflict):
    code = "directory.user.username_taken"
    title = Text("用户名已被使用", "The username is taken")


class GrantExists(Conflict):
    code = "directory.grant.exists"
    title = Text("该用户已有此授权", "The user already has this grant")


class WrongPassword(InvalidInput):
    code = "directory.user.wrong_password"
    title = Text("当前密码不正确", "The current password is wrong")


@dataclass(frozen=True, slots=True)
class ResolvedGrant:
    role: Role
    level: ScopeLevel
    code: str
    organization: Organization
    district_code: str | None


def admin_scope(principal: Principal) -> OrgFilter:
    return principal.org_filter(Role.city_admin, Role.district_admin)


def may_manage(principal: Principal, grants: list[RoleGrant] | list[ResolvedGrant]) -> bool:
    """A district admin manages an account only if every one of its grants is inside their
    district (and none is city-wide), so no account with wider rights can be taken over."""
    scope = admin_scope(principal)
    if scope.city_wide:
        return True
    return all(
        grant.role != Role.city_admin and grant.district_code in scope.districts for grant in grants
    )


class AccountService:
    async def resolve_grant(
        self, session: AsyncSession, data: GrantIn, field: str
    ) -> ResolvedGrant:
        if data.role not in GRANTABLE_ROLES:
            raise InvalidInput.for_field(
                f"{field}.role", Text("该角色不能授予用户", "This role is not granted to users")
            )
        if data.level not in ROLE_LEVELS[data.role]:
            allowed = "、".join(sorted(level.value for level in ROLE_LEVELS[data.role]))
            raise InvalidInput.for_field(
                f"{field}.level",
                Text(f"该角色的范围应为：{allowed}", f"This role is granted at: {allowed}"),
            )
        repository = OrganizationRepository(session)
        organization: Organization | None
        if data.level == ScopeLevel.org:
            try:
                organization = await repository.get(uuid.UUID(data.code))
            except ValueError:
                organization = None
            if organization is not None and organization.valid_to is not None:
                organization = None
        else:
            organization = await repository.get_by_code(data.code)
            if organization is not None and organization.kind not in LEVEL_KINDS[data.level]:
                organization = None
        if organization is None:
            raise InvalidInput.for_field(
                f"{field}.code",
                Text("范围代码不对应任何现有机构", "The code names no current organisation"),
            )
        district_code = organization.district_code
        if data.level == ScopeLevel.city:
            district_code = None
        code = str(organization.id) if data.level == ScopeLevel.org else data.code
        return ResolvedGrant(data.role, data.level, code, organization, district_code)

    def _check_may_grant(self, principal: Principal, grant: ResolvedGrant) -> None:
        if not may_manage(principal, [grant]):
            raise Forbidden(
                Text(
                    "只能授予本辖区范围内的角色",
                    "You may only grant roles inside your own district",
                )
            )

    def _grant_row(self, grant: ResolvedGrant, principal: Principal) -> RoleGrant:
        return RoleGrant(
            id=uuid7(),
            role=grant.role,
            level=grant.level,
            code=grant.code,
            organization_id=grant.organization.id,
            district_code=grant.district_code,
            granted_by=principal.subject,
        )

    def _audit_grant(
        self,
        session: AsyncSession,
        action: str,
        user: UserAccount,
        row: RoleGrant,
        principal: Principal,
    ) -> None:
        audit.record(
            session,
            AuditLog,
            action=action,
            resource_type="user",
            resource_id=user.id,
            principal=principal,
            details={"grant": row.grant},
        )

    async def create_user(
        self, session: AsyncSession, runtime: Runtime, data: UserCreate, principal: Principal
    ) -> UserAccount:
        resolved = [
            await self.resolve_grant(session, grant, f"body.grants.{index}")
            for index, grant in enumerate(data.grants)
        ]
        if not admin_scope(principal).city_wide and not resolved:
            raise InvalidInput.for_field(
                "body.grants",
                Text("区县管理员创建的用户至少要有一个本区县的角色", "Give at least one grant"),
            )
        for grant in resolved:
            self._check_may_grant(principal, grant)
        repository = UserRepository(session)
        if await repository.get_by_username(data.username) is not None:
            raise UsernameTaken()
        now = datetime.now(UTC)
        rows: dict[str, RoleGrant] = {}
        for grant in resolved:
            row = self._grant_row(grant, principal)
            rows.setdefault(row.grant, row)
        user = UserAccount(
            id=uuid7(),
            username=data.username,
            display_name=data.display_name,
            password_hash=await runtime.crypto.secrets.hash(data.password),
            is_active=True,
            failed_attempts=0,
            password_changed_at=now,
            created_by=principal.subject,
            grants=list(rows.values()),
        )
        session.add(user)
        try:
            await session.flush()
        except IntegrityError as error:
            raise UsernameTaken() from error
        audit.record(
            session,
            AuditLog,
            action="user.created",
            resource_type="user",
            resource_id=user.id,
            principal=principal,
            details={"username": user.username},
        )
        for row in user.grants:
            self._audit_grant(session, "grant.created", user, row, principal)
        return user

    async def list_users(
        self,
        session: AsyncSession,
        principal: Principal,
        filters: UserFilters,
        params: CursorParams,
    ) -> tuple[list[UserAccount], str | None]:
        return await UserRepository(session).list_page(admin_scope(principal), filters, params)

    async def get(
        self, session: AsyncSession, principal: Principal, user_id: uuid.UUID
    ) -> UserAccount:
        user = await UserRepository(session).get_visible(user_id, admin_scope(principal))
        if user is None:
            raise UserNotFound()
        return user

    async def _get_manageable(
        self, session: AsyncSession, principal: Principal, user_id: uuid.UUID
    ) -> UserAccount:
        user = await self.get(session, principal, user_id)
        if not may_manage(principal, list(user.grants)):
            raise Forbidden(
                Text(
                    "该用户拥有本辖区以外的角色，只能由市级管理员管理",
                    "This user has roles outside your district; a city admin manages them",
                )
            )
        return user

    async def update(
        self,
        session: AsyncSession,
        runtime: Runtime,
        principal: Principal,
        user_id: uuid.UUID,
        data: UserUpdate,
    ) -> UserAccount:
        user = await self._get_manageable(session, principal, user_id)
        signed_out = False
        if data.display_name is not None:
            user.display_name = data.display_name
        if data.is_active is not None and data.is_active != user.is_active:
            user.is_active = data.is_active
            signed_out = not data.is_active
        if data.password is not None:
            user.password_hash = await runtime.crypto.secrets.hash(data.password)
            user.password_changed_at = datetime.now(UTC)
            user.failed_attempts = 0
            user.locked_until = None
            signed_out = True
        if signed_out:
            await session_service.revoke_all_for(
                session, runtime, user_id=user.id, reason="account_changed"
            )
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="user.updated",
            resource_type="user",
            resource_id=user.id,
            principal=principal,
            details={
                "fields": sorted(data.model_dump(exclude_unset=True, exclude={"password"}))
                + (["password"] if data.password is not None else [])
            },
        )
        return user

    async def unlock(
        self, session: AsyncSession, principal: Principal, user_id: uuid.UUID
    ) -> UserAccount:
        user = await self._get_manageable(session, principal, user_id)
        user.failed_attempts = 0
        user.locked_until = None
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="user.unlocked",
            resource_type="user",
            resource_id=user.id,
            principal=principal,
        )
        return user

    async def add_grant(
        self, session: AsyncSession, principal: Principal, user_id: uuid.UUID, data: GrantIn
    ) -> RoleGrant:
        user = await self._get_manageable(session, principal, user_id)
        resolved = await self.resolve_grant(session, data, "body")
        self._check_may_grant(principal, resolved)
        row = self._grant_row(resolved, principal)
        if any(existing.grant == row.grant for existing in user.grants):
            raise GrantExists()
        row.user_id = user.id
        session.add(row)
        try:
            await session.flush()
        except IntegrityError as error:
            raise GrantExists() from error
        self._audit_grant(session, "grant.created", user, row, principal)
        return row

    async def remove_grant(
        self,
        session: AsyncSession,
        principal: Principal,
        user_id: uuid.UUID,
        grant_id: uuid.UUID,
    ) -> None:
        """Takes effect at the user's next token refresh (access tokens live 15 minutes)."""
        user = await self.get(session, principal, user_id)
        row = await RoleGrantRepository(session).get_for_user(user.id, grant_id)
        if row is None:
            raise GrantNotFound()
        if not may_manage(principal, [row]):
            raise Forbidden(
                Text("只能撤销本辖区范围内的角色", "You may only revoke grants in your district")
            )
        self._audit_grant(session, "grant.revoked", user, row, principal)
        await session.delete(row)
        await session.flush()

    async def change_own_password(
        self,
        session: AsyncSession,
        runtime: Runtime,
        principal: Principal,
        data: PasswordChange,
    ) -> None:
        try:
            user_id = uuid.UUID(principal.subject_id)
        except ValueError:
            raise UserNotFound() from None
        user = await UserRepository(session).get_loaded(user_id)
        if user is None or not user.is_active:
            raise UserNotFound()
        if not await runtime.crypto.secrets.verify(user.password_hash, data.current_password):
            raise WrongPassword.for_field(
                "body.current_password", Text("当前密码不正确", "The current password is wrong")
            )
        user.password_hash = await runtime.crypto.secrets.hash(data.new_password)
        user.password_changed_at = datetime.now(UTC)
        try:
            keep = uuid.UUID(principal.session_id or "")
        except ValueError:
            keep = None
        await session_service.revoke_all_for(
            session, runtime, user_id=user.id, reason="password_changed", keep=keep
        )
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="user.password_changed",
            resource_type="user",
            resource_id=user.id,
            principal=principal,
        )


def token_grants(user: UserAccount) -> list[Grant]:
    return [Grant(row.role, row.level, row.code) for row in user.grants]


account_service = AccountService()
