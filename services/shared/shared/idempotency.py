"""`Idempotency-Key` on POSTs from phones and agencies (DESIGN.md §3).

Same key + same request → the stored response; same key + another request → 409. The key is
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
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import DateTime, Integer, String, delete, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.errors import Conflict, InvalidInput
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
        table = model.__table__  # type: ignore[attr-defined]
        reserved = await session.execute(
            insert(table)
            .values(principal=principal, key=self.key, request_hash=self.request_hash)
            .on_conflict_do_nothing()
            .returning(table.c.key)
        )
        if reserved.first() is not None:
            return None
        stored = (
            await session.execute(
                select(table.c.request_hash, table.c.status_code, table.c.response_body).where(
                    table.c.principal == principal, table.c.key == self.key
                )
            )
        ).one()
        if stored.request_hash != self.request_hash:
            raise IdempotencyKeyReused()
        if stored.status_code is None:  # reserved but never finished: cannot happen across commits
            raise Conflict(Text("相同请求正在处理中", "The same request is still being processed"))
        return JSONResponse(
            stored.response_body,
            status_code=stored.status_code,
            headers={"Idempotent-Replayed": "true"},
        )

    async def store(
        self, session: AsyncSession, body: BaseModel | Any, *, status_code: int
    ) -> JSONResponse:
        content = jsonable_encoder(body)
        if self.key is not None and self._model is not None:
            table = self._model.__table__  # type: ignore[attr-defined]
            await session.execute(
                update(table)
                .where(table.c.principal == self._principal, table.c.key == self.key)
                .values(status_code=status_code, response_body=content)
            )
        return JSONResponse(content, status_code=status_code)


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
    digest.update(await request.body())
    return IdempotencyGuard(idempotency_key, digest.hexdigest())


IdempotencyKey = Annotated[IdempotencyGuard, Depends(get_idempotency_guard)]


async def purge_expired(session: AsyncSession, model: type[IdempotencyRecordMixin]) -> int:
    table = model.__table__  # type: ignore[attr-defined]
    result = await session.execute(delete(table).where(table.c.created_at < func.now() - RETENTION))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
