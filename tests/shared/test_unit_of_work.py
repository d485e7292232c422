"""A 2xx means committed; a failed request stores nothing; its jobs leave only after commit."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Path
from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from directory.config import Settings
from directory.models import Organization, OrganizationKind
from shared.app import build_app
from shared.db import DbSession
from shared.errors import Conflict
from shared.worker import enqueue_after_commit

QUEUE = "xuezai:unit-of-work-test"


def unit_of_work_app(settings: Settings, **_: object) -> FastAPI:
    router = APIRouter(prefix="/t", tags=["test"])

    @router.post("/{code}", summary="write", status_code=201)
    async def write(
        code: Annotated[str, Path(max_length=40)],
        session: DbSession,
        outcome: Literal["ok", "conflict", "crash"] = "ok",
        own_queue: bool = False,
    ) -> dict[str, str]:
        session.add(Organization(kind=OrganizationKind.department, code=code, name=code))
        queue = None if own_queue else QUEUE
        enqueue_after_commit(session, "test.job", code, job_id=f"test:{code}", queue_name=queue)
        await session.flush()
        if outcome == "conflict":
            raise Conflict()
        if outcome == "crash":
            raise RuntimeError("boom")
        return {"code": code}

    return build_app(settings=settings, title="t", description="t", routers=[router])


@pytest.fixture
async def live_app(database_url: str, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its real sessionmaker: requests commit for real (cleaned up afterwards)."""
    app = unit_of_work_app(Settings(database_url=database_url, redis_url=redis_url, env="testing"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(delete(Organization).where(Organization.code.like("uow-%")))
    redis: Redis = Redis.from_url(redis_url)
    await redis.delete(QUEUE)
    await redis.aclose()


async def stored(engine: AsyncEngine, code: str) -> bool:
    async with engine.connect() as connection:
        row = await connection.execute(select(Organization.id).where(Organization.code == code))
        return row.first() is not None


async def queued_job_ids(redis_url: str) -> set[str]:
    redis: Redis = Redis.from_url(redis_url)
    try:
        return {member.decode() for member in await redis.zrange(QUEUE, 0, -1)}
    finally:
        await redis.aclose()


async def test_success_is_committed_before_the_response(
    live_app: httpx.AsyncClient, engine: AsyncEngine, redis_url: str
) -> None:
    code = f"uow-{uuid.uuid4().hex[:8]}"

    response = await live_app.post(f"/t/{code}")

    assert response.status_code == 201
    assert await stored(engine, code)  # seen from another connection: committed
    assert f"test:{code}" in await queued_job_ids(redis_url)


@pytest.mark.parametrize(("outcome", "status"), [("conflict", 409), ("crash", 500)])
async def test_failure_stores_nothing_and_queues_nothing(
    live_app: httpx.AsyncClient, engine: AsyncEngine, redis_url: str, outcome: str, status: int
) -> None:
    code = f"uow-{uuid.uuid4().hex[:8]}"

    response = await live_app.post(f"/t/{code}", params={"outcome": outcome})

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert not await stored(engine, code)
    assert f"test:{code}" not in await queued_job_ids(redis_url)


async def test_a_500_does_not_leak_internals(live_app: httpx.AsyncClient) -> None:
    response = await live_app.post("/t/uow-crash", params={"outcome": "crash"})

    body = response.json()
    assert body["code"] == "internal_error"
    assert "boom" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_redis_down_does_not_fail_a_committed_write(
    database_url: str, engine: AsyncEngine
) -> None:
    app = unit_of_work_app(
        Settings(database_url=database_url, redis_url="redis://127.0.0.1:1/0", env="testing")
    )
    code = f"uow-{uuid.uuid4().hex[:8]}"
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(f"/t/{code}")
        assert response.status_code == 201
        assert await stored(engine, code)
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(delete(Organization).where(Organization.code == code))


async def test_jobs_that_name_no_queue_go_to_the_services_own(
    live_app: httpx.AsyncClient, redis_url: str
) -> None:
    code = f"uow-{uuid.uuid4().hex[:8]}"

    await live_app.post(f"/t/{code}", params={"own_queue": "true"})

    redis: Redis = Redis.from_url(redis_url)
    try:
        queued = {member.decode() for member in await redis.zrange("xuezai:directory", 0, -1)}
        assert f"test:{code}" in queued
        await redis.zrem("xuezai:directory", f"test:{code}")
    finally:
        await redis.aclose()
