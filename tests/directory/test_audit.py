"""City admins query the audit log; nobody else reads it."""

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from shared.testing.tokens import TestIssuer

from .conftest import create_user, sign_in


async def test_city_admins_find_failed_sign_ins_newest_first(
    directory: httpx.AsyncClient, session: AsyncSession, issuer: TestIssuer
) -> None:
    user = await create_user(session)
    await sign_in(directory, user.username, "first-guess")
    await sign_in(directory, user.username, "second-guess")
    await sign_in(directory, user.username)

    failures = await directory.get(
        "/v1/audit-events",
        params={"action": "auth.sign_in.failed", "actor_subject": f"user:{user.id}"},
        headers=issuer.city_admin(),
    )
    everything = await directory.get(
        "/v1/audit-events",
        params={"action": "auth.", "actor_subject": f"user:{user.id}", "limit": 2},
        headers=issuer.city_admin(),
    )

    assert failures.status_code == 200
    items = failures.json()["items"]
    assert [item["details"]["attempts"] for item in items] == [2, 1]
    assert items[0]["client_ip"] == "127.0.0.1"
    assert items[0]["resource_id"] == str(user.id)
    page = everything.json()
    assert [item["action"] for item in page["items"]] == [
        "auth.token.issued",
        "auth.sign_in.succeeded",
    ]
    assert page["next_cursor"]
    rest = await directory.get(
        "/v1/audit-events",
        params={
            "action": "auth.",
            "actor_subject": f"user:{user.id}",
            "cursor": page["next_cursor"],
        },
        headers=issuer.city_admin(),
    )
    assert [item["action"] for item in rest.json()["items"]] == [
        "auth.sign_in.failed",
        "auth.sign_in.failed",
    ]


async def test_nobody_else_reads_the_audit_log(
    directory: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    for headers in (
        issuer.district_admin("450103"),
        issuer.inspector("450103"),
        issuer.agency_client("x", scopes=["directory:organizations:read"]),
        issuer.service("supervision"),
    ):
        assert (await directory.get("/v1/audit-events", headers=headers)).status_code == 403
    assert (await directory.get("/v1/audit-events")).status_code == 401
