"""Boundaries pinned, table by table: the opening hours and the window to the second (and the
same instants in UTC), closed and all-day days, and every way a family can file twice.

The world's cycle opens 2026-07-02 08:30 and closes 2026-07-07 17:30 (Asia/Shanghai), open
08:30–12:30 and 14:30–22:00, on the last day 08:30–12:30 and 14:30–17:30.
"""

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import Application
from enrolment.windows import SHANGHAI
from shared.testing.tokens import TestIssuer

from .conftest import QINGXIU, World, cycle_body, make_family, submit


def at(text: str, zone: Any = SHANGHAI) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


OPEN = None
HOURS = "cycle.daily_hours"
WINDOW = "cycle.registration_window"

MOMENTS = [
    # (moment, refused on field — None: accepted)
    (at("2026-07-02T08:29:59"), WINDOW),  # a second before the window opens
    (at("2026-07-02T08:30:00"), OPEN),  # the window opens, and the day's first span
    (at("2026-07-03T08:29:59"), HOURS),
    (at("2026-07-03T08:29:59.999999"), HOURS),
    (at("2026-07-03T08:30:00"), OPEN),
    (at("2026-07-03T12:29:59"), OPEN),
    (at("2026-07-03T12:30:00"), HOURS),  # a span excludes its end
    (at("2026-07-03T14:29:59"), HOURS),
    (at("2026-07-03T14:30:00"), OPEN),
    (at("2026-07-03T21:59:59"), OPEN),
    (at("2026-07-03T22:00:00"), HOURS),
    (at("2026-07-07T17:29:59"), OPEN),  # the last day's own hours, to its last second
    (at("2026-07-07T17:30:00"), WINDOW),  # the window excludes its closing moment
    (at("2026-07-07T18:00:00"), WINDOW),
    # The same instants from a server clock in UTC (Shanghai is UTC+8, no summer time).
    (at("2026-07-03T00:29:59", UTC), HOURS),
    (at("2026-07-03T00:30:00", UTC), OPEN),
    (at("2026-07-03T04:29:59", UTC), OPEN),
    (at("2026-07-03T04:30:00", UTC), HOURS),
    (at("2026-07-02T16:30:00", UTC), HOURS),  # 00:30 on 3 July in Nanning, 2 July in UTC
    (at("2026-07-07T09:29:59", UTC), OPEN),
    (at("2026-07-07T09:30:00", UTC), WINDOW),
]


@pytest.mark.parametrize(("moment", "refused_on"), MOMENTS, ids=[m.isoformat() for m, _ in MOMENTS])
async def test_opening_hours_and_window_to_the_second(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: Any,
    session: AsyncSession,
    moment: datetime,
    refused_on: str | None,
) -> None:
    family = await make_family(client, issuer)
    clock(moment)

    response = await submit(client, world, family)

    if refused_on is None:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == refused_on
        stored = await session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.child_id == family.child_id)
        )
        assert stored == 0


async def special_days_world(client: httpx.AsyncClient, issuer: TestIssuer, **hours: Any) -> World:
    from .conftest import build_world

    world = await build_world(client, issuer)
    patched = await client.patch(f"/v1/cycles/{world.cycle_id}", json=hours, headers=world.city)
    assert patched.status_code == 200, patched.text
    return world


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        (at("2026-07-04T09:00:00"), False),  # closed all day
        (at("2026-07-04T23:59:59"), False),
        (at("2026-07-05T00:00:00"), True),  # all day: from midnight…
        (at("2026-07-05T13:00:00"), True),
        (at("2026-07-05T23:59:59.999999"), True),  # …to the last instant
        (at("2026-07-06T13:00:00"), False),  # an ordinary day again
    ],
)
async def test_closed_and_all_day_are_said_explicitly(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    clock: Any,
    moment: datetime,
    accepted: bool,
) -> None:
    world = await special_days_world(
        client,
        issuer,
        daily_hours_overrides={
            "2026-07-04": {"closed": True},
            "2026-07-05": [{"start": "00:00", "end": "24:00"}],
        },
    )
    family = await make_family(client, issuer)
    clock(moment)

    response = await submit(client, world, family)

    assert response.status_code == (201 if accepted else 422), response.text
    if not accepted and moment.day == 4:
        assert "当日不开放" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "hours",
    [
        {"daily_hours": []},  # used to mean "always open"
        {"daily_hours_overrides": {"2026-07-04": []}},  # read as "closed", opened the day
        {"daily_hours_overrides": {"2026-07-04": {"closed": False}}},
        {"daily_hours": [{"start": "24:00", "end": "24:00"}]},
        {"daily_hours": [{"start": "08:30", "end": "24:01"}]},
        {"daily_hours": [{"start": "08:30", "end": "08:30"}]},
    ],
)
async def test_an_empty_or_impossible_day_is_refused_not_guessed(
    client: httpx.AsyncClient, issuer: TestIssuer, hours: dict[str, Any]
) -> None:
    response = await client.post(
        "/v1/cycles", json=cycle_body(QINGXIU, **hours), headers=issuer.city_admin()
    )
    assert response.status_code == 422, response.text


async def test_all_day_hours_are_stored_and_read_back_as_given(
    client: httpx.AsyncClient, issuer: TestIssuer
) -> None:
    body = cycle_body(
        QINGXIU,
        daily_hours=[{"start": "00:00", "end": "24:00"}],
        daily_hours_overrides={"2026-07-04": {"closed": True}},
    )
    created = await client.post("/v1/cycles", json=body, headers=issuer.city_admin())
    assert created.status_code == 201, created.text
    assert created.json()["daily_hours"] == [{"start": "00:00", "end": "24:00"}]
    assert created.json()["daily_hours_overrides"] == {"2026-07-04": {"closed": True}}


# --- filing twice ---------------------------------------------------------------------------


async def create(
    client: httpx.AsyncClient, world: World, headers: dict[str, str], child_id: str, submit: bool
) -> httpx.Response:
    return await client.post(
        "/v1/applications",
        json={"cycle_id": world.cycle_id, "child_id": child_id, "submit": submit},
        headers=headers,
    )


# (what the account already has for the child, what it asks for now) → status. Never a 500.
SAME_ACCOUNT = [
    ("draft", "draft", 409),
    ("draft", "submit", 409),
    ("submitted", "draft", 409),
    ("submitted", "submit", 409),
    ("withdrawn", "draft", 201),
    ("withdrawn", "submit", 201),
]


@pytest.mark.parametrize(("existing", "asked", "expected"), SAME_ACCOUNT)
async def test_one_application_per_child_of_an_account(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    existing: str,
    asked: str,
    expected: int,
) -> None:
    family = await make_family(client, issuer)
    first = await create(client, world, family.headers, family.child_id, existing != "draft")
    assert first.status_code == 201, first.text
    if existing == "withdrawn":
        withdrawn = await client.post(
            f"/v1/applications/{first.json()['id']}/withdraw", json={}, headers=family.headers
        )
        assert withdrawn.status_code == 200, withdrawn.text

    response = await create(client, world, family.headers, family.child_id, asked == "submit")

    assert response.status_code == expected, response.text
    if expected == 409:
        assert response.json()["code"] == "enrolment.application.duplicate"
        assert response.json()["errors"][0]["field"] == "body.child_id"


# (the other account's application for the same ID number, this account's step) → (status,
# both flagged). A draft holds nothing; a live application is shared, flagged, never refused.
OTHER_ACCOUNT = [
    ("draft", "submit", 201, False),
    ("draft", "submit_draft", 200, False),
    ("submitted", "draft", 201, False),
    ("submitted", "submit", 201, True),
    ("submitted", "submit_draft", 200, True),
    ("withdrawn", "submit", 201, False),
]


@pytest.mark.parametrize(("other", "step", "expected", "flagged"), OTHER_ACCOUNT)
async def test_another_accounts_application_never_refuses_this_one(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
    other: str,
    step: str,
    expected: int,
    flagged: bool,
) -> None:
    stranger = await make_family(client, issuer)
    theirs = await create(client, world, stranger.headers, stranger.child_id, other != "draft")
    assert theirs.status_code == 201, theirs.text
    if other == "withdrawn":
        await client.post(
            f"/v1/applications/{theirs.json()['id']}/withdraw", json={}, headers=stranger.headers
        )
    family = await make_family(client, issuer)

    if step == "submit_draft":
        drafted = await create(client, world, family.headers, family.child_id, False)
        response = await client.post(
            f"/v1/applications/{drafted.json()['id']}/submit", headers=family.headers
        )
    else:
        response = await create(client, world, family.headers, family.child_id, step == "submit")

    assert response.status_code == expected, response.text
    live = (
        await session.execute(
            select(Application.status, Application.flags).where(
                Application.cycle_id == world.cycle_id,
                Application.status.notin_(["draft", "withdrawn"]),
            )
        )
    ).all()
    assert live, "something was submitted"
    for status, flags in live:
        assert ("duplicate_child" in flags) == flagged, (status, flags)
