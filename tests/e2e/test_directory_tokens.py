"""Tokens from the running directory, checked by the running plans, supervision and enrolment
services over real HTTP (they fetch the directory's JWKS themselves)."""

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from directory.auth.service import SMS_CODE_GRANT
from directory.config import Settings as DirectorySettings
from directory.crypto import Crypto, SecretHasher
from directory.keys.service import SigningKeyService
from directory.models import (
    ApiClient,
    AuthSession,
    ClientKind,
    ParentAccount,
    RoleGrant,
    SmsCode,
    UserAccount,
)
from shared.auth import Grant, Role, ScopeLevel
from shared.db import create_sessionmaker
from shared.http import ClientCredentialsToken
from shared.ids import uuid7
from shared.ratelimit import RATE_LIMIT_KEY
from shared.testing.tokens import TestIssuer
from xuezai.runner import Platform

from .conftest import service_url

pytestmark = pytest.mark.live

PASSWORD = "live-platform-password"
SECRET = "live-platform-client-secret"
READ = "directory:organizations:read"
# One list endpoint per service that staff may read.
STAFF_ENDPOINTS = {
    "plans": "/v1/plans",
    "supervision": "/v1/assessments",
    "enrolment": "/v1/cycles",
}


@dataclass
class Live:
    platform: Platform
    engine: AsyncEngine
    http: httpx.AsyncClient
    settings: DirectorySettings = field(default_factory=DirectorySettings)
    users: list[uuid.UUID] = field(default_factory=list)
    clients: list[uuid.UUID] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)

    def url(self, service: str, path: str = "") -> str:
        return f"{service_url(self.platform, service)}{path}"

    async def create_user(self, *grants: Grant) -> str:
        hasher = SecretHasher(self.settings)
        username = f"live-{uuid.uuid4().hex[:8]}"
        user = UserAccount(
            id=uuid7(),
            username=username,
            display_name="联调用户",
            password_hash=hasher.hash_sync(PASSWORD),
            is_active=True,
            failed_attempts=0,
            grants=[
                RoleGrant(
                    id=uuid7(),
                    role=grant.role,
                    level=grant.level,
                    code=grant.code or "",
                    district_code=grant.code if grant.level == ScopeLevel.district else None,
                )
                for grant in grants
            ],
        )
        async with create_sessionmaker(self.engine)() as session, session.begin():
            session.add(user)
        self.users.append(user.id)
        return username

    async def create_client(self, *scopes: str, rate_limit: int | None = None) -> str:
        client = ApiClient(
            id=uuid7(),
            client_id=f"live-agency-{uuid.uuid4().hex[:8]}",
            name="联调机构",
            kind=ClientKind.agency,
            secret_hash=SecretHasher(self.settings).hash_sync(SECRET),
            scopes=sorted(scopes),
            rate_limit_per_minute=rate_limit,
            is_active=True,
            token_generation=1,
        )
        async with create_sessionmaker(self.engine)() as session, session.begin():
            session.add(client)
        self.clients.append(client.id)
        return client.client_id

    async def sign_in(self, username: str) -> dict[str, str]:
        response = await self.http.post(
            self.url("directory", "/v1/auth/token"),
            data={"grant_type": "password", "username": username, "password": PASSWORD},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def cleanup(self) -> None:
        crypto = Crypto.from_settings(self.settings)
        indexes = [crypto.phone_index(phone) for phone in self.phones]
        async with create_sessionmaker(self.engine)() as session, session.begin():
            await session.execute(delete(AuthSession).where(AuthSession.user_id.in_(self.users)))
            await session.execute(delete(UserAccount).where(UserAccount.id.in_(self.users)))
            await session.execute(delete(ApiClient).where(ApiClient.id.in_(self.clients)))
            await session.execute(delete(SmsCode).where(SmsCode.phone_index.in_(indexes)))
            parents = select(ParentAccount.id).where(ParentAccount.phone_index.in_(indexes))
            await session.execute(delete(AuthSession).where(AuthSession.parent_id.in_(parents)))
            await session.execute(
                delete(ParentAccount).where(ParentAccount.phone_index.in_(indexes))
            )


@pytest.fixture
async def live(live_platform: Platform, engine: AsyncEngine, redis_url: str) -> AsyncIterator[Live]:
    # Every request here comes from 127.0.0.1, like the in-process tests before: start this
    # address's SMS budget afresh.
    redis: Redis = Redis.from_url(redis_url)
    await redis.delete(RATE_LIMIT_KEY.format(name="sms-ip:127.0.0.1"))
    await redis.delete(RATE_LIMIT_KEY.format(name="sign-in-failures:127.0.0.1"))
    await redis.aclose()
    async with httpx.AsyncClient(timeout=10) as http:
        context = Live(live_platform, engine, http)
        try:
            yield context
        finally:
            await context.cleanup()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def assert_401_everywhere(live: Live, token: str, detail: str | None = None) -> None:
    for service, path in {"directory": "/v1/me", **STAFF_ENDPOINTS}.items():
        response = await live.http.get(live.url(service, path), headers=bearer(token))
        assert response.status_code == 401, (service, response.text)
        assert response.headers["content-type"] == "application/problem+json", service
        assert response.json()["code"] == "auth.unauthenticated", service
        if detail is not None:
            assert response.json()["detail"] == detail, service


async def test_a_directory_token_is_accepted_by_plans_supervision_and_enrolment(
    live: Live,
) -> None:
    username = await live.create_user(Grant(Role.district_admin, ScopeLevel.district, "450103"))
    token = (await live.sign_in(username))["access_token"]

    for service, path in STAFF_ENDPOINTS.items():
        response = await live.http.get(live.url(service, path), headers=bearer(token))
        assert response.status_code == 200, (service, response.text)
        assert response.json() == {"items": [], "next_cursor": None}


async def test_expired_tampered_and_wrongly_signed_tokens_are_401(live: Live) -> None:
    username = await live.create_user(Grant(Role.city_admin, ScopeLevel.city, "450100"))
    token = (await live.sign_in(username))["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]

    # Expired, yet signed with the directory's real key (read as the directory reads it).
    keys = SigningKeyService(live.settings, Crypto.from_settings(live.settings).signing_keys)
    async with create_sessionmaker(live.engine)() as session:
        active = await keys.active(session, datetime.now(UTC))
    past = int(time.time()) - 3600
    expired = jwt.encode(
        {**claims, "iat": past, "exp": past + 900},
        active.private_key,
        algorithm="EdDSA",
        headers={"kid": active.key_id},
    )
    await assert_401_everywhere(live, expired, "令牌已过期")

    # Tampered: the claims changed (another subject), the signature kept.
    header, payload, signature = token.split(".")
    forged = dict(claims, roles=["city_admin@city:450100"], sub="user:someone-else")
    forged_payload = jwt.utils.base64url_encode(json.dumps(forged).encode()).decode()
    await assert_401_everywhere(live, f"{header}.{forged_payload}.{signature}", "令牌无效")

    # Wrongly signed: another key claiming the directory's key id.
    impostor = TestIssuer(key_id=kid)
    await assert_401_everywhere(
        live, impostor.token(Grant(Role.city_admin, ScopeLevel.city, "450100")), "令牌无效"
    )


async def test_a_revoked_family_is_rejected_by_every_service(live: Live) -> None:
    username = await live.create_user(Grant(Role.city_admin, ScopeLevel.city, "450100"))
    first = await live.sign_in(username)
    refresh_url = live.url("directory", "/v1/auth/token")
    second = (
        await live.http.post(
            refresh_url,
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
    ).json()
    for service, path in STAFF_ENDPOINTS.items():
        ok = await live.http.get(live.url(service, path), headers=bearer(second["access_token"]))
        assert ok.status_code == 200, service

    replay = await live.http.post(
        refresh_url, data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )

    assert replay.status_code == 400
    await assert_401_everywhere(live, second["access_token"], "登录已注销")


async def test_a_valid_token_without_the_role_or_scope_is_403(live: Live) -> None:
    client_id = await live.create_client("enrolment:stats:read")
    response = await live.http.post(
        live.url("directory", "/v1/auth/token"),
        data={"grant_type": "client_credentials"},
        auth=(client_id, SECRET),
    )
    token = response.json()["access_token"]

    for service, path in STAFF_ENDPOINTS.items():
        refused = await live.http.get(live.url(service, path), headers=bearer(token))
        assert refused.status_code == 403, service
        assert refused.json()["code"] == "auth.forbidden"
    lookup = await live.http.post(
        live.url("directory", "/v1/organizations/lookup"), json={"codes": []}, headers=bearer(token)
    )
    assert lookup.status_code == 403


async def test_an_agency_client_calls_only_what_its_scopes_allow_within_its_limit(
    live: Live,
) -> None:
    client_id = await live.create_client(READ, rate_limit=5)
    token_response = await live.http.post(
        live.url("directory", "/v1/auth/token"),
        data={"grant_type": "client_credentials", "scope": READ},
        auth=(client_id, SECRET),
    )
    assert token_response.status_code == 200
    token = token_response.json()["access_token"]  # request 1 of 5

    allowed = await live.http.post(
        live.url("directory", "/v1/organizations/lookup"),
        json={"codes": ["450103"]},
        headers=bearer(token),
    )  # 2
    refused = await live.http.get(live.url("plans", "/v1/plans"), headers=bearer(token))  # 3
    also_refused = await live.http.get(
        live.url("enrolment", "/v1/cycles"), headers=bearer(token)
    )  # 4
    fifth = await live.http.get(live.url("directory", "/v1/organizations"), headers=bearer(token))
    over = await live.http.get(live.url("supervision", "/v1/assessments"), headers=bearer(token))

    assert allowed.status_code == 200
    assert (refused.status_code, also_refused.status_code) == (403, 403)
    assert fifth.status_code == 200
    # One budget across every service: the sixth request is refused wherever it goes.
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) > 0


async def test_services_get_their_own_tokens_with_the_platform_secret(live: Live) -> None:
    source = ClientCredentialsToken(
        token_url=live.url("directory", "/v1/auth/token"),
        client_id="supervision",
        client_secret=live.settings.service_client_secret,
        http=live.http,
    )
    token = await source.token()
    assert token is not None

    me = await live.http.get(live.url("directory", "/v1/me"), headers=bearer(token))
    lookup = await live.http.post(
        live.url("directory", "/v1/organizations/lookup"),
        json={"names": ["各县区人民政府"]},
        headers=bearer(token),
    )

    assert me.json()["kind"] == "service"
    assert lookup.status_code == 200


async def test_a_parent_signs_in_by_code_against_the_running_platform(live: Live) -> None:
    phone = f"137{uuid.uuid4().int % 10**8:08d}"
    live.phones.append(phone)
    codes_url = live.url("directory", "/v1/auth/sms-codes")
    token_url = live.url("directory", "/v1/auth/token")

    async def outbox_code() -> str:
        outbox = await live.http.get(
            live.url("directory", "/v1/dev/sms-outbox"), params={"phone": phone}
        )
        return str(outbox.json()["items"][0]["code"])

    async def move_codes_back(seconds: int) -> None:
        index = Crypto.from_settings(live.settings).phone_index(phone)
        async with create_sessionmaker(live.engine)() as session, session.begin():
            await session.execute(
                update(SmsCode)
                .where(SmsCode.phone_index == index)
                .values(
                    created_at=SmsCode.created_at - timedelta(seconds=seconds),
                    expires_at=SmsCode.expires_at - timedelta(seconds=seconds),
                )
            )

    assert (await live.http.post(codes_url, json={"phone": phone})).status_code == 201
    # Limit 1: one send per 60 seconds.
    too_soon = await live.http.post(codes_url, json={"phone": phone})
    assert too_soon.status_code == 429
    assert int(too_soon.headers["retry-after"]) <= 60

    # Limit 2: five tries per code.
    code = await outbox_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        answer = await live.http.post(
            token_url, data={"grant_type": SMS_CODE_GRANT, "phone": phone, "code": wrong}
        )
        assert answer.status_code == 400
    spent = await live.http.post(
        token_url, data={"grant_type": SMS_CODE_GRANT, "phone": phone, "code": code}
    )
    assert spent.status_code == 400

    # Limit 3: a code lives five minutes.
    await move_codes_back(61)
    assert (await live.http.post(codes_url, json={"phone": phone})).status_code == 201
    stale = await outbox_code()
    await move_codes_back(301)
    expired = await live.http.post(
        token_url, data={"grant_type": SMS_CODE_GRANT, "phone": phone, "code": stale}
    )
    assert expired.status_code == 400

    # The happy path, end to end.
    assert (await live.http.post(codes_url, json={"phone": phone})).status_code == 201
    tokens = await live.http.post(
        token_url, data={"grant_type": SMS_CODE_GRANT, "phone": phone, "code": await outbox_code()}
    )
    assert tokens.status_code == 200
    access = tokens.json()["access_token"]
    me = await live.http.get(live.url("directory", "/v1/me"), headers=bearer(access))
    assert me.json()["kind"] == "parent"
    assert me.json()["phone"] == f"{phone[:3]}****{phone[-4:]}"
    # Verified by the other services (403, not 401: a parent is no staff member).
    for service, path in STAFF_ENDPOINTS.items():
        response = await live.http.get(live.url(service, path), headers=bearer(access))
        assert response.status_code == 403, service
    refreshed = await live.http.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"]},
    )
    assert refreshed.status_code == 200
    out = await live.http.post(
        live.url("directory", "/v1/auth/logout"), headers=bearer(refreshed.json()["access_token"])
    )
    assert out.status_code == 204
    await assert_401_everywhere(live, refreshed.json()["access_token"], "登录已注销")

    # Limit 4: a daily cap per phone (10 by default; 3 sent already today).
    for _ in range(7):
        await move_codes_back(61)
        assert (await live.http.post(codes_url, json={"phone": phone})).status_code == 201
    await move_codes_back(61)
    capped = await live.http.post(codes_url, json={"phone": phone})
    assert capped.status_code == 429
    assert "明天" in capped.json()["detail"]


async def test_sms_sends_per_network_address_are_capped(live: Live, redis_url: str) -> None:
    """Limit 5: 30 sends an hour from one address, counted in Redis by every replica."""
    redis: Redis = Redis.from_url(redis_url)
    key = RATE_LIMIT_KEY.format(name="sms-ip:127.0.0.1")
    now = time.time()
    try:
        await redis.delete(key)
        await redis.zadd(key, {f"{now}:{i}": now for i in range(30)})
        phone = f"136{uuid.uuid4().int % 10**8:08d}"
        live.phones.append(phone)
        refused = await live.http.post(
            live.url("directory", "/v1/auth/sms-codes"), json={"phone": phone}
        )
    finally:
        await redis.delete(key)
        await redis.aclose()

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 3000
