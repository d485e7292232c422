"""Sending SMS: one interface, a development sender and an HTTP-gateway sender."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.errors import UpstreamUnavailable
from shared.i18n import Text

log = structlog.get_logger("directory.sms")

DEV_OUTBOX_KEY = "xuezai:dev:sms-outbox"
DEV_OUTBOX_SIZE = 200


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


@dataclass(frozen=True, slots=True)
class SmsMessage:
    phone: str
    text: str
    # Structured extras the development outbox shows (the code), never sent to a gateway.
    meta: dict[str, Any]


class SmsSender(Protocol):
    async def send(self, message: SmsMessage) -> None:
        """Deliver or raise `UpstreamUnavailable`; the caller rolls back the code it stored."""
        ...


class DevelopmentSmsSender:
    """Writes each message to the log and, outside production, to a capped Redis list that
    `GET /v1/dev/sms-outbox` reads (Redis, so that every API process sees the same outbox)."""

    def __init__(self, redis: Redis | None, *, keep_outbox: bool) -> None:
        self.redis = redis
        self.keep_outbox = keep_outbox

    async def send(self, message: SmsMessage) -> None:
        if self.keep_outbox:
            log.info("sms_sent", phone=mask_phone(message.phone), text=message.text)
        else:
            # Production without a gateway: never log a live code.
            log.warning("sms_not_delivered", phone=mask_phone(message.phone))
        if not self.keep_outbox or self.redis is None:
            return
        entry = {
            "phone": message.phone,
            "text": message.text,
            "sent_at": datetime.now(UTC).isoformat(),
            **message.meta,
        }
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.lpush(DEV_OUTBOX_KEY, json.dumps(entry, ensure_ascii=False))
                pipe.ltrim(DEV_OUTBOX_KEY, 0, DEV_OUTBOX_SIZE - 1)
                pipe.expire(DEV_OUTBOX_KEY, 86400)
                await pipe.execute()
        except Exception as error:
            log.warning("sms_outbox_unavailable", error=str(error))

    async def outbox(self, phone: str | None = None) -> list[dict[str, Any]]:
        if self.redis is None:
            return []
        try:
            raw = await self.redis.lrange(DEV_OUTBOX_KEY, 0, DEV_OUTBOX_SIZE - 1)  # type: ignore[misc]
        except RedisError as error:
            raise UpstreamUnavailable(
                Text(
                    "开发用短信发件箱暂不可用（Redis）", "The development SMS outbox is unavailable"
                )
            ) from error
        entries = [json.loads(item) for item in raw]
        return [entry for entry in entries if phone is None or entry.get("phone") == phone]


class HttpSmsSender:
    """POSTs `{"phone", "text"}` to an SMS gateway; any failure is a 503 for the caller."""

    def __init__(self, url: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.http = http

    async def send(self, message: SmsMessage) -> None:
        try:
            response = await self.http.post(
                self.url, json={"phone": message.phone, "text": message.text}, timeout=5.0
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            log.warning("sms_gateway_failed", phone=mask_phone(message.phone), error=str(error))
            raise UpstreamUnavailable(
                Text("短信发送失败，请稍后再试", "The SMS could not be sent; try again later")
            ) from error
        log.info("sms_sent", phone=mask_phone(message.phone))
