"""Every failure leaves as application/problem+json with a stable code, in Chinese or English."""

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from directory.app import create_app
from directory.config import Settings
from shared.app import build_app
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


def body_app(settings: Settings, **_: object) -> FastAPI:
    class Child(BaseModel):
        name: str = Field(max_length=20)
        age: int

    router = APIRouter(prefix="/v1", tags=["test"])

    @router.post("/children", summary="echo", status_code=201)
    async def create_child(child: Child) -> Child:
        return child

    return build_app(settings=settings, title="t", description="t", routers=[router])


@pytest.fixture
async def body_client(make_client) -> httpx.AsyncClient:
    return await make_client(body_app, Settings, max_body_bytes=1024)


async def test_malformed_json_is_a_400_problem(body_client: httpx.AsyncClient) -> None:
    response = await body_client.post(
        "/v1/children", content=b'{"name": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "request.malformed_json"


async def test_wrong_types_name_each_field(body_client: httpx.AsyncClient) -> None:
    response = await body_client.post("/v1/children", json={"name": "x" * 30, "age": "six"})

    assert response.status_code == 422
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert errors == {"body.name": "长度不能超过 20 个字符", "body.age": "应为整数"}


async def test_oversized_body_is_a_413_problem(body_client: httpx.AsyncClient) -> None:
    response = await body_client.post("/v1/children", json={"name": "x" * 5000, "age": 6})

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"


async def test_oversized_chunked_body_is_a_413_problem(body_client: httpx.AsyncClient) -> None:
    async def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(10):
            yield b"x" * 200

    response = await body_client.post(
        "/v1/children", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


async def test_request_id_is_propagated(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


async def test_hostile_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "a b<script>"})

    assert response.headers["x-request-id"] != "a b<script>"
    assert len(response.headers["x-request-id"]) == 32
