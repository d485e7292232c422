"""The shared sliding-window limiter and the query-side scope filter."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql

from shared.auth import Grant, OrgFilter, Principal, Role, ScopeLevel
from shared.ratelimit import RateLimiter


async def test_the_limit_is_exact_and_per_name(redis_url: str) -> None:
    redis: Redis = Redis.from_url(redis_url)
    limiter = RateLimiter(redis)
    name = f"test:{uuid.uuid4().hex}"
    try:
        decisions = [await limiter.hit(name, limit=3, window_seconds=60) for _ in range(5)]
        other = await limiter.hit(f"{name}:other", limit=3, window_seconds=60)
    finally:
        await redis.aclose()

    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert 0 < decisions[3].retry_after <= 60
    assert other.allowed


async def test_the_window_slides(redis_url: str) -> None:
    redis: Redis = Redis.from_url(redis_url)
    now = [1_000_000.0]
    limiter = RateLimiter(redis, clock=lambda: now[0])
    name = f"test:{uuid.uuid4().hex}"
    try:
        assert (await limiter.hit(name, limit=2, window_seconds=60)).allowed
        now[0] += 30
        assert (await limiter.hit(name, limit=2, window_seconds=60)).allowed
        refused = await limiter.hit(name, limit=2, window_seconds=60)
        now[0] += 31  # the first request has left the window, the second has not
        after = await limiter.hit(name, limit=2, window_seconds=60)
        again = await limiter.hit(name, limit=2, window_seconds=60)
    finally:
        await redis.aclose()

    assert not refused.allowed
    assert refused.retry_after == 30
    assert after.allowed
    assert not again.allowed


async def test_an_unreachable_redis_lets_requests_through() -> None:
    redis: Redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        decision = await RateLimiter(redis).hit("anything", limit=1, window_seconds=60)
    finally:
        await redis.aclose()

    assert decision.allowed
    assert not decision.enforced


orgs = Table(
    "things",
    MetaData(),
    Column("district_code", String),
    Column("school_code", String),
    Column("org_id", String),
)


def sql(scope: OrgFilter) -> str:
    statement = select(orgs.c.district_code).where(
        scope.where(district=orgs.c.district_code, school=orgs.c.school_code, org=orgs.c.org_id)
    )
    return str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )


def test_scope_filters_become_where_clauses() -> None:
    principal = Principal(
        subject="user:1",
        kind="staff",
        grants=(
            Grant.parse("district_admin@district:450103"),
            Grant.parse("school_staff@school:4501050001"),
            Grant(Role.unit_reporter, ScopeLevel.org, "org-1"),
        ),
    )

    reviewer = sql(principal.org_filter(Role.district_admin, Role.school_staff))
    nothing = sql(principal.org_filter(Role.city_admin))
    city = sql(OrgFilter(city_wide=True))

    assert "things.district_code IN ('450103')" in reviewer
    assert "things.school_code IN ('4501050001')" in reviewer
    assert "org_id" not in reviewer
    assert "false" in nothing.lower()
    assert "WHERE true" in city


@given(
    st.sampled_from(list(Role)),
    st.sampled_from(list(ScopeLevel)),
    st.from_regex(r"[0-9a-z-]{1,20}", fullmatch=True),
)
def test_grants_round_trip_through_their_token_form(
    role: Role, level: ScopeLevel, code: str
) -> None:
    grant = Grant(role, level, code)

    assert Grant.parse(str(grant)) == grant


@pytest.mark.parametrize("value", ["parent", "service", "agency_client"])
def test_unscoped_grants_round_trip(value: str) -> None:
    assert str(Grant.parse(value)) == value


async def test_any_service_enforces_an_agency_clients_rate_limit(make_client, issuer) -> None:
    from plans.app import create_app
    from plans.config import Settings

    plans = await make_client(create_app, Settings)
    headers = issuer.agency_client(f"limited-{uuid.uuid4().hex[:6]}", scopes=[], rate_limit=2)

    statuses = [(await plans.get("/v1/plans", headers=headers)).status_code for _ in range(3)]

    # Forbidden (no role) while within the limit; then the limit answers first.
    assert statuses == [403, 403, 429]


async def test_mixed_grants_from_the_test_issuer(make_client, issuer) -> None:
    from plans.app import create_app
    from plans.config import Settings

    plans = await make_client(create_app, Settings)

    response = await plans.get(
        "/v1/plans",
        headers=issuer.grants("inspector@district:450105", "school_staff@school:4501030001"),
    )

    assert response.status_code == 200
