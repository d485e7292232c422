"""Quick wiring check (kept: it is the cheapest signal that the app starts with its peers)."""

import httpx

from .conftest import Who


async def test_builtin_frameworks_are_stored(client: httpx.AsyncClient, who: Who) -> None:
    response = await client.get("/v1/frameworks?limit=100", headers=who.city())

    assert response.status_code == 200, response.text
    codes = {item["code"] for item in response.json()["items"]}
    assert {"compulsory_quality_balance", "preschool_universal_inclusive"} <= codes
