"""The admission job on a real arq worker (`xuezai worker enrolment` as a subprocess), with real
commits: a worker killed mid-run leaves the current run whole, a re-run gives the same answer
and that answer is what gets published; a running run can be cancelled."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from enrolment.admission.instance import load_published, verify_published
from enrolment.app import create_app
from enrolment.config import Settings
from enrolment.models import (
    AdmissionPlacement,
    AdmissionRun,
    Application,
    Child,
    Cycle,
    Notification,
    OutboxMessage,
)
from shared.db import create_sessionmaker
from shared.testing.tokens import TestIssuer

from ..conftest import (
    BINHU,
    BLOB_DIR,
    FENGLING,
    PRIVATE,
    World,
    build_world,
    demo_school_register,
)
from .conftest import Kid, add_kids, assignment, commit_seed, later, set_seats

XUEZAI = str(Path(sys.executable).with_name("xuezai"))
STALE_SECONDS = 1.0


class Workers:
    """`xuezai worker enrolment` processes against the test database and Redis."""

    def __init__(self, directory: Path, database_url: str, redis_url: str) -> None:
        self.directory = directory
        self.database_url = database_url
        self.redis_url = redis_url
        self.running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, *, phase_delay: float = 0.0) -> subprocess.Popen[bytes]:
        environment = {
            **os.environ,
            "XUEZAI_ENV": "testing",
            "ENROLMENT_DATABASE_URL": self.database_url,
            "ENROLMENT_REDIS_URL": self.redis_url,
            "ENROLMENT_ADMISSION_PHASE_DELAY_SECONDS": str(phase_delay),
            "ENROLMENT_LOG_LEVEL": "INFO",
        }
        log = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [XUEZAI, "worker", "enrolment"], env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        self.running.append((process, log))
        return process

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process, log in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
            log.close()


@pytest.fixture
def workers(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[Workers]:
    pool = Workers(tmp_path, database_url, redis_url)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
async def api(
    database_url: str, redis_url: str, issuer: TestIssuer, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    """The enrolment API on its own engine: every request commits, as in production."""
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        env="testing",
        cycle_cache_seconds=0,
        blob_dir=str(BLOB_DIR),
        admission_stale_seconds=STALE_SECONDS,
    )
    app = create_app(settings, key_set=issuer.key_set())
    context = app.router.lifespan_context(app)
    await context.__aenter__()
    app.state.schools = demo_school_register()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=30
    )
    client.app = app  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        await client.aclose()
        await context.__aexit__(None, None, None)
        # Everything these tests committed (the audit log is append-only and stays).
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(delete(Cycle))
            await session.execute(delete(Child))
            await session.execute(
                delete(OutboxMessage).where(OutboxMessage.topic.like("enrolment.%"))
            )
            await session.execute(delete(Notification))


async def wait_for(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    done: Callable[[dict[str, Any]], bool],
    within: float = 60.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        body: dict[str, Any] = (await client.get(url, headers=headers)).json()
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting on {url}: {body}")
        await asyncio.sleep(0.1)


async def prepare(api: httpx.AsyncClient, issuer: TestIssuer, engine: AsyncEngine) -> World:
    world = await build_world(api, issuer)
    await set_seats(api, world, {BINHU: 40, FENGLING: 30, PRIVATE: 10})
    kids = [
        Kid(
            [BINHU, FENGLING, None][n % 3] if n % 11 else BINHU,
            (1, 4, 9)[n % 3],
            f"20{18 + n % 4}-0{1 + n % 9}-1{n % 10}",
            private=PRIVATE if n % 7 == 0 else None,
        )
        for n in range(150)
    ]
    # A kid with a private choice needs a catchment school for the fall-back.
    kids = [Kid(k.school or BINHU, k.batch, k.day, k.private) if k.private else k for k in kids]
    async with create_sessionmaker(engine)() as session, session.begin():
        await add_kids(session, world, api.app.state.vault, kids)  # type: ignore[attr-defined]
    await commit_seed(api, world)
    return world


async def placements(engine: AsyncEngine, run_id: str) -> dict[str, str | None]:
    async with create_sessionmaker(engine)() as session:
        return await assignment(session, run_id)


async def test_a_worker_killed_mid_run_leaves_the_current_run_whole_and_the_rerun_is_identical(
    api: httpx.AsyncClient,
    issuer: TestIssuer,
    engine: AsyncEngine,
    workers: Workers,
    tmp_path: Path,
) -> None:
    world = await prepare(api, issuer, engine)
    runs = f"/v1/cycles/{world.cycle_id}/admission-runs"

    # Run A on a healthy worker: the current run.
    first = workers.start("first")
    a = (await api.post(runs, json={}, headers=world.city)).json()
    a = await wait_for(
        api, f"/v1/admission-runs/{a['id']}", world.city, lambda r: r["status"] == "succeeded"
    )
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=30)
    expected = await placements(engine, a["id"])
    assert len(expected) == 150

    # Run B on a worker that pauses inside the results transaction: kill it there.
    slow = workers.start("slow", phase_delay=3.0)
    b = (await api.post(runs, json={}, headers=world.city)).json()
    await wait_for(
        api,
        f"/v1/admission-runs/{b['id']}",
        world.city,
        lambda r: r["phase"] == "swapping",
        within=90,
    )
    slow.send_signal(signal.SIGKILL)
    slow.wait(timeout=10)

    # The last good run is whole and still current; nothing of B was committed.
    a_now = (await api.get(f"/v1/admission-runs/{a['id']}", headers=world.city)).json()
    assert a_now["is_current"] is True
    assert await placements(engine, a["id"]) == expected
    async with create_sessionmaker(engine)() as session:
        orphans = await session.scalar(
            select(func.count())
            .select_from(AdmissionPlacement)
            .where(AdmissionPlacement.run_id == uuid.UUID(b["id"]))
        )
        assert orphans == 0
        current = await session.scalar(
            select(func.count())
            .select_from(AdmissionRun)
            .where(AdmissionRun.cycle_id == uuid.UUID(world.cycle_id), AdmissionRun.is_current)
        )
        assert current == 1
    b_now = (await api.get(f"/v1/admission-runs/{b['id']}", headers=world.city)).json()
    assert (b_now["status"], b_now["is_current"]) == ("running", False)

    # Re-run once the dead worker's heartbeat is stale: B is written off, C takes over the
    # same job id on a new worker and gives exactly A's answer.
    await asyncio.sleep(STALE_SECONDS + 0.5)
    workers.start("again")
    c = await api.post(runs, json={}, headers=world.city)
    assert c.status_code == 202, c.text
    assert c.json()["job_id"] == a["job_id"]
    c_done = await wait_for(
        api,
        f"/v1/admission-runs/{c.json()['id']}",
        world.city,
        lambda r: r["status"] == "succeeded",
    )
    b_after = (await api.get(f"/v1/admission-runs/{b['id']}", headers=world.city)).json()
    assert b_after["status"] == "failed"
    assert "中断" in b_after["error"]
    assert c_done["inputs_digest"] == a["inputs_digest"]
    assert await placements(engine, c_done["id"]) == expected
    assert c_done["is_current"] is True

    # Published by the worker's deferred job: the published result is A's, and verifies.
    now = api.app.state.clock()  # type: ignore[attr-defined]
    scheduled = await api.post(
        f"/v1/admission-runs/{c_done['id']}/publication",
        json={"respond_by": later(now, days=3).isoformat()},
        headers=world.city,
    )
    assert scheduled.status_code == 202, scheduled.text
    await wait_for(
        api,
        f"/v1/admission-runs/{c_done['id']}",
        world.city,
        lambda r: r["publication_status"] == "published",
    )
    document = (await api.get(f"/v1/public/cycles/{world.cycle_id}/results")).json()
    assert document["assignment"] == expected
    assert verify_published(load_published(document)).ok
    async with create_sessionmaker(engine)() as session:
        admitted = await session.scalar(
            select(func.count())
            .select_from(Application)
            .where(
                Application.cycle_id == uuid.UUID(world.cycle_id),
                Application.status == "admitted",
            )
        )
    assert admitted == sum(1 for school in expected.values() if school is not None)


async def test_a_running_run_is_cancelled_through_arq_and_the_current_run_stays(
    api: httpx.AsyncClient, issuer: TestIssuer, engine: AsyncEngine, workers: Workers
) -> None:
    world = await prepare(api, issuer, engine)
    runs = f"/v1/cycles/{world.cycle_id}/admission-runs"
    workers.start("worker", phase_delay=1.0)
    a = (await api.post(runs, json={}, headers=world.city)).json()
    a = await wait_for(
        api, f"/v1/admission-runs/{a['id']}", world.city, lambda r: r["status"] == "succeeded"
    )

    b = (await api.post(runs, json={}, headers=world.city)).json()
    await wait_for(
        api, f"/v1/admission-runs/{b['id']}", world.city, lambda r: r["status"] == "running"
    )
    cancel = await api.post(f"/v1/admission-runs/{b['id']}/cancel", headers=world.city)

    assert cancel.status_code == 202, cancel.text
    assert cancel.json()["cancel_requested"] is True
    cancelled = await wait_for(
        api, f"/v1/admission-runs/{b['id']}", world.city, lambda r: r["status"] == "cancelled"
    )
    assert cancelled["is_current"] is False
    a_now = (await api.get(f"/v1/admission-runs/{a['id']}", headers=world.city)).json()
    assert a_now["is_current"] is True
    # The abort is not left behind for the next job under the same id.
    c = (await api.post(runs, json={}, headers=world.city)).json()
    c = await wait_for(
        api,
        f"/v1/admission-runs/{c['id']}",
        world.city,
        lambda r: r["status"] in ("succeeded", "failed", "cancelled"),
    )
    assert c["status"] == "succeeded"
    assert c["inputs_digest"] == a["inputs_digest"]
