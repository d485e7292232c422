# ruff: noqa: ASYNC220 - a benchmark driver starts its server and tools directly
"""Opening-day load on the enrolment API; figures go to bench/RESULTS.md (## Enrolment registration).

    uv run python bench/enrolment_load.py                    # 50,000 families, 2 API processes
    uv run python bench/enrolment_load.py --families 5000 --connections 32

What it does, against the machine's PostgreSQL and Redis (``BENCH_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/xuezai_bench_enrolment``, recreated; ``BENCH_REDIS_URL``,
default db 3):

1. Migrates a fresh database and prepares a published cycle with 200 schools (catchments by road)
   and N families — each a child with an encrypted ID number, 户籍 and property facts, two
   uploaded documents — written in bulk, as if families had filled in their data before opening
   day. Parents' tokens are signed by a bench key that the API trusts through
   ``XUEZAI_TRUSTED_JWKS_FILE``.
2. Measures PostgreSQL's own single-row insert rate with ``pgbench`` (8 clients, 10 s, one
   ``INSERT`` per transaction) in the same run, as the ceiling for comparison.
3. Starts ``uvicorn enrolment.app:create_app`` (uvloop, httptools, ``--workers`` processes,
   access log off via LOG_LEVEL=warning) and drives it from this process with a small
   keep-alive HTTP/1.1 client on asyncio (cheaper per request than httpx, so the generator
   steals less CPU from the server on a 2-core machine):
   - submissions: every family ``POST /v1/applications`` with ``submit: true`` and an
     ``Idempotency-Key`` (create + catchment + batch + documents check + outbox, one commit);
   - status reads: ``GET /v1/applications/{id}/status`` for random submitted applications.
   Reports throughput and p50/p95/p99 latency, and checks the database afterwards: exactly one
   application per family, and one verification message per agency asked.

The enrolment worker is not running: verification waits in the outbox, which is the design
(agencies are asked after the rush); draining it is a separate cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "services" / name) for name in ("shared", "enrolment")]

from enrolment.blobstore import blob_key  # noqa: E402
from enrolment.config import Settings  # noqa: E402
from enrolment.idnumber import make  # noqa: E402
from enrolment.privacy import PersonalDataVault  # noqa: E402
from enrolment.rules import nanning_batches  # noqa: E402
from shared import migrations  # noqa: E402
from shared.embedded import free_port, recreate_database  # noqa: E402
from shared.ids import uuid7  # noqa: E402
from shared.testing.tokens import TestIssuer  # noqa: E402

DISTRICT = "450103"
SCHOOLS = 200
ROADS_PER_SCHOOL = 3
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (the uvicorn workers), from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [
        str(pid),
        *subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split(),
    ]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- preparation -------------------------------------------------------------------------


async def prepare(
    dsn: str, families: int, blob_dir: Path, vault: PersonalDataVault
) -> dict[str, Any]:
    connection = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        cycle_id = uuid7()
        await connection.execute(
            """INSERT INTO enrolment.cycle (id, year, stage, district_code, name, status,
                 registration_opens_at, registration_closes_at, daily_hours, daily_hours_overrides,
                 age_min_years, age_cutoff_month, age_cutoff_day, batches, private_required_documents,
                 public_private_exclusive, max_private_choices, class_size_max, class_size_min)
               VALUES ($1, $2, 'primary_g1', $3, 'bench', 'published', $4, $5, '[]', '{}', 6, 8, 31,
                 $6, '[["hukou_book"]]', true, 1, 45, 25)""",
            cycle_id,
            now.year,
            DISTRICT,
            now - timedelta(days=1),
            now + timedelta(days=5),
            json.dumps(nanning_batches(), ensure_ascii=False),
        )
        offerings = []
        units = []
        for index in range(SCHOOLS):
            offering_id = uuid7()
            offerings.append(
                (
                    offering_id,
                    cycle_id,
                    f"{DISTRICT}{index + 1:04d}",
                    f"第{index + 1}小学",
                    DISTRICT,
                    "public",
                    450,
                    10,
                )
            )
            for road in range(ROADS_PER_SCHOOL):
                name = f"路{index}-{road}"
                units.append(
                    (uuid.uuid4(), offering_id, cycle_id, DISTRICT, name, name, None, None, "all")
                )
        await connection.executemany(
            "INSERT INTO enrolment.offering (id, cycle_id, school_code, school_name, district_code, ownership, seats, classes) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            offerings,
        )
        await connection.executemany(
            "INSERT INTO enrolment.catchment_unit (id, offering_id, cycle_id, district_code, road, road_key, number_from, number_to, parity) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
            units,
        )
        digest = __import__("hashlib").sha256(PNG).hexdigest()
        key = blob_key(digest)
        (blob_dir / key).parent.mkdir(parents=True, exist_ok=True)
        (blob_dir / key).write_bytes(PNG)

        children, facts, documents, prepared = [], [], [], []
        rng = random.Random(7)
        start = date(now.year - 7, 1, 1)
        for index in range(families):
            parent = uuid.uuid4()
            subject = f"parent:{parent}"
            child_id = uuid7()
            birth = start + timedelta(days=index % 600)
            number = make(DISTRICT, birth, index // 600 % 1000)
            sealed = vault.seal("child.id_number", number)
            school = rng.randrange(SCHOOLS)
            home = {
                "district_code": DISTRICT,
                "road": f"路{school}-{rng.randrange(ROADS_PER_SCHOOL)}",
                "house_number": f"{rng.randrange(1, 300)}号",
            }
            certificate = vault.seal(
                "property.certificate", f"桂({2010 + index % 12})南宁市不动产权第{index:07d}号"
            )
            children.append(
                (
                    child_id,
                    subject,
                    f"儿童{index}",
                    "male" if (index // 600 % 1000) % 2 else "female",
                    birth,
                    sealed.cipher,
                    sealed.key_id,
                    sealed.index,
                    sealed.masked,
                )
            )
            facts.append(
                (
                    child_id,
                    json.dumps(home, ensure_ascii=False),
                    date(2019, 1, 1) + timedelta(days=index % 900),
                    True,
                    json.dumps(home, ensure_ascii=False),
                    certificate.cipher,
                    certificate.key_id,
                    certificate.index,
                    certificate.masked,
                    "sole",
                    1,
                    "parents",
                    date(2018, 1, 1),
                    True,
                    [],
                )
            )
            for kind in ("hukou_book", "real_estate_certificate"):
                documents.append(
                    (
                        uuid7(),
                        child_id,
                        subject,
                        kind,
                        "scan.png",
                        "image/png",
                        len(PNG),
                        digest,
                        key,
                    )
                )
            prepared.append((parent, child_id))
        await connection.copy_records_to_table(
            "child",
            schema_name="enrolment",
            records=children,
            columns=[
                "id",
                "parent_subject",
                "name",
                "sex",
                "birth_date",
                "id_number_cipher",
                "id_number_key_id",
                "id_number_index",
                "id_number_masked",
            ],
        )
        await connection.copy_records_to_table(
            "family_facts",
            schema_name="enrolment",
            records=facts,
            columns=[
                "child_id",
                "hukou_address",
                "hukou_move_in_date",
                "has_property",
                "property_address",
                "property_certificate_cipher",
                "property_certificate_key_id",
                "property_certificate_index",
                "property_certificate_masked",
                "property_ownership",
                "property_share",
                "property_owner",
                "property_handover_date",
                "lives_at_property",
                "claims",
            ],
        )
        await connection.copy_records_to_table(
            "document",
            schema_name="enrolment",
            records=documents,
            columns=[
                "id",
                "child_id",
                "parent_subject",
                "kind",
                "filename",
                "content_type",
                "size_bytes",
                "sha256",
                "blob_key",
            ],
        )
        await connection.execute("ANALYZE")
        return {"cycle_id": str(cycle_id), "families": prepared}
    finally:
        await connection.close()


def pgbench(dsn: str, seconds: int) -> dict[str, float]:
    subprocess.run(
        [
            "psql",
            dsn,
            "-qc",
            "DROP TABLE IF EXISTS bench_insert; CREATE TABLE bench_insert (id bigserial primary key, payload text, at timestamptz default now())",
        ],
        check=True,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("INSERT INTO bench_insert (payload) VALUES ('x');\n")
    output = subprocess.run(
        ["pgbench", "-n", "-c", "8", "-j", "2", "-T", str(seconds), "-f", script.name, dsn],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tps = next(
        float(line.split("=")[1].split()[0])
        for line in output.splitlines()
        if line.startswith("tps")
    )
    latency = next(
        (
            float(line.split("=")[1].split()[0])
            for line in output.splitlines()
            if line.startswith("latency average")
        ),
        float("nan"),
    )
    return {"tps": tps, "latency_ms": latency}


# --- a small keep-alive HTTP/1.1 client ----------------------------------------------------


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length) if length else b""
        return status, body


def build_request(
    method: str, path: str, token: str, body: bytes | None = None, extra: str = ""
) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: bench",
        f"Authorization: Bearer {token}",
        "Connection: keep-alive",
    ]
    if extra:
        lines.append(extra)
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


@dataclass
class PhaseResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    bodies: dict[int, bytes]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "per_second": round(self.requests / self.seconds, 1),
            "p50_ms": round(percentile(self.latencies_ms, 0.50), 1),
            "p95_ms": round(percentile(self.latencies_ms, 0.95), 1),
            "p99_ms": round(percentile(self.latencies_ms, 0.99), 1),
            "max_ms": round(max(self.latencies_ms), 1),
            "statuses": self.statuses,
        }


async def drive(
    port: int,
    requests: list[bytes],
    connections: int,
    keep_bodies: bool = False,
    duration: float | None = None,
) -> PhaseResult:
    queue = list(reversed(list(enumerate(requests))))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    bodies: dict[int, bytes] = {}
    deadline = time.perf_counter() + duration if duration else None

    async def worker() -> None:
        connection = Connection("127.0.0.1", port)
        while queue and (deadline is None or time.perf_counter() < deadline):
            index, raw = queue.pop()
            started = time.perf_counter()
            status, body = await connection.request(raw)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if keep_bodies:
                bodies[index] = body
        if connection.writer is not None:
            connection.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return PhaseResult(len(latencies), time.perf_counter() - started, latencies, statuses, bodies)


async def wait_ready(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            if b"200" in await reader.readline():
                writer.close()
                return
        except OSError:
            pass
        await asyncio.sleep(0.3)
    raise SystemExit("enrolment API did not start")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=50_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--read-seconds", type=float, default=20.0)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    options = parser.parse_args()

    dsn = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/xuezai_bench_enrolment"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    await recreate_database(url)
    await asyncio.to_thread(migrations.upgrade, url)
    work = Path(tempfile.mkdtemp(prefix="enrolment-bench-"))
    blob_dir = work / "blobs"
    settings = Settings()
    vault = PersonalDataVault.from_settings(settings)

    started = time.perf_counter()
    world = await prepare(dsn, options.families, blob_dir, vault)
    print(
        f"prepared {options.families} families in {time.perf_counter() - started:.1f}s", flush=True
    )

    database_pg = pgbench(dsn, options.pgbench_seconds)
    print(f"pgbench single-row INSERT: {database_pg}", flush=True)

    issuer = TestIssuer()
    jwks = work / "jwks.json"
    jwks.write_text(json.dumps(issuer.jwks()))
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "XUEZAI_ENV": "development",
        "XUEZAI_TRUSTED_JWKS_FILE": str(jwks),
        "ENROLMENT_BLOB_DIR": str(blob_dir),
        "ENROLMENT_LOG_LEVEL": "WARNING",
        "ENROLMENT_DATABASE_POOL_SIZE": "20",
        "ENROLMENT_DATABASE_MAX_OVERFLOW": "10",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "enrolment.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(options.workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        await wait_ready(port)
        tokens = {
            parent: issuer.token(
                "parent", subject=f"parent:{parent}", kind="parent", expires_in=3600
            )
            for parent, _ in world["families"]
        }
        submissions = [
            build_request(
                "POST",
                "/v1/applications",
                tokens[parent],
                json.dumps(
                    {"cycle_id": world["cycle_id"], "child_id": str(child), "submit": True}
                ).encode(),
                f"Idempotency-Key: {uuid.uuid4()}",
            )
            for parent, child in world["families"]
        ]
        # Warm up each worker's caches and connection pools with 1 % of the families.
        warm = max(len(submissions) // 100, 50)
        await drive(port, submissions[:warm], options.connections)
        cpu_before = cpu_seconds(server.pid)
        result = await drive(port, submissions[warm:], options.connections, keep_bodies=True)
        submit_summary = result.summary()
        submit_summary["api_cpu_ms_per_request"] = round(
            (cpu_seconds(server.pid) - cpu_before) * 1000 / max(result.requests, 1), 2
        )
        print(f"submissions: {submit_summary}", flush=True)
        ids = []
        families = world["families"][warm:]
        for index, body in result.bodies.items():
            if body.startswith(b'{"id"'):
                ids.append((tokens[families[index][0]], json.loads(body)["id"]))
        rng = random.Random(1)
        reads = [
            build_request("GET", f"/v1/applications/{application}/status", token)
            for token, application in (rng.choice(ids) for _ in range(400_000))
        ]
        cpu_before = cpu_seconds(server.pid)
        read_result = await drive(port, reads, options.connections, duration=options.read_seconds)
        read_summary = read_result.summary()
        read_summary["api_cpu_ms_per_request"] = round(
            (cpu_seconds(server.pid) - cpu_before) * 1000 / max(read_result.requests, 1), 2
        )
        print(f"status reads: {read_summary}", flush=True)

        connection = await asyncpg.connect(dsn)
        try:
            applications = await connection.fetchval("SELECT count(*) FROM enrolment.application")
            distinct_children = await connection.fetchval(
                "SELECT count(DISTINCT child_id) FROM enrolment.application"
            )
            checks = await connection.fetchval(
                "SELECT count(*) FROM enrolment.outbox_message WHERE topic = 'enrolment.verification.check'"
            )
        finally:
            await connection.close()
        print(
            f"database: {applications} applications for {distinct_children} children, {checks} verification messages waiting",
            flush=True,
        )
        print(
            json.dumps(
                {
                    "machine": {
                        "cpus": os.cpu_count(),
                        "python": platform.python_version(),
                        "platform": platform.platform(),
                    },
                    "families": options.families,
                    "connections": options.connections,
                    "api_workers": options.workers,
                    "pgbench_insert": database_pg,
                    "submissions": submit_summary,
                    "status_reads": read_summary,
                    "applications": applications,
                    "verification_messages": checks,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
