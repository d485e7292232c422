"""Keyset pagination walks every row exactly once; bad cursors are a 422 naming the field."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from directory.app import create_app
from directory.config import Settings
from directory.models import Organization, OrganizationKind
from shared.pagination import decode_cursor, encode_cursor
from shared.testing.tokens import TestIssuer


@pytest.fixture
async def client(make_client) -> httpx.AsyncClient:
    return await make_client(create_app, Settings)


async def test_pages_cover_every_row_once(
    client: httpx.AsyncClient, session: AsyncSession, issuer: TestIssuer
) -> None:
    for index in range(7):
        session.add(
            Organization(
                kind=OrganizationKind.school,
                code=f"999999{index:04d}",
                name=f"学校{index}",
                district_code="999999",
            )
        )
    await session.commit()

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"district_code": "999999", "limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/organizations", params=params, headers=issuer.city_admin())
        assert response.status_code == 200
        body = response.json()
        seen += [item["code"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3
    assert sorted(seen) == [f"999999{index:04d}" for index in range(7)]
    assert len(set(seen)) == 7


@pytest.mark.parametrize("cursor", ["!!!", "eyJhIjoxfQ", encode_cursor(["a", "b", "c"])])
async def test_bad_cursor_is_a_validation_problem(
    client: httpx.AsyncClient, issuer: TestIssuer, cursor: str
) -> None:
    response = await client.get(
        "/v1/organizations", params={"cursor": cursor}, headers=issuer.city_admin()
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.cursor"


async def test_limit_is_capped(
    client: httpx.AsyncClient, issuer: TestIssuer, session: AsyncSession
) -> None:
    for index in range(205):
        session.add(
            Organization(
                kind=OrganizationKind.school,
                code=f"888888{index:04d}",
                name="x",
                district_code="888888",
            )
        )
    await session.commit()

    response = await client.get(
        "/v1/organizations",
        params={"district_code": "888888", "limit": 200},
        headers=issuer.city_admin(),
    )
    too_many = await client.get(
        "/v1/organizations",
        params={"district_code": "888888", "limit": 5000},
        headers=issuer.city_admin(),
    )

    assert len(response.json()["items"]) == 200
    assert response.json()["next_cursor"] is not None
    # Beyond the cap is a 422 naming the parameter, as the OpenAPI document says (1–200).
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "query.limit"


def test_cursor_round_trips_typed_values() -> None:
    import uuid
    from datetime import UTC, date, datetime

    values = [datetime(2026, 7, 2, 8, 30, tzinfo=UTC), date(2026, 8, 31), uuid.uuid4(), 3, "青秀"]

    assert decode_cursor(encode_cursor(values), 5) == values
