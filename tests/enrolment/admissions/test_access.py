"""Who may do what with the lottery, runs, rosters and results: district staff their district,
school staff their school's roster, families their own result, everyone the public documents."""

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.privacy import PersonalDataVault
from shared.testing.tokens import TestIssuer

from ..conftest import BINHU, FENGLING, PRIVATE, QINGXIU, XINGNING, XINGNING_SCHOOL, World
from .conftest import (
    AFTER_REGISTRATION,
    Kid,
    add_kids,
    admit,
    city_world,
    commit_seed,
    request_run,
)


@pytest.fixture(autouse=True)
def after_registration(clock: Callable[..., None]) -> None:
    clock(AFTER_REGISTRATION)


async def test_the_lottery_commitment_is_public_and_the_seed_stays_secret_until_the_draw(
    client: httpx.AsyncClient,
    world: World,
    issuer: TestIssuer,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    url = f"/v1/cycles/{world.cycle_id}/lottery"
    assert (await client.get(f"/v1/public/cycles/{world.cycle_id}/lottery")).status_code == 404
    for headers in (
        issuer.district_admin(XINGNING),
        issuer.school_staff(BINHU),
        issuer.parent(uuid.uuid4()),
    ):
        assert (await client.post(f"{url}/commit", headers=headers)).status_code == 403
    assert (
        await client.post(f"/v1/cycles/{uuid.uuid4()}/lottery/commit", headers=world.city)
    ).status_code == 404

    committed = await client.post(f"{url}/commit", headers=issuer.district_admin(QINGXIU))
    assert committed.status_code == 201, committed.text
    public = (await client.get(f"/v1/public/cycles/{world.cycle_id}/lottery")).json()
    assert public["commitment"] == committed.json()["commitment"]
    assert len(public["commitment"]) == 64
    assert public["seed"] is None
    # Committed once, never replaced; revealed only after the draw.
    again = await client.post(f"{url}/commit", headers=world.city)
    assert again.status_code == 409
    assert again.json()["code"] == "enrolment.lottery.conflict"
    assert (await client.post(f"{url}/reveal", headers=world.city)).status_code == 409

    await add_kids(session, world, vault, [Kid(BINHU)])
    await admit(client, world, run_job)
    revealed = await client.post(f"{url}/reveal", headers=world.city)
    assert revealed.status_code == 200
    seed = revealed.json()["seed"]
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == public["commitment"]
    assert (await client.get(f"/v1/public/cycles/{world.cycle_id}/lottery")).json()["seed"] == seed


async def test_district_and_school_staff_see_only_their_part_of_a_run(
    client: httpx.AsyncClient,
    world: World,
    issuer: TestIssuer,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    await add_kids(session, world, vault, [Kid(BINHU), Kid(FENGLING), Kid(None)])
    await commit_seed(client, world)
    run = await admit(client, world, run_job)
    base = f"/v1/admission-runs/{run['id']}"
    other_district = issuer.district_admin(XINGNING)
    binhu = issuer.school_staff(BINHU)
    qingxiu = issuer.district_admin(QINGXIU)

    # Another district's staff: the run does not exist for them, nor does anything in it.
    for path in (base, f"{base}/schools", f"{base}/schools/{BINHU}/roster", f"{base}/unplaced"):
        assert (await client.get(path, headers=other_district)).status_code == 404, path
    assert (await request_run(client, world, other_district)).status_code == 403
    assert (await client.post(f"{base}/cancel", headers=other_district)).status_code == 404
    assert (
        await client.get(f"/v1/cycles/{world.cycle_id}/admission-runs", headers=other_district)
    ).json()["items"] == []

    # School staff: the run, their own school and its roster, nothing else.
    assert (await client.get(base, headers=binhu)).status_code == 200
    schools = (await client.get(f"{base}/schools", headers=binhu)).json()
    assert [s["school_code"] for s in schools] == [BINHU]
    assert (await client.get(f"{base}/schools/{BINHU}/roster", headers=binhu)).status_code == 200
    assert (await client.get(f"{base}/schools/{FENGLING}/roster", headers=binhu)).status_code == 404
    assert (
        await client.get(f"{base}/schools/{FENGLING}/roster.xlsx", headers=binhu)
    ).status_code == 404
    assert (await client.get(f"{base}/unplaced", headers=binhu)).status_code == 403
    assert (await request_run(client, world, binhu)).status_code == 403
    assert (
        await client.post(
            f"{base}/publication", json={"respond_by": "2026-08-01T00:00:00+08:00"}, headers=binhu
        )
    ).status_code == 403
    assert (
        await client.get(f"/v1/cycles/{world.cycle_id}/schools/{FENGLING}/roster", headers=binhu)
    ).status_code == 404

    # The district's own staff: everything.
    assert len((await client.get(f"{base}/schools", headers=qingxiu)).json()) == 3
    assert len((await client.get(f"{base}/unplaced", headers=qingxiu)).json()["items"]) == 1

    # Families and agency clients are not staff.
    for headers in (
        issuer.parent(uuid.uuid4()),
        issuer.agency_client("x", ["enrolment:stats:read"]),
    ):
        assert (await client.get(base, headers=headers)).status_code == 403
    assert (await client.get(base)).status_code == 401


async def test_a_city_wide_cycle_is_admitted_district_by_district_by_their_own_staff(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    world = await city_world(client, issuer)
    await commit_seed(client, world)
    await add_kids(
        session,
        world,
        vault,
        [Kid(BINHU), Kid(BINHU, private=PRIVATE), Kid(XINGNING_SCHOOL, district=XINGNING)],
    )
    qingxiu = issuer.district_admin(QINGXIU)

    assert (await request_run(client, world, qingxiu)).status_code == 403  # the whole city
    assert (await request_run(client, world, qingxiu, district_code=XINGNING)).status_code == 403
    mine = await request_run(client, world, qingxiu, district_code=QINGXIU)
    assert mine.status_code == 202, mine.text
    assert mine.json()["job_id"] == f"enrolment.admission.run:{world.cycle_id}:{QINGXIU}"
    assert (await run_job(world.cycle_id, QINGXIU))["status"] == "succeeded"
    theirs = await request_run(
        client, world, issuer.district_admin(XINGNING), district_code=XINGNING
    )
    assert theirs.status_code == 202
    assert (await run_job(world.cycle_id, XINGNING))["status"] == "succeeded"

    run = (await client.get(f"/v1/admission-runs/{mine.json()['id']}", headers=qingxiu)).json()
    assert run["applications"] == 2
    assert (
        await client.get(f"/v1/admission-runs/{theirs.json()['id']}", headers=qingxiu)
    ).status_code == 404
    listed = await client.get(f"/v1/cycles/{world.cycle_id}/admission-runs", headers=qingxiu)
    assert [r["id"] for r in listed.json()["items"]] == [mine.json()["id"]]
