"""Signing keys: Ed25519, encrypted at rest, published before use, kept until their tokens
expire, rotated on schedule or on demand; and the production refusal of default secrets."""

from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.config import Settings
from directory.crypto import Cipher, DecryptionFailed, Encrypted
from directory.keys.service import SigningKeyService
from directory.maintenance.tasks import maintain_signing_keys
from directory.models import SigningKey
from shared.testing.fixtures import joined_sessionmaker
from shared.testing.tokens import TestIssuer

from .conftest import bearer, create_user, runtime_of, sign_in


@pytest.fixture
async def keyed(make_directory) -> httpx.AsyncClient:
    """The directory reloading its keys on every unknown key id (no throttle)."""
    client: httpx.AsyncClient = await make_directory(jwks_refresh_min_seconds=0)
    return client


async def kids(directory: httpx.AsyncClient) -> set[str]:
    jwks = (await directory.get("/.well-known/jwks.json")).json()
    assert all("d" not in key for key in jwks["keys"])  # never the private half
    return {key["kid"] for key in jwks["keys"]}


async def test_the_jwks_publishes_the_signing_key_and_no_private_material(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await create_user(session)
    token = (await sign_in(directory, user.username)).json()["access_token"]

    response = await directory.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    key = next(
        k for k in response.json()["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"]
    )
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert "d" not in key


async def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(
    keyed: httpx.AsyncClient, session: AsyncSession
) -> None:
    runtime = runtime_of(keyed)
    user = await create_user(session)
    before = (await sign_in(keyed, user.username)).json()["access_token"]
    old_kid = jwt.get_unverified_header(before)["kid"]

    new = await runtime.keys.rotate(session, datetime.now(UTC), publish_ahead=timedelta(0))
    await session.commit()
    after = (await sign_in(keyed, user.username)).json()["access_token"]

    assert jwt.get_unverified_header(after)["kid"] == new.id
    assert {old_kid, new.id} <= await kids(keyed)
    assert (await keyed.get("/v1/me", headers=bearer(before))).status_code == 200
    assert (await keyed.get("/v1/me", headers=bearer(after))).status_code == 200


async def test_a_new_key_is_published_before_it_signs(
    keyed: httpx.AsyncClient, session: AsyncSession
) -> None:
    runtime = runtime_of(keyed)
    user = await create_user(session)
    current = jwt.get_unverified_header(
        (await sign_in(keyed, user.username)).json()["access_token"]
    )

    upcoming = await runtime.keys.rotate(
        session, datetime.now(UTC), publish_ahead=timedelta(hours=1)
    )
    await session.commit()
    still = jwt.get_unverified_header((await sign_in(keyed, user.username)).json()["access_token"])

    assert upcoming.id in await kids(keyed)
    assert still["kid"] == current["kid"]


async def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(
    keyed: httpx.AsyncClient, session: AsyncSession
) -> None:
    runtime = runtime_of(keyed)
    now = datetime.now(UTC)
    old = await runtime.keys.rotate(session, now, publish_ahead=timedelta(0))
    await runtime.keys.rotate(session, now, publish_ahead=timedelta(0))
    await session.commit()
    assert old.id in await kids(keyed)

    old.retired_at = now - runtime.keys.publication_margin - timedelta(seconds=1)
    await session.commit()

    assert old.id not in await kids(keyed)


async def test_private_keys_are_encrypted_with_the_settings_secret(
    directory: httpx.AsyncClient, session: AsyncSession
) -> None:
    runtime = runtime_of(directory)
    key = await session.scalar(select(SigningKey).order_by(SigningKey.created_at.desc()).limit(1))
    assert key is not None
    active = await runtime.keys.active(session, datetime.now(UTC))
    raw = active.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    stored = await session.get(SigningKey, active.key_id)
    assert stored is not None
    assert raw not in stored.private_key_encrypted

    stranger = Cipher("some-other-secret", [], "signing-key")
    with pytest.raises(DecryptionFailed):
        stranger.decrypt(Encrypted(stranger.current_id, stored.private_key_encrypted))
    # A key id survives rotation of the encryption secret: the old one goes to `previous`.
    rotated = Cipher("a-new-secret", [Settings().secret_key], "signing-key")
    assert rotated.decrypt(Encrypted(stored.encryption_key_id, stored.private_key_encrypted)) == raw


def test_production_refuses_the_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEZAI_ENV", "production")
    monkeypatch.setenv("DIRECTORY_SERVICE_CLIENT_SECRET", "from-the-vault-1")

    with pytest.raises(ValidationError, match="secret_key"):
        Settings()
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "from-the-vault-2")
    with pytest.raises(ValidationError, match="index_key"):
        Settings()
    monkeypatch.setenv("DIRECTORY_INDEX_KEY", "from-the-vault-3")
    assert Settings().env == "production"


async def test_ensure_bootstraps_once_and_rotates_when_due(session: AsyncSession) -> None:
    settings = Settings(signing_key_rotation_days=30)
    keys = SigningKeyService(settings, Cipher(settings.secret_key, [], "signing-key"))
    now = datetime.now(UTC)
    assert await keys.ensure(session, now) is None  # the app's start-up made one already

    newest = await session.scalar(
        select(SigningKey).order_by(SigningKey.activates_at.desc()).limit(1)
    )
    assert newest is not None
    newest.activates_at = now - timedelta(days=31)
    rotated = await keys.ensure(session, now)

    assert rotated is not None
    assert rotated.activates_at == now + timedelta(
        seconds=settings.signing_key_publish_ahead_seconds
    )
    assert newest.retired_at == rotated.activates_at
    assert (await keys.active(session, now)).key_id == newest.id  # until the new one activates
    assert (await keys.active(session, rotated.activates_at)).key_id == rotated.id


async def test_the_worker_job_rotates_on_schedule(session: AsyncSession, db_connection) -> None:
    settings = Settings(signing_key_rotation_days=30)
    newest = await session.scalar(
        select(SigningKey).order_by(SigningKey.activates_at.desc()).limit(1)
    )
    assert newest is not None
    newest.activates_at = datetime.now(UTC) - timedelta(days=40)
    await session.commit()
    ctx = {
        "settings": settings,
        "resources": {},
        "sessionmaker": joined_sessionmaker(db_connection),
    }

    result = await maintain_signing_keys.coroutine(ctx)  # type: ignore[arg-type]

    assert result["created"] is not None
    assert (await maintain_signing_keys.coroutine(ctx))["created"] is None  # type: ignore[arg-type]


async def test_rotation_on_demand_is_for_city_admins(
    directory: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    refused = await directory.post(
        "/v1/signing-keys/rotate", headers=issuer.district_admin("450103")
    )
    rotated = await directory.post("/v1/signing-keys/rotate", headers=issuer.city_admin())
    listed = await directory.get("/v1/signing-keys", headers=issuer.city_admin())

    assert refused.status_code == 403
    assert rotated.status_code == 201
    assert rotated.json()["signing"] is False  # published first, signs in two minutes
    by_id = {key["id"]: key for key in listed.json()}
    assert by_id[rotated.json()["id"]]["published"] is True
    assert sum(key["signing"] for key in listed.json()) == 1
