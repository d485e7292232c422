"""Staff sign-in, the token format, lockout, refresh rotation with reuse detection, sign-out."""

from datetime import UTC, datetime, timedelta

import httpx
import jwt
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import AuditLog, AuthSession, RefreshToken, RoleGrant, UserAccount
from shared.auth import AUDIENCE, REVOKED_SESSION_KEY

from .conftest import PASSWORD, bearer, create_user, sign_in


async def test_staff_sign_in_gives_a_short_lived_token_in_the_shared_format(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session, "district_admin@district:450103", "inspector@district:450105")

    response = await sign_in(directory, user.username)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA"
    jwks = (await directory.get("/.well-known/jwks.json")).json()
    assert header["kid"] in {key["kid"] for key in jwks["keys"]}
    claims = jwt.decode(
        body["access_token"],
        key=jwt.PyJWK.from_dict(next(k for k in jwks["keys"] if k["kid"] == header["kid"])).key,
        algorithms=["EdDSA"],
        audience=AUDIENCE,
    )
    assert claims["iss"] == "xuezai-directory"
    assert claims["sub"] == f"user:{user.id}"
    assert claims["kind"] == "staff"
    assert claims["typ"] == "access"
    assert claims["roles"] == ["district_admin@district:450103", "inspector@district:450105"]
    assert claims["sid"] == body["session_id"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["jti"]

    me = await directory.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["roles"] == claims["roles"]


async def test_sign_in_and_token_issuance_are_audited(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session, "school_staff@school:4501030001")

    await sign_in(directory, user.username, "wrong-password-1")
    await sign_in(directory, user.username)

    actions = (
        await session.scalars(
            select(AuditLog.action)
            .where(AuditLog.actor_subject == f"user:{user.id}")
            .order_by(AuditLog.id)
        )
    ).all()
    assert actions == ["auth.sign_in.failed", "auth.sign_in.succeeded", "auth.token.issued"]
    failure = await session.scalar(
        select(AuditLog).where(
            AuditLog.actor_subject == f"user:{user.id}", AuditLog.action == "auth.sign_in.failed"
        )
    )
    assert failure is not None
    assert str(failure.client_ip) == "127.0.0.1"
    assert PASSWORD not in str(failure.details)


async def test_wrong_password_and_unknown_user_look_the_same(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session)

    wrong = await sign_in(directory, user.username, "not-the-password")
    unknown = await sign_in(directory, "nobody-here", "not-the-password")

    for response in (wrong, unknown):
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "auth.invalid_grant"
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_five_failures_lock_the_account_even_for_the_right_password(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session)
    for _ in range(5):
        assert (await sign_in(directory, user.username, "guess")).status_code == 400

    locked = await sign_in(directory, user.username)

    assert locked.status_code == 400
    assert locked.json()["code"] == "auth.account_locked"
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    await session.refresh(user)
    assert user.locked_until is not None
    lock_events = (
        await session.scalars(
            select(AuditLog.action).where(
                AuditLog.actor_subject == f"user:{user.id}",
                AuditLog.action == "auth.account.locked",
            )
        )
    ).all()
    assert lock_events == ["auth.account.locked"]


async def test_the_lock_lifts_when_it_expires(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session)
    user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    await session.commit()

    assert (await sign_in(directory, user.username)).status_code == 200


async def test_a_success_resets_the_failure_count(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session)
    for _ in range(4):
        await sign_in(directory, user.username, "guess")
    assert (await sign_in(directory, user.username)).status_code == 200
    for _ in range(4):
        await sign_in(directory, user.username, "guess")

    assert (await sign_in(directory, user.username)).status_code == 200


async def test_a_deactivated_account_cannot_sign_in(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session, active=False)

    response = await sign_in(directory, user.username)

    assert response.status_code == 400
    assert response.json()["code"] == "auth.invalid_grant"


async def test_token_endpoint_names_missing_fields_and_unknown_grants(
    directory: httpx.AsyncClient,
) -> None:
    missing = await directory.post("/v1/auth/token", data={"grant_type": "password"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.username"

    unknown = await directory.post("/v1/auth/token", data={"grant_type": "implicit"})
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "auth.unsupported_grant_type"

    no_form = await directory.post("/v1/auth/token", json={"grant_type": "password"})
    assert no_form.status_code == 422
    assert no_form.json()["errors"][0]["field"] == "body.grant_type"


async def _refresh(directory: httpx.AsyncClient, token: str) -> httpx.Response:
    return await directory.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": token}
    )


async def test_refresh_rotates_the_refresh_token(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session, "school_staff@school:4501030001")
    first = (await sign_in(directory, user.username)).json()

    second = await _refresh(directory, first["refresh_token"])

    assert second.status_code == 200
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["session_id"] == first["session_id"]
    assert (await directory.get("/v1/me", headers=bearer(body["access_token"]))).status_code == 200
    assert (await _refresh(directory, body["refresh_token"])).status_code == 200
    stored = (await session.scalars(select(RefreshToken.token_hash))).all()
    assert first["refresh_token"] not in stored  # only hashes are kept


async def test_reusing_a_refresh_token_revokes_the_whole_family(
    directory: httpx.AsyncClient, session: AsyncSession, redis_url: str
) -> None:
    user = await create_user(session, "city_admin@city:450100")
    first = (await sign_in(directory, user.username)).json()
    second = (await _refresh(directory, first["refresh_token"])).json()

    replay = await _refresh(directory, first["refresh_token"])

    assert replay.status_code == 400
    assert replay.json()["code"] == "auth.invalid_grant"
    # The thief's copy and the rightful holder's newest token are both dead now …
    assert (await _refresh(directory, second["refresh_token"])).status_code == 400
    # … and so is every access token of the family, everywhere (Redis revocation key).
    me = await directory.get("/v1/me", headers=bearer(second["access_token"]))
    assert me.status_code == 401
    assert me.json()["detail"] == "登录已注销"
    redis: Redis = Redis.from_url(redis_url)
    try:
        key = REVOKED_SESSION_KEY.format(session_id=first["session_id"])
        assert await redis.exists(key)
        assert 0 < await redis.ttl(key) <= 900 + 60
    finally:
        await redis.aclose()
    family = await session.get(AuthSession, __import__("uuid").UUID(first["session_id"]))
    assert family is not None
    await session.refresh(family)
    assert family.revoked_reason == "refresh_reuse"
    reuse = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "auth.refresh.reuse_detected",
            AuditLog.resource_id == first["session_id"],
        )
    )
    assert reuse is not None


async def test_refresh_reads_the_grants_again(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session, "school_staff@school:4501030001", "inspector@district:450103")
    first = (await sign_in(directory, user.username)).json()
    grant = await session.scalar(
        select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.role == "inspector")
    )
    assert grant is not None
    await session.delete(grant)
    await session.commit()

    refreshed = (await _refresh(directory, first["refresh_token"])).json()

    claims = jwt.decode(refreshed["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["school_staff@school:4501030001"]


async def test_refresh_fails_for_a_deactivated_account(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session)
    first = (await sign_in(directory, user.username)).json()
    account = await session.get(UserAccount, user.id)
    assert account is not None
    account.is_active = False
    await session.commit()

    assert (await _refresh(directory, first["refresh_token"])).status_code == 400


async def test_unknown_and_expired_refresh_tokens_are_refused(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session)
    first = (await sign_in(directory, user.username)).json()
    for stored in (await session.scalars(select(RefreshToken))).all():
        stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await session.commit()

    assert (await _refresh(directory, first["refresh_token"])).status_code == 400
    assert (await _refresh(directory, "made-up-token")).status_code == 400


async def test_logout_revokes_the_session_everywhere(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session, "school_staff@school:4501030001")
    tokens = (await sign_in(directory, user.username)).json()

    out = await directory.post("/v1/auth/logout", headers=bearer(tokens["access_token"]))

    assert out.status_code == 204
    assert (
        await directory.get("/v1/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    assert (await _refresh(directory, tokens["refresh_token"])).status_code == 400


async def test_revoking_a_refresh_token_ends_its_session(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session)
    tokens = (await sign_in(directory, user.username)).json()

    revoked = await directory.post("/v1/auth/revoke", data={"token": tokens["refresh_token"]})
    unknown = await directory.post("/v1/auth/revoke", data={"token": "never-issued"})

    assert revoked.status_code == unknown.status_code == 200
    assert (await _refresh(directory, tokens["refresh_token"])).status_code == 400
    assert (
        await directory.get("/v1/me", headers=bearer(tokens["access_token"]))
    ).status_code == 401


async def test_changing_my_password_signs_out_my_other_sessions(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session, "school_staff@school:4501030001")
    phone = (await sign_in(directory, user.username)).json()
    laptop = (await sign_in(directory, user.username)).json()

    wrong = await directory.post(
        "/v1/me/password",
        json={"current_password": "nope", "new_password": "a-brand-new-password"},
        headers=bearer(laptop["access_token"]),
    )
    changed = await directory.post(
        "/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "a-brand-new-password"},
        headers=bearer(laptop["access_token"]),
    )

    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.current_password"
    assert changed.status_code == 204
    assert (await directory.get("/v1/me", headers=bearer(phone["access_token"]))).status_code == 401
    assert (
        await directory.get("/v1/me", headers=bearer(laptop["access_token"]))
    ).status_code == 200
    assert (await sign_in(directory, user.username, "a-brand-new-password")).status_code == 200


async def test_nul_characters_in_credentials_are_refused_cleanly(
    directory: httpx.AsyncClient,
) -> None:
    form = await directory.post(
        "/v1/auth/token", data={"grant_type": "password", "username": "a\x00b", "password": "x"}
    )
    basic = await directory.post(
        "/v1/auth/token", data={"grant_type": "client_credentials"}, auth=("a\x00b", "secret")
    )

    assert form.status_code == 422
    assert form.json()["errors"][0]["field"] == "body.username"
    assert basic.status_code == 401


async def test_many_failures_from_one_address_pause_that_address(
    make_directory, session: AsyncSession, redis_url: str
) -> None:
    """Guessing across many accounts (each guess costs an argon2 verification) is slowed per
    network address, on top of each account's own lockout."""
    from shared.ratelimit import RATE_LIMIT_KEY

    redis: Redis = Redis.from_url(redis_url)
    await redis.delete(RATE_LIMIT_KEY.format(name="sign-in-failures:127.0.0.1"))
    await redis.aclose()
    directory = await make_directory(failed_sign_ins_per_ip=3)
    user = await create_user(session)
    for name in ("alice", "bob", user.username):
        assert (await sign_in(directory, name, "guess")).status_code == 400

    paused = await sign_in(directory, user.username)
    client = await directory.post(
        "/v1/auth/token", data={"grant_type": "client_credentials"}, auth=("x-client", "secret")
    )

    assert paused.status_code == 429
    assert 0 < int(paused.headers["retry-after"]) <= 600
    assert client.status_code == 429
