"""The organisation tree: admin changes within scope, validity and successors, search, groups,
and the bulk look-up other services call (checked against the shared client's contract)."""

from datetime import date

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.app import create_app
from directory.config import Settings
from directory.models import AuditLog, Organization
from directory.organizations.names import normalize_name
from shared.clients.directory import DirectoryClient, LookupRequest
from shared.http import StaticToken
from shared.testing.tokens import TestIssuer

from .conftest import TEST_SETTINGS, Nanning


def school(parent_id: str, code: str, **overrides: object) -> dict[str, object]:
    return {
        "kind": "school",
        "code": code,
        "name": f"测试学校{code}",
        "parent_id": parent_id,
        "stages": ["primary"],
        "ownership": "public",
        **overrides,
    }


async def test_city_admin_creates_a_school_under_a_district_bureau(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    bureau = await nanning.by_code("450105")

    response = await directory.post(
        "/v1/organizations",
        json=school(str(bureau.id), "4501059901", aliases=["江南实验", "江南实验"]),
        headers=issuer.city_admin(),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["district_code"] == "450105"  # from the parent
    assert body["aliases"] == ["江南实验"]
    assert body["stages"] == ["primary"]
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "organization.created", AuditLog.resource_id == body["id"]
        )
    )
    assert audit is not None


async def test_district_admins_change_only_their_own_schools(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    qingxiu = await nanning.by_code("450103")
    jiangnan = await nanning.by_code("450105")
    admin = issuer.district_admin("450103")

    own = await directory.post(
        "/v1/organizations", json=school(str(qingxiu.id), "4501039901"), headers=admin
    )
    foreign = await directory.post(
        "/v1/organizations", json=school(str(jiangnan.id), "4501059902"), headers=admin
    )
    department = await directory.post(
        "/v1/organizations", json={"kind": "department", "name": "某局"}, headers=admin
    )
    jiangnan_school = await nanning.by_code("4501050001")
    patch_foreign = await directory.patch(
        f"/v1/organizations/{jiangnan_school.id}", json={"address": "x"}, headers=admin
    )
    move_away = await directory.patch(
        f"/v1/organizations/{own.json()['id']}", json={"parent_id": str(jiangnan.id)}, headers=admin
    )

    assert own.status_code == 201
    assert foreign.status_code == 403
    assert department.status_code == 403
    assert patch_foreign.status_code == 404  # not even visible for change
    assert move_away.status_code == 403


async def test_staff_without_admin_rights_cannot_change_organisations(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    unit = await nanning.by_code("4501030001")

    response = await directory.patch(
        f"/v1/organizations/{unit.id}",
        json={"address": "x"},
        headers=issuer.school_staff("4501030001"),
    )

    assert response.status_code == 403


async def test_the_rules_of_the_tree_name_their_fields(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    bureau = await nanning.by_code("450103")
    cases = {
        "body.code": school(str(bureau.id), "45010399"),
        "body.stages": school(str(bureau.id), "4501039903", stages=[]),
        "body.ownership": school(str(bureau.id), "4501039904", ownership=None),
        "body.valid_to": school(
            str(bureau.id), "4501039905", valid_from="2024-01-01", valid_to="2023-01-01"
        ),
        "body.parent_id": school("6b2c7e0a-0000-7000-8000-000000000000", "4501039906"),
    }
    for field, payload in cases.items():
        response = await directory.post(
            "/v1/organizations", json=payload, headers=issuer.city_admin()
        )
        assert response.status_code == 422, field
        assert field in [error["field"] for error in response.json()["errors"]], field
    orphan_school = {**school(str(bureau.id), "4501039907"), "parent_id": None}
    response = await directory.post(
        "/v1/organizations", json=orphan_school, headers=issuer.city_admin()
    )
    assert response.json()["errors"][0]["field"] == "body.parent_id"


async def test_a_current_code_belongs_to_one_unit(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    bureau = await nanning.by_code("450103")

    taken = await directory.post(
        "/v1/organizations", json=school(str(bureau.id), "4501030001"), headers=issuer.city_admin()
    )

    assert taken.status_code == 409
    assert taken.json()["code"] == "directory.organization.code_taken"


async def test_a_parent_cannot_become_its_own_descendant(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    city = await nanning.by_code("450100")
    bureau = await nanning.by_code("450103")

    response = await directory.patch(
        f"/v1/organizations/{city.id}",
        json={"parent_id": str(bureau.id)},
        headers=issuer.city_admin(),
    )

    assert response.status_code == 422


async def test_closing_keeps_history_and_drops_the_unit_from_current_lists(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    unit = await nanning.by_code("4501090001")

    closed = await directory.delete(
        f"/v1/organizations/{unit.id}",
        params={"effective": "2024-09-01"},
        headers=issuer.city_admin(),
    )

    assert closed.status_code == 200
    assert closed.json()["valid_to"] == "2024-09-01"
    current = await directory.get(
        "/v1/organizations", params={"district_code": "450109"}, headers=issuer.city_admin()
    )
    assert unit.name not in [item["name"] for item in current.json()["items"]]
    then = await directory.get(
        "/v1/organizations",
        params={"district_code": "450109", "valid_on": "2024-06-01"},
        headers=issuer.city_admin(),
    )
    assert unit.name in [item["name"] for item in then.json()["items"]]
    bureau = await nanning.by_code("450109")
    with_children = await directory.delete(
        f"/v1/organizations/{bureau.id}", headers=issuer.city_admin()
    )
    assert with_children.status_code == 409


async def test_hengxian_became_hengzhou_and_keeps_its_history(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    headers = issuer.city_admin()
    for as_of, expected in (("2018-05-01", "横县人民政府"), ("2024-05-01", "横州市人民政府")):
        response = await directory.post(
            "/v1/organizations/lookup",
            json={"names": ["横县人民政府", "各县区人民政府"], "as_of": as_of},
            headers=headers,
        )
        named, collective = response.json()["names"]
        assert [unit["name"] for unit in named["organizations"]] == [expected]
        members = [unit["name"] for unit in collective["organizations"]]
        assert len(members) == 12
        assert expected in members
    old_code = await directory.post(
        "/v1/organizations/lookup", json={"codes": ["450127"]}, headers=headers
    )
    assert old_code.json()["organizations"][0]["name"] == "横县教育局"
    assert old_code.json()["organizations"][0]["valid_to"] == "2021-02-03"


async def test_a_succession_moves_the_children_and_links_the_units(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    city = await nanning.by_code("450100")
    old = await nanning.by_code("450124")
    created = await directory.post(
        "/v1/organizations",
        json={
            "kind": "district_bureau",
            "code": "450199",
            "name": "马山市教育局",
            "parent_id": str(city.id),
        },
        headers=issuer.city_admin(),
    )
    successor = created.json()

    response = await directory.post(
        f"/v1/organizations/{old.id}/succession",
        json={"successor_id": successor["id"], "effective": "2025-01-01"},
        headers=issuer.city_admin(),
    )

    assert response.status_code == 200
    assert response.json()["valid_to"] == "2025-01-01"
    assert response.json()["successor_id"] == successor["id"]
    schools = await directory.get(
        "/v1/organizations", params={"parent_id": successor["id"]}, headers=issuer.city_admin()
    )
    assert {item["district_code"] for item in schools.json()["items"]} == {"450199"}
    assert len(schools.json()["items"]) == 2
    lookup = await directory.post(
        "/v1/organizations/lookup",
        json={"names": ["马山县教育局"], "as_of": "2025-06-01"},
        headers=issuer.city_admin(),
    )
    assert [u["name"] for u in lookup.json()["names"][0]["organizations"]] == ["马山市教育局"]
    cycle = await directory.post(
        f"/v1/organizations/{successor['id']}/succession",
        json={"successor_id": str(old.id), "effective": "2026-01-01"},
        headers=issuer.city_admin(),
    )
    assert cycle.status_code == 422


async def test_search_by_name_alias_and_code(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    headers = issuer.school_staff("4501030001")

    async def names(q: str) -> list[str]:
        response = await directory.get("/v1/organizations", params={"q": q}, headers=headers)
        assert response.status_code == 200
        return [item["name"] for item in response.json()["items"]]

    assert "南宁市青秀区滨湖路小学" in await names("滨湖路")
    assert await names("人社局") == ["南宁市人力资源和社会保障局"]
    assert await names("4501030001") == ["南宁市青秀区滨湖路小学"]
    assert "南宁市青秀区凤岭小学" in await names("450103")
    assert await names("100%_") == []


async def test_lists_filter_by_kind_stage_and_district(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    response = await directory.get(
        "/v1/organizations",
        params={"district_code": "450103", "stage": "junior", "limit": 200},
        headers=issuer.parent("6a0e8f36-0000-7000-8000-000000000001"),
    )

    assert response.status_code == 200
    names = {item["name"] for item in response.json()["items"]}
    assert names == {
        "南宁市青秀区天桃实验学校",
        "南宁市青秀区凤岭初级中学",
        "南宁市青秀区外国语学校",
    }


async def test_lookup_answers_the_names_plans_use(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    names = [
        "市教育局",
        "南宁市教育局",
        "财政局",
        "发展改革委",
        "人社局",
        "住房城乡建设局",
        "市自然资源局",
        "各县（市、区）人民政府",
        "开发区管委会",
        "各县、武鸣区人民政府",
        "五象新区管委会",
        "南宁职业技术学院",
        "市社区教育指导委员会成员单位",
    ]

    response = await directory.post(
        "/v1/organizations/lookup",
        json={"names": names, "as_of": "2024-03-01"},
        headers=issuer.service("plans"),
    )

    assert response.status_code == 200
    matches = {item["query"]: item for item in response.json()["names"]}
    assert list(matches) == names
    assert matches["市教育局"]["match"] == "alias"
    assert matches["南宁市教育局"]["match"] == "name"
    assert matches["财政局"]["organizations"][0]["name"] == "南宁市财政局"
    assert matches["人社局"]["organizations"][0]["name"] == "南宁市人力资源和社会保障局"
    assert matches["各县（市、区）人民政府"]["match"] == "collective"
    assert len(matches["各县（市、区）人民政府"]["organizations"]) == 12
    assert len(matches["开发区管委会"]["organizations"]) == 3
    assert {u["district_code"] for u in matches["各县、武鸣区人民政府"]["organizations"]} == {
        "450110",
        "450123",
        "450124",
        "450125",
        "450126",
        "450181",
    }
    assert matches["市社区教育指导委员会成员单位"] == {
        "query": "市社区教育指导委员会成员单位",
        "match": "none",
        "organizations": [],
    }


async def test_units_merged_in_2019_resolve_by_date(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    async def resolve(name: str, as_of: str) -> list[str]:
        response = await directory.post(
            "/v1/organizations/lookup",
            json={"names": [name], "as_of": as_of},
            headers=issuer.service("plans"),
        )
        return [unit["name"] for unit in response.json()["names"][0]["organizations"]]

    assert await resolve("国土资源局", "2018-03-21") == ["南宁市国土资源局"]
    assert await resolve("国土资源局", "2022-01-01") == ["南宁市自然资源局"]
    assert await resolve("城乡建委", "2018-03-21") == ["南宁市城乡建设委员会"]
    assert await resolve("城乡建委", "2020-01-01") == ["南宁市住房和城乡建设局"]


async def test_lookup_by_ids_and_codes_reports_what_is_missing(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    unit = await nanning.by_code("4501030001")
    unknown = "0190c000-0000-7000-8000-000000000000"

    response = await directory.post(
        "/v1/organizations/lookup",
        json={"ids": [str(unit.id), unknown], "codes": ["450103", "999999"]},
        headers=issuer.service("enrolment"),
    )

    body = response.json()
    assert [item["code"] for item in body["organizations"]] == ["4501030001", "450103"]
    assert body["missing_ids"] == [unknown]
    assert body["missing_codes"] == ["999999"]


async def test_lookup_refuses_oversized_requests(
    directory: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    response = await directory.post(
        "/v1/organizations/lookup",
        json={"codes": [str(i) for i in range(1001)]},
        headers=issuer.service("plans"),
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.codes"


async def test_the_shared_directory_client_reads_lookup_and_get_over_http(
    serve_app, nanning: Nanning, database_url: str, redis_url: str, issuer: TestIssuer, session
) -> None:
    """The contract in `shared.clients.directory`, exercised over real HTTP."""
    from shared.testing.fixtures import joined_sessionmaker

    app = create_app(
        Settings(database_url=database_url, redis_url=redis_url, env="testing", **TEST_SETTINGS),
        key_set=issuer.key_set(),
    )
    async with app.router.lifespan_context(app):
        app.state.sessionmaker = joined_sessionmaker(await session.connection())
        base_url = await serve_app(app)
        token = issuer.token("service", kind="service", subject="service:supervision")
        async with httpx.AsyncClient() as http:
            client = DirectoryClient(
                peer="directory", base_url=base_url, http=http, token_source=StaticToken(token)
            )
            result = await client.lookup(
                LookupRequest(
                    codes=["4501030001"], names=["各县区人民政府"], as_of=date(2024, 1, 1)
                )
            )
            unit = await client.get_organization(result.organizations[0].id)
    assert unit.code == "4501030001"
    assert unit.district_code == "450103"
    assert unit.stages == ["primary"]
    assert unit.ownership == "public"
    assert result.names[0].match == "collective"
    assert len(result.names[0].organizations) == 12


async def test_groups_are_managed_by_city_admins(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    one = await nanning.by_code("450103")
    two = await nanning.by_code("450105")
    created = await directory.post(
        "/v1/organization-groups",
        json={
            "code": "south-bureaus",
            "name": "江南片区教育局",
            "names": ["江南片各教育局"],
            "member_ids": [str(one.id), str(two.id)],
        },
        headers=issuer.city_admin(),
    )
    assert created.status_code == 201
    refused = await directory.post(
        "/v1/organization-groups",
        json={"code": "x-group", "name": "x"},
        headers=issuer.district_admin("450103"),
    )
    assert refused.status_code == 403

    lookup = await directory.post(
        "/v1/organizations/lookup",
        json={"names": ["江南片各教育局"]},
        headers=issuer.city_admin(),
    )
    assert {u["code"] for u in lookup.json()["names"][0]["organizations"]} == {"450103", "450105"}

    updated = await directory.patch(
        f"/v1/organization-groups/{created.json()['id']}",
        json={"member_ids": [str(one.id)]},
        headers=issuer.city_admin(),
    )
    assert updated.json()["member_ids"] == [str(one.id)]


async def test_organisations_are_readable_by_any_signed_in_role_but_not_anonymously(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    unit = await nanning.by_code("4501030001")
    for headers in (
        issuer.parent("6a0e8f36-0000-7000-8000-000000000001"),
        issuer.inspector("450103"),
        issuer.unit_reporter(str(unit.id)),
        issuer.service("plans"),
    ):
        assert (
            await directory.get(f"/v1/organizations/{unit.id}", headers=headers)
        ).status_code == 200
    assert (await directory.get(f"/v1/organizations/{unit.id}")).status_code == 401


@given(st.text(max_size=40))
def test_normalized_names_are_stable(name: str) -> None:
    once = normalize_name(name)

    assert normalize_name(once) == once
    assert not any(ch.isspace() for ch in once)


@given(
    st.sampled_from(["各县（市、区）人民政府", "市教育局", "南宁市第三中学"]),
    st.text(" \u3000\t", max_size=3),
)
def test_spacing_and_full_width_brackets_do_not_change_a_name(name: str, space: str) -> None:
    spaced = space.join(name) + "。"
    half_width = name.replace("（", "(").replace("）", ")")

    assert normalize_name(spaced) == normalize_name(name) == normalize_name(half_width)


async def test_seed_is_idempotent(session: AsyncSession) -> None:
    from directory.seed.loader import load_demo_organizations

    first = await load_demo_organizations(session)
    await session.flush()
    second = await load_demo_organizations(session)

    assert first == second
    codes = (
        await session.scalars(select(Organization.code).where(Organization.code.is_not(None)))
    ).all()
    assert len(codes) == len(set(codes))


async def test_text_postgres_cannot_store_is_a_4xx_not_a_500(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    """Found by schemathesis: a NUL character used to reach the database as a 500."""
    bureau = await nanning.by_code("450103")
    headers = issuer.city_admin()

    created = await directory.post(
        "/v1/organizations",
        json=school(str(bureau.id), "4501039950", aliases=["坏\x00名字"]),
        headers=headers,
    )
    searched = await directory.get("/v1/organizations", params={"q": "a\x00b"}, headers=headers)
    looked_up = await directory.post(
        "/v1/organizations/lookup",
        json={"names": ["市教育局\x00"], "codes": ["4501\x00"]},
        headers=headers,
    )
    grouped = await directory.post(
        "/v1/organization-groups",
        json={"code": "nul-group", "name": "组", "names": ["\x00"]},
        headers=headers,
    )

    assert created.status_code == 422
    assert created.json()["errors"][0]["field"] == "body.aliases.0"
    assert searched.status_code == 422
    assert looked_up.status_code == 200
    assert looked_up.json()["names"][0]["match"] == "none"
    assert looked_up.json()["missing_codes"] == ["4501\x00"]
    assert grouped.status_code == 422
