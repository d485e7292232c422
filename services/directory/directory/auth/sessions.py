"""Sessions (refresh-token families) and their revocation.

A session's id is the `sid` claim of every access token issued in it. Revoking a session marks
it in PostgreSQL (its refresh tokens stop working) and writes `xuezai:revoked-session:<sid>`
to Redis for as long as an access token can live, so every service rejects the access tokens
already handed out. If Redis is down at that moment, those access tokens keep working until
they expire (15 minutes at most); the refresh tokens are dead either way.
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from directory.auth.repository import AuthSessionRepository
from directory.crypto import new_token, token_hash
from directory.keys.service import VERIFY_LEEWAY
from directory.models import AuthSession, RefreshToken
from directory.runtime import Runtime
from shared.auth import REVOKED_SESSION_KEY
from shared.ids import uuid7

log = structlog.get_logger("directory.sessions")


def session_key(session_id: uuid.UUID) -> str:
    return session_id.hex


async def publish_revocations(
    redis: Redis | None, session_ids: Iterable[str], ttl_seconds: int
) -> bool:
    ids = list(session_ids)
    if not ids or redis is None:
        return not ids
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for session_id in ids:
                pipe.set(REVOKED_SESSION_KEY.format(session_id=session_id), 1, ex=ttl_seconds)
            await pipe.execute()
        return True
    except Exception as error:  # see the module docstring
        log.warning("revocation_publish_failed", sessions=len(ids), error=str(error))
        return False


def revocation_ttl(runtime: Runtime) -> int:
    return runtime.settings.access_token_seconds + int(VERIFY_LEEWAY.total_seconds())


class SessionService:
    async def start(
        self,
        session: AsyncSession,
        runtime: Runtime,
        *,
        subject: str,
        user_id: uuid.UUID | None = None,
        parent_id: uuid.UUID | None = None,
        client_ip: str | None,
        now: datetime,
    ) -> tuple[AuthSession, str]:
        auth_session = AuthSession(
            id=uuid7(),
            subject=subject,
            user_id=user_id,
            parent_id=parent_id,
            created_at=now,
            expires_at=now + timedelta(days=runtime.settings.session_days),
            client_ip=client_ip,
        )
        session.add(auth_session)
        await session.flush()
        return auth_session, self.new_refresh_token(session, auth_session, now)

    def new_refresh_token(
        self, session: AsyncSession, auth_session: AuthSession, now: datetime
    ) -> str:
        raw = new_token()
        session.add(
            RefreshToken(
                id=uuid7(),
                session_id=auth_session.id,
                token_hash=token_hash(raw),
                created_at=now,
                expires_at=auth_session.expires_at,
            )
        )
        return raw

    async def revoke(
        self,
        runtime: Runtime,
        sessions: Iterable[AuthSession],
        *,
        reason: str,
        now: datetime | None = None,
    ) -> list[AuthSession]:
        when = now or datetime.now(UTC)
        revoked = [item for item in sessions if item.revoked_at is None]
        for item in revoked:
            item.revoked_at = when
            item.revoked_reason = reason
        await publish_revocations(
            runtime.redis, [session_key(item.id) for item in revoked], revocation_ttl(runtime)
        )
        return revoked

    async def revoke_all_for(
        self,
        session: AsyncSession,
        runtime: Runtime,
        *,
        user_id: uuid.UUID | None = None,
        parent_id: uuid.UUID | None = None,
        reason: str,
        keep: uuid.UUID | None = None,
    ) -> int:
        active = await AuthSessionRepository(session).active_for(
            user_id=user_id, parent_id=parent_id
        )
        revoked = await self.revoke(
            runtime, [item for item in active if item.id != keep], reason=reason
        )
        return len(revoked)


session_service = SessionService()
