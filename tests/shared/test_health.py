import httpx

from enrolment.app import create_app
from enrolment.config import Settings


async def test_liveness_and_readiness(make_client) -> None:
    client: httpx.AsyncClient = await make_client(create_app, Settings)

    assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


async def test_not_ready_without_redis(make_client) -> None:
    client: httpx.AsyncClient = await make_client(
        create_app, Settings, redis_url="redis://127.0.0.1:1/0"
    )

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "redis" in response.json()["detail"]


async def test_metrics_count_requests_by_route_template(make_client) -> None:
    client: httpx.AsyncClient = await make_client(create_app, Settings)
    await client.get("/v1/cycles/00000000-0000-0000-0000-000000000000")

    metrics = (await client.get("/metrics")).text

    assert 'route="/v1/cycles/{cycle_id}"' in metrics
    assert "xuezai_http_request_duration_seconds_bucket" in metrics
