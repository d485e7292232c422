from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, text

from directory.models import SigningKey
from shared.repository import Repository


class SigningKeyRepository(Repository[SigningKey]):
    model = SigningKey

    async def lock(self) -> None:
        """Serialise key changes across replicas for the rest of the transaction."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('xuezai.directory.signing_key'))")
        )

    async def signing(self, now: datetime) -> SigningKey | None:
        """The newest key active at `now`."""
        statement = (
            self.base_statement()
            .where(
                SigningKey.activates_at <= now,
                or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > now),
            )
            .order_by(SigningKey.activates_at.desc(), SigningKey.created_at.desc())
            .limit(1)
        )
        return await self.get_one_or_none(statement)

    async def newest(self) -> SigningKey | None:
        statement = self.base_statement().order_by(SigningKey.activates_at.desc()).limit(1)
        return await self.get_one_or_none(statement)

    async def unretired(self) -> Sequence[SigningKey]:
        return await self.get_all(self.base_statement().where(SigningKey.retired_at.is_(None)))

    async def published(self, retired_after: datetime) -> Sequence[SigningKey]:
        statement = (
            self.base_statement()
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > retired_after))
            .order_by(SigningKey.activates_at.desc())
        )
        return await self.get_all(statement)

    async def all_keys(self) -> Sequence[SigningKey]:
        return await self.get_all(self.base_statement().order_by(SigningKey.created_at.desc()))

    async def delete_retired_before(self, cutoff: datetime) -> int:
        result = await self.session.execute(
            delete(SigningKey)
            .where(SigningKey.retired_at.is_not(None), SigningKey.retired_at < cutoff)
            .returning(SigningKey.id)
        )
        return len(result.all())
