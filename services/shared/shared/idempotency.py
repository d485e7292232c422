"""`Idempotency-Key` on POSTs from phones and agencies (DESIGN.md §3).

Same key + same request → the stored response; same key + another request → 409. "Same" is
judged on the parsed JSON body in a canonical form (keys sorted, numbers normalised), so an app
that re-serialises its retry (other key order, spacing, `1.0` for `1`) still gets its stored
answer; other bodies are compared byte for byte. The key is
reserved by an INSERT in the request's own transaction: a concurrent retry blocks on the unique
index until the first request commits, then sees its stored response — so a hundred concurrent
retries create exactly one record. If the first request fails, its reservation rolls back with
it and a retry starts afresh.

Usage in an endpoint::

    async def submit(..., idempotency: IdempotencyGuard) -> ...:
        if (replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)) is not None:
            return replay
        ...
        return await idempotency.store(session, body, status_code=201)
"""

import hashlib
import json
from datetime import datetime, timedelta
from decimal import Context, Decimal
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import DateTime, Integer, String, delete, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.errors import Conflict, InvalidInput
from shared.fastsql import driver_connection
from shared.i18n import Text

IDEMPOTENCY_HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)


class IdempotencyRecordMixin:
    __tablename__ = "idempotency_record"

    principal: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IdempotencyKeyReused(Conflict):
    code = "idempotency.key_reused"
    title = Text(
        "该 Idempotency-Key 已用于另一个不同的请求",
        "This Idempotency-Key was already used for a different request",
    )


class IdempotencyGuard:
    def __init__(self, key: str | None, request_hash: str) -> None:
        self.key = key
        self.request_hash = request_hash
        self._model: type[IdempotencyRecordMixin] | None = None
        self._principal: str | None = None

    async def replay(
        self, session: AsyncSession, principal: str, model: type[IdempotencyRecordMixin]
    ) -> JSONResponse | None:
        """Reserve the key, or return the response stored for it. No key: nothing to do."""
        if self.key is None:
            return None
        self._model, self._principal = model, principal
        # Phones retry on opening day: this runs on the hot path, so straight on asyncpg.
        connection = await driver_connection(session)
        table = _table_name(model)
        reserved = await connection.fetchval(
            f"INSERT INTO {table} (principal, key, request_hash) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            principal,
            self.key,
            self.request_hash,
        )
        if reserved is not None:
            return None
        stored = await connection.fetchrow(
            f"SELECT request_hash, status_code, response_body FROM {table} "
            "WHERE principal = $1 AND key = $2",
            principal,
            self.key,
        )
        assert stored is not None
        if stored["request_hash"] != self.request_hash:
            raise IdempotencyKeyReused()
        if (
            stored["status_code"] is None
        ):  # reserved but never finished: cannot happen across commits
            raise Conflict(Text("相同请求正在处理中", "The same request is still being processed"))
        return _RenderedJSONResponse(
            json.dumps(stored["response_body"], ensure_ascii=False, separators=(",", ":")).encode(),
            status_code=stored["status_code"],
            headers={"Idempotent-Replayed": "true"},
        )

    async def store(
        self, session: AsyncSession, body: BaseModel | Any, *, status_code: int
    ) -> JSONResponse:
        content = (
            body.model_dump(mode="json") if isinstance(body, BaseModel) else jsonable_encoder(body)
        )
        rendered = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        if self.key is not None and self._model is not None:
            connection = await driver_connection(session)
            await connection.execute(
                f"UPDATE {_table_name(self._model)} SET status_code = $3, response_body = $4::jsonb "
                "WHERE principal = $1 AND key = $2",
                self._principal,
                self.key,
                status_code,
                rendered,
            )
        return _RenderedJSONResponse(rendered.encode(), status_code=status_code)


class _RenderedJSONResponse(JSONResponse):
    """A JSON response whose body was rendered once, for storing and sending alike."""

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else super().render(content)


def _table_name(model: type[IdempotencyRecordMixin]) -> str:
    table = model.__table__  # type: ignore[attr-defined]
    return f'{table.schema}."{table.name}"'


def _canonical(value: Any) -> str:
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{json.dumps(k)}:{_canonical(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, Decimal):
        # 1, 1.0, 1.00 and 1e0 are one number; so are 0 and -0.
        # Exact: normalised in a context wide enough never to round.
        exact = Context(prec=max(28, len(value.as_tuple().digits)))
        return "0" if value.is_zero() else str(value.normalize(exact))
    return json.dumps(value)


def canonical_body(body: bytes) -> bytes:
    """The request body as the guard compares it: a JSON document in canonical form, anything
    else (form data, invalid JSON) as it came."""
    try:
        parsed = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError):
        return body
    try:
        return b"json:" + _canonical(parsed).encode()
    except RecursionError:
        return body


async def get_idempotency_guard(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="Retry safely: the same key with the same body returns the stored response.",
        ),
    ] = None,
) -> IdempotencyGuard:
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 200):
        raise InvalidInput.for_field(
            "header.Idempotency-Key",
            Text(
                "Idempotency-Key 长度应为 1 到 200 个字符",
                "Idempotency-Key must be 1–200 characters",
            ),
        )
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.url.path.encode())
    digest.update(canonical_body(await request.body()))
    return IdempotencyGuard(idempotency_key, digest.hexdigest())


IdempotencyKey = Annotated[IdempotencyGuard, Depends(get_idempotency_guard)]


async def purge_expired(session: AsyncSession, model: type[IdempotencyRecordMixin]) -> int:
    table = model.__table__  # type: ignore[attr-defined]
    result = await session.execute(delete(table).where(table.c.created_at < func.now() - RETENTION))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
