"""Every failure leaves as application/problem+json with a stable code, in Chinese or English."""

import httpx
import pytest

from directory.app import create_app
from directory.config import Settings
from shared.testing.tokens import TestIssuer


@pytest.fixture
async def client(make_client) -> httpx.AsyncClient:
    return await make_client(create_app, Settings)


async def test_unknown_route_is_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found"
    assert body["status"] == 404
    assert body["title"] == "资源不存在"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_wrong_method_is_a_problem_document(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"


async def test_english_on_request(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/no-such-thing", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert response.json()["title"] == "Not found"
    assert response.headers["content-language"] == "en"


async def test_validation_errors_name_the_field_in_chinese(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    response = await client.get(
        "/v1/organizations", params={"limit": "many"}, headers=issuer.city_admin()
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"] == [
        {"field": "query.limit", "message": "应为整数", "type": "int_parsing"}
    ]


async def test_validation_errors_in_english(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    response = await client.get(
        "/v1/organizations",
        params={"limit": "0"},
        headers={**issuer.city_admin(), "Accept-Language": "en"},
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "query.limit"
    assert "greater than or equal to 1" in error["message"]


async def test_malformed_json_is_a_400_problem(make_client) -> None:
    from plans.app import create_app as create_plans_app
    from plans.config import Settings as PlansSettings

    client = await make_client(create_plans_app, PlansSettings)
    # POST /v1/plans (issue 6) parses a JSON body: a cut-off body is a 400 problem, never a 500.
    response = await client.post(
        "/v1/plans", content=b'{"title": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "request.malformed_json"


async def test_request_id_is_propagated(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


async def test_hostile_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "a b<script>"})

    assert response.headers["x-request-id"] != "a b<script>"
    assert len(response.headers["x-request-id"]) == 32
