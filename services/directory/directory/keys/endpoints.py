from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from directory.keys.repository import SigningKeyRepository
from directory.models import AuditLog
from directory.runtime import RuntimeDep
from shared import audit
from shared.auth import CityAdmin
from shared.db import DbSession

well_known_router = APIRouter(tags=["keys"])
router = APIRouter(prefix="/signing-keys", tags=["keys"])


class JwkSet(BaseModel):
    keys: list[dict[str, Any]]


class SigningKeyRead(BaseModel):
    id: str
    algorithm: str
    created_at: datetime
    activates_at: datetime
    retired_at: datetime | None
    published: bool
    signing: bool


@well_known_router.get(
    "/.well-known/jwks.json",
    summary="The public keys that verify the directory's tokens (JWKS)",
    response_model=JwkSet,
)
async def jwks(session: DbSession, runtime: RuntimeDep, response: Response) -> JwkSet:
    """Includes the next key before it signs anything and retired keys until their last token
    has expired. Services cache this and fetch again when a token names an unknown `kid`."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return JwkSet(**await runtime.keys.jwks(session, datetime.now(UTC)))


@router.get(
    "", summary="List signing keys (no private material)", response_model=list[SigningKeyRead]
)
async def list_signing_keys(
    session: DbSession, runtime: RuntimeDep, principal: CityAdmin
) -> list[SigningKeyRead]:
    now = datetime.now(UTC)
    published = {key.id for key in await runtime.keys.published(session, now)}
    signing = await SigningKeyRepository(session).signing(now)
    return [
        SigningKeyRead(
            id=key.id,
            algorithm=key.algorithm,
            created_at=key.created_at,
            activates_at=key.activates_at,
            retired_at=key.retired_at,
            published=key.id in published,
            signing=signing is not None and key.id == signing.id,
        )
        for key in await SigningKeyRepository(session).all_keys()
    ]


@router.post(
    "/rotate",
    summary="Rotate the signing key now",
    status_code=201,
    response_model=SigningKeyRead,
)
async def rotate_signing_key(
    session: DbSession, runtime: RuntimeDep, principal: CityAdmin
) -> SigningKeyRead:
    """The new key is published at once and signs after the publish-ahead delay (2 minutes);
    the current key then retires and stays published until its last token has expired. Use it
    when a key may have leaked — and also revoke the sessions concerned."""
    now = datetime.now(UTC)
    key = await runtime.keys.rotate(session, now)
    audit.record(
        session,
        AuditLog,
        action="keys.rotated",
        resource_type="signing_key",
        resource_id=key.id,
        principal=principal,
    )
    return SigningKeyRead(
        id=key.id,
        algorithm=key.algorithm,
        created_at=key.created_at,
        activates_at=key.activates_at,
        retired_at=key.retired_at,
        published=True,
        signing=key.activates_at <= now,
    )
