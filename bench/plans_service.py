"""Plans service benchmark: the daily 督办 scan, the monthly bulletin and a seed import, on a
city-sized set of plans in a real PostgreSQL.

Builds `--plans` plans × `--tasks` tasks × `--units` responsible units (one assignment each) in
a scratch database, with deadlines spread over the 30 days before and the 7 days after the scan
day — the worst day: every assignment is on the ladder and takes a step. Then times

- `scan_deadlines` (steps, notifications and outbox messages written, one transaction),
- the same scan again (the idempotent re-run: nothing to send),
- the monthly bulletin over all plans (JSON form),
- importing seed 001 and confirming it into a plan (directory unavailable: names pending).

    uv run python bench/plans_service.py [--plans 20] [--tasks 100] [--units 15]

Needs `BENCH_DATABASE_URL` (default: the machine's PostgreSQL at 127.0.0.1, database
`xuezai_bench_plans`, dropped and recreated).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import insert

from plans.imports.schemas import ImportConfirm
from plans.imports.service import import_service
from plans.models import (
    Assignment,
    NodeKind,
    Plan,
    PlanKind,
    PlanNode,
    PlanStatus,
    UnitRole,
)
from plans.oversight.ladder import Ladder
from plans.oversight.service import scan_deadlines
from plans.oversight.views import view_service
from plans.policies import Access
from plans.seed import SEED_PRINCIPAL
from plans.units.resolution import UnitResolver
from shared import migrations
from shared.db import create_engine, create_sessionmaker
from shared.embedded import recreate_database
from shared.ids import uuid7

SEED_001 = (
    Path(__file__).resolve().parent.parent / "tests/plans/imports/data/001_ae262387f17bac79.txt"
)
DAY = date(2019, 7, 1)


async def build(url: str, plans: int, tasks: int, units: int) -> int:
    engine = create_engine(url, application_name="bench", pool_size=2)
    maker = create_sessionmaker(engine)
    total = 0
    async with maker() as session, session.begin():
        for p in range(plans):
            plan_id = uuid7()
            await session.execute(
                insert(Plan).values(
                    id=plan_id,
                    kind=PlanKind.three_year,
                    title=f"bench plan {p}",
                    status=PlanStatus.active,
                    owner_org_code="450100",
                    version=1,
                )
            )
            nodes, assignments = [], []
            for t in range(tasks):
                node_id = uuid7()
                nodes.append(
                    {
                        "id": node_id,
                        "plan_id": plan_id,
                        "position": t + 1,
                        "ref": str(t + 1),
                        "level": 1,
                        "numbering": f"{t + 1}.",
                        "kind": NodeKind.task,
                        "title": f"任务 {t + 1}",
                        "text": "",
                        "due_date": DAY + timedelta(days=(t % 38) - 30),
                    }
                )
                for u in range(units):
                    assignments.append(
                        {
                            "id": uuid7(),
                            "plan_id": plan_id,
                            "node_id": node_id,
                            "role": UnitRole.implementing,
                            "roles": ["implementing"],
                            "source_names": ["各县区人民政府"],
                            "org_id": uuid.UUID(int=u + 1),
                            "org_code": f"4501{u:02d}",
                            "org_name": f"单位 {u}",
                            "org_kind": "government",
                            "district_code": f"4501{u:02d}",
                        }
                    )
            await session.execute(insert(PlanNode), nodes)
            await session.execute(insert(Assignment), assignments)
            total += len(assignments)
    await engine.dispose()
    return total


async def timed(label: str, coroutine: object) -> float:
    started = time.perf_counter()
    await coroutine  # type: ignore[misc]
    elapsed = time.perf_counter() - started
    print(f"{label:<58} {elapsed * 1000:9.1f} ms")
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--units", type=int, default=15)
    parser.add_argument("--imports", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/xuezai_bench_plans"
    )
    await recreate_database(url)
    await asyncio.to_thread(migrations.upgrade, url)
    started = time.perf_counter()
    assignments = await build(url, args.plans, args.tasks, args.units)
    print(
        f"built {args.plans} plans × {args.tasks} tasks × {args.units} units = {assignments:,} "
        f"assignments in {time.perf_counter() - started:.1f} s"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}"
    )

    engine = create_engine(url, application_name="bench", pool_size=2)
    maker = create_sessionmaker(engine)
    ladder = Ladder()

    async def scan() -> None:
        async with maker() as session, session.begin():
            report = await scan_deadlines(session, today=DAY, ladder=ladder)
            print(
                f"  scanned {report.scanned:,}, steps {report.steps:,}, notices {report.notifications:,}"
            )

    await timed("scan_deadlines, first run of the day", scan())
    await timed("scan_deadlines, second run the same day (idempotent)", scan())

    access = Access.of(SEED_PRINCIPAL)

    async def bulletin() -> None:
        async with maker() as session:
            result = await view_service.bulletin(
                session, access, month="2019-07", plan_id=None, today=DAY, ladder=ladder
            )
            print(f"  {len(result.rows)} rows, {len(result.overdue_tasks)} overdue tasks listed")

    await timed("monthly bulletin over every plan", bulletin())

    text = SEED_001.read_text(encoding="utf-8")
    times = []
    for _ in range(args.imports):

        async def one() -> None:
            async with maker() as session, session.begin():
                item = await import_service.create(
                    session, text, "001.txt", SEED_PRINCIPAL, access, UnitResolver(None)
                )
                await import_service.confirm(
                    session, item.id, ImportConfirm(), SEED_PRINCIPAL, access, UnitResolver(None)
                )

        times.append(await timed("seed 001: preview + confirm (37,527 characters)", one()))
    print(
        f"import + confirm median {statistics.median(times) * 1000:.1f} ms over {len(times)} runs"
    )
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
