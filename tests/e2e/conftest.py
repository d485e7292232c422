"""A live platform for end-to-end tests: the same runner `make run` uses, with real uvicorn
processes, real arq workers and the agency simulator, against the test database and Redis."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    database_url: str, redis_url: str, issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """Trusts the test issuer's key too, so tests can act as any role against real processes."""
    platform = Platform(
        data_dir=Path(tmp_path_factory.mktemp("platform")),
        database_url=database_url,
        redis_url=redis_url,
        port_offset=_free_offset(),
    )
    environment = {
        "XUEZAI_ENV": "development",
        "XUEZAI_TRUSTED_JWKS_JSON": json.dumps(issuer.jwks()),
    }
    platform.start_children(SERVICES, platform.data_dir / "logs", environment)
    try:
        platform.wait_ready(SERVICES, timeout=60)
        yield platform
    finally:
        platform.stop_children()


def service_url(platform: Platform, name: str) -> str:
    spec = next(spec for spec in (*SERVICES, AGENCY_SIMULATOR) if spec.name == name)
    return platform.url(spec)
