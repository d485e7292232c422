"""The Idempotency-Key guard, on enrolment's `idempotency_record` table: same key and body →
the stored response; another body → 409; a failed request releases its key."""

import uuid
from typing import Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from enrolment.models import IdempotencyRecord
from shared.errors import InvalidInput, add_exception_handlers
from shared.i18n import Text
from shared.idempotency import IdempotencyKey
from shared.testing.fixtures import joined_sessionmaker


def guarded_app(connection: AsyncConnection, created: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()
    add_exception_handlers(app)
    sessions = joined_sessionmaker(connection)

    async def session() -> Any:
        async with sessions() as current:
            try:
                yield current
            except BaseException:
                await current.rollback()
                raise
            else:
                await current.commit()

    @app.post("/things")
    async def create(
        body: dict[str, Any], guard: IdempotencyKey, db: AsyncSession = Depends(session)
    ) -> JSONResponse:
        if (replay := await guard.replay(db, "parent:p1", IdempotencyRecord)) is not None:
            return replay
        if body.get("fail"):
            raise InvalidInput.for_field("body.fail", Text("失败", "failed"))
        created.append(body)
        return await guard.store(db, {"id": len(created), **body}, status_code=201)

    return app


async def post(app: FastAPI, body: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        return await client.post("/things", json=body, headers=headers)


async def records(session: AsyncSession, key: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(IdempotencyRecord).where(IdempotencyRecord.key == key)
        )
        or 0
    )


async def test_same_key_same_body_replays(
    db_connection: AsyncConnection, session: AsyncSession
) -> None:
    created: list[dict[str, Any]] = []
    app = guarded_app(db_connection, created)
    key = str(uuid.uuid4())
    first = await post(app, {"name": "a"}, key)
    second = await post(app, {"name": "a"}, key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json() == {"id": 1, "name": "a"}
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(created) == 1
    assert await records(session, key) == 1


async def test_same_key_other_body_is_a_conflict(db_connection: AsyncConnection) -> None:
    created: list[dict[str, Any]] = []
    app = guarded_app(db_connection, created)
    key = str(uuid.uuid4())
    await post(app, {"name": "a"}, key)
    other = await post(app, {"name": "b"}, key)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency.key_reused"
    assert len(created) == 1


async def test_a_failed_request_releases_its_key(
    db_connection: AsyncConnection, session: AsyncSession
) -> None:
    created: list[dict[str, Any]] = []
    app = guarded_app(db_connection, created)
    key = str(uuid.uuid4())
    failed = await post(app, {"fail": True}, key)
    assert failed.status_code == 422
    assert await records(session, key) == 0
    retried = await post(app, {"fail": False}, key)
    assert retried.status_code == 201


async def test_without_a_key_nothing_is_recorded_and_bad_keys_are_refused(
    db_connection: AsyncConnection,
) -> None:
    created: list[dict[str, Any]] = []
    app = guarded_app(db_connection, created)
    await post(app, {"name": "a"}, None)
    await post(app, {"name": "a"}, None)
    assert len(created) == 2
    too_long = await post(app, {"name": "a"}, "k" * 201)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "header.Idempotency-Key"


async def test_a_retry_that_reserialises_the_same_json_gets_the_stored_answer(
    db_connection: AsyncConnection,
) -> None:
    """Apps rebuild the body on retry: key order, spacing and number spelling differ."""
    created: list[dict[str, Any]] = []
    app = guarded_app(db_connection, created)
    key = str(uuid.uuid4())

    async def send(raw: str) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            return await client.post(
                "/things",
                content=raw.encode(),
                headers={"Idempotency-Key": key, "Content-Type": "application/json"},
            )

    first = await send('{"name": "a", "seats": 1, "share": 0.50, "tags": ["x", "y"]}')
    again = await send('{"tags":["x","y"],"share":5e-1,"seats":1.0,"name":"a"}')
    other = await send('{"tags":["y","x"],"share":0.5,"seats":1,"name":"a"}')
    bigger = await send(
        '{"name": "a", "seats": 1.0000000000000000000000000000001, "share": 0.5, "tags": ["x", "y"]}'
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(created) == 1
    # A different request under the same key is still refused: list order and every digit count.
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency.key_reused"
    assert bigger.status_code == 409
