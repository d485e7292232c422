"""Keyset (cursor) pagination: `?limit=&cursor=` → `{"items": [...], "next_cursor": ...}`.

The cursor is the sort key of the last item, base64url-encoded JSON. Unlike offsets, it stays
fast on page 1,000 of 100,000 rows and does not skip or repeat rows that are inserted meanwhile.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from shared.errors import InvalidInput
from shared.i18n import Text
from shared.params import MAX_LIMIT

T = TypeVar("T")

DEFAULT_LIMIT = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class CursorParams:
    limit: int
    cursor: str | None


async def get_cursor_params(
    request: Request,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page, 1–200.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=1000, description="`next_cursor` from the previous page.")
    ] = None,
) -> CursorParams:
    settings = getattr(request.app.state, "settings", None)
    maximum = getattr(settings, "pagination_max_limit", 200)
    return CursorParams(limit=min(limit, maximum), cursor=cursor)


CursorPagination = Annotated[CursorParams, Depends(get_cursor_params)]


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "u" in value:
            return uuid.UUID(value["u"])
        raise ValueError("unknown cursor value")
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_encode_value(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("wrong width")
        return [_decode_value(value) for value in values]
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.for_field(
            "query.cursor", Text("分页游标无效", "The cursor is not valid"), "cursor_invalid"
        ) from None


@dataclass(frozen=True, slots=True)
class SortKey:
    column: ColumnElement[Any] | InstrumentedAttribute[Any]
    descending: bool = False


def apply_keyset(
    statement: Select[Any], keys: Sequence[SortKey], params: CursorParams
) -> Select[Any]:
    """Order by `keys` (the last must be unique), start after the cursor, fetch one extra row."""
    if params.cursor is not None:
        values = decode_cursor(params.cursor, len(keys))
        # (a, b, c) > (x, y, z) spelt out, so that mixed directions work.
        clauses = []
        for index, key in enumerate(keys):
            equal_prefix = [keys[i].column == values[i] for i in range(index)]
            step = key.column < values[index] if key.descending else key.column > values[index]
            clauses.append(and_(*equal_prefix, step))
        statement = statement.where(or_(*clauses))
    order = [key.column.desc() if key.descending else key.column.asc() for key in keys]
    return statement.order_by(*order).limit(params.limit + 1)


def page_from_rows(
    rows: Sequence[T], params: CursorParams, key_values: "Any"
) -> tuple[list[T], str | None]:
    """Split the extra row off and build the next cursor from the last item's key values."""
    items = list(rows[: params.limit])
    if len(rows) > params.limit and items:
        return items, encode_cursor(key_values(items[-1]))
    return items, None
