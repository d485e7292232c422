"""Opening day: what a real population of families does to one API process.

A refusal must not break the next family's submission (the process-wide cycle cache holds plain
data, never objects of the refused request's session).
"""

import dataclasses
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import httpx
import jwt
import pytest
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.app import create_app
from enrolment.config import Settings
from enrolment.models import CycleStatus
from shared.auth import principal_from_claims
from shared.testing.tokens import TestIssuer

from .conftest import BLOB_DIR, LUNCH_BREAK, OPEN_MORNING, World, app_of, make_family, submit


@pytest.fixture
async def cached_client(
    make_client: Callable[..., Any], client: httpx.AsyncClient
) -> httpx.AsyncClient:
    """A second app with the production cycle cache (the `client` fixture's app keeps none)."""
    http: httpx.AsyncClient = await make_client(
        create_app, Settings, cycle_cache_seconds=60.0, blob_dir=str(BLOB_DIR)
    )
    app = app_of(http)
    app.state.schools = app_of(client).state.schools
    app.state.snapshots.drop()
    return http


def stand_at(client: httpx.AsyncClient, moment: Any) -> None:
    app_of(client).state.clock = lambda: moment


REFUSALS = {
    # refusal: (clock at the refused submission, documents uploaded, birth date)
    "outside_daily_hours": (
        LUNCH_BREAK,
        ("hukou_book", "real_estate_certificate"),
        date(2019, 5, 6),
    ),
    "missing_documents": (OPEN_MORNING, ("hukou_book",), date(2019, 5, 6)),
    "under_age": (OPEN_MORNING, ("hukou_book", "real_estate_certificate"), date(2020, 9, 1)),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
async def test_a_refused_submission_does_not_break_the_next_familys(
    client: httpx.AsyncClient,
    cached_client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    refusal: str,
) -> None:
    """The refused request is the one that fills the cache; its rollback must not reach it."""
    moment, documents, birth = REFUSALS[refusal]
    refused_family = await make_family(client, issuer, documents=documents, birth=birth)
    stand_at(cached_client, moment)
    refused = await submit(cached_client, world, refused_family)
    assert refused.status_code == 422, refused.text

    stand_at(cached_client, OPEN_MORNING)
    for sequence in (2, 3):
        family = await make_family(client, issuer, sequence=sequence)
        response = await submit(cached_client, world, family)
        assert response.status_code == 201, response.text
        assert response.json()["catchment_school"] is not None


def reachable(value: Any, seen: set[int] | None = None) -> Iterator[tuple[Any, bool]]:
    """(object, inside a pydantic model) for every object reachable from `value`."""
    seen = seen if seen is not None else set()
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, in_model = stack.pop()
        if id(item) in seen or isinstance(item, str | bytes | int | float | bool | None):
            continue
        seen.add(id(item))
        yield item, in_model
        children: Iterable[Any] = ()
        if isinstance(item, Mapping):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, tuple | list | set | frozenset):
            children = item
        elif dataclasses.is_dataclass(item):
            children = [getattr(item, f.name) for f in dataclasses.fields(item)]
        elif isinstance(item, BaseModel):
            in_model = True
            children = [getattr(item, name) for name in type(item).model_fields]
        stack.extend((child, in_model) for child in children)


async def test_the_cycle_cache_holds_frozen_plain_values_only(
    cached_client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    snapshots = app_of(cached_client).state.snapshots
    snapshot = await snapshots.get(session, uuid.UUID(world.cycle_id))
    assert snapshot is not None
    assert snapshot.by_road
    assert snapshot.offerings
    for item, in_model in reachable(snapshot):
        assert not hasattr(item, "_sa_instance_state"), f"ORM object in the cache: {item!r}"
        # The batch rules are validated pydantic models (lists inside, never written to).
        if not in_model:
            assert not isinstance(item, list | dict | set), f"mutable in the cache: {item!r}"
        if dataclasses.is_dataclass(item):
            assert type(item).__dataclass_params__.frozen, type(item)  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        snapshot.cycle.status = CycleStatus.draft  # type: ignore[misc]


def test_a_verified_token_cached_per_process_cannot_be_changed_by_a_request(
    issuer: TestIssuer,
) -> None:
    token = issuer.parent(uuid.uuid4())["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    principal = principal_from_claims(claims)
    with pytest.raises(TypeError):
        principal.claims["rate_limit"] = 10**6  # type: ignore[index]


async def test_a_cycle_no_family_applied_to_can_be_deleted(
    client: httpx.AsyncClient, cached_client: httpx.AsyncClient, issuer: TestIssuer, world: World
) -> None:
    city = world.city
    stand_at(cached_client, OPEN_MORNING)
    # Another process still holds the cycle in its cache when it goes.
    family = await make_family(client, issuer)
    lookup = await cached_client.get(
        f"/v1/public/cycles/{world.cycle_id}/catchment",
        params={"district_code": "450103", "road": "民族大道", "house_number": "99号"},
    )
    assert lookup.status_code == 200
    assert lookup.json()["matches"]

    other_district = await client.delete(
        f"/v1/cycles/{world.cycle_id}", headers=issuer.district_admin("450102")
    )
    deleted = await client.delete(f"/v1/cycles/{world.cycle_id}", headers=city)
    late = await submit(cached_client, world, family)

    assert other_district.status_code == 403
    assert deleted.status_code == 204, deleted.text
    assert (await client.get(f"/v1/cycles/{world.cycle_id}", headers=city)).status_code == 404
    assert late.status_code == 409, late.text
    assert late.json()["code"] == "enrolment.cycle.changed"
    retried = await submit(cached_client, world, family)
    assert retried.status_code == 404
    assert retried.json()["code"] == "enrolment.cycle.not_found"


async def test_a_cycle_with_an_application_even_a_draft_stays(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World
) -> None:
    stand_at(client, OPEN_MORNING)
    family = await make_family(client, issuer)
    drafted = await client.post(
        "/v1/applications",
        json={"cycle_id": world.cycle_id, "child_id": family.child_id},
        headers=family.headers,
    )
    assert drafted.status_code == 201

    response = await client.delete(f"/v1/cycles/{world.cycle_id}", headers=world.city)

    assert response.status_code == 409
    assert response.json()["code"] == "enrolment.cycle.conflict"
    assert (await client.get(f"/v1/cycles/{world.cycle_id}", headers=world.city)).status_code == 200
