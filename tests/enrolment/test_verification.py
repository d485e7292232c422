"""Agency adapters against the simulator over HTTP: answers, retries, timeouts, the breaker."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.config import Settings
from enrolment.models import Application, Verification
from enrolment.privacy import PersonalDataVault
from enrolment.verification.adapters import (
    AgencyUnavailable,
    CircuitBreaker,
    HttpAgency,
    http_agencies,
)
from enrolment.verification.service import run_check
from shared.testing.tokens import TestIssuer

from .conftest import World, make_family, submit


def agency(url: str, http: httpx.AsyncClient, **options: Any) -> HttpAgency:
    values = {
        "timeout": 0.5,
        "attempts": 3,
        "backoff": 0.01,
        "breaker": CircuitBreaker(failures=5, reset_seconds=60),
    }
    values.update(options)
    return HttpAgency(
        name="public_security", url=f"{url}/v1/public-security/hukou-checks", http=http, **values
    )


async def test_retries_ride_out_a_short_outage(agencysim_url: str) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(
            f"{agencysim_url}/v1/sim/faults",
            json={"agency": "public_security", "mode": "fail", "status": 503, "count": 2},
        )
        answer = await agency(agencysim_url, http).check(
            {"id_number": "450103201905060016", "name": "李小明"}
        )
        assert answer.outcome == "mismatch"  # found, but no address given to compare
        assert (await http.get(f"{agencysim_url}/v1/sim/calls")).json()["public_security"] == 3


async def test_a_slow_agency_times_out_and_the_breaker_opens(agencysim_url: str) -> None:
    clock = [0.0]
    breaker = CircuitBreaker(failures=2, reset_seconds=30, clock=lambda: clock[0])
    async with httpx.AsyncClient() as http:
        await http.post(
            f"{agencysim_url}/v1/sim/faults",
            json={"agency": "public_security", "mode": "slow", "delay_ms": 400},
        )
        slow = agency(agencysim_url, http, timeout=0.05, attempts=2, breaker=breaker)
        with pytest.raises(AgencyUnavailable):
            await slow.check({"id_number": "x"})
        assert breaker.state == "open"
        calls = (await http.get(f"{agencysim_url}/v1/sim/calls")).json()["public_security"]
        with pytest.raises(AgencyUnavailable, match="circuit open"):
            await slow.check({"id_number": "x"})
        assert (await http.get(f"{agencysim_url}/v1/sim/calls")).json()[
            "public_security"
        ] == calls  # not even tried

        await http.delete(f"{agencysim_url}/v1/sim/faults")
        clock[0] = 31.0
        assert breaker.state == "half_open"
        answer = await slow.check({"id_number": "450103201905060016"})
        assert answer.outcome == "mismatch"
        assert breaker.state == "closed"


async def test_a_failed_trial_call_reopens_the_breaker() -> None:
    clock = [0.0]
    breaker = CircuitBreaker(failures=3, reset_seconds=10, clock=lambda: clock[0])
    for _ in range(3):
        breaker.failure()
    assert not breaker.allow()
    clock[0] = 10.0
    assert breaker.allow()
    breaker.failure()
    assert breaker.state == "open"


async def test_check_results_are_stored_with_flags_for_reviewers(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
    agencysim_url: str,
) -> None:
    family = await make_family(client, issuer)
    application_id = (await submit(client, world, family)).json()["id"]
    settings = Settings(agencysim_url=agencysim_url, agency_backoff_seconds=0.01)
    vault = PersonalDataVault.from_settings(settings)
    async with httpx.AsyncClient() as http:
        await http.post(
            f"{agencysim_url}/v1/sim/records",
            json={
                "hukou": [
                    {
                        "id_number": family.id_number,
                        "name": "李小明",
                        "address": {
                            "district_code": "450103",
                            "road": "民族大道",
                            "house_number": "99",
                        },
                        "move_in_date": "2020-03-01",
                    }
                ],
                "property": [
                    {
                        "certificate_number": "桂(2018)南宁市不动产权第0123456号",
                        "address": {
                            "district_code": "450103",
                            "road": "民族大道",
                            "house_number": "99号",
                        },
                        "handover_date": "2018-05-20",
                    }
                ],
            },
        )
        adapters = http_agencies(settings, http)
        for agency_name in ("public_security", "property_registry"):
            await run_check(
                session, vault, adapters, {"application_id": application_id, "agency": agency_name}
            )

        await http.post(
            f"{agencysim_url}/v1/sim/faults",
            json={"agency": "public_security", "mode": "fail", "status": 500},
        )
        with pytest.raises(AgencyUnavailable):  # the outbox will retry it later
            await run_check(
                session,
                vault,
                adapters,
                {"application_id": application_id, "agency": "public_security"},
            )

    rows = {
        v.agency.value: v
        for v in (
            await session.scalars(
                select(Verification).where(Verification.application_id == uuid.UUID(application_id))
            )
        ).all()
    }
    assert rows["public_security"].outcome.value == "matched"
    assert rows["public_security"].details["move_in_date_matches"] is True
    assert rows["property_registry"].outcome.value == "matched"
    application = await session.get(Application, uuid.UUID(application_id))
    assert application is not None
    await session.refresh(application)
    assert application.verification_status.value == "complete"
    assert application.flags == []

    review = (
        await client.get(
            f"/v1/review/applications/{application_id}", headers=issuer.district_admin("450103")
        )
    ).json()
    assert {v["agency"]: v["outcome"] for v in review["verifications"]} == {
        "property_registry": "matched",
        "public_security": "matched",
    }
    assert family.id_number not in str(review["verifications"])


async def test_a_mismatch_raises_a_flag_the_queue_can_filter(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    world: World,
    clock: object,
    session: AsyncSession,
    agencysim_url: str,
) -> None:
    family = await make_family(client, issuer)
    application_id = (await submit(client, world, family)).json()["id"]
    settings = Settings(agencysim_url=agencysim_url)
    async with httpx.AsyncClient() as http:
        await http.post(
            f"{agencysim_url}/v1/sim/records",
            json={
                "hukou": [
                    {
                        "id_number": family.id_number,
                        "name": "李小明",
                        "address": {
                            "district_code": "450103",
                            "road": "民族大道",
                            "house_number": "7",
                        },
                        "move_in_date": "2023-01-01",
                    }
                ]
            },
        )
        await run_check(
            session,
            PersonalDataVault.from_settings(settings),
            http_agencies(settings, http),
            {"application_id": application_id, "agency": "public_security"},
        )
    queue = (
        await client.get(
            "/v1/review/applications",
            params={"flag": "hukou_mismatch"},
            headers=issuer.district_admin("450103"),
        )
    ).json()
    assert [item["id"] for item in queue["items"]] == [application_id]
