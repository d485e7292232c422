"""The hot path's way to the database: asyncpg underneath the request's own session.

Values go in as SQLAlchemy's asyncpg connections expect them: JSON as text, inet as text.

A statement through SQLAlchemy costs about 0.2 ms of CPU in this process; the same statement
on the asyncpg connection underneath costs about 0.025 ms (measured on this machine, see
`bench/RESULTS.md`). On the endpoints that take opening-day load, that difference is most of the
request. These helpers keep the unit of work intact — the statements run in the session's own
transaction, which the request's session dependency commits or rolls back — and are used only
where a benchmark shows they matter; everything else stays on the ORM.
"""

import ipaddress
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, TypeVar, cast

import asyncpg
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import INET, JSON, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import class_mapper, object_mapper


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection of the session's transaction, with that transaction begun."""
    connection = await session.connection()
    fairy = await connection.get_raw_connection()
    adapted: Any = fairy.dbapi_connection
    # SQLAlchemy's asyncpg adapter begins its transaction lazily, on its first statement; a
    # statement sent straight to asyncpg before that would run outside it (autocommitted).
    if adapted._transaction is None and adapted.isolation_level != "autocommit":
        async with adapted._execute_mutex:
            if adapted._transaction is None:
                await adapted._start_transaction()
    return cast(asyncpg.Connection, fairy.driver_connection)


def _python_default(column: Any) -> Any:
    default: Any = column.default
    if getattr(default, "is_callable", False):
        # SQLAlchemy wraps zero-argument callables (uuid7, list) to take an execution context.
        return default.arg(None)
    if getattr(default, "is_scalar", False):
        return default.arg
    return None


def _database_value(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, JSON | JSONB):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(column.type, INET):
        # SQLAlchemy's connections exchange inet as text; validate, then send the text.
        return str(ipaddress.ip_address(value))
    if isinstance(value, Enum):
        return value.value
    return value


def _placeholder(column: Any, number: int) -> str:
    return f"${number}::jsonb" if isinstance(column.type, JSON | JSONB) else f"${number}"


def rows_of(objects: Iterable[object]) -> dict[Table, list[dict[str, Any]]]:
    """Column values of pending ORM objects, with Python-side defaults applied as a flush would.

    Columns left None that the database fills (server defaults, identities) are left out.
    """
    rows: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    for obj in objects:
        mapper = object_mapper(obj)
        table = cast(Table, mapper.local_table)
        row: dict[str, Any] = {}
        for attribute in mapper.column_attrs:
            column = attribute.columns[0]
            value = getattr(obj, attribute.key)
            if value is None and column.default is not None:
                value = _python_default(column)
                setattr(obj, attribute.key, value)
            if value is None and (column.server_default is not None or column.identity is not None):
                continue
            row[column.name] = value
        rows[table].append(row)
    return rows


def insert_statement(rows: Mapping[Table, Sequence[Mapping[str, Any]]]) -> tuple[str, list[Any]]:
    """One statement that inserts every row: a data-modifying CTE per table.

    Foreign keys between the rows hold: PostgreSQL checks them at the end of the statement.
    """
    parts: list[str] = []
    parameters: list[Any] = []
    for index, (table, table_rows) in enumerate(rows.items()):
        names = sorted({name for row in table_rows for name in row})
        columns = [table.c[name] for name in names]
        values = []
        for row in table_rows:
            placeholders = []
            for column in columns:
                parameters.append(_database_value(column, row.get(column.name)))
                placeholders.append(_placeholder(column, len(parameters)))
            values.append(f"({', '.join(placeholders)})")
        column_list = ", ".join(f'"{name}"' for name in names)
        parts.append(
            f'w{index} AS (INSERT INTO {table.schema}."{table.name}" ({column_list}) '
            f"VALUES {', '.join(values)})"
        )
    return f"WITH {', '.join(parts)} SELECT 1", parameters


async def insert_pending(session: AsyncSession) -> list[object]:
    """Write every object pending in the session in one round trip, then detach them.

    Use instead of `flush()` where a request creates a known set of new rows and reads none of
    their database-generated values back. Constraint violations surface as asyncpg errors
    (`asyncpg.UniqueViolationError` …) and the request's transaction is then rolled back whole.
    """
    pending = list(session.new)
    if not pending:
        return []
    sql, parameters = insert_statement(rows_of(pending))
    connection = await driver_connection(session)
    await connection.execute(sql, *parameters)
    for obj in pending:
        session.expunge(obj)
    return pending


M = TypeVar("M")


def instance_from_record(model: type[M], record: Mapping[str, Any]) -> M:
    """A detached ORM object from a row read with `fetch_instances` (enums restored)."""
    mapper = class_mapper(model)
    values: dict[str, Any] = {}
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        if column.name not in record:
            continue
        value = record[column.name]
        enum_class = getattr(column.type, "enum_class", None)
        if value is not None and enum_class is not None:
            value = enum_class(value)
        values[attribute.key] = value
    return model(**values)


async def fetch_instances(
    session: AsyncSession, model: type[M], where: str, *arguments: Any, order_by: str = ""
) -> list[M]:
    """`SELECT * FROM <model's table> WHERE <where>` straight on asyncpg, as detached objects.

    `where` uses asyncpg placeholders ($1 …) and column names. The objects are not in the
    session: read them, don't change them.
    """
    table = cast(Table, class_mapper(model).local_table)
    sql = f'SELECT * FROM {table.schema}."{table.name}" WHERE {where}'
    if order_by:
        sql += f" ORDER BY {order_by}"
    connection = await driver_connection(session)
    return [
        instance_from_record(model, record) for record in await connection.fetch(sql, *arguments)
    ]
