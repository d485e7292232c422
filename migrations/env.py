"""One Alembic chain for the shared database; each service owns one schema."""

import asyncio
import os

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from directory.models import Base as DirectoryBase
from enrolment.models import Base as EnrolmentBase
from plans.models import Base as PlansBase
from shared.db import SERVICE_SCHEMAS
from supervision.models import Base as SupervisionBase

target_metadata = [
    DirectoryBase.metadata,
    PlansBase.metadata,
    SupervisionBase.metadata,
    EnrolmentBase.metadata,
]


def database_url() -> str:
    return str(
        context.config.attributes.get("database_url")
        or os.environ.get("DATABASE_URL")
        or "postgresql+asyncpg://postgres@127.0.0.1:5432/xuezai"
    )


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    if type_ == "schema":
        return name in SERVICE_SCHEMAS
    return True


def configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_schemas=True,
        include_name=include_name,
        version_table_schema="public",
        compare_type=True,
        compare_server_default=False,
    )


def run_sync_migrations(connection: Connection) -> None:
    configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_sync_migrations)
    await engine.dispose()


def run_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        include_schemas=True,
        include_name=include_name,
        version_table_schema="public",
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_sync_migrations(connection)
    else:
        asyncio.run(run_async_migrations())
