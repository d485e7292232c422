"""POST /v1/plans/imports → an editable preview → confirm → a plan (acceptance on seeds 001/002)."""

import io
from typing import Any

import docx
import httpx

from plans.models import ResolutionStatus

Client = httpx.AsyncClient


def roles(node: dict[str, Any], role: str) -> list[str]:
    return [u["name"] for u in node["units"] if u["role"] == role]


async def test_seed_001_yields_its_task_tree_units_and_yearly_targets(
    client: Client, auth: Any, import_plan: Any, seed001: str, walk: Any
) -> None:
    plan = await import_plan(seed001)

    assert plan["doc_number"] == "南府办函〔2018〕402号"
    assert (plan["period_start"], plan["period_end"], plan["kind"]) == (2018, 2020, "three_year")
    assert plan["status"] == "active"
    tree = (await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json()
    nodes = walk(tree)
    # 四、主要任务 → nine 工程 → their numbered tasks.
    works = [n for n in nodes.values() if n["parent_id"] == nodes["四"]["id"]]
    assert [w["ref"] for w in works] == [f"四/（{n}）" for n in "一二三四五六七八九"]
    assert all(w["kind"] == "heading" for w in works)
    first = nodes["四/（一）/1"]
    assert first["kind"] == "task"
    assert first["title"] == "扩大公办学前教育资源"
    assert roles(first, "organizing")[:3] == ["市教育局", "财政局", "发展改革委"]
    assert roles(first, "implementing") == [
        "市教育局",
        "各县区人民政府",
        "开发区管委会",
        "五象新区管委会",
    ]
    tasks = [n for n in nodes.values() if n["kind"] == "task"]
    assert len(tasks) == 29  # 3+4+3+4+2+2+4+3+4 under the nine 工程
    assert all(roles(t, "organizing") for t in tasks)
    # No deadline in the text: due on the plan's last day, and said so.
    assert first["deadline"]["due"] == "2020-12-31"
    assert first["deadline"]["source"] == "plan_period"

    # Units resolved to directory organisations, collective phrases expanded.
    by_org = {a["org_name"]: a for a in first["assignments"]}
    assert by_org["南宁市教育局"]["roles"] == ["organizing", "implementing"]
    assert by_org["南宁市教育局"]["role"] == "organizing"
    assert by_org["南宁市财政局"]["role"] == "organizing"  # "财政局" after "市教育局、"
    assert {"青秀区人民政府", "横州市人民政府", "南宁高新区管委会"} <= set(by_org)
    assert by_org["青秀区人民政府"]["role"] == "implementing"
    unresolved = [u for u in first["units"] if u["status"] != "resolved"]
    assert {(u["name"], u["role"], u["status"]) for u in unresolved} == {
        ("五象新区管委会", "organizing", "unmatched"),
        ("五象新区管委会", "implementing", "unmatched"),
    }

    # Targets: three indicators, 2018/2019/2020 each; the stricter 2020 figure kept.
    indicators = (await client.get("/v1/indicators", headers=auth.city)).json()
    by_name = {i["name"]: i for i in indicators}
    expected = {
        "学前三年毛入园率": {2018: 96.0, 2019: 96.5, 2020: 97.0},
        "九年义务教育巩固率": {2018: 96.0, 2019: 96.0, 2020: 96.0},
        "高中阶段毛入学率": {2018: 95.5, 2019: 95.6, 2020: 95.8},
    }
    for name, years in expected.items():
        targets = (
            await client.get(
                f"/v1/indicators/{by_name[name]['id']}/targets",
                params={"plan_id": plan["id"]},
                headers=auth.city,
            )
        ).json()
        assert {t["year"]: t["value"] for t in targets} == years, name
        assert {(t["comparator"], t["scope_code"]) for t in targets} == {(">=", "450100")}
    assert by_name["学前三年毛入园率"]["may_exceed_100"] is True
    assert by_name["学前三年毛入园率"]["unit"] == "%"


async def test_seed_002_yields_seven_parts_with_their_items(
    client: Client, auth: Any, import_plan: Any, seed002: str
) -> None:
    plan = await import_plan(seed002)

    assert plan["kind"] == "annual_points"
    assert plan["doc_number"] == "南教办〔2018〕23号"
    tree = (await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json()
    parts = tree["nodes"]
    assert [p["numbering"] for p in parts] == [
        "一、",
        "二、",
        "三、",
        "四、",
        "五、",
        "六、",
        "七、",
    ]
    assert [len(p["children"]) for p in parts] == [4, 8, 5, 5, 6, 4, 5]
    assert parts[1]["children"][6]["title"] == "强化教育督导"
    assert all(c["kind"] == "task" for p in parts for c in p["children"])
    # An annual plan's tasks are due at the end of its year.
    assert parts[0]["children"][0]["deadline"]["due"] == "2018-12-31"


async def test_preview_shows_resolution_and_warnings_before_anything_is_saved(
    client: Client, auth: Any, small_plan: str
) -> None:
    response = await client.post(
        "/v1/plans/imports", json={"text": small_plan, "filename": "a.txt"}, headers=auth.city
    )

    assert response.status_code == 201
    preview = response.json()
    assert preview["state"] == "preview"
    assert preview["plan_id"] is None
    assert preview["content"]["plan"]["title"] == "2019年重点工作督办方案"
    units = {u["name"]: u for u in preview["units"]}
    assert units["市教育局"]["status"] == "resolved"
    assert units["各县区人民政府"]["match"] == "collective"
    assert len(units["各县区人民政府"]["organizations"]) == 12
    assert units["五象新区管委会"]["status"] == "unmatched"
    assert preview["summary"]["unresolved_unit_names"] == 1
    task = next(n for n in preview["content"]["nodes"] if n["ref"] == "一/1")
    assert task["deadline"]["due"] == "2019-06-30"
    assert (await client.get("/v1/plans", headers=auth.city)).json()["items"] == []


async def test_a_person_edits_the_preview_then_confirms(
    client: Client, auth: Any, small_plan: str, walk: Any
) -> None:
    preview = (
        await client.post("/v1/plans/imports", json={"text": small_plan}, headers=auth.city)
    ).json()
    content = preview["content"]
    content["plan"]["title"] = "2019年重点工作"
    content["nodes"][1]["title"] = "扩大普惠性学前教育资源"
    content["nodes"][1]["units"].append({"name": "兴宁区人民政府", "role": "implementing"})
    content["targets"].append(
        {"indicator": "新建幼儿园数", "year": 2019, "comparator": ">=", "value": 5, "unit": "所"}
    )

    edited = await client.put(f"/v1/plans/imports/{preview['id']}", json=content, headers=auth.city)
    assert edited.status_code == 200, edited.text
    confirmed = await client.post(
        f"/v1/plans/imports/{preview['id']}/confirm",
        json={"kind": "special", "leader_name": "张副局长"},
        headers=auth.city,
    )
    assert confirmed.status_code == 201, confirmed.text
    plan = confirmed.json()
    assert (plan["title"], plan["kind"], plan["leader_name"]) == (
        "2019年重点工作",
        "special",
        "张副局长",
    )
    nodes = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())
    assert nodes["一/1"]["title"] == "扩大普惠性学前教育资源"
    assert {a["org_name"] for a in nodes["一/1"]["assignments"]} == {
        "南宁市教育局",
        "青秀区人民政府",
        "江南区人民政府",
        "兴宁区人民政府",
    }
    again = await client.post(
        f"/v1/plans/imports/{preview['id']}/confirm", json={}, headers=auth.city
    )
    assert again.status_code == 409
    assert again.json()["code"] == "plans.import.already_confirmed"
    stale_edit = await client.put(
        f"/v1/plans/imports/{preview['id']}", json=content, headers=auth.city
    )
    assert stale_edit.status_code == 409


async def test_edits_that_break_the_tree_are_refused_by_field(
    client: Client, auth: Any, small_plan: str
) -> None:
    preview = (
        await client.post("/v1/plans/imports", json={"text": small_plan}, headers=auth.city)
    ).json()
    content = preview["content"]
    content["nodes"][2]["ref"] = content["nodes"][1]["ref"]
    content["nodes"][3]["parent"] = "九"
    content["targets"] = [
        {"indicator": "x", "year": 2019, "comparator": ">=", "value": 1},
        {"indicator": "x", "year": 2019, "comparator": ">=", "value": 2},
    ]

    response = await client.put(
        f"/v1/plans/imports/{preview['id']}", json=content, headers=auth.city
    )

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"body.nodes.2.ref", "body.nodes.3.parent", "body.targets.1"} <= fields
    malformed = await client.put(
        f"/v1/plans/imports/{preview['id']}",
        json={"plan": {"title": ""}, "nodes": "x"},
        headers=auth.city,
    )
    assert malformed.status_code == 422
    assert any(e["field"] == "body.plan.title" for e in malformed.json()["errors"])


async def test_docx_upload_and_bad_uploads(client: Client, auth: Any) -> None:
    document = docx.Document()
    document.add_paragraph("南宁市教育局2020年工作要点")
    document.add_paragraph("一、学前教育")
    document.add_paragraph("1. 新建幼儿园。（责任单位：青秀区人民政府；完成时限：2020年8月底前）")
    buffer = io.BytesIO()
    document.save(buffer)

    uploaded = await client.post(
        "/v1/plans/imports",
        files={"file": ("要点.docx", buffer.getvalue(), "application/octet-stream")},
        headers=auth.city,
    )
    assert uploaded.status_code == 201, uploaded.text
    node = uploaded.json()["content"]["nodes"][1]
    assert node["deadline"]["due"] == "2020-08-31"
    assert node["units"] == [{"name": "青秀区人民政府", "role": "implementing"}]

    text_file = await client.post(
        "/v1/plans/imports",
        files={"file": ("a.txt", "一、总则\n1. 做事。".encode("gb18030"), "text/plain")},
        headers=auth.city,
    )
    assert text_file.status_code == 201
    pdf = await client.post(
        "/v1/plans/imports",
        files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
        headers=auth.city,
    )
    assert (pdf.status_code, pdf.json()["code"]) == (415, "plans.import.unsupported_format")
    broken = await client.post(
        "/v1/plans/imports",
        files={"file": ("a.docx", b"PK\x03\x04 not a zip", "application/octet-stream")},
        headers=auth.city,
    )
    assert (broken.status_code, broken.json()["code"]) == (422, "plans.import.unreadable")
    empty = await client.post("/v1/plans/imports", json={"text": "   "}, headers=auth.city)
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "body.text"
    wrong_type = await client.post(
        "/v1/plans/imports", content=b"text", headers={**auth.city, "content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    no_file = await client.post(
        "/v1/plans/imports", files={"other": ("a.txt", b"x", "text/plain")}, headers=auth.city
    )
    assert no_file.json()["errors"][0]["field"] == "body.file"
    huge = await client.post(
        "/v1/plans/imports",
        files={"file": ("a.txt", b"x" * (5 * 1024 * 1024 + 10), "text/plain")},
        headers=auth.city,
    )
    assert huge.status_code == 413
    bad_json = await client.post(
        "/v1/plans/imports",
        content=b'{"text": 5',
        headers={**auth.city, "content-type": "application/json"},
    )
    assert bad_json.status_code == 422


async def test_an_unreachable_directory_keeps_every_name_for_later(
    offline_client: Client,
    client: Client,
    auth: Any,
    import_plan: Any,
    small_plan: str,
    walk: Any,
) -> None:
    plan = await import_plan(small_plan, api=offline_client)

    names = (
        await offline_client.get(f"/v1/plans/{plan['id']}/unit-names", headers=auth.city)
    ).json()
    assert {n["name"] for n in names} == {
        "市教育局",
        "青秀区人民政府",
        "江南区人民政府",
        "市财政局",
        "各县区人民政府",
        "五象新区管委会",
    }
    assert {n["status"] for n in names} == {ResolutionStatus.pending.value}
    tree = walk(
        (await offline_client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json()
    )
    assert tree["一/1"]["assignments"] == []
    assert [u["name"] for u in tree["一/1"]["units"]] == [
        "市教育局",
        "青秀区人民政府",
        "江南区人民政府",
    ]

    # The directory is back (the same plan, seen by an app that can reach it).
    retried = await client.post(f"/v1/plans/{plan['id']}/unit-names/resolve", headers=auth.city)
    # Names, not organisations: six resolve (one of them to twelve governments), one is unknown.
    assert retried.json() == {"resolved": 6, "unmatched": 1, "pending": 0}
    tree = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())
    assert len(tree["二/1"]["assignments"]) == 12


async def test_a_failing_directory_degrades_the_same_way(
    client: Client, auth: Any, fake_directory: Any, small_plan: str
) -> None:
    fake_directory.down = True
    response = await client.post("/v1/plans/imports", json={"text": small_plan}, headers=auth.city)

    assert response.status_code == 201
    assert {u["status"] for u in response.json()["units"]} == {"pending"}


async def test_a_person_maps_an_unmatched_name_for_every_task(
    client: Client,
    auth: Any,
    import_plan: Any,
    fake_directory: Any,
    walk: Any,
    seed001: str,
) -> None:
    plan = await import_plan(seed001)
    unmatched = (
        await client.get(
            f"/v1/plans/{plan['id']}/unit-names", params={"status": "unmatched"}, headers=auth.city
        )
    ).json()
    assert {n["name"] for n in unmatched} == {"五象新区管委会", "市社区教育指导委员会成员单位"}
    assert all(n["needs_person"] for n in unmatched)
    wuxiang = [n for n in unmatched if n["name"] == "五象新区管委会"]

    zone = fake_directory.id("南宁经开区管委会")
    mapped = await client.post(
        f"/v1/plans/{plan['id']}/unit-names/mapping",
        json={"name": "五象新区管委会", "organization_ids": [str(zone)]},
        headers=auth.city,
    )

    assert mapped.status_code == 200, mapped.text
    assert len(mapped.json()) == len(wuxiang) > 3
    assert {n["status"] for n in mapped.json()} == {"mapped"}
    nodes = walk((await client.get(f"/v1/plans/{plan['id']}/tree", headers=auth.city)).json())
    for name in wuxiang:
        assignments = nodes[name["node_ref"]]["assignments"]
        assert any(a["org_id"] == str(zone) for a in assignments)
    unknown = await client.post(
        f"/v1/plans/{plan['id']}/unit-names/mapping",
        json={
            "name": "五象新区管委会",
            "organization_ids": ["00000000-0000-0000-0000-000000000001"],
        },
        headers=auth.city,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.organization_ids"
    no_such_name = await client.post(
        f"/v1/plans/{plan['id']}/unit-names/mapping",
        json={"name": "不存在的单位", "organization_ids": []},
        headers=auth.city,
    )
    assert no_such_name.status_code == 404
    reporter = await client.post(
        f"/v1/plans/{plan['id']}/unit-names/mapping",
        json={"name": "五象新区管委会", "organization_ids": []},
        headers=auth.reporter("青秀区人民政府"),
    )
    assert reporter.status_code == 403


async def test_import_with_an_idempotency_key_creates_one_preview(
    client: Client, auth: Any, small_plan: str
) -> None:
    headers = {**auth.city, "Idempotency-Key": "import-1"}
    first = await client.post("/v1/plans/imports", json={"text": small_plan}, headers=headers)
    second = await client.post("/v1/plans/imports", json={"text": small_plan}, headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"


async def test_only_plan_authors_import_and_only_their_own_previews(
    client: Client, auth: Any, small_plan: str
) -> None:
    assert (
        await client.post(
            "/v1/plans/imports", json={"text": small_plan}, headers=auth.reporter("青秀区人民政府")
        )
    ).status_code == 403
    assert (await client.post("/v1/plans/imports", json={"text": small_plan})).status_code == 401
    district = await client.post(
        "/v1/plans/imports", json={"text": small_plan}, headers=auth.district("450103")
    )
    assert district.status_code == 201
    preview_id = district.json()["id"]
    assert (
        await client.get(f"/v1/plans/imports/{preview_id}", headers=auth.district("450105"))
    ).status_code == 404
    assert (
        await client.get(f"/v1/plans/imports/{preview_id}", headers=auth.district("450103"))
    ).status_code == 200
    # A district's own plan is owned by the district.
    plan = (
        await client.post(
            f"/v1/plans/imports/{preview_id}/confirm", json={}, headers=auth.district("450103")
        )
    ).json()
    assert (plan["owner_org_code"], plan["owner_district_code"]) == ("450103", "450103")
    # Another district sees it only because 各县区人民政府 gives it tasks; it does not own it.
    assert (
        await client.get(f"/v1/plans/{plan['id']}", headers=auth.district("450191"))
    ).status_code == 404
    assert (
        await client.get(f"/v1/plans/{plan['id']}", headers=auth.district("450105"))
    ).status_code == 200
    assert (
        await client.patch(
            f"/v1/plans/{plan['id']}",
            json={"version": plan["version"], "title": "x"},
            headers=auth.district("450105"),
        )
    ).status_code == 403
