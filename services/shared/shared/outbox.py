"""Transactional outbox: work that must survive a Redis outage is written with the business row.

A message is inserted in the same transaction as the change that causes it. A worker claims
due messages with a lease (`FOR UPDATE SKIP LOCKED`, so several workers can drain at once),
runs the handler for each in its own transaction, and marks it processed there. A failure is
recorded and retried later with backoff; after `max_attempts` the message is parked as failed
for a person to look at. A handler's database effects commit together with the processed mark;
it runs again only when its transaction fails after an external call succeeded (or a worker
dies mid-way), so handlers must be idempotent.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

log = structlog.get_logger("shared.outbox")

OutboxHandler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]


class OutboxMessageMixin:
    """Columns of a service's `outbox_message` table (each service has one in its schema)."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    available_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            Index(
                "ix_outbox_message_due",
                "available_at",
                postgresql_where=text("processed_at IS NULL AND failed_at IS NULL"),
            ),
        )


def add_message(
    session: AsyncSession,
    model: type[OutboxMessageMixin],
    topic: str,
    payload: Mapping[str, Any],
    *,
    delay: timedelta | None = None,
) -> OutboxMessageMixin:
    message = model()
    message.topic = topic
    message.payload = dict(payload)
    if delay is not None:
        message.available_at = func.now() + delay
    session.add(message)
    return message


@dataclass(frozen=True, slots=True)
class DrainReport:
    processed: int
    retried: int
    failed: int


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


async def drain(
    sessionmaker: async_sessionmaker[AsyncSession],
    model: type[OutboxMessageMixin],
    handlers: Mapping[str, OutboxHandler],
    *,
    batch_size: int = 50,
    lease: timedelta = timedelta(minutes=5),
    max_attempts: int = 10,
) -> DrainReport:
    """Process every due message once; returns what happened."""
    processed = retried = failed = 0
    table = model.__table__  # type: ignore[attr-defined]
    async with sessionmaker() as session, session.begin():
        due = (
            select(table.c.id)
            .where(
                table.c.processed_at.is_(None),
                table.c.failed_at.is_(None),
                table.c.available_at <= func.now(),
                (table.c.locked_until.is_(None)) | (table.c.locked_until < func.now()),
            )
            .order_by(table.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claimed = (
            await session.execute(
                update(table)
                .where(table.c.id.in_(due))
                .values(locked_until=func.now() + lease, attempts=table.c.attempts + 1)
                .returning(table.c.id, table.c.topic, table.c.payload, table.c.attempts)
            )
        ).all()

    for message_id, topic, payload, attempts in sorted(claimed):
        handler = handlers.get(topic)
        try:
            if handler is None:
                raise LookupError(f"no outbox handler for topic {topic!r}")
            async with sessionmaker() as session, session.begin():
                await handler(session, payload)
                await session.execute(
                    update(table)
                    .where(table.c.id == message_id)
                    .values(processed_at=func.now(), locked_until=None, last_error=None)
                )
            processed += 1
        except Exception as error:
            give_up = attempts >= max_attempts or handler is None
            log.warning(
                "outbox_message_failed",
                topic=topic,
                message_id=message_id,
                attempts=attempts,
                giving_up=give_up,
                error=repr(error)[:500],
            )
            async with sessionmaker() as session, session.begin():
                values: dict[str, Any] = {"locked_until": None, "last_error": repr(error)[:2000]}
                if give_up:
                    values["failed_at"] = func.now()
                    failed += 1
                else:
                    values["available_at"] = func.now() + backoff(attempts)
                    retried += 1
                await session.execute(
                    update(table).where(table.c.id == message_id).values(**values)
                )
    return DrainReport(processed=processed, retried=retried, failed=failed)
