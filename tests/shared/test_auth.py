"""Tokens from the directory are verified offline; bad tokens are 401, missing rights 403."""

import time

import httpx
import jwt
import pytest
from redis.asyncio import Redis

from directory.app import create_app as create_directory_app
from directory.config import Settings as DirectorySettings
from plans.app import create_app as create_plans_app
from plans.config import Settings as PlansSettings
from shared.auth import REVOKED_SESSION_KEY, Grant, RemoteKeySet, Role, ScopeLevel
from shared.errors import Unauthenticated
from shared.testing.tokens import TestIssuer


@pytest.fixture
async def plans(make_client) -> httpx.AsyncClient:
    return await make_client(create_plans_app, PlansSettings)


def assert_unauthenticated(response: httpx.Response, detail: str | None = None) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "auth.unauthenticated"
    if detail is not None:
        assert response.json()["detail"] == detail


async def test_valid_token_is_accepted(plans: httpx.AsyncClient, issuer: TestIssuer) -> None:
    response = await plans.get("/v1/plans", headers=issuer.district_admin("450103"))

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_missing_token(plans: httpx.AsyncClient) -> None:
    assert_unauthenticated(await plans.get("/v1/plans"))


async def test_expired_token(plans: httpx.AsyncClient, issuer: TestIssuer) -> None:
    headers = issuer.city_admin(issued_at=time.time() - 3600, expires_in=900)

    assert_unauthenticated(await plans.get("/v1/plans", headers=headers), "令牌已过期")


async def test_tampered_token(plans: httpx.AsyncClient, issuer: TestIssuer) -> None:
    token = issuer.token(Grant(Role.parent), kind="parent")
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["roles"] = ["city_admin@city:450100"]
    forged_payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()

    response = await plans.get(
        "/v1/plans", headers={"Authorization": f"Bearer {header}.{forged_payload}.{signature}"}
    )

    assert_unauthenticated(response, "令牌无效")


async def test_token_signed_by_another_key(plans: httpx.AsyncClient, issuer: TestIssuer) -> None:
    impostor = TestIssuer(key_id=issuer.key_id)

    assert_unauthenticated(await plans.get("/v1/plans", headers=impostor.city_admin()), "令牌无效")


async def test_token_with_unknown_key_id(plans: httpx.AsyncClient) -> None:
    stranger = TestIssuer()

    response = await plans.get("/v1/plans", headers=stranger.city_admin())

    assert_unauthenticated(response, "令牌的签名密钥未知")


async def test_token_from_another_issuer(plans: httpx.AsyncClient, issuer: TestIssuer) -> None:
    headers = issuer.city_admin(extra={"iss": "somebody-else"})

    assert_unauthenticated(await plans.get("/v1/plans", headers=headers))


async def test_garbage_token(plans: httpx.AsyncClient) -> None:
    response = await plans.get("/v1/plans", headers={"Authorization": "Bearer not.a.jwt"})

    assert_unauthenticated(response)


async def test_revoked_session(
    plans: httpx.AsyncClient, issuer: TestIssuer, redis_url: str
) -> None:
    headers = issuer.city_admin(session_id="signed-out-session")
    redis: Redis = Redis.from_url(redis_url)
    await redis.set(REVOKED_SESSION_KEY.format(session_id="signed-out-session"), 1, ex=60)
    await redis.aclose()

    assert_unauthenticated(await plans.get("/v1/plans", headers=headers), "登录已注销")


async def test_role_without_rights_is_forbidden(
    plans: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    response = await plans.get(
        "/v1/plans", headers=issuer.parent("6a0e8f36-0000-7000-8000-000000000001")
    )

    assert response.status_code == 403
    assert response.json()["code"] == "auth.forbidden"


async def test_agency_client_without_a_role_is_forbidden(
    plans: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    headers = issuer.agency_client("property-registry", scopes=["enrolment:stats:read"])

    assert (await plans.get("/v1/plans", headers=headers)).status_code == 403


async def test_revocation_check_fails_open_when_redis_is_down(
    make_client, issuer: TestIssuer
) -> None:
    # Redis being down must not sign everybody out: the token still expires within minutes.
    client = await make_client(create_plans_app, PlansSettings, redis_url="redis://127.0.0.1:1/0")

    response = await client.get("/v1/plans", headers=issuer.city_admin())

    assert response.status_code == 200


async def test_remote_key_set_refreshes_on_unknown_key_id(serve_app) -> None:
    from fastapi import FastAPI

    first, second = TestIssuer(), TestIssuer()
    published = {"keys": first.jwks()["keys"]}
    fetches = 0
    jwks_app = FastAPI()

    @jwks_app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, object]:
        nonlocal fetches
        fetches += 1
        return published

    base_url = await serve_app(jwks_app)
    async with httpx.AsyncClient() as http:
        keys = RemoteKeySet(f"{base_url}/.well-known/jwks.json", client=http, refresh_min_seconds=0)
        assert (await keys.get_key(first.key_id)).key_id == first.key_id
        assert (await keys.get_key(first.key_id)).key_id == first.key_id
        assert fetches == 1  # cached

        published["keys"] = [*first.jwks()["keys"], *second.jwks()["keys"]]  # key rotation
        assert (await keys.get_key(second.key_id)).key_id == second.key_id
        assert fetches == 2


async def test_unknown_key_ids_do_not_hammer_the_directory(serve_app, issuer: TestIssuer) -> None:
    from fastapi import FastAPI

    fetches = 0
    jwks_app = FastAPI()

    @jwks_app.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, object]:
        nonlocal fetches
        fetches += 1
        return issuer.jwks()

    base_url = await serve_app(jwks_app)
    async with httpx.AsyncClient() as http:
        keys = RemoteKeySet(
            f"{base_url}/.well-known/jwks.json", client=http, refresh_min_seconds=60
        )
        for _ in range(20):
            with pytest.raises(Unauthenticated):
                await keys.get_key("made-up")
        assert fetches == 1


def test_grants_parse_and_scope_queries() -> None:
    from shared.auth import Principal

    principal = Principal(
        subject="user:1",
        kind="staff",
        grants=(
            Grant.parse("district_admin@district:450103"),
            Grant.parse("school_staff@school:4501050001"),
            Grant(Role.inspector, ScopeLevel.district, "450107"),
        ),
    )

    reviewer_scope = principal.org_filter(Role.district_admin, Role.school_staff)
    assert not reviewer_scope.city_wide
    assert reviewer_scope.districts == {"450103"}
    assert reviewer_scope.schools == {"4501050001"}
    assert reviewer_scope.allows_school("4501030002", "450103")
    assert reviewer_scope.allows_school("4501050001", "450105")
    assert not reviewer_scope.allows_school("4501050002", "450105")
    assert principal.org_filter(Role.city_admin).is_empty
    with pytest.raises(ValueError):
        Grant.parse("emperor@city:450100")
    with pytest.raises(ValueError):
        Grant.parse("district_admin@district:")


async def test_directory_accepts_its_own_tokens(make_client, issuer: TestIssuer) -> None:
    client = await make_client(create_directory_app, DirectorySettings)

    response = await client.get("/v1/organizations", headers=issuer.school_staff("4501030001"))

    assert response.status_code == 200


async def test_a_cached_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.auth import TokenVerifier

    issuer = TestIssuer()
    verifier = TokenVerifier(issuer.key_set(), issuer=issuer.issuer, leeway_seconds=0)
    token = issuer.token(Grant(Role.parent), kind="parent", expires_in=60)

    first = await verifier.verify(token)
    assert await verifier.verify(token) is first  # served from the cache

    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthenticated):
        await verifier.verify(token)


async def test_a_cached_token_is_still_checked_for_revocation(redis_url: str) -> None:
    from shared.auth import RevocationList, TokenVerifier

    issuer = TestIssuer()
    redis: Redis = Redis.from_url(redis_url)
    verifier = TokenVerifier(
        issuer.key_set(), issuer=issuer.issuer, revocations=RevocationList(redis)
    )
    token = issuer.token(Grant(Role.parent), kind="parent", session_id="cached-then-revoked")
    await verifier.verify(token)

    await redis.set(REVOKED_SESSION_KEY.format(session_id="cached-then-revoked"), 1, ex=60)
    try:
        with pytest.raises(Unauthenticated):
            await verifier.verify(token)
    finally:
        await redis.aclose()
