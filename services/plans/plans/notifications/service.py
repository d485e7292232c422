import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plans.models import Assignment, Level, Notification, OutboxMessage, Plan
from plans.notifications.sender import current_sender
from shared.ids import uuid7
from shared.outbox import add_message

SEND_TOPIC = "plans.notification.send"


def notify(
    session: AsyncSession,
    *,
    kind: str,
    title: str,
    body: str,
    level: Level | None = None,
    plan: Plan | None = None,
    assignment: Assignment | None = None,
    recipient_org_id: uuid.UUID | None = None,
    recipient_org_code: str | None = None,
    recipient_district_code: str | None = None,
    recipient_subject: str | None = None,
    cc: Sequence[dict[str, Any]] = (),
    step_id: uuid.UUID | None = None,
) -> Notification:
    """Put a notice in the inbox and, in the same transaction, in the outbox for the sender."""
    if assignment is not None:
        recipient_org_id = recipient_org_id or assignment.org_id
        recipient_org_code = recipient_org_code or assignment.org_code
        recipient_district_code = recipient_district_code or assignment.district_code
        recipient_subject = recipient_subject or assignment.contact_subject
    notification = Notification(
        id=uuid7(),
        kind=kind,
        level=level,
        title=title[:300],
        body=body,
        plan_id=plan.id if plan else (assignment.plan_id if assignment else None),
        node_id=assignment.node_id if assignment else None,
        assignment_id=assignment.id if assignment else None,
        recipient_org_id=recipient_org_id,
        recipient_org_code=recipient_org_code,
        recipient_district_code=recipient_district_code,
        recipient_subject=recipient_subject,
        cc=list(cc),
        step_id=step_id,
    )
    session.add(notification)
    add_message(session, OutboxMessage, SEND_TOPIC, {"notification_id": str(notification.id)})
    return notification


async def send_notification(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Outbox handler: hand a notice to the sender once (a retried message finds it sent)."""
    notification = await session.get(
        Notification, uuid.UUID(payload["notification_id"]), with_for_update=True
    )
    if notification is None or notification.sent_at is not None:
        return
    await current_sender().send(notification)
    notification.sent_at = datetime.now(UTC)
