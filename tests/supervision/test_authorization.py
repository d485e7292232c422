"""Every supervision endpoint refuses callers without a token (401) and callers of the wrong kind
— a parent, an agency client, another service — (403); the public endpoints need no token.
Scope within the staff roles (city / district / school / assigned inspector) is tested per
resource in the other modules."""

import re
import uuid
from typing import Any

import httpx
import pytest

from supervision.app import create_app

from .conftest import Who

DOCUMENT = create_app().openapi()
SAMPLE = {
    "school_code": "4501030001",
    "district_code": "450103",
    "year": "2025",
}


def _operations() -> list[tuple[str, str]]:
    found = []
    for path, operations in DOCUMENT["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method in operations:
            found.append((method.upper(), path))
    return sorted(found)


def _url(path: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return SAMPLE.get(name, str(uuid.uuid4()))

    return re.sub(r"\{([^}]+)\}", fill, path)


PRIVATE = [op for op in _operations() if not op[1].startswith("/v1/public/")]
PUBLIC = [op for op in _operations() if op[1].startswith("/v1/public/")]


def test_the_matrix_covers_the_api() -> None:
    assert len(PRIVATE) > 60
    assert {path for _, path in PUBLIC} == {
        "/v1/public/results",
        "/v1/public/results.csv",
        "/v1/public/results/{publication_id}",
        "/v1/public/results/{publication_id}/cv.csv",
        "/v1/public/statistics/counties",
        "/v1/public/schools/{school_code}/inspector",
        "/v1/public/schools/{school_code}/inspector/photo",
    }


async def _call(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return await client.request(method, _url(path), **kwargs)


@pytest.mark.parametrize(("method", "path"), PRIVATE)
async def test_no_token_is_401(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await _call(client, method, path)

    assert response.status_code == 401, (method, path, response.text)
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path"), PRIVATE)
async def test_parents_agencies_and_services_are_403(
    client: httpx.AsyncClient, who: Who, method: str, path: str
) -> None:
    for headers in (
        who.parent(),
        who.issuer.agency_client("gongan", ["enrolment:verify"]),
        who.service(),
    ):
        response = await _call(client, method, path, headers)
        assert response.status_code == 403, (method, path, response.text)


@pytest.mark.parametrize(("method", "path"), PUBLIC)
async def test_public_endpoints_need_no_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await _call(client, method, path)

    assert response.status_code in (200, 404), (method, path, response.text)
