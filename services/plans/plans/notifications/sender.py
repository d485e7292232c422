"""Where notifications go after the in-app inbox.

The development sender writes a log line; a production deployment plugs in SMS, 政务微信 or
e-mail behind the same protocol. Units and titles are logged, never personal data.
"""

from typing import Protocol

import structlog

from plans.models import Notification

log = structlog.get_logger("plans.notifications")


class NotificationSender(Protocol):
    async def send(self, notification: Notification) -> None: ...


class LogSender:
    async def send(self, notification: Notification) -> None:
        log.info(
            "notification_sent",
            notification_id=str(notification.id),
            kind=notification.kind,
            level=notification.level.value if notification.level else None,
            recipient_org_id=str(notification.recipient_org_id)
            if notification.recipient_org_id
            else None,
            recipient_org_code=notification.recipient_org_code,
            cc=len(notification.cc),
            title=notification.title,
        )


_senders: dict[str, NotificationSender] = {"log": LogSender()}
_current: list[str] = ["log"]


def register_sender(name: str, sender: NotificationSender) -> None:
    _senders[name] = sender


def use_sender(name: str) -> None:
    if name not in _senders:
        raise LookupError(f"no notification sender named {name!r}")
    _current[0] = name


def current_sender() -> NotificationSender:
    return _senders[_current[0]]
