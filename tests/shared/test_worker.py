"""A real arq worker drains the outbox; work written while Redis is down runs once it is back."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import create_pool
from arq.worker import Worker
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from enrolment.config import Settings
from enrolment.models import OutboxMessage
from shared.db import create_sessionmaker
from shared.outbox import add_message
from shared.tasks import outbox_jobs
from shared.worker import build_worker_settings, queue_name_for, redis_settings_from_url

handled: list[dict[str, Any]] = []


async def record(session: AsyncSession, payload: dict[str, Any]) -> None:
    handled.append(payload)


@pytest.fixture
async def cleanup(engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(delete(OutboxMessage).where(OutboxMessage.topic.like("test.%")))


def make_worker(database_url: str, redis_url: str, **overrides: Any) -> Worker:
    drain_job, drain_cron = outbox_jobs("enrolment", OutboxMessage, {"test.record": record})
    settings_class = build_worker_settings(
        settings=Settings(database_url=database_url, redis_url=redis_url, env="testing"),
        functions=[drain_job],
        cron_jobs=[],
    )
    options = {
        name: value for name, value in vars(settings_class).items() if not name.startswith("_")
    }
    options.update(burst=True, poll_delay=0, **overrides)
    return Worker(**options)


async def test_worker_drains_what_was_written_without_redis(
    database_url: str, redis_url: str, engine: AsyncEngine, cleanup: None
) -> None:
    # A request committed this while Redis was down: the business row and its message.
    async with create_sessionmaker(engine)() as session, session.begin():
        add_message(session, OutboxMessage, "test.record", {"application": "A-1"})

    pool = await create_pool(redis_settings_from_url(redis_url))
    await pool.enqueue_job("enrolment.outbox.drain", _queue_name=queue_name_for("enrolment"))
    await pool.aclose()
    worker = make_worker(database_url, redis_url)
    await worker.main()
    await worker.close()

    assert {"application": "A-1"} in handled
    assert worker.jobs_complete == 1
    assert worker.jobs_failed == 0
    async with create_sessionmaker(engine)() as session:
        message = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.topic == "test.record")
        )
    assert message is not None
    assert message.processed_at is not None
