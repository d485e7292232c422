# ruff: noqa: ASYNC220, ASYNC221 - a benchmark driver starts its tools directly
"""The batch admission job from the database to a reviewable run, at city scale; figures go to
bench/RESULTS.md (## Batch admission job).

    uv run python bench/admission_job.py                       # 100,000 applications
    uv run python bench/admission_job.py --applications 20000 --skip-worker

Against the machine's PostgreSQL and Redis (``BENCH_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/xuezai_bench_admission``, recreated; ``BENCH_REDIS_URL``,
default db 5):

1. Setup (not timed as the job): migrate a fresh database; one published cycle with 1,000 public
   primary schools (90 seats each, catchments implied by the applications) and 100 private
   schools (45 seats); N children and N *verified* applications written with COPY — 85 % public
   with a batch key (Nanning's ladder: batch and a date), 3 % without a catchment school, 12 %
   private (one private school, falling back to their catchment school under 公民同招); the
   lottery seed committed.
2. The job in-process, exactly as the worker runs it (`AdmissionRunner` on a real engine):
   load → lottery (HMAC per application) → engine → explanations → COPY + swap, timed per phase.
   Run twice: the second run must give the same digest and assignment (determinism at scale).
3. The same job through arq: the run requested through the service, picked up by a real
   ``xuezai worker enrolment`` process, timed from the request to a succeeded run (worker
   start-up excluded: it is already running and idle when the run is requested).
4. Publication of the run (100,000 status changes, events, offers and SMS in one transaction),
   the public results document, and ``xuezai lottery verify`` on it.

Checks after each run: every application has one placement, no school over capacity (SQL).
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
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "services" / name) for name in ("shared", "enrolment")]

from enrolment.admission.lottery import commitment, new_seed  # noqa: E402
from enrolment.admissions.publication import publish_run, results_document  # noqa: E402
from enrolment.admissions.runner import SEED_PURPOSE, AdmissionRunner, run_job_id  # noqa: E402
from enrolment.config import Settings  # noqa: E402
from enrolment.idnumber import make  # noqa: E402
from enrolment.privacy import PersonalDataVault  # noqa: E402
from enrolment.rules import BatchRule, decide, nanning_batches  # noqa: E402
from shared import migrations  # noqa: E402
from shared.db import create_engine, create_sessionmaker  # noqa: E402
from shared.embedded import recreate_database  # noqa: E402
from shared.ids import uuid7  # noqa: E402
from shared.worker import queue_name_for  # noqa: E402

DISTRICT = "450103"
PUBLIC_SCHOOLS = 1000
PRIVATE_SCHOOLS = 100
XUEZAI = str(Path(sys.executable).with_name("xuezai"))


def machine() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = next(
        int(line.split()[1]) // 1024 // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    postgres = subprocess.run(
        ["psql", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "model": model,
        "memory_gb": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "postgres_client": postgres,
    }


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def facts_for(rng: random.Random) -> dict[str, Any]:
    day = (date(2014, 1, 1) + timedelta(days=rng.randrange(3000))).isoformat()
    kind = rng.choices(["b1", "b2", "b4", "b5", "migrant", "other"], [35, 15, 8, 15, 17, 10])[0]
    if kind == "b1":
        return {
            "hukou_in_catchment": True,
            "property_in_catchment": True,
            "hukou_matches_property": True,
            "property_sole": True,
            "property_family_owned": True,
            "lives_at_property": True,
            "has_property": True,
            "hukou_in_district": True,
            "hukou_in_city": True,
            "hukou_move_in_date": day,
        }
    if kind == "b2":
        return {
            "property_in_catchment": True,
            "property_sole": True,
            "property_family_owned": True,
            "has_property": True,
            "hukou_in_district": True,
            "hukou_in_city": True,
            "property_handover_date": day,
        }
    if kind in ("b4", "b5"):
        return {
            "hukou_in_catchment": True,
            "three_generations": kind == "b4",
            "hukou_years": 3.0,
            "hukou_in_district": True,
            "hukou_in_city": True,
            "hukou_move_in_date": day,
            "has_property": False,
        }
    if kind == "migrant":
        return {
            "migrant": True,
            "residence_permits_both": True,
            "has_residence_proof": True,
            "has_employment_proof": True,
            "social_insurance_months": rng.randrange(6, 72),
            "has_property": False,
        }
    return {"has_property": False}


def rule_facts(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: date.fromisoformat(v) if k.endswith("_date") else v for k, v in stored.items()}


async def prepare(dsn: str, applications: int, vault: PersonalDataVault) -> dict[str, Any]:
    connection = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        cycle_id = uuid7()
        batches_json = nanning_batches()
        batches = [BatchRule.model_validate(batch) for batch in batches_json]
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
            now - timedelta(days=30),
            now - timedelta(days=20),
            json.dumps(batches_json, ensure_ascii=False),
        )
        public = [uuid7() for _ in range(PUBLIC_SCHOOLS)]
        private = [uuid7() for _ in range(PRIVATE_SCHOOLS)]
        await connection.copy_records_to_table(
            "offering",
            schema_name="enrolment",
            columns=[
                "id",
                "cycle_id",
                "school_code",
                "school_name",
                "district_code",
                "ownership",
                "seats",
                "classes",
            ],
            records=[
                (o, cycle_id, f"4501{i:06d}", f"第{i + 1}小学", DISTRICT, "public", 90, 2)
                for i, o in enumerate(public)
            ]
            + [
                (o, cycle_id, f"4509{i:06d}", f"民办第{i + 1}学校", DISTRICT, "private", 45, 1)
                for i, o in enumerate(private)
            ],
        )
        rng = random.Random(2026)
        children, rows = [], []
        # Popularity is skewed, so some schools are oversubscribed and others have room.
        weights = [1.0 / (1 + (i % 50)) ** 0.5 for i in range(PUBLIC_SCHOOLS)]
        homes = rng.choices(range(PUBLIC_SCHOOLS), weights, k=applications)
        for index in range(applications):
            child_id = uuid7()
            birth = date(2019, 8, 31) - timedelta(days=index % 360)
            sealed = vault.seal("child.id_number", make(DISTRICT, birth, index // 360 + 1))
            subject = f"parent:{uuid.uuid4()}"
            children.append(
                (
                    child_id,
                    subject,
                    f"儿童{index}",
                    "male",
                    birth,
                    sealed.cipher,
                    sealed.key_id,
                    sealed.index,
                    sealed.masked,
                )
            )
            draw = rng.random()
            catchment = None if draw < 0.03 else public[homes[index]]
            chosen = private[rng.randrange(PRIVATE_SCHOOLS)] if catchment and draw > 0.88 else None
            facts = facts_for(rng)
            decision = decide(batches, rule_facts(facts))
            assert decision is not None
            key = [p if p != float("inf") else 1e15 for p in decision.key]
            rows.append(
                (
                    uuid7(),
                    cycle_id,
                    child_id,
                    subject,
                    sealed.index,
                    "private" if chosen else "public",
                    [chosen] if chosen else [],
                    "verified",
                    DISTRICT,
                    catchment,
                    "private_lottery" if chosen else decision.batch.code,
                    None if chosen else decision.order,
                    [] if chosen else key,
                    json.dumps(facts),
                    "complete",
                    [],
                    "[]",
                    [],
                    "[]",
                )
            )
        await connection.copy_records_to_table(
            "child",
            schema_name="enrolment",
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
            records=children,
        )
        await connection.copy_records_to_table(
            "application",
            schema_name="enrolment",
            columns=[
                "id",
                "cycle_id",
                "child_id",
                "parent_subject",
                "id_number_index",
                "track",
                "private_choices",
                "status",
                "district_code",
                "catchment_offering_id",
                "batch_code",
                "batch_order",
                "priority_key",
                "facts_snapshot",
                "verification_status",
                "school_codes",
                "batch_explanation",
                "flags",
                "corrections",
            ],
            records=rows,
        )
        seed = new_seed()
        cipher, key_id = vault.encrypt(SEED_PURPOSE, seed)
        await connection.execute(
            """INSERT INTO enrolment.lottery_seed
                 (cycle_id, seed_cipher, seed_key_id, commitment, committed_at, committed_by)
               VALUES ($1, $2, $3, $4, now(), 'bench')""",
            cycle_id,
            cipher,
            key_id,
            commitment(seed),
        )
        await connection.execute("ANALYZE")
        return {"cycle_id": cycle_id}
    finally:
        await connection.close()


async def queue_run(dsn: str, cycle_id: uuid.UUID) -> uuid.UUID:
    connection = await asyncpg.connect(dsn)
    try:
        run_id = uuid7()
        await connection.execute(
            """INSERT INTO enrolment.admission_run (id, cycle_id, scope, status, phase, job_id,
                 requested_by, requested_at, statistics, timings)
               VALUES ($1, $2, 'all', 'queued', 'queued', $3, 'bench', now(), '{}', '{}')""",
            run_id,
            cycle_id,
            run_job_id(cycle_id, "all"),
        )
        return run_id
    finally:
        await connection.close()


async def check_run(dsn: str, run_id: uuid.UUID, applications: int) -> dict[str, Any]:
    connection = await asyncpg.connect(dsn)
    try:
        run = await connection.fetchrow(
            "SELECT status, inputs_digest, placed, unplaced, timings FROM enrolment.admission_run WHERE id = $1",
            run_id,
        )
        placements = await connection.fetchval(
            "SELECT count(*) FROM enrolment.admission_placement WHERE run_id = $1", run_id
        )
        over = await connection.fetchval(
            """SELECT count(*) FROM (
                 SELECT p.offering_id, count(*) AS n, max(s.capacity) AS capacity
                   FROM enrolment.admission_placement p
                   JOIN enrolment.admission_run_school s
                     ON s.run_id = p.run_id AND s.offering_id = p.offering_id
                  WHERE p.run_id = $1 GROUP BY p.offering_id) per_school
                WHERE n > capacity""",
            run_id,
        )
        assignment = await connection.fetch(
            "SELECT public_id, offering_id FROM enrolment.admission_placement WHERE run_id = $1",
            run_id,
        )
        assert run["status"] == "succeeded", run
        assert placements == applications, placements
        assert over == 0
        return {
            "digest": run["inputs_digest"],
            "placed": run["placed"],
            "unplaced": run["unplaced"],
            "timings": json.loads(run["timings"]),
            "assignment": {row["public_id"]: row["offering_id"] for row in assignment},
        }
    finally:
        await connection.close()


async def in_process(database_url: str, vault: PersonalDataVault, cycle_id: uuid.UUID) -> float:
    engine = create_engine(database_url, application_name="bench.admission", pool_size=3)
    try:
        runner = AdmissionRunner(create_sessionmaker(engine), vault)
        started = time.perf_counter()
        report = await runner.run(cycle_id, "all")
        elapsed = time.perf_counter() - started
        assert report["status"] == "succeeded", report
        return elapsed
    finally:
        await engine.dispose()


async def through_worker(
    dsn: str, database_url: str, redis_url: str, cycle_id: uuid.UUID, log: Path
) -> float:
    """Request a run as the API does (row + arq job) and time it on a real worker process."""
    from arq.connections import create_pool

    from shared.worker import redis_settings_from_url

    environment = {
        **os.environ,
        "XUEZAI_ENV": "testing",
        "ENROLMENT_DATABASE_URL": database_url,
        "ENROLMENT_REDIS_URL": redis_url,
        "ENROLMENT_LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [XUEZAI, "worker", "enrolment"], env=environment, stdout=output, stderr=output
        )
        try:
            await asyncio.sleep(6)  # started and idle
            pool = await create_pool(redis_settings_from_url(redis_url))
            started = time.perf_counter()
            run_id = await queue_run(dsn, cycle_id)
            await pool.enqueue_job(
                "enrolment.admission.run",
                str(cycle_id),
                "all",
                _job_id=run_job_id(cycle_id, "all"),
                _queue_name=queue_name_for("enrolment"),
            )
            connection = await asyncpg.connect(dsn)
            try:
                while True:
                    status = await connection.fetchval(
                        "SELECT status FROM enrolment.admission_run WHERE id = $1", run_id
                    )
                    if status in ("succeeded", "failed", "cancelled"):
                        break
                    await asyncio.sleep(0.05)
            finally:
                await connection.close()
            elapsed = time.perf_counter() - started
            await pool.aclose()
            assert status == "succeeded", status
            return elapsed
        finally:
            worker.terminate()
            worker.wait(timeout=30)


async def publish_and_verify(
    database_url: str, vault: PersonalDataVault, cycle_id: uuid.UUID, workdir: Path
) -> dict[str, float]:
    engine = create_engine(database_url, application_name="bench.admission", pool_size=2)
    figures: dict[str, float] = {}
    try:
        sessions = create_sessionmaker(engine)
        now = datetime.now(UTC)
        async with sessions() as session, session.begin():
            run_id = await session.scalar(
                text("SELECT id FROM enrolment.admission_run WHERE cycle_id = :c AND is_current"),
                {"c": cycle_id},
            )
            await session.execute(
                text(
                    """UPDATE enrolment.admission_run SET publication_status = 'scheduled',
                         publish_at = :now, respond_by = :later WHERE id = :r"""
                ),
                {"now": now, "later": now + timedelta(days=3), "r": run_id},
            )
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            report = await publish_run(session, vault, run_id, now)
        figures["publish_seconds"] = time.perf_counter() - started
        assert report.published, report
        assert report.applications > 0, report
        started = time.perf_counter()
        async with sessions() as session:
            document = await results_document(session, cycle_id, None)
        content = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        figures["document_seconds"] = time.perf_counter() - started
        figures["document_mb"] = len(content.encode()) / 1e6
        path = workdir / "results.json"
        path.write_text(content, encoding="utf-8")
        started = time.perf_counter()
        verified = subprocess.run(
            [XUEZAI, "lottery", "verify", str(path)], capture_output=True, text=True, check=False
        )
        figures["verify_seconds"] = time.perf_counter() - started
        assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
        return figures
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument("--skip-publish", action="store_true")
    args = parser.parse_args()

    dsn = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/xuezai_bench_admission"
    )
    database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
    vault = PersonalDataVault.from_settings(Settings())
    workdir = ROOT / ".data" / "bench-admission"
    workdir.mkdir(parents=True, exist_ok=True)

    print(f"machine: {json.dumps(machine(), ensure_ascii=False)}")
    print(f"load average before setup: {load_average()}")
    await recreate_database(database_url)
    await asyncio.to_thread(migrations.upgrade, database_url)
    started = time.perf_counter()
    prepared = await prepare(dsn, args.applications, vault)
    cycle_id = prepared["cycle_id"]
    print(f"setup: {args.applications} applications in {time.perf_counter() - started:.1f} s")

    results: dict[str, Any] = {"applications": args.applications}
    for attempt in (1, 2):
        print(f"load average before in-process run {attempt}: {load_average()}")
        await queue_run(dsn, cycle_id)
        elapsed = await in_process(database_url, vault, cycle_id)
        connection = await asyncpg.connect(dsn)
        run_id = await connection.fetchval(
            "SELECT id FROM enrolment.admission_run WHERE cycle_id = $1 AND is_current", cycle_id
        )
        await connection.close()
        checked = await check_run(dsn, run_id, args.applications)
        results[f"in_process_{attempt}"] = {
            "seconds": round(elapsed, 2),
            "timings": checked["timings"],
            "placed": checked["placed"],
            "unplaced": checked["unplaced"],
            "load_after": load_average(),
        }
        results.setdefault("digests", []).append(checked["digest"])
        results.setdefault("assignments", []).append(checked["assignment"])
        print(
            f"in-process run {attempt}: {elapsed:.2f} s, phases {checked['timings']}, "
            f"placed {checked['placed']}, unplaced {checked['unplaced']}"
        )
    assignments = results.pop("assignments")
    results["same_digest"] = results["digests"][0] == results["digests"][1]
    results["same_assignment"] = assignments[0] == assignments[1]
    print(
        f"re-run identical: digest {results['same_digest']}, assignment {results['same_assignment']}"
    )

    if not args.skip_worker:
        print(f"load average before the worker run: {load_average()}")
        elapsed = await through_worker(
            dsn, database_url, redis_url, cycle_id, workdir / "worker.log"
        )
        results["through_worker_seconds"] = round(elapsed, 2)
        print(f"through arq and a worker process: {elapsed:.2f} s (request → succeeded)")

    if not args.skip_publish:
        figures = await publish_and_verify(database_url, vault, cycle_id, workdir)
        results.update({k: round(v, 2) for k, v in figures.items()})
        print(
            f"publication: {figures['publish_seconds']:.2f} s; results document "
            f"{figures['document_mb']:.1f} MB in {figures['document_seconds']:.2f} s; "
            f"xuezai lottery verify {figures['verify_seconds']:.2f} s"
        )
    results["load_average_end"] = load_average()
    print(json.dumps(results, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    asyncio.run(main())
