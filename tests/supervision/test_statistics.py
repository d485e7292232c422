"""Statistics and rankings by county: staff figures in scope, public figures from published
results only."""

from typing import Any

import httpx

from .conftest import FULL_CHECKLIST, Who, assign, problem, register_inspector


async def test_staff_statistics_are_scoped_and_ranked(client: httpx.AsyncClient, who: Who) -> None:
    for school, district in (
        ("4501030001", "450103"),
        ("4501030002", "450103"),
        ("4501050001", "450105"),
    ):
        created = await client.post(
            "/v1/findings",
            json={"school_code": school, "title": "t", "description": "d"},
            headers=who.district(district),
        )
        assert created.status_code == 201
    closed: dict[str, Any] = (
        await client.get("/v1/findings?school_code=4501050001", headers=who.city())
    ).json()["items"][0]
    await client.post(
        f"/v1/findings/{closed['id']}/rectifications",
        json={"summary": "x"},
        headers=who.school("4501050001"),
    )
    await client.post(
        f"/v1/findings/{closed['id']}/review", json={"outcome": "pass"}, headers=who.city()
    )
    await client.post(f"/v1/findings/{closed['id']}/close", headers=who.city())
    inspector, me = await register_inspector(client, who)
    await assign(client, who, inspector, "4501030001")
    await assign(client, who, inspector, "4501030002")
    await client.post(
        "/v1/visits",
        json={
            "school_code": "4501030001",
            "latitude": 22.8,
            "longitude": 108.3,
            "record": {"checklist": FULL_CHECKLIST, "feedback": "良好"},
        },
        headers=me,
    )

    city = (await client.get("/v1/statistics/counties", headers=who.city())).json()
    rows = {r["district_code"]: r for r in city["counties"]}
    assert rows["450105"]["rank"] == 1
    assert rows["450105"]["close_rate"] == 1.0
    assert (rows["450103"]["findings"], rows["450103"]["findings_open"]) == (2, 2)
    assert (rows["450103"]["schools_assigned"], rows["450103"]["schools_visited"]) == (2, 1)
    assert rows["450103"]["visit_coverage"] == 0.5

    district = (await client.get("/v1/statistics/counties", headers=who.district("450103"))).json()
    assert [r["district_code"] for r in district["counties"]] == ["450103"]
    problem(await client.get("/v1/statistics/counties", headers=who.school("4501030001")), 403)


async def test_public_statistics_start_empty_and_need_no_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/public/statistics/counties?year=2025")

    assert response.status_code == 200
    assert response.json()["counties"] == []
    empty_csv = await client.get("/v1/public/results.csv")
    assert empty_csv.text.lstrip("\ufeff").splitlines() == [
        "publication_id,as_of,kind,title,year,district_code,org_code,org_name,outcome,结论,grade,rule"
    ]
