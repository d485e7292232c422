"""District staff see and act on their district only, school staff on their school, city staff on
everything — for the resources not already covered resource by resource elsewhere."""

from typing import Any

import httpx

from .conftest import JPEG, Who, problem, register_inspector, upload


async def routine(
    client: httpx.AsyncClient, who: Who, district: str, school: str
) -> dict[str, Any]:
    response = await client.post(
        "/v1/assessments",
        json={
            "kind": "routine_management",
            "title": f"{district} 常规管理评估",
            "year": 2025,
            "district_code": district,
            "targets": [school],
        },
        headers=who.district(district),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_assessments_and_their_parts_stay_in_their_district(
    client: httpx.AsyncClient, who: Who
) -> None:
    ours = await routine(client, who, "450103", "4501030001")
    theirs = await routine(client, who, "450105", "4501050001")
    other = who.district("450105")
    aid, tid = ours["id"], ours["targets"][0]["id"]

    listed = await client.get("/v1/assessments", headers=other)
    assert [a["id"] for a in listed.json()["items"]] == [theirs["id"]]
    city = await client.get("/v1/assessments", headers=who.city())
    assert {a["id"] for a in city.json()["items"]} == {aid, theirs["id"]}
    school = await client.get("/v1/assessments", headers=who.school("4501030001"))
    assert [a["id"] for a in school.json()["items"]] == [aid]

    for method, path, body in (
        ("GET", f"/v1/assessments/{aid}", None),
        ("POST", f"/v1/assessments/{aid}/targets", {"org_codes": ["4501050003"]}),
        ("POST", f"/v1/assessments/{aid}/phase", {"phase": "scoring"}),
        ("GET", f"/v1/assessments/{aid}/targets/{tid}/inputs", None),
        ("POST", f"/v1/assessments/{aid}/targets/{tid}/evaluate", None),
        ("GET", f"/v1/assessments/{aid}/documents", None),
        ("POST", f"/v1/assessments/{aid}/report", None),
        ("GET", f"/v1/assessments/{aid}/report", None),
        ("POST", f"/v1/assessments/{aid}/publications", None),
    ):
        response = await client.request(method, path, json=body, headers=other)
        assert response.status_code == 404, (method, path, response.text)

    # The owner adds targets and manages the team; the school may read but not run it.
    added = await client.post(
        f"/v1/assessments/{aid}/targets",
        json={"org_codes": ["4501030002", "4501030002"]},
        headers=who.district("450103"),
    )
    assert [t["org_code"] for t in added.json()["targets"]] == ["4501030001", "4501030002"]
    problem(
        await client.post(
            f"/v1/assessments/{aid}/phase",
            json={"phase": "scoring"},
            headers=who.school("4501030001"),
        ),
        403,
    )
    # School staff see only their own target of a multi-school assessment.
    detail = await client.get(f"/v1/assessments/{aid}", headers=who.school("4501030002"))
    assert [t["org_code"] for t in detail.json()["targets"]] == ["4501030002"]


async def test_team_membership_is_managed_by_the_owner(client: httpx.AsyncClient, who: Who) -> None:
    ours = await routine(client, who, "450103", "4501030001")
    inspector, me = await register_inspector(client, who)
    elsewhere, _ = await register_inspector(client, who, district="450105", name="陆芳")
    url = f"/v1/assessments/{ours['id']}/team"

    foreign = await client.post(
        url, json={"inspector_id": elsewhere["id"]}, headers=who.district("450103")
    )
    assert problem(foreign, 422)["errors"][0]["field"] == "body.inspector_id"
    added = await client.post(
        url, json={"inspector_id": inspector["id"]}, headers=who.district("450103")
    )
    assert [m["inspector_id"] for m in added.json()["team"]] == [inspector["id"]]
    assert (await client.get(f"/v1/assessments/{ours['id']}", headers=me)).status_code == 200

    problem(await client.delete(f"{url}/{inspector['id']}", headers=me), 403)
    removed = await client.delete(f"{url}/{inspector['id']}", headers=who.district("450103"))
    assert removed.json()["team"] == []
    problem(await client.get(f"/v1/assessments/{ours['id']}", headers=me), 404)
    problem(await client.delete(f"{url}/{inspector['id']}", headers=who.district("450103")), 404)


async def test_evaluations_and_publications_are_listed_in_scope(
    client: httpx.AsyncClient, who: Who
) -> None:
    body = {
        "county": "450103",
        "stage": "primary",
        "schools": [
            {
                "id": "A",
                "students": 100,
                "kind": "school",
                "qualified_teachers": 5,
                "backbone_teachers": 1,
                "pe_art_teachers": 1,
                "teaching_space_m2": 500,
                "sports_space_m2": 800,
                "equipment_value_yuan": 220000,
                "multimedia_classrooms": 3,
            }
        ],
    }
    run = await client.post("/v1/balance/evaluate", json=body, headers=who.city())
    assert run.status_code == 200

    ours = await client.get("/v1/evaluations", headers=who.district("450103"))
    assert [e["id"] for e in ours.json()["items"]] == [run.json()["evaluation_id"]]
    assert (await client.get("/v1/evaluations", headers=who.district("450105"))).json()[
        "items"
    ] == []
    assert (await client.get("/v1/publications", headers=who.district("450105"))).json()[
        "items"
    ] == []
    problem(await client.get("/v1/publications", headers=who.school("4501030001")), 403)


async def test_inspectors_register_in_scope_and_the_sign_shows_the_photo(
    client: httpx.AsyncClient, who: Who
) -> None:
    inspector, _ = await register_inspector(client, who)
    assert (await client.get("/v1/inspectors", headers=who.district("450105"))).json()[
        "items"
    ] == []
    problem(
        await client.get(f"/v1/inspectors/{inspector['id']}", headers=who.district("450105")), 404
    )

    manager = who.district("450103")
    pdf = await upload(client, manager, b"%PDF-1.4 x", "cv.pdf")
    not_image = await client.patch(
        f"/v1/inspectors/{inspector['id']}", json={"photo_id": pdf["id"]}, headers=manager
    )
    assert problem(not_image, 422)["errors"][0]["field"] == "body.photo_id"
    photo = await upload(client, manager, JPEG)
    updated = await client.patch(
        f"/v1/inspectors/{inspector['id']}", json={"photo_id": photo["id"]}, headers=manager
    )
    assert updated.json()["photo_id"] == photo["id"]
    await client.post(
        f"/v1/inspectors/{inspector['id']}/assignments",
        json={"school_code": "4501030001"},
        headers=manager,
    )

    sign = await client.get("/v1/public/schools/4501030001/inspector")
    assert sign.json()["photo_url"] == "/v1/public/schools/4501030001/inspector/photo"
    image = await client.get(sign.json()["photo_url"])
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")
    assert image.content == JPEG
