"""Calls between services: retries only when safe, request ids travel, errors become problems."""

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.context import current_request_id
from shared.embedded import free_port
from shared.errors import UpstreamError, UpstreamUnavailable
from shared.http import ServiceClient, StaticToken, UpstreamRejected


def flaky_peer() -> tuple[FastAPI, dict[str, int], list[dict[str, str]]]:
    calls: dict[str, int] = {}
    seen_headers: list[dict[str, str]] = []
    app = FastAPI()

    @app.api_route("/flaky/{name}", methods=["GET", "POST"])
    async def flaky(name: str, request: Request) -> JSONResponse:
        calls[name] = calls.get(name, 0) + 1
        seen_headers.append(dict(request.headers))
        if calls[name] < 3:
            return JSONResponse({"code": "busy"}, status_code=503)
        return JSONResponse({"ok": True, "calls": calls[name]})

    @app.get("/missing")
    async def missing() -> JSONResponse:
        return JSONResponse(
            {"code": "directory.organization.not_found", "title": "机构不存在", "status": 404},
            status_code=404,
            media_type="application/problem+json",
        )

    @app.get("/broken")
    async def broken() -> JSONResponse:
        return JSONResponse({"detail": "oops"}, status_code=500)

    return app, calls, seen_headers


@pytest.fixture
async def peer(serve_app):
    app, calls, headers = flaky_peer()
    base_url = await serve_app(app)
    async with httpx.AsyncClient() as http:
        client = ServiceClient(
            peer="directory",
            base_url=base_url,
            http=http,
            token_source=StaticToken("svc-token"),
            retries=3,
        )
        yield client, calls, headers


async def test_idempotent_calls_are_retried(peer) -> None:
    client, calls, headers = peer
    token = current_request_id.set("req-42")
    try:
        body = await client.get_json("/flaky/get")
    finally:
        current_request_id.reset(token)

    assert body == {"ok": True, "calls": 3}
    assert all(h["x-request-id"] == "req-42" for h in headers)
    assert all(h["authorization"] == "Bearer svc-token" for h in headers)


async def test_posts_are_not_retried_without_an_idempotency_key(peer) -> None:
    client, calls, _ = peer

    with pytest.raises(UpstreamUnavailable):
        await client.post_json("/flaky/post", {"a": 1})
    assert calls["post"] == 1


async def test_posts_with_an_idempotency_key_are_retried(peer) -> None:
    client, calls, headers = peer

    body = await client.post_json("/flaky/keyed", {"a": 1}, idempotency_key="k-1")

    assert body["ok"] is True
    assert calls["keyed"] == 3
    assert {h["idempotency-key"] for h in headers} == {"k-1"}


async def test_a_peers_problem_keeps_its_status_and_code(peer) -> None:
    client, _, _ = peer

    with pytest.raises(UpstreamRejected) as caught:
        await client.get_json("/missing")

    problem = caught.value.to_problem()
    assert (problem.status, problem.code) == (404, "directory.organization.not_found")


async def test_a_peers_500_is_a_502(peer) -> None:
    client, _, _ = peer

    with pytest.raises(UpstreamError) as caught:
        await client.get_json("/broken")
    assert caught.value.status == 502


async def test_an_unreachable_peer_is_a_503() -> None:
    async with httpx.AsyncClient() as http:
        client = ServiceClient(
            peer="enrolment", base_url=f"http://127.0.0.1:{free_port()}", http=http, retries=2
        )
        with pytest.raises(UpstreamUnavailable) as caught:
            await client.get_json("/anything")
    assert "enrolment" in str(caught.value.detail)
