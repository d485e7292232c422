"""The agency read API matches `shared.clients.enrolment` exactly, behind its scope."""

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import Application, ApplicationStatus, Ownership
from shared.clients.enrolment import STATS_SCOPE, EnrolmentClient, EnrolmentStats
from shared.http import StaticToken
from shared.testing.tokens import TestIssuer

from .conftest import BINHU, FENGLING, QINGXIU, World, batch_one_facts, make_family, submit


async def test_stats_follow_the_contract_and_count_what_happened(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
) -> None:
    ids = []
    for sequence, number in ((1, "99号"), (3, "100号"), (5, "101号")):
        family = await make_family(
            client, issuer, facts=batch_one_facts(number=number), sequence=sequence
        )
        ids.append(uuid.UUID((await submit(client, world, family)).json()["id"]))
    # The batch-admission job (a later issue) writes placements; here we place two by hand.
    first = await session.get(Application, ids[0])
    second = await session.get(Application, ids[1])
    assert first is not None
    assert second is not None
    for application, offering, school in (
        (first, world.offerings[BINHU], BINHU),
        (second, world.offerings[BINHU], BINHU),
    ):
        application.status = ApplicationStatus.admitted
        application.admitted_offering_id = uuid.UUID(offering)
        application.admitted_school_code = school
        application.admitted_ownership = Ownership.public
    await session.flush()

    headers = issuer.agency_client("supervision", [STATS_SCOPE])
    response = await client.get(
        "/v1/stats/enrolment",
        params={"year": 2026, "stage": "primary_g1", "district_code": QINGXIU},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    stats = EnrolmentStats.model_validate(response.json())
    assert (stats.applications, stats.verified, stats.admitted, stats.unplaced) == (3, 2, 2, 0)
    assert stats.by_batch == {"hukou_property_sole": 2}
    assert stats.catchment_share == 0.5  # the second child's catchment is 凤岭小学
    assert stats.migrant_share_in_public is None
    schools = {s.school_code: s for s in stats.schools}
    assert (
        schools[BINHU].applications,
        schools[BINHU].admitted,
        schools[BINHU].admitted_in_catchment,
    ) == (2, 2, 1)
    assert schools[FENGLING].applications == 1

    other = await client.get(
        "/v1/stats/enrolment",
        params={"year": 2026, "stage": "primary_g1", "district_code": "450102"},
        headers=headers,
    )
    assert other.json()["applications"] == 0


async def test_stats_need_the_scope(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    params = {"year": 2026, "stage": "primary_g1"}
    assert (
        await client.get(
            "/v1/stats/enrolment",
            params=params,
            headers=issuer.agency_client("x", ["plans:progress:read"]),
        )
    ).status_code == 403
    assert (
        await client.get(
            "/v1/stats/enrolment", params=params, headers=issuer.district_admin(QINGXIU)
        )
    ).status_code == 403
    assert (
        await client.get("/v1/stats/enrolment", params=params, headers=issuer.parent(uuid.uuid4()))
    ).status_code == 403
    assert (
        await client.get(
            "/v1/stats/enrolment",
            params=params,
            headers=issuer.service("supervision", [STATS_SCOPE]),
        )
    ).status_code == 200
    assert (
        await client.get(
            "/v1/stats/enrolment",
            params={"year": 2026, "stage": "kindergarten"},
            headers=issuer.city_admin(),
        )
    ).status_code == 422


async def test_the_typed_client_reads_it_over_http(
    serve_app: object, issuer: TestIssuer, client: httpx.AsyncClient
) -> None:
    from .conftest import app_of

    base_url = await serve_app(app_of(client))  # type: ignore[operator]
    token = issuer.token(subject="service:supervision", kind="service", scopes=[STATS_SCOPE])
    async with httpx.AsyncClient() as http:
        peer = EnrolmentClient(
            peer="enrolment", base_url=base_url, http=http, token_source=StaticToken(token)
        )
        stats = await peer.stats(year=2026, stage="primary_g1")
    assert stats.applications >= 0
    assert stats.district_code is None
