"""Load the demo organisations and accounts; idempotent, so every `make run` may call it.

Units with a code are matched by code (closed ones too, for history), the others by kind and
name; groups by their code; accounts by username and clients by client id.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from directory.accounts.repository import UserRepository
from directory.config import Settings
from directory.crypto import SecretHasher
from directory.models import (
    ApiClient,
    ClientKind,
    Organization,
    OrganizationGroup,
    OrganizationGroupMember,
    OrganizationKind,
    Ownership,
    RoleGrant,
    UserAccount,
)
from directory.organizations.names import normalize_name
from directory.organizations.service import Draft, apply_draft
from directory.seed.government import (
    ADMINISTRATIVE_COMMITTEES,
    CITY_GOVERNMENT,
    COUNTY_CODES,
    DEPARTMENTS,
    GROUPS,
    HENGXIAN_BUREAU,
    HENGXIAN_GOVERNMENT,
    HENGZHOU_2021,
    INSTITUTIONS,
    WUMING,
    Unit,
)
from directory.seed.nanning import CITY_BUREAU, CITY_CODE, DISTRICTS, SCHOOLS
from shared.auth import Grant, Role, ScopeLevel
from shared.ids import uuid7


class _Units:
    """Every organisation, loaded once and indexed, so loading is a handful of queries."""

    def __init__(self, session: AsyncSession, rows: Sequence[Organization]) -> None:
        self.session = session
        self.rows = list(rows)

    @classmethod
    async def load(cls, session: AsyncSession) -> "_Units":
        statement = select(Organization).options(selectinload(Organization.aliases))
        return cls(session, (await session.scalars(statement)).all())

    def by_code(self, code: str) -> Organization | None:
        matches = [row for row in self.rows if row.code == code]
        current = [row for row in matches if row.valid_to is None]
        chosen = current or matches
        return chosen[0] if chosen else None

    def by_name(self, kind: OrganizationKind, name: str) -> Organization | None:
        key = normalize_name(name)
        return next((row for row in self.rows if row.kind == kind and row.search_name == key), None)

    def named(self, name: str) -> Organization:
        key = normalize_name(name)
        found = next(row for row in self.rows if row.search_name == key)
        return found

    def upsert(
        self,
        *,
        kind: OrganizationKind,
        name: str,
        code: str | None = None,
        parent: Organization | None = None,
        district_code: str | None = None,
        stages: Sequence[str] = (),
        ownership: Ownership | None = None,
        address: str | None = None,
        aliases: Sequence[str] = (),
        valid_from: date | None = None,
        valid_to: date | None = None,
    ) -> Organization:
        if kind == OrganizationKind.district_bureau:
            district_code = code
        elif district_code is None and parent is not None:
            district_code = parent.district_code
        found = self.by_code(code) if code else self.by_name(kind, name)
        if found is None:
            found = Organization(id=uuid7(), aliases=[])
            self.session.add(found)
            self.rows.append(found)
        draft = Draft(
            kind=kind,
            code=code,
            name=name,
            parent_id=parent.id if parent else None,
            district_code=district_code,
            stages=list(stages),
            ownership=ownership,
            address=address or None,
            latitude=found.latitude,
            longitude=found.longitude,
            valid_from=valid_from,
            valid_to=valid_to,
            successor_id=found.successor_id,
            aliases=list(dict.fromkeys([*aliases, *(a.alias for a in found.aliases)])),
        )
        apply_draft(found, draft)
        return found


def _unit(units: _Units, unit: Unit, parent: Organization | None) -> Organization:
    return units.upsert(
        kind=OrganizationKind(unit.kind),
        name=unit.name,
        code=unit.code,
        parent=parent,
        district_code=unit.district_code,
        aliases=unit.aliases,
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
    )


async def load_demo_organizations(session: AsyncSession) -> int:
    units = await _Units.load(session)
    city = units.upsert(
        kind=OrganizationKind.city_bureau,
        code=CITY_CODE,
        name=CITY_BUREAU,
        aliases=("市教育局", "教育局", "南宁市教委"),
    )
    government = units.upsert(
        kind=OrganizationKind.government,
        name=CITY_GOVERNMENT,
        aliases=("市人民政府", "市政府", "南宁市政府"),
    )
    for district in DISTRICTS:
        bureau = units.upsert(
            kind=OrganizationKind.district_bureau,
            code=district.code,
            name=f"{district.name}教育局",
            parent=city,
            aliases=(f"{district.name.removeprefix('南宁')}教育局",)
            if district.name.startswith("南宁")
            else (),
            valid_from=HENGZHOU_2021 if district.code == "450181" else None,
        )
        if district.gbt2260:
            units.upsert(
                kind=OrganizationKind.government,
                name=f"{district.name}人民政府",
                parent=government,
                district_code=district.code,
                aliases=(f"{district.name}政府",),
                valid_from=HENGZHOU_2021 if district.code == "450181" else None,
            )
        for school in SCHOOLS.get(district.code, ()):
            kind = (
                OrganizationKind.kindergarten
                if school.stages == ("kindergarten",)
                else OrganizationKind.school
            )
            units.upsert(
                kind=kind,
                code=school.code,
                name=school.name,
                parent=bureau,
                stages=school.stages,
                ownership=Ownership(school.ownership),
                address=school.address,
            )
    for unit in (*DEPARTMENTS, *ADMINISTRATIVE_COMMITTEES):
        _unit(units, unit, government)
    for unit in INSTITUTIONS:
        _unit(units, unit, None)
    _unit(units, HENGXIAN_BUREAU, city)
    _unit(units, HENGXIAN_GOVERNMENT, government)
    await session.flush()

    # Successor links, once every unit has an id.
    for unit in (*DEPARTMENTS, HENGXIAN_BUREAU, HENGXIAN_GOVERNMENT):
        if unit.successor:
            kind = OrganizationKind(unit.kind)
            old = units.by_code(unit.code) if unit.code else units.by_name(kind, unit.name)
            new = units.by_name(kind, unit.successor)
            if old is not None and new is not None:
                old.successor_id = new.id
    await _load_groups(session, units)
    await session.flush()
    return len(units.rows)


def _group_members(units: _Units, rule: str) -> list[Organization]:
    rows = units.rows
    if rule == "county_governments":
        codes = {d.code for d in DISTRICTS if d.gbt2260} | {"450127"}
        return [
            row
            for row in rows
            if row.kind == OrganizationKind.government and row.district_code in codes
        ]
    if rule == "counties_and_wuming":
        codes = {*COUNTY_CODES, WUMING}
        return [
            row
            for row in rows
            if row.kind == OrganizationKind.government and row.district_code in codes
        ]
    if rule == "development_zones":
        codes = {d.code for d in DISTRICTS if not d.gbt2260}
        return [
            row
            for row in rows
            if row.kind == OrganizationKind.government and row.district_code in codes
        ]
    if rule == "district_bureaus":
        return [row for row in rows if row.kind == OrganizationKind.district_bureau]
    raise ValueError(rule)


async def _load_groups(session: AsyncSession, units: _Units) -> None:
    existing = {
        group.code: group
        for group in (
            await session.scalars(
                select(OrganizationGroup).options(selectinload(OrganizationGroup.members))
            )
        ).all()
    }
    for spec in GROUPS:
        group = existing.get(spec.code)
        if group is None:
            group = OrganizationGroup(id=uuid7(), code=spec.code, members=[])
            session.add(group)
        group.name = spec.name
        group.names = list(dict.fromkeys(normalize_name(name) for name in (spec.name, *spec.names)))
        group.description = spec.description
        present = {member.organization_id for member in group.members}
        for organization in _group_members(units, spec.members):
            if organization.id not in present:
                group.members.append(OrganizationGroupMember(organization_id=organization.id))


# --- demo accounts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountSpec:
    username: str
    display_name: str
    password: str
    # `role@level:code`; for `org` grants the code may be a unit's name, resolved here.
    grants: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClientSpec:
    client_id: str
    name: str
    secret: str
    scopes: tuple[str, ...]
    rate_limit_per_minute: int


def _resolve_grant(units: _Units, value: str) -> tuple[Grant, Organization]:
    role, _, scope = value.partition("@")
    level, _, code = scope.partition(":")
    grant_level = ScopeLevel(level)
    if grant_level == ScopeLevel.org:
        organization = units.named(code)
        return Grant(Role(role), grant_level, str(organization.id)), organization
    holder = units.by_code(code)
    if holder is None:
        raise LookupError(f"demo grant {value!r}: no organisation with code {code}")
    return Grant(Role(role), grant_level, code), holder


async def load_demo_accounts(
    session: AsyncSession,
    settings: Settings,
    accounts: Sequence[AccountSpec],
    clients: Sequence[ClientSpec],
) -> dict[str, str]:
    """Create or refresh the demo accounts so the printed passwords always work.

    Returns each account's token subject by username, for other services' demo data (an
    inspector record linked to the inspector's sign-in)."""
    subjects: dict[str, str] = {}
    hasher = SecretHasher(settings)
    units = await _Units.load(session)
    users = UserRepository(session)
    for spec in accounts:
        user = await users.get_by_username(spec.username)
        if user is None:
            user = UserAccount(
                id=uuid7(),
                username=spec.username,
                display_name=spec.display_name,
                password_hash=await hasher.hash(spec.password),
                is_active=True,
                failed_attempts=0,
                created_by="seed",
                grants=[],
            )
            session.add(user)
        elif not await hasher.verify(user.password_hash, spec.password):
            user.password_hash = await hasher.hash(spec.password)
        user.is_active = True
        user.failed_attempts = 0
        user.locked_until = None
        subjects[spec.username] = f"user:{user.id}"
        present = {row.grant for row in user.grants}
        for value in spec.grants:
            grant, organization = _resolve_grant(units, value)
            if str(grant) in present:
                continue
            user.grants.append(
                RoleGrant(
                    id=uuid7(),
                    role=grant.role,
                    level=grant.level,
                    code=grant.code or "",
                    organization_id=organization.id,
                    district_code=None
                    if grant.level == ScopeLevel.city
                    else organization.district_code,
                    granted_by="seed",
                )
            )
    for client_spec in clients:
        found = await session.scalar(
            select(ApiClient).where(ApiClient.client_id == client_spec.client_id)
        )
        client: ApiClient
        if found is None:
            client = ApiClient(
                id=uuid7(),
                client_id=client_spec.client_id,
                kind=ClientKind.agency,
                secret_hash=await hasher.hash(client_spec.secret),
                token_generation=1,
                created_by="seed",
            )
            session.add(client)
        else:
            client = found
            if not await hasher.verify(client.secret_hash, client_spec.secret):
                client.secret_hash = await hasher.hash(client_spec.secret)
        client.name = client_spec.name
        client.scopes = sorted(client_spec.scopes)
        client.rate_limit_per_minute = client_spec.rate_limit_per_minute
        client.is_active = True
    await session.flush()
    return subjects
