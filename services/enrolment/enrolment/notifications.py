"""SMS to families, sent from the outbox. The development sender records and logs them."""

from typing import Any, Protocol

import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import Notification

log = structlog.get_logger("enrolment.notifications")


class SmsSender(Protocol):
    async def send(self, session: AsyncSession, payload: dict[str, Any]) -> None: ...


class DevelopmentSmsSender:
    """Writes the message to the `notification` table and the log (subject only, no phone)."""

    async def send(self, session: AsyncSession, payload: dict[str, Any]) -> None:
        # The dedupe key makes a re-delivered outbox message send nothing twice.
        await session.execute(
            insert(Notification)
            .values(
                parent_subject=str(payload["parent_subject"]),
                application_id=payload.get("application_id"),
                template=str(payload.get("template", "")),
                message=str(payload.get("message", "")),
                dedupe_key=str(payload["dedupe_key"])[:120],
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        log.info("sms_sent", parent=payload["parent_subject"], template=payload.get("template"))
