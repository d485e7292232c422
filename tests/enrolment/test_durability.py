"""With real commits: concurrent retries create one application; with Redis down a submission
is still a 201 and its verification runs once Redis is back."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from arq.connections import create_pool
from arq.worker import Worker
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from enrolment.app import create_app
from enrolment.config import Settings
from enrolment.models import (
    Application,
    ApplicationEvent,
    Child,
    Cycle,
    IdempotencyRecord,
    Notification,
    OutboxMessage,
    Verification,
)
from enrolment.worker import make_worker_settings
from shared.db import create_sessionmaker
from shared.testing.tokens import TestIssuer
from shared.worker import redis_settings_from_url

from .conftest import BLOB_DIR, OPEN_MORNING, build_world, demo_school_register, make_family

DEAD_REDIS = "redis://127.0.0.1:1/0"


class Committed:
    """An enrolment app on its own engine (every request commits), served over real HTTP."""

    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.app = app


@pytest.fixture
async def committed(
    database_url: str,
    redis_url: str,
    issuer: TestIssuer,
    engine: AsyncEngine,
    serve_app: Callable[..., Any],
) -> AsyncIterator[Callable[..., Any]]:
    contexts: list[Any] = []

    async def start(**overrides: Any) -> tuple[httpx.AsyncClient, Any]:
        values: dict[str, Any] = {
            "database_url": database_url,
            "redis_url": redis_url,
            "env": "testing",
            "cycle_cache_seconds": 0,
            "blob_dir": str(BLOB_DIR),
            "database_pool_size": 20,
            "database_max_overflow": 10,
        }
        settings = Settings(**{**values, **overrides})
        app = create_app(settings, key_set=issuer.key_set())
        context = app.router.lifespan_context(app)
        await context.__aenter__()
        contexts.append(context)
        app.state.clock = lambda: OPEN_MORNING
        app.state.schools = demo_school_register()
        base_url = await serve_app(app)
        client = httpx.AsyncClient(base_url=base_url, timeout=60)
        contexts.append(client)
        return client, app

    yield start
    for context in reversed(contexts):
        if isinstance(context, httpx.AsyncClient):
            await context.aclose()
        else:
            await context.__aexit__(None, None, None)
    # Everything these tests committed (the audit log is append-only and stays).
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(delete(OutboxMessage).where(OutboxMessage.topic.like("enrolment.%")))
        await session.execute(delete(Cycle))
        await session.execute(delete(Child))
        await session.execute(delete(IdempotencyRecord))
        await session.execute(delete(Notification))


async def test_a_hundred_concurrent_retries_create_one_application(
    committed: Callable[..., Any], issuer: TestIssuer, engine: AsyncEngine
) -> None:
    client, _ = await committed()
    world = await build_world(client, issuer)
    family = await make_family(client, issuer)
    body = {"cycle_id": world.cycle_id, "child_id": family.child_id, "submit": True}
    headers = {**family.headers, "Idempotency-Key": f"submit-{uuid.uuid4()}"}

    responses = await asyncio.gather(
        *(client.post("/v1/applications", json=body, headers=headers) for _ in range(100))
    )

    assert {response.status_code for response in responses} == {201}, {
        r.status_code: r.text for r in responses
    }
    assert len({response.json()["id"] for response in responses}) == 1
    assert (
        sum(response.headers.get("Idempotent-Replayed") == "true" for response in responses) == 99
    )
    application_id = uuid.UUID(responses[0].json()["id"])
    async with create_sessionmaker(engine)() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Application)
                .where(Application.child_id == uuid.UUID(family.child_id))
            )
            == 1
        )
        events = (
            await session.scalars(
                select(ApplicationEvent.to_status).where(
                    ApplicationEvent.application_id == application_id
                )
            )
        ).all()
        assert [e.value for e in events] == ["draft", "submitted"]
        checks = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.topic == "enrolment.verification.check",
                OutboxMessage.payload["application_id"].astext == str(application_id),
            )
        )
        assert checks == 2

    # The same key with another body is refused, and creates nothing.
    other = await client.post("/v1/applications", json={**body, "submit": False}, headers=headers)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency.key_reused"


async def test_with_redis_down_submissions_succeed_and_verify_once_redis_is_back(
    committed: Callable[..., Any],
    issuer: TestIssuer,
    engine: AsyncEngine,
    redis_url: str,
    database_url: str,
    agencysim_url: str,
) -> None:
    client, _ = await committed(redis_url=DEAD_REDIS)
    ready = await client.get("/readyz")
    assert ready.status_code == 503  # Redis is really unreachable for this app
    world = await build_world(client, issuer)
    family = await make_family(client, issuer)
    async with httpx.AsyncClient() as sim:
        await sim.post(
            f"{agencysim_url}/v1/sim/records",
            json={
                "hukou": [
                    {
                        "id_number": family.id_number,
                        "name": "李小明",
                        "address": {
                            "district_code": "450103",
                            "road": "民族大道",
                            "house_number": "99号",
                        },
                        "move_in_date": "2020-03-01",
                    }
                ]
            },
        )

    response = await client.post(
        "/v1/applications",
        json={"cycle_id": world.cycle_id, "child_id": family.child_id, "submit": True},
        headers=family.headers,
    )

    assert response.status_code == 201, response.text
    application_id = uuid.UUID(response.json()["id"])
    async with create_sessionmaker(engine)() as session:
        assert (await session.get(Application, application_id)) is not None  # a 201 means committed

    # Redis is back: a real arq worker (burst) drains the outbox and asks the agencies.
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        env="testing",
        agencysim_url=agencysim_url,
        agency_backoff_seconds=0.01,
    )
    worker_settings = make_worker_settings(settings)
    pool = await create_pool(redis_settings_from_url(redis_url))
    try:
        await pool.enqueue_job("enrolment.outbox.drain", _queue_name=worker_settings.queue_name)
    finally:
        await pool.aclose()
    options = {
        name: value for name, value in vars(worker_settings).items() if not name.startswith("_")
    }
    options["cron_jobs"] = []
    worker = Worker(**options, burst=True, poll_delay=0.05)
    try:
        await worker.async_run()
    finally:
        await worker.close()

    async with create_sessionmaker(engine)() as session:
        rows = {
            v.agency.value: v
            for v in (
                await session.scalars(
                    select(Verification).where(Verification.application_id == application_id)
                )
            ).all()
        }
        assert rows["public_security"].outcome.value == "matched"
        # The simulator's registry has this certificate at 民族大道 100号, not 99号.
        assert rows["property_registry"].outcome.value == "mismatch"
        assert rows["property_registry"].details["address_matches"] is False
        application = await session.get(Application, application_id)
        assert application is not None
        assert application.verification_status.value == "complete"
        assert application.flags == ["property_mismatch"]
        sent = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.application_id == application_id)
        )
        assert sent == 1
        left = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.processed_at.is_(None),
                OutboxMessage.payload["application_id"].astext == str(application_id),
            )
        )
        assert left == 0
