"""Fixtures for the directory's tests: its app (cheap argon2 so sign-ins are fast), its runtime,
the Nanning demo tree, and typed helpers that create accounts and clients."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from directory.app import create_app
from directory.config import Settings
from directory.crypto import SecretHasher
from directory.models import ApiClient, ClientKind, Organization, RoleGrant, UserAccount
from directory.runtime import Runtime
from directory.seed.loader import load_demo_organizations
from shared.auth import Grant
from shared.ids import uuid7

PASSWORD = "correct-horse-battery"
# Fast argon2 for tests; production uses the RFC 9106 low-memory profile.
# Every test request comes from 127.0.0.1: the per-address SMS limit gets its own test.
TEST_SETTINGS: dict[str, Any] = {
    "argon2_time_cost": 1,
    "argon2_memory_kib": 1024,
    "argon2_parallelism": 1,
    "sms_hourly_limit_per_ip": 10_000,
    "failed_sign_ins_per_ip": 10_000,
}

DirectoryFactory = Callable[..., Awaitable[httpx.AsyncClient]]


def runtime_of(client: httpx.AsyncClient) -> Runtime:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    runtime: Runtime = transport.app.state.directory  # type: ignore[attr-defined]
    return runtime


@pytest.fixture
async def make_directory(make_client) -> DirectoryFactory:
    """`await make_directory(sms_daily_limit=3)`: the directory with some settings changed."""

    async def make(**settings: Any) -> httpx.AsyncClient:
        client: httpx.AsyncClient = await make_client(
            create_app, Settings, **{**TEST_SETTINGS, **settings}
        )
        return client

    return make


@pytest.fixture
async def directory(make_directory: DirectoryFactory) -> httpx.AsyncClient:
    return await make_directory()


@pytest.fixture
def runtime(directory: httpx.AsyncClient) -> Runtime:
    return runtime_of(directory)


@pytest.fixture
async def nanning(session: AsyncSession) -> "Nanning":
    """The demo tree (city, districts, schools, departments, groups) inside the test's
    transaction."""
    await load_demo_organizations(session)
    await session.commit()
    return Nanning(session)


@dataclass
class Nanning:
    session: AsyncSession

    async def by_code(self, code: str) -> Organization:
        from directory.organizations.repository import OrganizationRepository

        found = await OrganizationRepository(self.session).get_by_code(code)
        assert found is not None, code
        return found

    async def by_name(self, name: str) -> Organization:
        from sqlalchemy import select

        from directory.organizations.names import normalize_name

        found = await self.session.scalar(
            select(Organization).where(Organization.search_name == normalize_name(name))
        )
        assert found is not None, name
        return found


def _hasher() -> SecretHasher:
    return SecretHasher(Settings(**TEST_SETTINGS))


async def create_user(
    session: AsyncSession,
    *grants: str,
    username: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
    district_of: dict[str, str | None] | None = None,
) -> UserAccount:
    """A staff account with `role@level:code` grants (district codes given or derived)."""
    user = UserAccount(
        id=uuid7(),
        username=username or f"user-{uuid.uuid4().hex[:10]}",
        display_name="测试用户",
        password_hash=_hasher().hash_sync(password),
        is_active=active,
        failed_attempts=0,
        grants=[],
    )
    for value in grants:
        grant = Grant.parse(value)
        district = (district_of or {}).get(value)
        if district is None and grant.level is not None and grant.level.value == "district":
            district = grant.code
        if district is None and grant.level is not None and grant.level.value == "school":
            district = (grant.code or "")[:6]
        user.grants.append(
            RoleGrant(
                id=uuid7(),
                role=grant.role,
                level=grant.level,
                code=grant.code or "",
                district_code=district,
            )
        )
    session.add(user)
    await session.commit()
    return user


async def create_api_client(
    session: AsyncSession,
    *scopes: str,
    client_id: str | None = None,
    secret: str = "a-long-random-client-secret",
    rate_limit: int | None = None,
    kind: ClientKind = ClientKind.agency,
    active: bool = True,
) -> ApiClient:
    client = ApiClient(
        id=uuid7(),
        client_id=client_id or f"agency-{uuid.uuid4().hex[:10]}",
        name="测试机构",
        kind=kind,
        secret_hash=_hasher().hash_sync(secret),
        scopes=sorted(scopes),
        rate_limit_per_minute=rate_limit,
        is_active=active,
        token_generation=1,
    )
    session.add(client)
    await session.commit()
    return client


async def sign_in(
    directory: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await directory.post(
        "/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def random_phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"
