import uuid
from collections.abc import Sequence

from sqlalchemy import select

from shared.repository import Repository
from supervision.models import Attachment


class AttachmentRepository(Repository[Attachment]):
    model = Attachment

    async def get_many(self, ids: Sequence[uuid.UUID]) -> list[Attachment]:
        if not ids:
            return []
        return list(await self.get_all(select(Attachment).where(Attachment.id.in_(list(ids)))))
