"""Demo data for `make run`: seeds 001 and 002 as plans; names resolved once the directory is up."""

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from plans.config import Settings
from plans.models import Assignment, Plan, PlanStatus, ResolutionStatus, UnitName
from plans.peers import directory_client
from plans.seed import load_demo_plans
from plans.worker import resolve_units
from shared.testing.fixtures import joined_sessionmaker


async def test_demo_plans_load_once_and_resolve_when_the_directory_answers(
    session: AsyncSession,
    db_connection: AsyncConnection,
    fake_directory: Any,
    client: httpx.AsyncClient,
    auth: Any,
) -> None:
    assert await load_demo_plans(session) == 2
    assert await load_demo_plans(session) == 0

    plans = {p.doc_number: p for p in (await session.scalars(select(Plan))).all()}
    assert plans["南府办函〔2018〕402号"].status == PlanStatus.active
    assert plans["南教办〔2018〕23号"].status == PlanStatus.closed
    pending = await session.scalar(
        select(func.count()).where(UnitName.status == ResolutionStatus.pending)
    )
    assert pending
    assert pending > 100

    settings = Settings(directory_url=fake_directory.base_url, http_retries=1)
    async with httpx.AsyncClient() as http:
        ctx: Any = {
            "sessionmaker": joined_sessionmaker(db_connection),
            "settings": settings,
            "resources": {"directory": directory_client(settings, http)},
        }
        result = await resolve_units.coroutine(ctx)
        again = await resolve_units.coroutine(ctx)

    assert result["plans"] == 1  # seed 002 names no units
    assert result["pending"] == 0
    assert again == {"plans": 0, "resolved": 0, "unmatched": 0, "pending": 0}
    assignments = await session.scalar(select(func.count()).select_from(Assignment))
    assert assignments
    assert assignments > 300
    kindergarten = (await client.get("/v1/indicators", headers=auth.city)).json()
    names = {i["name"] for i in kindergarten}
    assert {"学前三年毛入园率", "小学一年级就近入学比例"} <= names
