"""Plans by hand: header, nodes of any depth, deadlines as values, versions, optimistic locking."""

from typing import Any

import httpx

Client = httpx.AsyncClient


async def make_plan(client: Client, auth: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "overall",
        "title": "品质教育 学在南宁 总体方案",
        "period_start": 2021,
        "period_end": 2023,
    }
    response = await client.post("/v1/plans", json={**body, **fields}, headers=auth.city)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_nodes_of_any_depth_with_deadlines_units_and_versions(
    client: Client, auth: Any, walk: Any
) -> None:
    plan = await make_plan(client, auth, status="active")
    assert plan["version"] == 1
    version = plan["version"]
    parent_id = None
    numberings = ["一、", "（一）", "1.", "（1）", "①", "第一项"]
    for depth, numbering in enumerate(numberings, start=1):
        response = await client.post(
            f"/v1/plans/{plan['id']}/nodes",
            json={
                "version": version,
                "parent_id": parent_id,
                "numbering": numbering,
                "kind": "task" if depth == len(numberings) else "heading",
                "title": f"第{depth}层",
                "deadline": {"raw": "2022年底前，持续实施"} if depth == len(numberings) else None,
                "units": [
                    {"name": "市教育局", "role": "organizing"},
                    {"name": "各县区人民政府", "role": "implementing"},
                    {"name": "财政局", "role": "cooperating"},
                ]
                if depth == len(numberings)
                else [],
            },
            headers=auth.city,
        )
        assert response.status_code == 201, response.text
        version += 1
        nodes = walk(response.json())
        parent_id = next(n["id"] for n in nodes.values() if n["level"] == depth)

    deepest = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())[
        "一/（一）/1/（1）/①/第一项"
    ]
    assert deepest["level"] == 6
    assert deepest["deadline"] == {
        "raw": "2022年底前，持续实施",
        "due": "2022-12-31",
        "granularity": "year",
        "ongoing": True,
        "range_start": None,
        "year_inferred": False,
        "ambiguous": False,
        "source": "manual",
    }
    assert len(deepest["assignments"]) == 14  # the bureau, twelve counties, 财政局 cooperating
    assert {a["role"] for a in deepest["assignments"]} == {
        "organizing",
        "implementing",
        "cooperating",
    }

    stale = await client.post(
        f"/v1/plans/{plan['id']}/nodes",
        json={"version": 1, "numbering": "二、", "kind": "heading", "title": "x"},
        headers=auth.city,
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "plans.plan.version_conflict")
    duplicate = await client.post(
        f"/v1/plans/{plan['id']}/nodes",
        json={"version": version, "numbering": "一、", "kind": "heading", "title": "again"},
        headers=auth.city,
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "plans.node.duplicate_ref")

    changed = await client.patch(
        f"/v1/plans/{plan['id']}/nodes/{deepest['id']}",
        json={
            "version": version,
            "deadline": {"raw": "2023年第三季度"},
            "units": [{"name": "青秀区人民政府", "role": "implementing"}],
            "report_frequency": "monthly",
        },
        headers=auth.city,
    )
    assert changed.status_code == 200, changed.text
    version += 1
    node = walk(changed.json())["一/（一）/1/（1）/①/第一项"]
    assert (node["deadline"]["due"], node["deadline"]["granularity"]) == ("2023-09-30", "quarter")
    assert [a["org_name"] for a in node["assignments"]] == ["青秀区人民政府"]
    assert node["report_frequency"] == "monthly"
    unreadable = await client.patch(
        f"/v1/plans/{plan['id']}/nodes/{deepest['id']}",
        json={"version": version, "deadline": {"raw": "尽快"}},
        headers=auth.city,
    )
    assert unreadable.json()["errors"][0]["field"] == "body.deadline.raw"
    cleared = await client.patch(
        f"/v1/plans/{plan['id']}/nodes/{deepest['id']}",
        json={"version": version, "deadline": None},
        headers=auth.city,
    )
    version += 1
    assert walk(cleared.json())["一/（一）/1/（1）/①/第一项"]["deadline"] is None

    versions = (await client.get(f"/v1/plans/{plan['id']}/versions", headers=auth.city)).json()
    assert [v["number"] for v in versions] == list(range(version, 0, -1))
    first = (await client.get(f"/v1/plans/{plan['id']}/versions/1", headers=auth.city)).json()
    assert first["snapshot"]["nodes"] == []
    seventh = (await client.get(f"/v1/plans/{plan['id']}/versions/7", headers=auth.city)).json()
    assert seventh["snapshot"]["nodes"][-1]["units"][1] == {
        "name": "各县区人民政府",
        "role": "implementing",
    }
    assert (
        await client.get(f"/v1/plans/{plan['id']}/versions/99", headers=auth.city)
    ).status_code == 404

    deleted = await client.delete(
        f"/v1/plans/{plan['id']}/nodes/{parent_id}", params={"version": version}, headers=auth.city
    )
    assert deleted.status_code == 204
    tree = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())
    assert "一/（一）/1/（1）/①" in tree
    assert "一/（一）/1/（1）/①/第一项" not in tree


async def test_a_reported_task_cannot_be_deleted(
    client: Client, auth: Any, import_plan: Any, small_plan: str, walk: Any
) -> None:
    plan = await import_plan(small_plan)
    tree = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())
    qingxiu = next(a for a in tree["一/1"]["assignments"] if a["org_name"] == "青秀区人民政府")
    await client.post(
        f"/v1/assignments/{qingxiu['id']}/reports",
        json={"status": "on_track", "percent": 5, "narrative": "启动"},
        headers=auth.reporter("青秀区人民政府"),
    )
    current = (await client.get(f"/v1/plans/{plan['id']}", headers=auth.city)).json()

    response = await client.delete(
        f"/v1/plans/{plan['id']}/nodes/{tree['一']['id']}",
        params={"version": current["version"]},
        headers=auth.city,
    )

    assert (response.status_code, response.json()["code"]) == (409, "plans.node.has_history")


async def test_header_updates_are_versioned_and_validated(client: Client, auth: Any) -> None:
    parent = await make_plan(client, auth)
    child = await make_plan(
        client,
        auth,
        kind="sub_plan",
        title="南宁市教学质量提升三年行动计划",
        parent_id=parent["id"],
    )
    assert child["parent_id"] == parent["id"]

    updated = await client.patch(
        f"/v1/plans/{child['id']}",
        json={"version": 1, "status": "active", "leader_name": "分管副局长", "reason": "印发实施"},
        headers=auth.city,
    )
    assert updated.status_code == 200
    assert (updated.json()["status"], updated.json()["version"]) == ("active", 2)
    versions = (await client.get(f"/v1/plans/{child['id']}/versions", headers=auth.city)).json()
    assert versions[0]["reason"] == "印发实施"

    assert (
        await client.patch(
            f"/v1/plans/{child['id']}", json={"version": 1, "title": "x"}, headers=auth.city
        )
    ).status_code == 409
    backwards = await client.patch(
        f"/v1/plans/{child['id']}", json={"version": 2, "period_end": 2000}, headers=auth.city
    )
    assert backwards.json()["errors"][0]["field"] == "body.period_end"
    self_parent = await client.patch(
        f"/v1/plans/{child['id']}", json={"version": 2, "parent_id": child["id"]}, headers=auth.city
    )
    assert self_parent.json()["errors"][0]["field"] == "body.parent_id"
    no_parent = await client.post(
        "/v1/plans",
        json={
            "kind": "sub_plan",
            "title": "x",
            "parent_id": "00000000-0000-0000-0000-000000000000",
        },
        headers=auth.city,
    )
    assert no_parent.json()["errors"][0]["field"] == "body.parent_id"
    children = (
        await client.get("/v1/plans", params={"parent_id": parent["id"]}, headers=auth.city)
    ).json()
    assert [p["id"] for p in children["items"]] == [child["id"]]
    assert (
        await client.post("/v1/plans", json={"kind": "x", "title": "y"}, headers=auth.city)
    ).status_code == 422
    assert (
        await client.post(
            "/v1/plans",
            json={"kind": "overall", "title": "y"},
            headers=auth.reporter("青秀区人民政府"),
        )
    ).status_code == 403


async def test_the_source_text_is_kept_for_the_owner(
    client: Client, auth: Any, import_plan: Any, small_plan: str
) -> None:
    plan = await import_plan(small_plan)

    source = (await client.get(f"/v1/plans/{plan['id']}/source", headers=auth.city)).json()
    assert source["text"] == small_plan
    assert (
        await client.get(f"/v1/plans/{plan['id']}/source", headers=auth.reporter("青秀区人民政府"))
    ).status_code == 403


async def test_a_reporter_sees_its_own_tasks_and_the_headings_above_them(
    client: Client, auth: Any, import_plan: Any, small_plan: str, walk: Any, seed001: str
) -> None:
    small = await import_plan(small_plan)
    three_year = await import_plan(seed001)

    plans = (await client.get("/v1/plans", headers=auth.reporter("南宁职业技术学院"))).json()[
        "items"
    ]
    assert [p["id"] for p in plans] == [three_year["id"]]
    tree = (
        await client.get(
            f"/v1/plans/{three_year['id']}/tree", headers=auth.reporter("南宁职业技术学院")
        )
    ).json()
    assert tree["complete"] is False
    nodes = walk(tree)
    tasks = {ref for ref, n in nodes.items() if n["kind"] == "task"}
    # The college implements or organises these tasks of seed 001, and nothing else.
    assert tasks == {
        "四/（四）/1",
        "四/（四）/2",
        "四/（四）/3",
        "四/（四）/4",
        "四/（五）/1",
        "四/（五）/2",
        "四/（六）/1",
        "四/（六）/2",
        "四/（七）/1",
        "四/（七）/2",
        "四/（八）/3",
        "四/（九）/1",
        "四/（九）/2",
    }
    assert {n["ref"] for n in nodes.values() if n["kind"] == "heading"} == {
        "四",
        "四/（四）",
        "四/（五）",
        "四/（六）",
        "四/（七）",
        "四/（八）",
        "四/（九）",
    }
    assert all(
        a["org_name"] == "南宁职业技术学院" for n in nodes.values() for a in n["assignments"]
    )
    assert (
        await client.get(f"/v1/plans/{small['id']}/tree", headers=auth.reporter("南宁职业技术学院"))
    ).status_code == 404
    owner = (await client.get("/v1/plans", headers=auth.city)).json()["items"]
    assert {p["id"] for p in owner} == {small["id"], three_year["id"]}
