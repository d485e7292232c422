"""Agency clients and services: client credentials, scopes, hashed secrets, rate limits."""

import httpx
import jwt
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.app import create_app
from directory.config import Settings
from directory.models import ApiClient, AuditLog, ClientKind
from shared.http import ClientCredentialsToken
from shared.ratelimit import RATE_LIMIT_KEY
from shared.testing.tokens import TestIssuer

from .conftest import TEST_SETTINGS, bearer, create_api_client

SECRET = "a-long-random-client-secret"
READ = "directory:organizations:read"


async def client_token(
    directory: httpx.AsyncClient, client_id: str, secret: str = SECRET, **form: str
) -> httpx.Response:
    return await directory.post(
        "/v1/auth/token",
        data={"grant_type": "client_credentials", **form},
        auth=(client_id, secret),
    )


async def test_city_admin_registers_a_client_and_sees_the_secret_once(
    directory: httpx.AsyncClient, session: AsyncSession, issuer: TestIssuer
) -> None:
    created = await directory.post(
        "/v1/clients",
        json={
            "client_id": "property-registry",
            "name": "南宁市不动产登记中心",
            "scopes": ["enrolment:verification:write", READ],
            "rate_limit_per_minute": 120,
        },
        headers=issuer.city_admin(),
    )

    assert created.status_code == 201
    body = created.json()
    secret = body["client_secret"]
    assert len(secret) >= 40
    assert body["scopes"] == [READ, "enrolment:verification:write"]
    stored = await session.scalar(
        select(ApiClient).where(ApiClient.client_id == "property-registry")
    )
    assert stored is not None
    assert secret not in stored.secret_hash
    assert stored.secret_hash.startswith("$argon2id$")
    fetched = await directory.get(f"/v1/clients/{body['id']}", headers=issuer.city_admin())
    assert "client_secret" not in fetched.json()
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "client.created", AuditLog.resource_id == body["id"]
        )
    )
    assert audit is not None
    assert (await client_token(directory, "property-registry", secret)).status_code == 200


async def test_only_city_admins_manage_clients(
    directory: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    payload = {"name": "x", "scopes": [READ]}

    assert (
        await directory.post("/v1/clients", json=payload, headers=issuer.district_admin("450103"))
    ).status_code == 403
    assert (
        await directory.post(
            "/v1/clients", json=payload, headers=issuer.agency_client("x", scopes=[READ])
        )
    ).status_code == 403


async def test_unknown_scopes_are_refused_by_name(
    directory: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    response = await directory.post(
        "/v1/clients",
        json={"name": "x", "scopes": ["enrolment:everything:write"]},
        headers=issuer.city_admin(),
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.scopes"


async def test_client_credentials_give_a_client_token_with_its_scopes(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    client = await create_api_client(session, READ, "enrolment:stats:read", rate_limit=100)

    response = await client_token(directory, client.client_id)

    assert response.status_code == 200
    body = response.json()
    assert "refresh_token" not in body or body["refresh_token"] is None
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "client"
    assert claims["sub"] == f"client:{client.client_id}"
    assert claims["roles"] == ["agency_client"]
    assert claims["scope"] == f"{READ} enrolment:stats:read"
    assert claims["client_id"] == client.client_id
    assert claims["rate_limit"] == 100
    issued = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "auth.token.issued", AuditLog.resource_id == str(client.id)
        )
    )
    assert issued is not None


async def test_credentials_in_the_form_work_too(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    client = await create_api_client(session, READ)

    response = await directory.post(
        "/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": SECRET,
        },
    )

    assert response.status_code == 200


async def test_a_client_may_narrow_but_not_widen_its_scopes(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    client = await create_api_client(session, READ, "enrolment:stats:read")

    narrowed = await client_token(directory, client.client_id, scope="enrolment:stats:read")
    widened = await client_token(directory, client.client_id, scope=f"{READ} plans:progress:read")

    assert narrowed.json()["scope"] == "enrolment:stats:read"
    assert widened.status_code == 400
    assert widened.json()["code"] == "auth.invalid_scope"


async def test_wrong_secret_unknown_client_and_disabled_client_are_401(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    client = await create_api_client(session, READ)
    disabled = await create_api_client(session, READ, active=False)

    for response in (
        await client_token(directory, client.client_id, "wrong-secret"),
        await client_token(directory, "no-such-client"),
        await client_token(directory, disabled.client_id),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "auth.invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")
    failures = (
        await session.scalars(select(AuditLog).where(AuditLog.action == "auth.client.failed"))
    ).all()
    assert len(failures) >= 3


async def test_an_agency_client_calls_only_what_its_scopes_allow(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    reader = await create_api_client(session, READ)
    other = await create_api_client(session, "enrolment:stats:read")
    reader_token = (await client_token(directory, reader.client_id)).json()["access_token"]
    other_token = (await client_token(directory, other.client_id)).json()["access_token"]

    lookup = {"codes": ["450103"]}
    assert (
        await directory.post("/v1/organizations/lookup", json=lookup, headers=bearer(reader_token))
    ).status_code == 200
    assert (
        await directory.get("/v1/organizations", headers=bearer(reader_token))
    ).status_code == 200
    for path in ("/v1/users", "/v1/audit-events", "/v1/clients"):
        assert (await directory.get(path, headers=bearer(reader_token))).status_code == 403, path
    refused = await directory.post(
        "/v1/organizations/lookup", json=lookup, headers=bearer(other_token)
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_each_client_has_its_own_rate_limit(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    limited = await create_api_client(session, READ, rate_limit=3)
    token = (await client_token(directory, limited.client_id)).json()["access_token"]  # 1st

    answers = [
        (await directory.get("/v1/organizations", headers=bearer(token))).status_code
        for _ in range(3)
    ]

    assert answers == [200, 200, 429]
    refused = await directory.get("/v1/organizations", headers=bearer(token))
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 60
    # Another client is not affected.
    other = await create_api_client(session, READ, rate_limit=3)
    other_token = (await client_token(directory, other.client_id)).json()["access_token"]
    assert (
        await directory.get("/v1/organizations", headers=bearer(other_token))
    ).status_code == 200


async def test_the_token_endpoint_counts_against_the_limit(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    limited = await create_api_client(session, READ, rate_limit=2)

    codes = [(await client_token(directory, limited.client_id)).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


async def test_rate_limits_let_requests_through_when_redis_is_down(
    make_directory, session: AsyncSession, redis_url: str
) -> None:
    healthy = await make_directory()
    limited = await create_api_client(session, READ, rate_limit=1)
    token = (await client_token(healthy, limited.client_id)).json()["access_token"]
    blind = await make_directory(redis_url="redis://127.0.0.1:1/0")

    answers = [
        (await blind.get("/v1/organizations", headers=bearer(token))).status_code for _ in range(3)
    ]

    assert answers == [200, 200, 200]
    redis: Redis = Redis.from_url(redis_url)
    await redis.delete(RATE_LIMIT_KEY.format(name=f"client:{limited.client_id}"))
    await redis.aclose()


async def test_rotating_the_secret_revokes_the_old_secret_and_tokens(
    directory: httpx.AsyncClient, session: AsyncSession, issuer: TestIssuer
) -> None:
    client = await create_api_client(session, READ)
    old_token = (await client_token(directory, client.client_id)).json()["access_token"]

    rotated = await directory.post(f"/v1/clients/{client.id}/secret", headers=issuer.city_admin())

    assert rotated.status_code == 200
    new_secret = rotated.json()["client_secret"]
    assert (await client_token(directory, client.client_id)).status_code == 401
    assert (await client_token(directory, client.client_id, new_secret)).status_code == 200
    old = await directory.get("/v1/organizations", headers=bearer(old_token))
    assert old.status_code == 401


async def test_disabling_or_narrowing_a_client_revokes_its_tokens(
    directory: httpx.AsyncClient, session: AsyncSession, issuer: TestIssuer
) -> None:
    client = await create_api_client(session, READ, "enrolment:stats:read")
    token = (await client_token(directory, client.client_id)).json()["access_token"]

    narrowed = await directory.patch(
        f"/v1/clients/{client.id}", json={"scopes": [READ]}, headers=issuer.city_admin()
    )

    assert narrowed.status_code == 200
    assert (await directory.get("/v1/organizations", headers=bearer(token))).status_code == 401
    fresh = (await client_token(directory, client.client_id)).json()
    assert fresh["scope"] == READ
    disabled = await directory.patch(
        f"/v1/clients/{client.id}", json={"is_active": False}, headers=issuer.city_admin()
    )
    assert disabled.json()["is_active"] is False
    assert (
        await directory.get("/v1/organizations", headers=bearer(fresh["access_token"]))
    ).status_code == 401
    assert (await client_token(directory, client.client_id)).status_code == 401


async def test_every_service_has_a_client_with_the_platform_secret(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    settings = Settings()
    clients = (
        await session.scalars(select(ApiClient).where(ApiClient.kind == ClientKind.service))
    ).all()
    assert {client.client_id for client in clients} >= {
        "directory",
        "plans",
        "supervision",
        "enrolment",
    }

    response = await client_token(directory, "plans", settings.service_client_secret)

    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "service"
    assert claims["sub"] == "service:plans"
    assert claims["roles"] == ["service"]
    assert "rate_limit" not in claims


async def test_service_clients_cannot_be_changed_through_the_api(
    directory: httpx.AsyncClient, session: AsyncSession, issuer: TestIssuer
) -> None:
    plans = await session.scalar(select(ApiClient).where(ApiClient.client_id == "plans"))
    assert plans is not None

    response = await directory.post(f"/v1/clients/{plans.id}/secret", headers=issuer.city_admin())

    assert response.status_code == 403


async def test_shared_client_credentials_token_gets_a_service_token_over_http(
    serve_app, database_url: str, redis_url: str
) -> None:
    """What every service does: `ClientCredentialsToken` (HTTP Basic) against the directory."""
    app = create_app(
        Settings(database_url=database_url, redis_url=redis_url, env="testing", **TEST_SETTINGS)
    )
    async with app.router.lifespan_context(app):
        base_url = await serve_app(app)
        async with httpx.AsyncClient() as http:
            source = ClientCredentialsToken(
                token_url=f"{base_url}/v1/auth/token",
                client_id="enrolment",
                client_secret=Settings().service_client_secret,
                http=http,
            )
            token = await source.token()
            assert token is not None
            assert await source.token() == token  # cached
            me = await http.get(f"{base_url}/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["subject"] == "service:enrolment"
