"""The accountability register with the forms of 《教育督导问责办法》 for units and individuals,
their basis documents, and who may hold whom to account."""

from typing import Any

import httpx

from .conftest import PDF, Who, fields, problem, upload

BASIS = [{"title": "督导意见书", "number": "青教督〔2025〕12号", "issued_on": "2025-11-20"}]


def entry(**overrides: Any) -> dict[str, Any]:
    return {
        "district_code": "450103",
        "subject_type": "unit",
        "subject_org_code": "4501030001",
        "subject_name": "南宁市青秀区滨湖路小学",
        "situation": "irregular_school_running",
        "form": "interview",
        "basis": "《教育督导问责办法》第六条；违规收取服务性费用",
        "basis_documents": BASIS,
        **overrides,
    }


async def propose(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> httpx.Response:
    return await client.post("/v1/accountability/actions", json=entry(**overrides), headers=headers)


async def test_the_forms_catalogue(client: httpx.AsyncClient, who: Who) -> None:
    forms = (await client.get("/v1/accountability/forms", headers=who.district("450103"))).json()

    assert [f["name"] for f in forms["unit_forms"]] == [
        "公开批评",
        "约谈",
        "督导通报",
        "资源调整",
        "行政处罚",
    ]
    assert [f["name"] for f in forms["individual_forms"]] == [
        "责令检查",
        "约谈",
        "通报批评",
        "组织处理",
        "处分",
        "移交监察机关或司法机关",
    ]
    assert [f["name"] for f in forms["private_individual_forms"]] == [
        "依法罚没违法所得",
        "从业禁止",
        "纳入诚信记录",
    ]
    assert len(forms["situations"]) == 6


async def test_forms_must_fit_the_subject(client: httpx.AsyncClient, who: Who) -> None:
    district = who.district("450103")
    unit_punished_as_person = await propose(client, district, form="disciplinary_sanction")
    assert "body.form" in fields(unit_punished_as_person)
    person_with_unit_form = await propose(
        client, district, subject_type="individual", subject_name="王某", form="resource_adjustment"
    )
    assert "body.form" in fields(person_with_unit_form)
    public_ban = await propose(
        client, district, subject_type="individual", subject_name="王某", form="practice_ban"
    )
    assert "body.form" in fields(public_ban)
    private_ban = await propose(
        client,
        district,
        subject_type="individual",
        subject_name="某培训机构负责人",
        subject_position="法定代表人",
        private_institution=True,
        form="practice_ban",
    )
    assert private_ban.status_code == 201, private_ban.text
    bad_situation = await propose(client, district, situation="mood")
    assert "body.situation" in fields(bad_situation)
    no_basis = await propose(client, district, basis_documents=[])
    assert "body.basis_documents" in fields(no_basis)


async def test_lifecycle_and_scope(client: httpx.AsyncClient, who: Who) -> None:
    district = who.district("450103")
    created = await propose(client, district)
    assert created.status_code == 201
    action = created.json()
    assert action["status"] == "proposed"
    assert action["basis_documents"][0]["number"] == "青教督〔2025〕12号"

    problem(
        await client.post(
            f"/v1/accountability/actions/{action['id']}/execute", json={}, headers=district
        ),
        409,
    )
    decided = await client.post(
        f"/v1/accountability/actions/{action['id']}/decide",
        json={"on": "2025-12-01"},
        headers=district,
    )
    assert (decided.json()["status"], decided.json()["decided_on"]) == ("decided", "2025-12-01")
    executed = await client.post(
        f"/v1/accountability/actions/{action['id']}/execute", json={}, headers=district
    )
    assert executed.json()["status"] == "executed"
    problem(
        await client.post(
            f"/v1/accountability/actions/{action['id']}/revoke",
            json={"reason": "x"},
            headers=district,
        ),
        409,
    )

    problem(
        await client.get(
            f"/v1/accountability/actions/{action['id']}", headers=who.district("450105")
        ),
        404,
    )
    problem(await client.get("/v1/accountability/actions", headers=who.school("4501030001")), 403)
    problem(await propose(client, who.district("450105")), 403)
    assert (await client.get("/v1/accountability/actions", headers=who.district("450105"))).json()[
        "items"
    ] == []
    assert (
        len((await client.get("/v1/accountability/actions", headers=who.city())).json()["items"])
        == 1
    )


async def test_a_county_itself_is_held_to_account_by_the_city(
    client: httpx.AsyncClient, who: Who
) -> None:
    county_subject = {
        "subject_org_code": "450103",
        "subject_name": "青秀区人民政府",
        "situation": "duties_not_performed",
        "form": "supervision_notice",
    }

    problem(await propose(client, who.district("450103"), **county_subject), 403)
    created = await propose(client, who.city(), **county_subject)
    assert created.status_code == 201
    problem(
        await client.post(
            f"/v1/accountability/actions/{created.json()['id']}/decide",
            json={},
            headers=who.district("450103"),
        ),
        403,
    )


async def test_linked_to_a_finding(client: httpx.AsyncClient, who: Who) -> None:
    finding = await client.post(
        "/v1/findings",
        json={"school_code": "4501030001", "title": "乱收费", "description": "收取补课费"},
        headers=who.district("450103"),
    )

    created = await client.post(
        "/v1/accountability/actions",
        json={**entry(), "district_code": None, "finding_id": finding.json()["id"]},
        headers=who.district("450103"),
    )

    assert created.status_code == 201, created.text
    assert created.json()["district_code"] == "450103"
    listed = await client.get(
        f"/v1/accountability/actions?finding_id={finding.json()['id']}", headers=who.city()
    )
    assert [a["id"] for a in listed.json()["items"]] == [created.json()["id"]]
    nothing = await client.post(
        "/v1/accountability/actions", json={**entry(), "district_code": None}, headers=who.city()
    )
    assert "body.district_code" in fields(nothing)


async def test_basis_documents_may_carry_their_scans(client: httpx.AsyncClient, who: Who) -> None:
    district = who.district("450103")
    scan = await upload(client, district, PDF, "意见书.pdf")
    stranger = await upload(client, who.city(), PDF, "other.pdf")

    created = await propose(
        client, district, basis_documents=[{**BASIS[0], "attachment_id": scan["id"]}]
    )
    refused = await propose(
        client, district, basis_documents=[{**BASIS[0], "attachment_id": stranger["id"]}]
    )

    assert created.status_code == 201, created.text
    assert created.json()["basis_documents"][0]["attachment_id"] == scan["id"]
    assert problem(refused, 422)["errors"][0]["type"] == "unknown_attachment"
