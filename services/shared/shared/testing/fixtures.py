"""The pytest plugin every service's tests use (loaded from `tests/conftest.py`).

- `test_servers`: PostgreSQL and Redis (real or embedded), a fresh database built by migrating.
- `db_connection` / `session`: a connection in a transaction that is rolled back after the test;
  sessions join it with savepoints, so code that commits is rolled back too.
- `issuer`: issues tokens for any role and scope; every app under test trusts its key.
- `make_client`: an ASGI client for a service app whose requests run in the test transaction.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from shared import migrations
from shared.db import create_engine
from shared.embedded import recreate_database
from shared.testing.servers import REPOSITORY_ROOT, TestServers, resolve_test_servers
from shared.testing.tokens import TestIssuer

AppFactory = Callable[..., FastAPI]


@pytest.fixture(scope="session")
def test_servers() -> TestServers:
    servers = resolve_test_servers()
    os.environ["XUEZAI_ENV"] = "testing"
    return servers


@pytest_asyncio.fixture(scope="session")
async def database_url(test_servers: TestServers) -> str:
    await recreate_database(test_servers.database_url)
    await asyncio.to_thread(migrations.upgrade, test_servers.database_url)
    return test_servers.database_url


@pytest_asyncio.fixture(scope="session")
async def redis_url(test_servers: TestServers) -> AsyncIterator[str]:
    client: Redis = Redis.from_url(test_servers.redis_url)
    await client.flushdb()
    await client.aclose()
    yield test_servers.redis_url


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, application_name="tests", pool_size=5, max_overflow=5)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def db_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


def joined_sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


@pytest_asyncio.fixture
async def session(db_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with joined_sessionmaker(db_connection)() as session:
        yield session


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest_asyncio.fixture(scope="session")
async def running_apps() -> AsyncIterator[dict[str, FastAPI]]:
    """Apps whose lifespan has run, kept for the whole session (keyed by factory)."""
    apps: dict[str, FastAPI] = {}
    yield apps
    for app in apps.values():
        await app.state.test_lifespan.__aexit__(None, None, None)


@pytest_asyncio.fixture
async def make_client(
    running_apps: dict[str, FastAPI],
    database_url: str,
    redis_url: str,
    issuer: TestIssuer,
    db_connection: AsyncConnection,
) -> AsyncIterator[Callable[..., Any]]:
    """`await make_client(create_app, Settings)` → an httpx client bound to that app.

    The app is started once per session; each test swaps its sessionmaker for one joined to the
    test's transaction, so everything the requests write is rolled back afterwards.
    """
    clients: list[httpx.AsyncClient] = []

    async def make(
        factory: AppFactory, settings_class: type[Any], **settings: Any
    ) -> httpx.AsyncClient:
        key = f"{factory.__module__}.{factory.__name__}:{sorted(settings.items())}"
        app = running_apps.get(key)
        if app is None:
            values = {
                "database_url": database_url,
                "redis_url": redis_url,
                "env": "testing",
                # Tests share two cores with other suites: a Redis answer 50 ms late is load,
                # not an outage (tests/shared/test_redis_hung.py keeps the production default).
                "redis_timeout_seconds": 1.0,
            }
            app_settings = settings_class(**{**values, **settings})
            app = factory(app_settings, key_set=issuer.key_set())
            context = app.router.lifespan_context(app)
            await context.__aenter__()
            app.state.test_lifespan = context
            running_apps[key] = app
        app.state.sessionmaker = joined_sessionmaker(db_connection)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def data_path(*parts: str) -> Path:
    return REPOSITORY_ROOT.joinpath("tests", *parts)


@pytest_asyncio.fixture
async def serve_app() -> AsyncIterator[Callable[[Any], Any]]:
    """`base_url = await serve_app(asgi_app)`: serve an app over real HTTP on a free port."""
    import uvicorn

    from shared.embedded import free_port

    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def serve(app: Any) -> str:
        port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        servers.append((server, task))
        return f"http://127.0.0.1:{port}"

    yield serve
    for server, task in servers:
        server.should_exit = True
        await task
