"""Staff accounts and role grants with org scope; district A never manages district B."""

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import AuditLog, UserAccount
from shared.testing.tokens import TestIssuer

from .conftest import PASSWORD, Nanning, bearer, create_user, sign_in


def new_user(username: str, *grants: dict[str, str]) -> dict[str, object]:
    return {
        "username": username,
        "display_name": "新同事",
        "password": "a-long-enough-password",
        "grants": list(grants),
    }


def grant(role: str, level: str, code: str) -> dict[str, str]:
    return {"role": role, "level": level, "code": code}


async def test_city_admin_creates_an_account_that_signs_in_with_its_roles(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    finance = await nanning.by_name("南宁市财政局")
    response = await directory.post(
        "/v1/users",
        json=new_user(
            "Zhang.Wei",
            grant("school_staff", "school", "4501030001"),
            grant("unit_reporter", "org", str(finance.id)),
            grant("inspector", "district", "450105"),
        ),
        headers=issuer.city_admin(),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "zhang.wei"
    assert sorted(g["grant"] for g in body["grants"]) == [
        "inspector@district:450105",
        "school_staff@school:4501030001",
        f"unit_reporter@org:{finance.id}",
    ]
    stored = await session.get(UserAccount, __import__("uuid").UUID(body["id"]))
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    tokens = await sign_in(directory, "zhang.wei", "a-long-enough-password")
    me = (await directory.get("/v1/me", headers=bearer(tokens.json()["access_token"]))).json()
    assert len(me["roles"]) == 3
    grants_audited = (
        await session.scalars(
            select(AuditLog).where(
                AuditLog.action == "grant.created", AuditLog.resource_id == body["id"]
            )
        )
    ).all()
    assert len(grants_audited) == 3


async def test_grant_rules_name_the_offending_field(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    cases = {
        "body.grants.0.level": grant("district_admin", "school", "4501030001"),
        "body.grants.0.code": grant("school_staff", "school", "4509999999"),
        "body.grants.0.role": grant("parent", "city", "450100"),
    }
    for field, value in cases.items():
        response = await directory.post(
            "/v1/users", json=new_user("someone", value), headers=issuer.city_admin()
        )
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field
    district_as_school = await directory.post(
        "/v1/users",
        json=new_user("someone", grant("school_staff", "school", "450103")),
        headers=issuer.city_admin(),
    )
    assert district_as_school.json()["errors"][0]["field"] == "body.grants.0.code"
    short_password = await directory.post(
        "/v1/users", json={**new_user("someone"), "password": "short"}, headers=issuer.city_admin()
    )
    assert short_password.json()["errors"][0]["field"] == "body.password"


async def test_usernames_are_unique(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    await create_user(session, username="taken.name")

    response = await directory.post(
        "/v1/users", json=new_user("Taken.Name"), headers=issuer.city_admin()
    )

    assert response.status_code == 409


async def test_district_admins_grant_only_inside_their_district(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    admin = issuer.district_admin("450103")

    inside = await directory.post(
        "/v1/users",
        json=new_user("qx.teacher", grant("school_staff", "school", "4501030002")),
        headers=admin,
    )
    other_district = await directory.post(
        "/v1/users",
        json=new_user("jn.teacher", grant("school_staff", "school", "4501050001")),
        headers=admin,
    )
    city_wide = await directory.post(
        "/v1/users", json=new_user("boss", grant("city_admin", "city", "450100")), headers=admin
    )
    no_grant = await directory.post("/v1/users", json=new_user("floating"), headers=admin)

    assert inside.status_code == 201
    assert other_district.status_code == 403
    assert city_wide.status_code == 403
    assert no_grant.status_code == 422


async def test_district_a_cannot_see_district_b_accounts(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    qingxiu = await create_user(session, "school_staff@school:4501030001")
    jiangnan = await create_user(session, "school_staff@school:4501050001")

    listed = await directory.get(
        "/v1/users", params={"limit": 200}, headers=issuer.district_admin("450103")
    )
    foreign = await directory.get(
        f"/v1/users/{jiangnan.id}", headers=issuer.district_admin("450103")
    )
    city = await directory.get("/v1/users", params={"limit": 200}, headers=issuer.city_admin())

    ids = {item["id"] for item in listed.json()["items"]}
    assert str(qingxiu.id) in ids
    assert str(jiangnan.id) not in ids
    assert foreign.status_code == 404
    assert {str(qingxiu.id), str(jiangnan.id)} <= {item["id"] for item in city.json()["items"]}


async def test_a_district_admin_cannot_take_over_a_wider_account(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    """A city admin who also teaches in 青秀区 is visible to 青秀区's admin, but not theirs to
    change: resetting that password would hand over the whole city."""
    boss = await create_user(
        session,
        "city_admin@city:450100",
        "school_staff@school:4501030001",
        district_of={"city_admin@city:450100": None},
    )
    admin = issuer.district_admin("450103")

    visible = await directory.get(f"/v1/users/{boss.id}", headers=admin)
    reset = await directory.patch(
        f"/v1/users/{boss.id}", json={"password": "attacker-chosen-pass"}, headers=admin
    )

    assert visible.status_code == 200
    assert reset.status_code == 403
    assert (await sign_in(directory, boss.username)).status_code == 200


async def test_grants_are_added_and_revoked_with_an_audit_trail(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    user = await create_user(session, "school_staff@school:4501030001")
    admin = issuer.district_admin("450103")

    added = await directory.post(
        f"/v1/users/{user.id}/grants", json=grant("inspector", "district", "450103"), headers=admin
    )
    duplicate = await directory.post(
        f"/v1/users/{user.id}/grants", json=grant("inspector", "district", "450103"), headers=admin
    )
    removed = await directory.delete(
        f"/v1/users/{user.id}/grants/{added.json()['id']}", headers=admin
    )

    assert added.status_code == 201
    assert added.json()["grant"] == "inspector@district:450103"
    assert duplicate.status_code == 409
    assert removed.status_code == 204
    actions = (
        await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.resource_id == str(user.id))
            .order_by(AuditLog.id)
        )
    ).all()
    assert actions == ["grant.created", "grant.revoked"]


async def test_deactivating_an_account_signs_it_out(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    user = await create_user(session, "school_staff@school:4501030001")
    tokens = (await sign_in(directory, user.username)).json()

    response = await directory.patch(
        f"/v1/users/{user.id}", json={"is_active": False}, headers=issuer.city_admin()
    )

    assert response.status_code == 200
    assert (
        await directory.get("/v1/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    assert (await sign_in(directory, user.username)).status_code == 400


async def test_an_admin_unlocks_a_locked_account(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    user = await create_user(session, "school_staff@school:4501030001")
    for _ in range(5):
        await sign_in(directory, user.username, "guess")
    assert (await sign_in(directory, user.username)).json()["code"] == "auth.account_locked"

    unlocked = await directory.post(
        f"/v1/users/{user.id}/unlock", headers=issuer.district_admin("450103")
    )

    assert unlocked.status_code == 200
    assert (await sign_in(directory, user.username, PASSWORD)).status_code == 200


async def test_people_without_admin_rights_cannot_manage_accounts(
    directory: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    for headers in (
        issuer.school_staff("4501030001"),
        issuer.inspector("450103"),
        issuer.parent("6a0e8f36-0000-7000-8000-000000000001"),
        issuer.service("plans"),
    ):
        assert (await directory.get("/v1/users", headers=headers)).status_code == 403
