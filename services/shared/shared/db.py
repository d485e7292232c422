"""Database plumbing: naming convention, model bases, engine and request-scoped sessions."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from arq.connections import ArqRedis
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.ids import uuid7
from shared.jobs import discard_pending_jobs, flush_pending_jobs, queue_name_for

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SERVICE_SCHEMAS = ("directory", "plans", "supervision", "enrolment")


def make_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


def create_engine(
    url: str,
    *,
    application_name: str,
    pool_size: int = 10,
    max_overflow: int = 10,
    **kwargs: Any,
) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": application_name}},
        **kwargs,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@contextlib.asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
    pool: ArqRedis | None,
    default_queue: str | None = None,
) -> AsyncIterator[AsyncSession]:
    """Commit on success, roll back on error; jobs queued meanwhile go to Redis after the commit
    and are dropped on rollback."""
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            discard_pending_jobs(session)
            raise
        else:
            await session.commit()
            await flush_pending_jobs(session, pool, default_queue)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request, committed before the response is sent."""
    settings = getattr(request.app.state, "settings", None)
    async with unit_of_work(
        request.app.state.sessionmaker,
        getattr(request.app.state, "arq_pool", None),
        queue_name_for(settings.service_name) if settings is not None else None,
    ) as session:
        yield session


# `scope="function"` ends the dependency — and so commits — before the response goes out:
# a 201 means committed.
DbSession = Annotated[AsyncSession, Depends(get_db_session, scope="function")]
