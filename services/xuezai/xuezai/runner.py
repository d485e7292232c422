"""`make run`: the whole platform on one machine.

Starts embedded PostgreSQL and Redis unless `DATABASE_URL` / `REDIS_URL` name real ones,
migrates, loads demo data, then runs the four APIs, their arq workers and the agency simulator
as child processes. Ctrl-C or SIGTERM stops the children first, then the embedded servers.
Children are told by the kernel to die with the runner (PR_SET_PDEATHSIG), so even a killed
runner leaves no orphan APIs or workers behind.
"""

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shared import embedded, migrations
from xuezai.platform import AGENCY_SIMULATOR, SERVICES, ServiceSpec
from xuezai.seed import load_demo_data

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
EMBEDDED_REDIS_PORT = 6390


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Platform:
    data_dir: Path
    host: str = "127.0.0.1"
    # Tests run a second platform beside a developer's `make run`: shift every port.
    port_offset: int = 0
    database_url: str = ""
    redis_url: str = ""
    embedded_servers: list[Any] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)

    def log(self, message: str) -> None:
        print(f"[xuezai] {message}", flush=True)

    # --- storage -------------------------------------------------------------------------

    def start_storage(self, environ: Mapping[str, str]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        database_url = environ.get("DATABASE_URL")
        if database_url:
            self.database_url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
            self.log("using PostgreSQL from DATABASE_URL")
        else:
            server, url = embedded.start_postgres(self.data_dir / "pg")
            self.embedded_servers.append(server)
            self.database_url = embedded.with_database(url, "xuezai")
            self.log(f"embedded PostgreSQL 16 in {self.data_dir / 'pg'}")
        asyncio.run(embedded.create_database_if_missing(self.database_url))

        redis_url = environ.get("REDIS_URL")
        if redis_url:
            self.redis_url = redis_url
            self.log("using Redis from REDIS_URL")
        else:
            if not embedded.port_is_free(EMBEDDED_REDIS_PORT):
                raise SystemExit(
                    f"port {EMBEDDED_REDIS_PORT} (embedded Redis) is taken — is another "
                    "`make run` still running? Stop it, or set REDIS_URL."
                )
            server, self.redis_url = embedded.start_redis(
                self.data_dir / "redis", EMBEDDED_REDIS_PORT
            )
            self.embedded_servers.append(server)
            self.log(f"embedded Redis on 127.0.0.1:{EMBEDDED_REDIS_PORT}")

    def stop_storage(self) -> None:
        for server in reversed(self.embedded_servers):
            cleanup = getattr(server, "_cleanup", None) or getattr(server, "cleanup", None)
            if cleanup is not None:
                try:
                    cleanup()
                except Exception as error:  # best effort while shutting down
                    self.log(f"stopping an embedded server failed: {error}")
        self.embedded_servers.clear()

    # --- processes -----------------------------------------------------------------------

    def child_environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        environ = dict(os.environ)
        environ.update(
            {
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                "XUEZAI_ENV": environ.get("XUEZAI_ENV", "development"),
                "XUEZAI_LOG_JSON": environ.get("XUEZAI_LOG_JSON", "true"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        for spec in (*SERVICES, AGENCY_SIMULATOR):
            environ[f"XUEZAI_{spec.name.upper()}_URL"] = self.url(spec)
        environ.update(extra or {})
        return environ

    def port(self, spec: ServiceSpec) -> int:
        return spec.port + self.port_offset

    def url(self, spec: ServiceSpec) -> str:
        return f"http://{self.host}:{self.port(spec)}"

    def plan_children(self, services: Sequence[ServiceSpec]) -> list[Child]:
        python = sys.executable
        children = []
        for spec in (*services, AGENCY_SIMULATOR):
            children.append(
                Child(
                    f"{spec.name}-api",
                    [
                        python,
                        "-m",
                        "uvicorn",
                        spec.app,
                        "--factory",
                        "--host",
                        self.host,
                        "--port",
                        str(self.port(spec)),
                        "--no-access-log",
                        "--log-level",
                        "warning",
                    ],
                )
            )
        for spec in services:
            if spec.worker:
                children.append(Child(f"{spec.name}-worker", [python, "-m", "arq", spec.worker]))
        return children

    def start_children(
        self,
        services: Sequence[ServiceSpec],
        log_dir: Path,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        for spec in (*services, AGENCY_SIMULATOR):
            if not embedded.port_is_free(self.port(spec)):
                raise SystemExit(f"port {self.port(spec)} ({spec.name}) is already in use")
        environ = self.child_environment(environment)
        for child in self.plan_children(services):
            log_file = open(log_dir / f"{child.name}.log", "ab")  # noqa: SIM115 - owned by the child
            child.process = subprocess.Popen(
                child.command,
                env=environ,
                cwd=REPOSITORY_ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
            self.children.append(child)

    def wait_ready(self, services: Sequence[ServiceSpec], timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        pending = {spec.name: self.url(spec) for spec in (*services, AGENCY_SIMULATOR)}
        with httpx.Client(timeout=2.0) as client:
            while pending:
                self.check_children()
                for name, url in list(pending.items()):
                    try:
                        if client.get(f"{url}/readyz").status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"not ready after {timeout:.0f}s: {', '.join(pending)}")
                time.sleep(0.2)

    def check_children(self) -> None:
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                raise ChildExited(child)

    def stop_children(self, grace: float = 10.0) -> None:
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.children.clear()


class ChildExited(Exception):
    def __init__(self, child: Child) -> None:
        assert child.process is not None
        super().__init__(f"{child.name} exited with code {child.process.returncode}")
        self.child = child


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop()


def banner(platform: Platform, started: float) -> str:
    from xuezai.seed import DEMO_ACCOUNTS

    lines = [
        "",
        f"学在 Xuezai is running ({time.monotonic() - started:.1f}s). Ctrl-C stops everything.",
        "",
    ]
    for spec in (*SERVICES, AGENCY_SIMULATOR):
        url = platform.url(spec)
        lines.append(f"  {spec.name:<12} {url:<24} API docs {url}/docs   ({spec.title})")
    lines += ["", "  Demo accounts (staff sign in at POST /v1/auth/token on the directory):"]
    for account in DEMO_ACCOUNTS:
        lines.append(
            f"    {account.role:<16} {account.username:<22} {account.password:<16} {account.scope}"
        )
    lines += [
        "",
        "  Parents sign in by SMS code: the development sender writes the code to the directory's",
        "  log and to GET /v1/dev/sms-outbox.",
        f"  Logs: {platform.data_dir / 'logs'}",
        "",
    ]
    return "\n".join(lines)


def run(*, data_dir: Path | None = None, seed: bool = True, port_offset: int = 0) -> int:
    started = time.monotonic()
    platform = Platform(
        data_dir=data_dir or REPOSITORY_ROOT / ".data" / "run", port_offset=port_offset
    )
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        platform.start_storage(os.environ)
        platform.log("migrating")
        migrations.upgrade(platform.database_url)
        if seed:
            platform.log("loading demo data")
            asyncio.run(load_demo_data(platform.database_url))
        platform.log("starting services and workers")
        platform.start_children(SERVICES, platform.data_dir / "logs")
        platform.wait_ready(SERVICES)
        print(banner(platform, started), flush=True)
        while True:
            platform.check_children()
            time.sleep(0.5)
    except _Stop:
        platform.log("stopping")
        return 0
    except ChildExited as error:
        platform.log(f"{error}; see {platform.data_dir / 'logs' / (error.child.name + '.log')}")
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        # A second Ctrl-C while stopping must not leave half the platform running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        platform.stop_children()
        platform.stop_storage()
        platform.log("stopped")
