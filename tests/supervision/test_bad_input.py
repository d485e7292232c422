"""Hostile or malformed input is a 4xx problem naming what is wrong, never a 500 (cases found by
a schemathesis run against the service)."""

import httpx

from .conftest import Who, fields, problem, register_inspector


async def test_nul_characters_in_a_query_are_refused(client: httpx.AsyncClient, who: Who) -> None:
    response = await client.get("/v1/public/results.csv?district_code=%C3%88%00kI")

    assert problem(response, 422)["code"] == "request.unstorable_text"
    problem(await client.get("/v1/frameworks?code=a%00b", headers=who.city()), 422)


async def test_nul_and_unpaired_surrogates_in_a_body_are_refused(
    client: httpx.AsyncClient, who: Who
) -> None:
    template = (
        '{"county": "450103", "stage": "primary", "schools": [{"id": "%s", "students": 10,'
        ' "kind": "school"}]}'
    )
    headers = {**who.city(), "content-type": "application/json"}

    nul = await client.post("/v1/balance/evaluate", content=template % "A\\u0000", headers=headers)
    lone = await client.post("/v1/balance/evaluate", content=template % "\\ud83c", headers=headers)

    assert problem(nul, 422)["code"] == "request.unstorable_text"
    problem(lone, 422)


async def test_required_inspector_fields_cannot_be_cleared(
    client: httpx.AsyncClient, who: Who
) -> None:
    inspector, _ = await register_inspector(client, who)

    response = await client.patch(
        f"/v1/inspectors/{inspector['id']}",
        json={"full_time": None, "email": None},
        headers=who.district("450103"),
    )

    assert problem(response, 422)["errors"][0]["message"].endswith("full_time")


async def test_absurd_enrolment_is_refused(client: httpx.AsyncClient, who: Who) -> None:
    body = {
        "county": "450103",
        "stage": "primary",
        "schools": [{"id": "A", "students": 10**30, "kind": "school"}],
    }

    response = await client.post("/v1/balance/evaluate", json=body, headers=who.city())

    assert "body.schools.0.students" in fields(response)
