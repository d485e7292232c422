"""Admission runs in-process: Nanning's batch order and 公民同招 fall-back, explanations,
capacity enforced by the database too, determinism, scope and refusals."""

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from enrolment.admission.engine import ENGINE_VERSION
from enrolment.admissions.runner import AdmissionRunner, RunSuperseded
from enrolment.models import AdmissionPlacement, Cycle, RunStatus
from enrolment.privacy import PersonalDataVault
from shared.testing.fixtures import joined_sessionmaker
from shared.testing.tokens import TestIssuer

from ..conftest import BINHU, FENGLING, PRIVATE, QINGXIU, XINGNING, XINGNING_SCHOOL, World
from .conftest import (
    AFTER_REGISTRATION,
    Kid,
    add_kids,
    admit,
    assignment,
    city_world,
    commit_seed,
    request_run,
    set_seats,
)


@pytest.fixture(autouse=True)
def after_registration(clock: Callable[..., None]) -> None:
    clock(AFTER_REGISTRATION)


async def golden_world(
    client: httpx.AsyncClient, world: World, session: AsyncSession, vault: PersonalDataVault
) -> dict[str, Any]:
    await set_seats(client, world, {BINHU: 3, FENGLING: 2, PRIVATE: 1})
    kids = {
        "A": Kid(BINHU, 1, "2019-01-01", name="甲"),
        "B": Kid(BINHU, 1, "2020-06-01", name="乙"),
        "C": Kid(BINHU, 4, "2018-01-01", name="丙"),
        "D": Kid(BINHU, 9, name="丁"),
        "P1": Kid(BINHU, 1, "2019-06-01", private=PRIVATE, name="戊"),
        "P2": Kid(BINHU, 1, "2021-01-01", private=PRIVATE, name="己"),
        "E": Kid(None, 9, name="庚"),
        "F": Kid(FENGLING, 1, "2020-01-01", name="辛"),
    }
    placed = await add_kids(session, world, vault, list(kids.values()))
    await commit_seed(client, world)
    return {name: p.public_id for name, p in zip(kids, placed, strict=True)}


async def test_nanning_batches_and_private_lottery_fall_back_to_the_catchment_school(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    ids = await golden_world(client, world, session, vault)

    run = await admit(client, world, run_job)

    placed = await assignment(session, run["id"])
    winner, loser = ("P1", "P2") if placed[ids["P1"]] == PRIVATE else ("P2", "P1")
    assert placed[ids[winner]] == PRIVATE
    # 公民同招: the lottery loser keeps their batch-1 key at the catchment school, ahead of
    # batch 4 and the others, however their lottery numbers compare.
    assert {k: placed[ids[k]] for k in ("A", "B", loser)} == dict.fromkeys(("A", "B", loser), BINHU)
    assert {k: placed[ids[k]] for k in ("C", "D", "E")} == dict.fromkeys(("C", "D", "E"))
    assert placed[ids["F"]] == FENGLING
    assert (run["applications"], run["placed"], run["unplaced"]) == (8, 5, 3)
    assert run["statistics"]["private"] == {
        "applications": 2,
        "won_lottery": 1,
        "fell_back_to_catchment": 1,
        "unplaced": 0,
    }
    assert run["status"] == "succeeded"
    assert run["is_current"]
    assert run["progress"] == 100
    assert run["engine_version"] == ENGINE_VERSION
    assert len(run["inputs_digest"]) == 64

    roster = await client.get(
        f"/v1/admission-runs/{run['id']}/schools/{BINHU}/roster", headers=world.city
    )
    assert roster.status_code == 200, roster.text
    entries = roster.json()["entries"]
    assert [e["seat_no"] for e in entries] == [1, 2, 3]
    # Seat order is admission order: batch 1 by 户籍迁入日期.
    expected_order = ["A", "P1", "B"] if loser == "P1" else ["A", "B", "P2"]
    assert [e["public_id"] for e in entries] == [ids[k] for k in expected_order]
    fallback = next(e for e in entries if e["public_id"] == ids[loser])
    assert fallback["fallback"] is True
    assert fallback["track"] == "private"
    assert "第一批次" in entries[0]["basis"]
    assert "2019-01-01" in entries[0]["basis"]
    school = roster.json()["school"]
    assert (school["capacity"], school["admitted"], school["applicants"]) == (3, 3, 6)
    assert school["cutoff"]["public_id"] == entries[-1]["public_id"]

    unplaced = await client.get(f"/v1/admission-runs/{run['id']}/unplaced", headers=world.city)
    assert unplaced.status_code == 200
    why = {item["public_id"]: item for item in unplaced.json()["items"]}
    assert set(why) == {ids["C"], ids["D"], ids["E"]}
    message = why[ids["C"]]["choices"][0]["message"]
    assert "3个学位已录满" in message, message
    assert "第四批次：三代同堂" in message, message
    assert "未匹配到招生地段" in why[ids["E"]]["summary"]
    assert why[ids["E"]]["choices"] == []


async def test_the_private_lottery_loser_is_told_why_in_plain_chinese(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    ids = await golden_world(client, world, session, vault)
    run = await admit(client, world, run_job)
    placed = await assignment(session, run["id"])
    loser = ids["P2"] if placed[ids["P1"]] == PRIVATE else ids["P1"]

    row = await session.scalar(
        select(AdmissionPlacement).where(
            AdmissionPlacement.run_id == uuid.UUID(run["id"]),
            AdmissionPlacement.public_id == loser,
        )
    )

    assert row is not None
    assert row.fallback
    private, catchment = row.explanation
    assert private["outcome"] == "not_admitted"
    assert private["reason"] == "lottery_below_cutoff"
    assert "电脑随机录取" in private["message"]
    assert "1个学位" in private["message"]
    assert catchment["outcome"] == "admitted"
    assert "公民同招" in catchment["message"]
    assert "地段学校" in row.summary


async def test_a_rerun_of_the_same_inputs_gives_the_same_result_and_replaces_the_current_run(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    await golden_world(client, world, session, vault)
    first = await admit(client, world, run_job)
    second = await admit(client, world, run_job)

    assert second["inputs_digest"] == first["inputs_digest"]
    assert await assignment(session, second["id"]) == await assignment(session, first["id"])
    runs = (
        await client.get(f"/v1/cycles/{world.cycle_id}/admission-runs", headers=world.city)
    ).json()["items"]
    assert [(r["id"], r["is_current"]) for r in runs] == [
        (second["id"], True),
        (first["id"], False),
    ]
    # The first run stays whole for comparison.
    count = await session.scalar(
        select(func.count())
        .select_from(AdmissionPlacement)
        .where(AdmissionPlacement.run_id == uuid.UUID(first["id"]))
    )
    assert count == 8


async def test_the_database_refuses_a_school_over_capacity_or_a_child_placed_twice(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    await golden_world(client, world, session, vault)
    run = await admit(client, world, run_job)
    run_id = uuid.UUID(run["id"])
    rows = (
        await session.scalars(
            select(AdmissionPlacement).where(
                AdmissionPlacement.run_id == run_id, AdmissionPlacement.offering_id.is_not(None)
            )
        )
    ).all()
    binhu = uuid.UUID(world.offerings[BINHU])
    some, other = [row for row in rows if row.offering_id == binhu][:2]

    for values in (
        {"seat_no": some.capacity + 1},  # a fourth seat at a three-seat school
        {"capacity": 99, "seat_no": 50},  # lying about the capacity breaks the foreign key
        {
            "seat_no": next(
                r.seat_no for r in rows if r.offering_id == some.offering_id and r is not some
            )
        },
    ):
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(
                    update(AdmissionPlacement)
                    .where(
                        AdmissionPlacement.run_id == run_id,
                        AdmissionPlacement.application_id == some.application_id,
                    )
                    .values(**values)
                )
    with pytest.raises(IntegrityError):  # one child, two placements in one run
        async with session.begin_nested():
            await session.execute(
                insert(AdmissionPlacement).values(
                    run_id=run_id,
                    application_id=some.application_id,
                    public_id=some.public_id,
                    track=some.track,
                    lottery=some.lottery,
                    choices=[],
                    priority={},
                    ineligible={},
                    explanation=[],
                    summary="",
                )
            )


async def test_a_run_needs_the_lottery_commitment_first(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await request_run(client, world)

    assert response.status_code == 409
    assert response.json()["code"] == "enrolment.lottery.conflict"


async def test_one_run_at_a_time_per_scope(client: httpx.AsyncClient, world: World) -> None:
    await commit_seed(client, world)
    first = await request_run(client, world)
    second = await request_run(client, world)

    assert first.status_code == 202
    assert first.json()["status"] == "queued"
    assert first.json()["job_id"] == f"enrolment.admission.run:{world.cycle_id}:all"
    assert second.status_code == 409
    assert second.json()["code"] == "enrolment.admission_run.conflict"


async def test_a_district_cycle_is_admitted_whole(client: httpx.AsyncClient, world: World) -> None:
    await commit_seed(client, world)
    response = await request_run(client, world, district_code=XINGNING)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.district_code"


@pytest.mark.parametrize(
    "body", [{"district_code": "45"}, {"district_code": 450103}, {"scope": "all"}, []]
)
async def test_bad_run_requests_are_4xx_naming_the_field(
    client: httpx.AsyncClient, world: World, body: Any
) -> None:
    response = await client.post(
        f"/v1/cycles/{world.cycle_id}/admission-runs", json=body, headers=world.city
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"]


async def test_unknown_and_malformed_ids_are_404_and_422(
    client: httpx.AsyncClient, world: World
) -> None:
    assert (
        await client.get(f"/v1/admission-runs/{uuid.uuid4()}", headers=world.city)
    ).status_code == 404
    assert (await client.get("/v1/admission-runs/nope", headers=world.city)).status_code == 422
    assert (
        await client.post(f"/v1/cycles/{uuid.uuid4()}/admission-runs", json={}, headers=world.city)
    ).status_code == 404
    assert (
        await client.get(
            f"/v1/admission-runs/{uuid.uuid4()}/schools/{BINHU}%27--/roster", headers=world.city
        )
    ).status_code == 422


async def test_progress_timings_and_the_cancelled_queue(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    await golden_world(client, world, session, vault)
    queued = (await request_run(client, world)).json()
    cancelled = await client.post(f"/v1/admission-runs/{queued['id']}/cancel", headers=world.city)
    assert cancelled.status_code == 202
    assert cancelled.json()["status"] == "cancelled"

    assert (await run_job(world.cycle_id))["status"] == "idle"  # the job finds nothing to do
    again = await client.post(f"/v1/admission-runs/{queued['id']}/cancel", headers=world.city)
    assert again.status_code == 409

    run = await admit(client, world, run_job)
    assert run["phase"] == "done"
    assert set(run["timings"]) >= {"load", "lottery", "engine", "explaining", "write", "total"}


async def test_a_run_that_cannot_be_admitted_fails_and_keeps_the_current_run(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    # A city-wide cycle admitted per district: a child applying to a private school in 青秀区
    # whose catchment school is in 兴宁区 cannot be admitted by either district alone.
    world = await city_world(client, issuer)
    await commit_seed(client, world)
    await add_kids(session, world, vault, [Kid(BINHU, 1), Kid(FENGLING, 1)])
    good = (await request_run(client, world, district_code=QINGXIU)).json()
    assert (await run_job(world.cycle_id, QINGXIU))["status"] == "succeeded"

    await add_kids(session, world, vault, [Kid(XINGNING_SCHOOL, 1, private=PRIVATE)])
    failing = (await request_run(client, world, district_code=QINGXIU)).json()
    report = await run_job(world.cycle_id, QINGXIU)

    assert report["status"] == "failed"
    run = (await client.get(f"/v1/admission-runs/{failing['id']}", headers=world.city)).json()
    assert run["status"] == RunStatus.failed
    assert "本次录取范围以外" in run["error"]
    assert XINGNING_SCHOOL in run["error"]
    current = (await client.get(f"/v1/admission-runs/{good['id']}", headers=world.city)).json()
    assert current["is_current"] is True
    # The whole cycle can be admitted in one run instead.
    whole = await request_run(client, world)
    assert whole.status_code == 202
    assert (await run_job(world.cycle_id))["status"] == "succeeded"


async def test_the_demo_cycle_can_be_admitted(
    client: httpx.AsyncClient,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
    issuer: TestIssuer,
) -> None:
    from directory.seed.nanning import SCHOOLS
    from enrolment.seed import DemoSchool, load_demo_applications, load_demo_enrolment

    await load_demo_enrolment(
        session,
        [
            DemoSchool(s.code, s.name, district, s.stages, s.ownership, s.address)
            for district, items in SCHOOLS.items()
            for s in items
        ],
    )
    assert await load_demo_applications(session, vault) == 450
    assert await load_demo_applications(session, vault) == 0
    cycle = await session.scalar(
        select(Cycle).where(Cycle.year == 2026, Cycle.district_code == QINGXIU)
    )
    assert cycle is not None
    world = World(str(cycle.id), {}, issuer.city_admin())
    await commit_seed(client, world)

    run = await admit(client, world, run_job)

    assert run["applications"] == 450
    assert 0 < run["unplaced"] < 450
    assert run["statistics"]["private"]["fell_back_to_catchment"] > 0
    schools = await client.get(f"/v1/admission-runs/{run['id']}/schools", headers=world.city)
    binhu = next(s for s in schools.json() if s["school_code"] == BINHU)
    assert binhu["admitted"] == binhu["capacity"] == 90
    assert binhu["cutoff"] is not None


async def test_a_retried_job_starts_the_run_over_and_the_lost_attempt_can_write_nothing(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
    db_connection: AsyncConnection,
) -> None:
    await golden_world(client, world, session, vault)
    run = (await request_run(client, world)).json()
    # Attempt 1 claims the run, then its worker dies (nothing else of it is ever committed).
    lost = AdmissionRunner(joined_sessionmaker(db_connection), vault, offload=False)
    claim = await lost._claim(uuid.UUID(world.cycle_id), "all")
    assert claim is not None
    assert claim.attempt == 1

    # arq delivers the job again once the dead worker's lease lapses: attempt 2 starts over.
    assert (await run_job(world.cycle_id))["status"] == "succeeded"

    done = (await client.get(f"/v1/admission-runs/{run['id']}", headers=world.city)).json()
    assert (done["status"], done["attempts"], done["is_current"]) == ("succeeded", 2, True)
    with pytest.raises(RunSuperseded):
        await lost._touch(claim, "engine", 40)
