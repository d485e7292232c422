"""Crash and restart under load: a burst of submissions against a real uvicorn process, which is
SIGKILLed mid-burst and started again. Every submission answered 201 is stored exactly once,
and every one left unanswered, retried with its `Idempotency-Key`, ends as exactly one
application — whether the killed process had committed it (the retry replays the stored 201)
or not (the retry creates it).
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from enrolment.app import create_app
from enrolment.config import Settings
from enrolment.idnumber import make
from enrolment.windows import SHANGHAI
from shared.embedded import free_port
from shared.testing.servers import REPOSITORY_ROOT
from shared.testing.tokens import TestIssuer

from .conftest import (
    BLOB_DIR,
    QINGXIU,
    cycle_body,
    demo_school_register,
    make_family,
    publish_cycle,
)

YEAR = 2097  # a cycle no other test uses: this one commits
FAMILIES = 48
KILL_AFTER = 8  # answers


class EnrolmentProcess:
    """`uvicorn enrolment.app:create_app` in its own process, trusting the test issuer."""

    def __init__(self, database_url: str, redis_url: str, jwks: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "XUEZAI_ENV": "testing",
            "XUEZAI_TRUSTED_JWKS_FILE": str(jwks),
            "XUEZAI_REDIS_TIMEOUT_SECONDS": "0.5",
            "ENROLMENT_BLOB_DIR": str(BLOB_DIR),
            "ENROLMENT_CYCLE_CACHE_SECONDS": "5",
            "XUEZAI_LOG_JSON": "true",
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "enrolment.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                env=self.environment,
                cwd=REPOSITORY_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.log.read_text()[-3000:]
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise AssertionError("the enrolment process did not become ready")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


async def cleanup(engine: AsyncEngine, subjects: list[str]) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM enrolment.child WHERE parent_subject = ANY(:subjects)"),
            {"subjects": subjects},
        )
        await connection.execute(text("DELETE FROM enrolment.cycle WHERE year = :y"), {"y": YEAR})


@pytest.fixture
async def setup_client(
    database_url: str, redis_url: str, issuer: TestIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process app that commits, for the cycle and the families (no directory needed)."""
    app = create_app(
        Settings(
            database_url=database_url,
            redis_url=redis_url,
            env="testing",
            blob_dir=str(BLOB_DIR),
            redis_timeout_seconds=1.0,
        ),
        key_set=issuer.key_set(),
    )
    async with app.router.lifespan_context(app):
        app.state.schools = demo_school_register()
        # The children are born in 2090: the families sign up "in 2097".
        app.state.clock = lambda: datetime(YEAR, 3, 1, 9, 0, tzinfo=SHANGHAI)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://setup") as client:
            yield client


async def test_a_burst_survives_a_killed_process(
    setup_client: httpx.AsyncClient,
    engine: AsyncEngine,
    database_url: str,
    redis_url: str,
    issuer: TestIssuer,
    tmp_path: Path,
) -> None:
    city = issuer.city_admin()
    now = datetime.now(UTC)
    # Open now, all day: the process under test reads the real clock.
    body = cycle_body(
        QINGXIU,
        year=YEAR,
        name=f"{YEAR}年崩溃恢复测试",
        registration_opens_at=(now - timedelta(days=1)).isoformat(),
        registration_closes_at=(now + timedelta(days=7)).isoformat(),
        review_closes_at=(now + timedelta(days=14)).isoformat(),
        daily_hours=[{"start": "00:00", "end": "24:00"}],
        daily_hours_overrides={},
    )
    subjects: list[str] = []
    try:
        await cleanup(engine, [])
        world = await publish_cycle(
            setup_client,
            city,
            body,
            [("4501030001", QINGXIU, "public")],
            {"4501030001": [{"district_code": QINGXIU, "road": "民族大道"}]},
        )
        cycle_id = world.cycle_id

        submissions: list[tuple[dict[str, str], dict[str, Any]]] = []
        for index in range(FAMILIES):
            number = make(QINGXIU, date(YEAR - 7, 9, 1) + timedelta(days=index), 1)
            family = await make_family(setup_client, issuer, id_number=number)
            subjects.append(f"parent:{family.parent_id}")
            headers, child_id = family.headers, family.child_id
            submissions.append(
                (
                    {**headers, "Idempotency-Key": f"crash-{uuid.uuid4()}"},
                    {"cycle_id": cycle_id, "child_id": child_id, "submit": True},
                )
            )

        jwks = tmp_path / "issuer-jwks.json"
        jwks.write_text(json.dumps(issuer.jwks()), encoding="utf-8")
        process = EnrolmentProcess(database_url, redis_url, jwks, tmp_path / "enrolment.log")
        process.start()
        try:
            answered, unanswered = await burst_and_kill(process, submissions)
            process.start()  # the same port, a new process
            async with httpx.AsyncClient(base_url=process.url, timeout=60) as client:
                retried = [
                    await client.post("/v1/applications", json=body, headers=headers)
                    for headers, body in (submissions[index] for index in unanswered)
                ]
                again = [
                    await client.post("/v1/applications", json=body, headers=headers)
                    for headers, body in (submissions[index] for index in answered)
                ]
        finally:
            process.stop()

        # The process died mid-burst: some were answered, some not.
        assert answered, "nothing was answered before the kill"
        assert unanswered, "everything was answered before the kill"
        assert [r.status_code for r in retried] == [201] * len(unanswered), [
            r.text for r in retried if r.status_code != 201
        ]
        # Answered ones replay their stored 201: the same application.
        assert [r.json()["id"] for r in again] == list(answered.values())
        assert all(r.headers.get("Idempotent-Replayed") == "true" for r in again)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT id::text, child_id::text, status FROM enrolment.application "
                        "WHERE cycle_id = :cycle"
                    ),
                    {"cycle": cycle_id},
                )
            ).all()
        by_child: dict[str, list[str]] = {}
        for application_id, child_id, status in rows:
            assert status == "submitted"
            by_child.setdefault(child_id, []).append(application_id)
        # Exactly one application per family, and it is the one each family was told about.
        assert sorted(by_child) == sorted(body["child_id"] for _, body in submissions)
        assert all(len(ids) == 1 for ids in by_child.values()), by_child
        told = {**answered}
        for index, response in zip(unanswered, retried, strict=True):
            told[index] = response.json()["id"]
        for index, (_, body) in enumerate(submissions):
            assert by_child[body["child_id"]] == [told[index]]
        replayed = sum(r.headers.get("Idempotent-Replayed") == "true" for r in retried)
        print(  # noqa: T201
            f"\ncrash: {len(answered)} answered before the kill, {len(unanswered)} unanswered "
            f"({replayed} of them had been committed and were replayed on retry)"
        )
    finally:
        await cleanup(engine, subjects)


async def burst_and_kill(
    process: EnrolmentProcess, submissions: list[tuple[dict[str, str], dict[str, Any]]]
) -> tuple[dict[int, str], list[int]]:
    """Send every submission at once; SIGKILL the process after `KILL_AFTER` answers."""
    answered: dict[int, str] = {}
    enough = asyncio.Event()

    async with httpx.AsyncClient(
        base_url=process.url, timeout=30, limits=httpx.Limits(max_connections=FAMILIES)
    ) as client:

        async def send(index: int) -> None:
            headers, body = submissions[index]
            try:
                response = await client.post("/v1/applications", json=body, headers=headers)
            except httpx.TransportError:
                return  # killed before it answered
            assert response.status_code == 201, response.text
            answered[index] = response.json()["id"]
            if len(answered) >= KILL_AFTER:
                enough.set()

        tasks = [asyncio.create_task(send(index)) for index in range(len(submissions))]
        waiter = asyncio.create_task(enough.wait())
        await asyncio.wait([waiter, asyncio.gather(*tasks)], return_when=asyncio.FIRST_COMPLETED)
        process.kill()
        await asyncio.gather(*tasks)
        waiter.cancel()
    unanswered = [index for index in range(len(submissions)) if index not in answered]
    return answered, unanswered
