"""Supervision benchmark: the HTTP paths that do real work, against PostgreSQL.

Builds a scratch database (``xuezai_bench_supervision`` next to DATABASE_URL, recreated and
migrated), serves the fake directory / enrolment peers of the test suite over real HTTP, and runs
the supervision app in-process (httpx ASGI transport, real lifespan, real database). Measures:

- ``POST /v1/balance/evaluate`` for a county of N schools (computation + stored result);
- ``POST /v1/balance/counties/{c}/evaluate`` over N approved returns (a third of them 一贯制);
- a 优质均衡 assessment evaluation (school data + enrolment pull + framework + stored result);
- ``POST /v1/school-data/import`` of an xlsx with R rows (dry run, then stored);
- the daily alert scan over A assignments, their visits and F overdue findings.

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/x \\
        uv run python bench/supervision_bench.py [--schools 300] [--rows 2000] [--assignments 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("XUEZAI_ENV", "testing")

from shared import embedded, migrations  # noqa: E402
from shared.db import create_engine, create_sessionmaker  # noqa: E402
from shared.testing.tokens import TestIssuer  # noqa: E402
from supervision.alerts.service import alert_service  # noqa: E402
from supervision.app import create_app  # noqa: E402
from supervision.config import Settings  # noqa: E402
from supervision.models import (  # noqa: E402
    Finding,
    FindingSeverity,
    FindingStatus,
    Inspector,
    InspectorAssignment,
    ReturnStatus,
    SchoolReturn,
    Visit,
    VisitStatus,
)
from tests.supervision import conftest as peers  # noqa: E402

COUNTY = "450103"


def timed_runs(runs: int) -> Callable[[Callable[[], Awaitable[Any]]], Awaitable[list[float]]]:
    async def run(call: Callable[[], Awaitable[Any]]) -> list[float]:
        await call()  # warm-up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await call()
            times.append(time.perf_counter() - started)
        return times

    return run


def show(label: str, times: list[float]) -> None:
    print(
        f"{label:<62} median {statistics.median(times) * 1000:8.1f} ms   "
        f"best {min(times) * 1000:8.1f} ms   ({len(times)} runs)"
    )


def statistics_for(rng: random.Random, parts: dict[str, int]) -> dict[str, Any]:
    weighted = parts.get("primary", 0) + 1.1 * parts.get("junior", 0)
    f = rng.uniform(0.9, 1.2)
    return {
        "kind": "school",
        "parts": {
            stage: {
                "students": n,
                "qualified_teachers": round(n * 0.06 * f),
                "backbone_teachers": round(n * 0.013 * f),
                "pe_art_teachers": round(n * 0.011 * f),
            }
            for stage, n in parts.items()
        },
        "teaching_space_m2": round(weighted * 6.2 * f),
        "sports_space_m2": round(weighted * 11 * f),
        "equipment_value_yuan": round(weighted * 2800 * f),
        "multimedia_classrooms": round(weighted * 0.03 * f),
    }


async def serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = embedded.free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return server, task, f"http://127.0.0.1:{port}"


async def main(args: argparse.Namespace) -> None:
    base = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/xuezai")
    database_url = embedded.with_database(base, "xuezai_bench_supervision")
    await embedded.recreate_database(database_url)
    await asyncio.to_thread(migrations.upgrade, database_url)
    rng = random.Random(7)
    timed = timed_runs(args.runs)

    # Extra schools the fake directory knows: 4501038000+ in 450103 (a third 一贯制).
    codes = [f"45010{3}{8000 + i:04d}" for i in range(max(args.schools, args.rows))]
    stages = {
        code: (("primary", "junior") if i % 3 == 0 else ("primary",))
        for i, code in enumerate(codes)
    }
    peers.ORGS = peers.ORGS + tuple(
        (code, "school", f"青秀区测试学校{i}", COUNTY, stages[code]) for i, code in enumerate(codes)
    )
    issuer = TestIssuer()
    state = peers.PeerState()
    for stage in ("primary_g1", "junior_g7"):
        state.stats[(2025, stage, COUNTY)] = {
            "catchment_share": 1.0,
            "migrant_share_in_public": 0.9,
        }
    running = [
        await serve(peers.fake_directory(issuer, state)),
        await serve(peers.fake_plans(issuer, state)),
        await serve(peers.fake_enrolment(issuer, state)),
    ]
    settings = Settings(
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"),
        env="testing",
        log_level="WARNING",
        directory_url=running[0][2],
        plans_url=running[1][2],
        enrolment_url=running[2][2],
        service_client_secret=peers.SERVICE_SECRET,
        evidence_dir=Path("/tmp/xuezai-bench-evidence"),
        evidence_max_bytes=50_000_000,
        import_max_rows=100_000,
    )
    app = create_app(settings, key_set=issuer.key_set())
    city = issuer.city_admin()
    engine = create_engine(database_url, application_name="bench", pool_size=2, max_overflow=0)
    sessionmaker = create_sessionmaker(engine)
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; database {database_url.rsplit('@', 1)[-1]}"
    )

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=120
        ) as client,
    ):
        # 1. Posted county data.
        posted = {
            "county": COUNTY,
            "stage": "primary",
            "schools": [
                {
                    "id": code,
                    "students": (n := rng.randint(200, 2000)),
                    "kind": "school",
                    "qualified_teachers": n * 0.05,
                    "backbone_teachers": n * 0.012,
                    "pe_art_teachers": n * 0.011,
                    "teaching_space_m2": n * rng.uniform(4.6, 6),
                    "sports_space_m2": n * rng.uniform(7.6, 10),
                    "equipment_value_yuan": n * rng.uniform(2000, 3000),
                    "multimedia_classrooms": n * 0.025,
                }
                for code in codes[: args.schools]
            ],
        }

        async def post_balance() -> None:
            response = await client.post("/v1/balance/evaluate", json=posted, headers=city)
            assert response.status_code == 200, response.text

        show(f"POST /v1/balance/evaluate, {args.schools} schools", await timed(post_balance))

        # 2. Stored approved returns.
        async with sessionmaker() as session, session.begin():
            for code in codes[: args.schools]:
                parts = {s: rng.randint(300, 1500) for s in stages[code]}
                session.add(
                    SchoolReturn(
                        school_code=code,
                        school_name=code,
                        district_code=COUNTY,
                        year=2025,
                        status=ReturnStatus.approved,
                        data=statistics_for(rng, parts),
                    )
                )

        async def county_balance() -> None:
            response = await client.post(
                f"/v1/balance/counties/{COUNTY}/evaluate?year=2025&stage=primary", headers=city
            )
            assert response.status_code == 200, response.text

        show(
            f"POST /v1/balance/counties/…/evaluate, {args.schools} approved returns",
            await timed(county_balance),
        )

        # 3. A 优质均衡 assessment evaluation (both stages, enrolment over HTTP).
        created = await client.post(
            "/v1/assessments",
            json={
                "kind": "quality_balance",
                "title": "bench",
                "year": 2025,
                "district_code": COUNTY,
                "as_of": "2025-12-31",
            },
            headers=city,
        )
        aid, tid = created.json()["id"], created.json()["targets"][0]["id"]
        await client.post(f"/v1/assessments/{aid}/phase", json={"phase": "scoring"}, headers=city)

        async def evaluate() -> None:
            response = await client.post(
                f"/v1/assessments/{aid}/targets/{tid}/evaluate", headers=city
            )
            assert response.status_code == 201, response.text

        show(
            f"POST …/targets/{{id}}/evaluate (优质均衡, {args.schools} schools, enrolment over HTTP)",
            await timed(evaluate),
        )

        # 4. Import.
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(
            [
                "学校标识码",
                "学校类型（学校/教学点）",
                "小学在校生数",
                "小学专科及以上学历专任教师数",
                "小学县级及以上骨干教师数",
                "小学体育艺术专任教师数",
                "教学及辅助用房面积（㎡）",
                "体育运动场馆面积（㎡）",
                "教学仪器设备值（元）",
                "网络多媒体教室数（间）",
            ]
        )
        for code in codes[: args.rows]:
            n = rng.randint(200, 2000)
            sheet.append(
                [code, "学校", n, n // 20, n // 80, n // 90, n * 5, n * 8, n * 2200, n // 40]
            )
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
        district = issuer.district_admin(COUNTY)

        async def import_rows(query: str) -> None:
            response = await client.post(
                f"/v1/school-data/import?{query}",
                files={"file": ("b.xlsx", data, "application/octet-stream")},
                headers=district,
            )
            assert response.status_code in (200, 422), response.text

        show(
            f"POST /v1/school-data/import dry run, {args.rows} rows ({len(data) // 1024} KiB)",
            await timed(lambda: import_rows("year=2026&dry_run=true")),
        )
        started = time.perf_counter()
        await import_rows("year=2027")
        print(
            f"{'POST /v1/school-data/import stored, ' + str(args.rows) + ' rows':<62} "
            f"once     {(time.perf_counter() - started) * 1000:8.1f} ms"
        )

    # 5. The daily scan.
    async with sessionmaker() as session, session.begin():
        inspectors = []
        for i in range(args.assignments // 5):
            inspector = Inspector(
                name=f"督学{i}",
                certificate_no=f"B-{i}",
                district_code=COUNTY,
                phone="0771",
                active=True,
            )
            session.add(inspector)
            inspectors.append(inspector)
        await session.flush()
        assignments = []
        for i in range(args.assignments):
            assignment = InspectorAssignment(
                inspector_id=inspectors[i // 5].id,
                school_code=f"9{i:09d}",
                school_name="s",
                district_code=COUNTY,
                starts_on=date(2025, 1, 1),
            )
            session.add(assignment)
            assignments.append(assignment)
        await session.flush()
        for i, assignment in enumerate(assignments):
            if i % 2:
                continue  # half the schools were not visited last month
            session.add(
                Visit(
                    inspector_id=assignment.inspector_id,
                    assignment_id=assignment.id,
                    school_code=assignment.school_code,
                    school_name="s",
                    district_code=COUNTY,
                    status=VisitStatus.completed,
                    visited_on=date(2025, 10, 15),
                    checked_in_at=datetime(2025, 10, 15, tzinfo=UTC),
                    latitude=22.8,
                    longitude=108.3,
                    checklist=[],
                    methods=[],
                    photo_ids=[],
                )
            )
        for i in range(args.findings):
            session.add(
                Finding(
                    title="t",
                    description="d",
                    severity=FindingSeverity.general,
                    district_code=COUNTY,
                    school_code=f"9{i % args.assignments:09d}",
                    owner_org_code="x",
                    owner_name="x",
                    deadline=date(2025, 10, 1) - timedelta(days=i % 60),
                    status=FindingStatus.in_progress,
                    escalation_level=0,
                    reopen_count=0,
                )
            )
    async with sessionmaker() as session, session.begin():
        started = time.perf_counter()
        summary = await alert_service.scan(session, settings, date(2025, 11, 3))
        scanned = time.perf_counter() - started
    print(
        f"{'daily alert scan, ' + str(args.assignments) + ' assignments, ' + str(args.findings) + ' overdue findings':<62} "
        f"once     {scanned * 1000:8.1f} ms   {summary}"
    )
    async with sessionmaker() as session, session.begin():
        started = time.perf_counter()
        again = await alert_service.scan(session, settings, date(2025, 11, 3))
        print(
            f"{'same day again (skipped)':<62} once     {(time.perf_counter() - started) * 1000:8.1f} ms   skipped={again['skipped']}"
        )

    await engine.dispose()
    for server, task, _ in running:
        server.should_exit = True
        await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--assignments", type=int, default=5000)
    parser.add_argument("--findings", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=9)
    asyncio.run(main(parser.parse_args()))
