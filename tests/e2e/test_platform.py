"""The platform as `make run` starts it: four APIs, their workers and the simulator, over HTTP."""

import asyncio
import subprocess

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from plans.models import OutboxMessage
from shared.db import create_sessionmaker
from shared.outbox import add_message
from xuezai.platform import SERVICES
from xuezai.runner import Platform

from .conftest import service_url

pytestmark = pytest.mark.live


async def test_every_service_is_ready_and_speaks_problem_json(live_platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for spec in SERVICES:
            base = service_url(live_platform, spec.name)
            ready = await client.get(f"{base}/readyz")
            assert ready.status_code == 200, spec.name
            assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}

            missing = await client.get(f"{base}/v1/nothing-here")
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"

            docs = await client.get(f"{base}/openapi.json")
            assert docs.json()["info"]["title"].lower().endswith(spec.name)


async def test_a_worker_process_drains_its_outbox(
    live_platform: Platform, engine: AsyncEngine
) -> None:
    # No handler is registered for this topic: the worker parks it with an error, which proves
    # the real plans worker claimed and tried it.
    async with create_sessionmaker(engine)() as session, session.begin():
        message = add_message(session, OutboxMessage, "e2e.unhandled", {"probe": True})
    try:
        for _ in range(100):
            async with create_sessionmaker(engine)() as session:
                stored = await session.scalar(
                    select(OutboxMessage).where(OutboxMessage.id == message.id)
                )
            if stored is not None and stored.failed_at is not None:
                break
            await asyncio.sleep(0.2)
        assert stored is not None
        assert stored.failed_at is not None
        assert "no outbox handler" in (stored.last_error or "")
    finally:
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(
                delete(OutboxMessage).where(OutboxMessage.topic == "e2e.unhandled")
            )


def test_children_die_with_the_platform(live_platform: Platform) -> None:
    pids = [child.process.pid for child in live_platform.children if child.process]

    assert len(pids) == 2 * len(SERVICES) + 1
    assert all(child.process and child.process.poll() is None for child in live_platform.children)
    ps = subprocess.run(
        ["ps", "-o", "ppid=", "-p", ",".join(map(str, pids))], capture_output=True, text=True
    )
    import os

    assert {int(line) for line in ps.stdout.split()} == {os.getpid()}
