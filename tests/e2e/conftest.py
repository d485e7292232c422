"""A live platform for end-to-end tests: the same runner `make run` uses, with real uvicorn
processes, real arq workers and the agency simulator, against the test database and Redis."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from directory.seed.loader import load_demo_organizations
from shared.db import create_engine, create_sessionmaker
from shared.embedded import free_port, port_is_free
from shared.testing.tokens import TestIssuer
from xuezai.platform import AGENCY_SIMULATOR, SERVICES
from xuezai.runner import Platform


def _free_offset() -> int:
    """A port offset at which every service port is free."""
    for _ in range(50):
        offset = free_port() - 8000
        if offset > 0 and all(
            port_is_free(spec.port + offset) for spec in (*SERVICES, AGENCY_SIMULATOR)
        ):
            return offset
    raise RuntimeError("no free port range for the live platform")


@pytest.fixture(scope="session")
def live_platform(
    database_url: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    issuer: TestIssuer,
) -> Iterator[Platform]:
    """Trusts the test issuer's key too, so tests can act as any role against real processes."""
    # The register every service resolves schools and districts against.
    asyncio.run(load_demo_organizations_into(database_url))
    platform = Platform(
        data_dir=Path(tmp_path_factory.mktemp("platform")),
        database_url=database_url,
        redis_url=redis_url,
        port_offset=_free_offset(),
    )
    # The services also trust the test issuer's key, so tests can act as any role.
    jwks = platform.data_dir / "test-issuer-jwks.json"
    jwks.write_text(json.dumps(issuer.jwks()), encoding="utf-8")
    platform.start_children(
        SERVICES,
        platform.data_dir / "logs",
        {
            "XUEZAI_ENV": "development",
            "XUEZAI_TRUSTED_JWKS_FILE": str(jwks),
            # A loaded test machine is not a hung Redis (see tests/shared/test_redis_hung.py).
            "XUEZAI_REDIS_TIMEOUT_SECONDS": "0.5",
        },
    )
    try:
        # Minutes, not seconds: the machine running the suite may be busy with other work.
        platform.wait_ready(SERVICES, timeout=180)
        yield platform
    finally:
        platform.stop_children()


async def load_demo_organizations_into(database_url: str) -> None:
    engine = create_engine(database_url, application_name="tests.seed", pool_size=1, max_overflow=0)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await load_demo_organizations(session)
    finally:
        await engine.dispose()


def service_url(platform: Platform, name: str) -> str:
    spec = next(spec for spec in (*SERVICES, AGENCY_SIMULATOR) if spec.name == name)
    return platform.url(spec)
