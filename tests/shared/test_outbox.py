"""The outbox delivers each message once, retries failures with backoff, parks poison messages."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from plans.models import OutboxMessage
from shared.db import create_sessionmaker
from shared.outbox import add_message, drain


@pytest.fixture
async def sessions(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Real commits: the drainer works in its own transactions."""
    maker = create_sessionmaker(engine)
    yield maker
    async with maker() as session, session.begin():
        await session.execute(delete(OutboxMessage).where(OutboxMessage.topic.like("test.%")))


async def put(sessions: async_sessionmaker[AsyncSession], topic: str, count: int) -> None:
    async with sessions() as session, session.begin():
        for index in range(count):
            add_message(session, OutboxMessage, topic, {"index": index})


async def messages(sessions: async_sessionmaker[AsyncSession], topic: str) -> list[OutboxMessage]:
    async with sessions() as session:
        result = await session.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic))
        return list(result.all())


async def test_each_message_is_handled_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    await put(sessions, "test.once", 5)
    seen: list[int] = []

    async def handler(session: AsyncSession, payload: dict[str, Any]) -> None:
        seen.append(payload["index"])

    first = await drain(sessions, OutboxMessage, {"test.once": handler})
    second = await drain(sessions, OutboxMessage, {"test.once": handler})

    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert (first.processed, second.processed) == (5, 0)
    assert all(
        message.processed_at is not None for message in await messages(sessions, "test.once")
    )


async def test_concurrent_drainers_never_deliver_twice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await put(sessions, "test.concurrent", 120)
    deliveries: Counter[int] = Counter()

    async def handler(session: AsyncSession, payload: dict[str, Any]) -> None:
        deliveries[payload["index"]] += 1
        await asyncio.sleep(0)

    reports = await asyncio.gather(
        *(
            drain(sessions, OutboxMessage, {"test.concurrent": handler}, batch_size=20)
            for _ in range(4)
        )
    )

    assert sum(report.processed for report in reports) <= 120
    # Whatever the first round left is picked up by the next; nobody gets a message twice.
    while (await drain(sessions, OutboxMessage, {"test.concurrent": handler})).processed:
        pass
    assert set(deliveries) == set(range(120))
    assert max(deliveries.values()) == 1


async def test_failures_are_retried_later_then_parked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await put(sessions, "test.failing", 1)
    attempts = 0

    async def handler(session: AsyncSession, payload: dict[str, Any]) -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError("agency down")

    report = await drain(sessions, OutboxMessage, {"test.failing": handler}, max_attempts=2)
    [message] = await messages(sessions, "test.failing")
    assert (report.retried, message.attempts, message.failed_at) == (1, 1, None)
    assert "agency down" in (message.last_error or "")
    assert message.available_at > message.created_at  # backed off

    # Not due yet: a second drain leaves it alone.
    assert (await drain(sessions, OutboxMessage, {"test.failing": handler})).retried == 0
    assert attempts == 1

    async with sessions() as session, session.begin():
        stored = await session.get(OutboxMessage, message.id)
        assert stored is not None
        stored.available_at = stored.created_at
    report = await drain(sessions, OutboxMessage, {"test.failing": handler}, max_attempts=2)
    [message] = await messages(sessions, "test.failing")
    assert report.failed == 1
    assert message.failed_at is not None
    assert message.processed_at is None


async def test_a_failed_handler_leaves_no_partial_writes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await put(sessions, "test.partial", 1)

    async def handler(session: AsyncSession, payload: dict[str, Any]) -> None:
        add_message(session, OutboxMessage, "test.partial.side-effect", {})
        await session.flush()
        raise RuntimeError("half-way")

    await drain(sessions, OutboxMessage, {"test.partial": handler})

    assert await messages(sessions, "test.partial.side-effect") == []


async def test_unknown_topics_are_parked_not_lost(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await put(sessions, "test.unknown", 1)

    report = await drain(sessions, OutboxMessage, {})

    [message] = await messages(sessions, "test.unknown")
    assert report.failed == 1
    assert "no outbox handler" in (message.last_error or "")
