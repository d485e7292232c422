import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, text

from directory.models import ApiClient, AuthSession, RefreshToken, SmsCode
from shared.repository import Repository


class AuthSessionRepository(Repository[AuthSession]):
    model = AuthSession

    async def get_for_update(self, session_id: uuid.UUID) -> AuthSession | None:
        return await self.get_one_or_none(
            select(AuthSession).where(AuthSession.id == session_id).with_for_update()
        )

    async def active_for(
        self, *, user_id: uuid.UUID | None = None, parent_id: uuid.UUID | None = None
    ) -> Sequence[AuthSession]:
        statement = select(AuthSession).where(AuthSession.revoked_at.is_(None))
        if user_id is not None:
            statement = statement.where(AuthSession.user_id == user_id)
        if parent_id is not None:
            statement = statement.where(AuthSession.parent_id == parent_id)
        return await self.get_all(statement.with_for_update())


class RefreshTokenRepository(Repository[RefreshToken]):
    model = RefreshToken

    async def get_by_hash_for_update(self, token_hash: str) -> RefreshToken | None:
        return await self.get_one_or_none(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        )

    async def delete_expired(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(RefreshToken).where(RefreshToken.expires_at < before).returning(RefreshToken.id)
        )
        return len(result.all())


class SmsCodeRepository(Repository[SmsCode]):
    model = SmsCode

    async def lock_phone(self, phone_index: str) -> None:
        """Serialise sends and tries for one phone for the rest of the transaction."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sms:{phone_index}"}
        )

    async def latest(self, phone_index: str) -> SmsCode | None:
        statement = (
            select(SmsCode)
            .where(SmsCode.phone_index == phone_index)
            .order_by(SmsCode.created_at.desc())
            .limit(1)
        )
        return (await self.session.scalars(statement)).first()

    async def count_since(self, phone_index: str, since: datetime) -> int:
        statement = select(func.count()).where(
            SmsCode.phone_index == phone_index, SmsCode.created_at >= since
        )
        return int((await self.session.execute(statement)).scalar_one())

    async def delete_before(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(SmsCode).where(SmsCode.created_at < before).returning(SmsCode.id)
        )
        return len(result.all())


class ApiClientRepository(Repository[ApiClient]):
    model = ApiClient

    async def get_by_client_id(self, client_id: str) -> ApiClient | None:
        return await self.get_one_or_none(select(ApiClient).where(ApiClient.client_id == client_id))
