"""Scheduled housekeeping: signing-key rotation and purging spent secrets."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete

from directory.auth.repository import RefreshTokenRepository, SmsCodeRepository
from directory.config import Settings
from directory.crypto import Crypto
from directory.keys.service import SigningKeyService
from directory.models import AuthSession
from shared.worker import JobContext, job_session, task

# Kept this long for the audit trail of who asked for codes (the codes themselves are hashed).
SMS_CODE_RETENTION = timedelta(days=7)
SESSION_RETENTION = timedelta(days=30)


def _keys(ctx: JobContext) -> SigningKeyService:
    settings: Settings = ctx["settings"]
    resources = ctx["resources"]
    if "crypto" not in resources:
        resources["crypto"] = Crypto.from_settings(settings)
    return SigningKeyService(settings, resources["crypto"].signing_keys)


@task("directory.keys.maintain", quiet=True)
async def maintain_signing_keys(ctx: JobContext) -> dict[str, Any]:
    """Rotate when the newest key is older than the rotation period; drop long-retired keys."""
    now = datetime.now(UTC)
    keys = _keys(ctx)
    async with job_session(ctx) as session:
        created = await keys.ensure(session, now)
        purged = await keys.purge(session, now)
    return {"created": created.id if created else None, "purged": purged}


@task("directory.auth.purge", quiet=True)
async def purge_spent_secrets(ctx: JobContext) -> dict[str, int]:
    now = datetime.now(UTC)
    async with job_session(ctx) as session:
        codes = await SmsCodeRepository(session).delete_before(now - SMS_CODE_RETENTION)
        tokens = await RefreshTokenRepository(session).delete_expired(now)
        sessions = await session.execute(
            delete(AuthSession)
            .where(AuthSession.expires_at < now - SESSION_RETENTION)
            .returning(AuthSession.id)
        )
    return {"sms_codes": codes, "refresh_tokens": tokens, "sessions": len(sessions.all())}
