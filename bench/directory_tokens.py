"""Directory benchmarks over real HTTP: token issuance, verification, look-up, import.

    uv run python bench/directory_tokens.py [--database-url …] [--redis-url …]

Creates (and drops) a scratch database next to the one given, migrates it, loads the demo data,
starts the directory in one uvicorn process (production argon2 cost) and measures from this
process with httpx. Not a test: nothing here is asserted.
"""

import argparse
import asyncio
import csv
import io
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared import embedded, migrations  # noqa: E402
from shared.embedded import free_port  # noqa: E402
from xuezai.seed import DEMO_CLIENT_SECRET, DEMO_PASSWORD, load_demo_data  # noqa: E402


async def measure(
    name: str, total: int, concurrency: int, call: Callable[[int], Awaitable[httpx.Response]]
) -> None:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(range(total))

    async def worker() -> None:
        for index in queue:
            started = time.perf_counter()
            response = await call(index)
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(
        f"| {name} | {total} × c{concurrency} | {total / elapsed:,.0f}/s | "
        f"{p50:.1f} ms | {p99:.1f} ms | {statuses} |",
        flush=True,
    )


def import_file(rows: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["kind", "code", "name", "parent_code", "stages", "ownership", "aliases"])
    for serial in range(rows):
        writer.writerow(
            [
                "school",
                f"450107{5000 + serial:04d}",
                f"基准学校{serial}",
                "450107",
                "小学",
                "公办",
                f"基准{serial}",
            ]
        )
    return buffer.getvalue().encode()


async def run(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        token_url = "/v1/auth/token"
        staff = (
            await http.post(
                token_url,
                data={
                    "grant_type": "password",
                    "username": "city.admin",
                    "password": DEMO_PASSWORD,
                },
            )
        ).json()["access_token"]
        agency = (
            await http.post(
                token_url,
                data={"grant_type": "client_credentials"},
                auth=("demo-agency", DEMO_CLIENT_SECRET),
            )
        ).json()["access_token"]
        service = (
            await http.post(
                token_url,
                data={"grant_type": "client_credentials"},
                auth=("plans", "dev-only-service-secret"),
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {staff}"}
        service_headers = {"Authorization": f"Bearer {service}"}

        print("| what | requests | throughput | p50 | p99 | statuses |")
        print("|---|---|---|---|---|---|")
        await measure(
            "password grant (argon2id t=3, 64 MiB)",
            40,
            4,
            lambda _: http.post(
                token_url,
                data={
                    "grant_type": "password",
                    "username": "city.admin",
                    "password": DEMO_PASSWORD,
                },
            ),
        )
        await measure(
            "client_credentials grant (service client)",
            40,
            4,
            lambda _: http.post(
                token_url,
                data={"grant_type": "client_credentials"},
                auth=("plans", "dev-only-service-secret"),
            ),
        )
        await measure(
            "GET /v1/me (verify token: EdDSA + Redis revocation check)",
            2000,
            16,
            lambda _: http.get("/v1/me", headers=headers),
        )
        await measure(
            "GET /v1/organizations?limit=50 (service token)",
            1000,
            16,
            lambda _: http.get("/v1/organizations", params={"limit": 50}, headers=service_headers),
        )
        await measure(
            "same, agency token (+ Redis rate limit; demo limit 120/min → 429s)",
            1000,
            16,
            lambda _: http.get(
                "/v1/organizations",
                params={"limit": 50},
                headers={"Authorization": f"Bearer {agency}"},
            ),
        )
        # 1,000 distinct names: the demo's units, aliases and groups, and variants that match
        # nothing (as a plan's odd spellings would).
        known = [
            "市教育局",
            "财政局",
            "发展改革委",
            "人社局",
            "各县区人民政府",
            "开发区管委会",
            "国土资源局",
        ]
        names = known + [f"{known[i % len(known)]}（{i}）" for i in range(1000 - len(known))]
        await measure(
            "POST /v1/organizations/lookup, 1,000 names",
            50,
            4,
            lambda _: http.post(
                "/v1/organizations/lookup",
                json={"names": names, "as_of": "2018-05-01"},
                headers=service_headers,
            ),
        )
        codes = [f"450103{serial:04d}" for serial in range(1, 9)] * 125
        await measure(
            "POST /v1/organizations/lookup, 1,000 codes",
            50,
            4,
            lambda _: http.post(
                "/v1/organizations/lookup", json={"codes": codes}, headers=service_headers
            ),
        )
        content = import_file(1000)
        await measure(
            "POST /v1/organizations/imports, 1,000 rows (dry run)",
            5,
            1,
            lambda _: http.post(
                "/v1/organizations/imports",
                params={"dry_run": "true"},
                files={"file": ("bench.csv", content)},
                headers=headers,
            ),
        )
        await measure(
            "POST /v1/organizations/imports, 1,000 rows (stored; later runs update)",
            3,
            1,
            lambda _: http.post(
                "/v1/organizations/imports", files={"file": ("bench.csv", content)}, headers=headers
            ),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/xuezai"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    args = parser.parse_args()
    database_url = embedded.with_database(args.database_url, "xuezai_bench_directory")
    asyncio.run(embedded.recreate_database(database_url))
    migrations.upgrade(database_url)
    asyncio.run(load_demo_data(database_url))
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "XUEZAI_ENV": "development",
        "XUEZAI_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "directory.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=environment,
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        asyncio.run(run(base))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
