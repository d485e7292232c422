"""Development-only endpoints; not mounted in production and not in the OpenAPI document."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from directory.auth.service import normalize_phone
from directory.auth.sms import DevelopmentSmsSender
from directory.runtime import RuntimeDep

router = APIRouter(prefix="/dev", tags=["development"], include_in_schema=False)


@router.get("/sms-outbox", summary="SMS the development sender 'sent' (newest first)")
async def sms_outbox(
    runtime: RuntimeDep,
    phone: Annotated[str | None, Query(max_length=20)] = None,
) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(runtime.sms, DevelopmentSmsSender):
        return {"items": []}
    number = normalize_phone(phone, "query.phone") if phone else None
    return {"items": await runtime.sms.outbox(number)}
