"""Frameworks as versioned data over HTTP: built-ins stored at migration time and immutable,
editable copies, overlays with effective dates, every document validated by the pydantic model."""

from typing import Any

import httpx

from supervision.frameworks.library import ALL_BUILTIN_FRAMEWORKS

from .conftest import Who, fields, problem


async def builtin(client: httpx.AsyncClient, who: Who, code: str) -> dict[str, Any]:
    listed = await client.get(f"/v1/frameworks?code={code}", headers=who.city())
    items = [i for i in listed.json()["items"] if i["origin"] == "builtin"]
    assert len(items) == 1
    return dict(items[0])


async def test_every_builtin_is_stored_active_and_identical_to_the_code(
    client: httpx.AsyncClient, who: Who
) -> None:
    for framework in ALL_BUILTIN_FRAMEWORKS:
        row = await builtin(client, who, framework.code)
        assert (row["version"], row["status"]) == (framework.version, "active")
        full = await client.get(f"/v1/frameworks/{row['id']}", headers=who.school("4501030001"))
        assert full.json()["document"] == framework.model_dump(mode="json")


async def test_builtins_are_not_edited_in_place_but_copied(
    client: httpx.AsyncClient, who: Who
) -> None:
    row = await builtin(client, who, "school_routine_management")
    full = (await client.get(f"/v1/frameworks/{row['id']}", headers=who.city())).json()

    edit = await client.put(
        f"/v1/frameworks/{row['id']}", json=full["document"], headers=who.city()
    )
    assert problem(edit, 409)["code"] == "supervision.framework.not_editable"

    copy = await client.post(
        f"/v1/frameworks/{row['id']}/copy",
        json={
            "version": "nanning.2026",
            "effective_from": "2026-01-01",
            "name": "南宁市中小学校常规管理评估",
        },
        headers=who.city(),
    )
    assert copy.status_code == 201, copy.text
    draft = copy.json()
    assert (draft["status"], draft["origin"], draft["copied_from_id"]) == (
        "draft",
        "custom",
        row["id"],
    )
    document = draft["document"]
    document["indicators"][0]["evaluator"]["items"][0]["max_score"] = 20
    document["indicators"][0]["evaluator"]["items"][2]["max_score"] = 15
    edited = await client.put(f"/v1/frameworks/{draft['id']}", json=document, headers=who.city())
    assert edited.status_code == 200, edited.text
    activated = await client.post(f"/v1/frameworks/{draft['id']}/activate", headers=who.city())
    assert activated.json()["status"] == "active"
    problem(
        await client.put(f"/v1/frameworks/{draft['id']}", json=document, headers=who.city()), 409
    )

    before = await client.get(
        "/v1/frameworks/resolve?code=school_routine_management&as_of=2025-06-01", headers=who.city()
    )
    after = await client.get(
        "/v1/frameworks/resolve?code=school_routine_management&as_of=2026-06-01", headers=who.city()
    )
    assert before.json()["version"] == "starter.1"
    assert after.json()["version"] == "nanning.2026"

    retired = await client.post(f"/v1/frameworks/{draft['id']}/retire", headers=who.city())
    assert retired.json()["status"] == "retired"
    again = await client.get(
        "/v1/frameworks/resolve?code=school_routine_management&as_of=2026-06-01", headers=who.city()
    )
    assert again.json()["version"] == "starter.1"


async def test_documents_are_validated_naming_the_field(
    client: httpx.AsyncClient, who: Who
) -> None:
    bad_kind = {
        "code": "x_test",
        "name": "x",
        "version": "1",
        "basis": "b",
        "level": "city",
        "effective_from": "2025-01-01",
        "indicators": [{"code": "A", "name": "a", "evaluator": {"kind": "guess", "input": "v"}}],
    }
    response = await client.post("/v1/frameworks", json=bad_kind, headers=who.city())
    assert any(f.startswith("body.indicators.0.evaluator") for f in fields(response))

    typo = {**bad_kind, "indicators": [], "threshhold": 1}
    assert "body.threshhold" in fields(
        await client.post("/v1/frameworks", json=typo, headers=who.city())
    )

    dangling = {
        **bad_kind,
        "indicators": [],
        "parent": {"code": "compulsory_quality_balance"},
        "overrides": [{"indicator": "NOPE", "threshold": 1}],
    }
    response = await client.post("/v1/frameworks", json=dangling, headers=who.city())
    assert "body.overrides" in fields(response)
    orphan = {**dangling, "parent": {"code": "no_such_framework"}, "overrides": []}
    assert "body.parent" in fields(
        await client.post("/v1/frameworks", json=orphan, headers=who.city())
    )


async def test_only_city_staff_write_frameworks(client: httpx.AsyncClient, who: Who) -> None:
    row = await builtin(client, who, "kindergarten_conduct")
    for headers in (
        who.district("450103"),
        who.school("4501030001"),
        who.inspector("450103", "user:x"),
    ):
        problem(
            await client.post(
                f"/v1/frameworks/{row['id']}/copy", json={"version": "v2"}, headers=headers
            ),
            403,
        )
    assert (await client.get("/v1/frameworks", headers=who.district("450103"))).status_code == 200
    duplicate = await client.post(
        f"/v1/frameworks/{row['id']}/copy", json={"version": "starter.1"}, headers=who.city()
    )
    assert problem(duplicate, 409)["code"] == "supervision.framework.exists"


async def test_drafts_can_be_deleted_active_versions_cannot(
    client: httpx.AsyncClient, who: Who
) -> None:
    row = await builtin(client, who, "special_bullying")
    draft = (
        await client.post(
            f"/v1/frameworks/{row['id']}/copy", json={"version": "d1"}, headers=who.city()
        )
    ).json()

    assert (
        await client.delete(f"/v1/frameworks/{draft['id']}", headers=who.city())
    ).status_code == 204
    problem(await client.get(f"/v1/frameworks/{draft['id']}", headers=who.city()), 404)
    problem(await client.delete(f"/v1/frameworks/{row['id']}", headers=who.city()), 409)


async def test_resolving_a_date_before_any_version_is_a_conflict(
    client: httpx.AsyncClient, who: Who
) -> None:
    response = await client.get(
        "/v1/frameworks/resolve?code=compulsory_quality_balance&as_of=2010-01-01",
        headers=who.city(),
    )
    assert problem(response, 409)["code"] == "supervision.framework.not_in_force"
    problem(await client.get("/v1/frameworks/resolve?code=nope&version=1", headers=who.city()), 404)
