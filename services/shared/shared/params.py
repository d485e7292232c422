"""Bounded URL parameters: the convention every route follows, and its check.

A value read from the query string or the path reaches Python as an unbounded int or a date
anywhere in 1–9999, and the first database statement or date sum it meets fails: `?year=
834020953962` was a 500. So every integer, number, date, time and string parameter carries its
bounds in its schema — an out-of-range value is a 422 naming the parameter, and the OpenAPI
document tells client developers the range — and `unbounded_parameters(app)` finds a route
that forgets (the test suite runs it over every service: `tests/shared/test_params.py`).

Use the types here instead of bare ones::

    async def list_things(year: Year | None = None, as_of: Day | None = None) -> ...

Enums and UUIDs are bounded by their type; strings need a `max_length` (or a pattern).
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le, MaxLen
from fastapi import FastAPI
from pydantic import AfterValidator, WithJsonSchema

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)

Year = Annotated[int, Ge(2000), Le(2100)]
"""A school or plan year."""

Count = Annotated[int, Ge(0), Le(1_000_000)]
"""A non-negative count or number (a version, a page of results …)."""

MAX_LIMIT = 200
Limit = Annotated[int, Ge(1), Le(MAX_LIMIT)]
"""Items per page."""


def _within_days(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a date from {FIRST_DAY} to {LAST_DAY}")
    return value


def _within_moments(value: datetime) -> datetime:
    day = value.astimezone(UTC).date() if value.tzinfo else value.date()
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"a moment from {FIRST_DAY} to {LAST_DAY}")
    return value


_BOUNDS = {"formatMinimum": FIRST_DAY.isoformat(), "formatMaximum": LAST_DAY.isoformat()}

Day = Annotated[
    date,
    AfterValidator(_within_days),
    WithJsonSchema({"type": "string", "format": "date", **_BOUNDS}),
]
"""A calendar day from 1900 to 2199."""

Moment = Annotated[
    datetime,
    AfterValidator(_within_moments),
    WithJsonSchema({"type": "string", "format": "date-time", **_BOUNDS}),
]
"""A moment from 1900 to 2199 (ISO 8601)."""

ShortText = Annotated[str, MaxLen(100)]
"""A free-text filter or search term."""


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        found: dict[str, Any] = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return found
    return schema


def _parameters(app: FastAPI) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    document = app.openapi()
    schemas = document.get("components", {}).get("schemas", {})
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") not in ("query", "path"):
                    continue
                schema = parameter.get("schema", {})
                for option in schema.get("anyOf", [schema]):
                    if option.get("type") != "null":
                        name = f"{method.upper()} {path} {parameter['name']}"
                        yield name, _resolve(option, schemas), schemas


def _is_bounded(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return True
    if kind in ("integer", "number"):
        has_low = "minimum" in schema or "exclusiveMinimum" in schema
        has_high = "maximum" in schema or "exclusiveMaximum" in schema
        return has_low and has_high
    if kind == "string":
        if schema.get("format") in ("date", "date-time"):
            return "formatMinimum" in schema and "formatMaximum" in schema
        return (
            "maxLength" in schema
            or "pattern" in schema
            or schema.get("format") in ("uuid", "time", "duration")
        )
    if kind == "array":
        # Repeated values are bounded by the request line's length; each must be bounded.
        return _is_bounded(_resolve(schema.get("items", {}), schemas), schemas)
    return kind == "boolean"


def unbounded_parameters(app: FastAPI) -> list[str]:
    """Query and path parameters whose schema lets an out-of-range value through."""
    return sorted(
        {name for name, schema, schemas in _parameters(app) if not _is_bounded(schema, schemas)}
    )


def require_bounded_parameters(app: FastAPI) -> None:
    unbounded = unbounded_parameters(app)
    if unbounded:
        raise RuntimeError(
            "URL parameters without bounds (use shared.params types or Query(ge=, le=, "
            "max_length=)): " + "; ".join(unbounded)
        )
