"""Publication at its scheduled time, what families see and do, 调剂, rosters, and the public
results document checked with the `xuezai lottery verify` command."""

import asyncio
import hashlib
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.connections import ArqRedis
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from typer.testing import CliRunner

from enrolment.admission.lottery import lottery_number
from enrolment.admissions.publication import publish_run
from enrolment.admissions.repository import RunRepository
from enrolment.admissions.tasks import sweep
from enrolment.models import (
    AdmissionOffer,
    AdmissionRun,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    OfferStatus,
    OutboxMessage,
)
from enrolment.privacy import PersonalDataVault
from shared.testing.fixtures import joined_sessionmaker
from shared.testing.tokens import TestIssuer
from shared.worker import queue_name_for
from xuezai.cli import app as xuezai_app

from ..conftest import BINHU, FENGLING, PRIVATE, XINGNING, World, app_of, build_world
from .conftest import (
    AFTER_REGISTRATION,
    Kid,
    Placed,
    add_kids,
    admit,
    assignment,
    commit_seed,
    later,
    request_run,
    set_seats,
)

XUEZAI = str(Path(sys.executable).with_name("xuezai"))


@pytest.fixture(autouse=True)
def after_registration(clock: Callable[..., None]) -> None:
    clock(AFTER_REGISTRATION)


async def setup(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> tuple[dict[str, Placed], dict[str, Any]]:
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
    placed = dict(
        zip(kids, await add_kids(session, world, vault, list(kids.values())), strict=True)
    )
    await commit_seed(client, world)
    run = await admit(client, world, run_job)
    return placed, run


async def publish_now(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run: dict[str, Any],
    *,
    respond_days: float = 3,
) -> None:
    response = await client.post(
        f"/v1/admission-runs/{run['id']}/publication",
        json={"respond_by": later(AFTER_REGISTRATION, days=respond_days).isoformat()},
        headers=world.city,
    )
    assert response.status_code == 202, response.text
    report = await publish_run(session, vault, uuid.UUID(run["id"]), AFTER_REGISTRATION)
    assert report.published


async def verify(path: Path) -> subprocess.CompletedProcess[str]:
    """`xuezai lottery verify FILE`, the command anyone runs on the downloaded document."""
    return await asyncio.to_thread(
        subprocess.run,
        [XUEZAI, "lottery", "verify", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


async def statuses(session: AsyncSession, world: World) -> dict[str, int]:
    rows = await session.execute(
        select(Application.status, func.count())
        .where(Application.cycle_id == uuid.UUID(world.cycle_id))
        .group_by(Application.status)
    )
    return {status.value: count for status, count in rows.all()}


async def test_publication_waits_for_its_time_happens_once_and_reveals_the_seed(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    _, run = await setup(client, world, session, vault, run_job)
    publish_at = later(AFTER_REGISTRATION, hours=1)
    scheduled = await client.post(
        f"/v1/admission-runs/{run['id']}/publication",
        json={
            "publish_at": publish_at.isoformat(),
            "respond_by": later(publish_at, days=3).isoformat(),
        },
        headers=world.city,
    )
    assert scheduled.status_code == 202, scheduled.text
    assert scheduled.json()["publication_status"] == "scheduled"
    run_id = uuid.UUID(run["id"])

    # Too early: the deferred job and the cron do nothing yet.
    assert not (await publish_run(session, vault, run_id, AFTER_REGISTRATION)).published
    assert await RunRepository(session).due_for_publication(AFTER_REGISTRATION) == []
    assert await statuses(session, world) == {"verified": 8}
    assert (await client.get(f"/v1/public/cycles/{world.cycle_id}/results")).status_code == 404
    lottery = (await client.get(f"/v1/public/cycles/{world.cycle_id}/lottery")).json()
    assert lottery["seed"] is None
    # Nor can the scope be admitted again meanwhile.
    assert (await request_run(client, world)).status_code == 409

    due = later(publish_at, minutes=1)
    assert await RunRepository(session).due_for_publication(due) == [run_id]
    report = await publish_run(session, vault, run_id, due)
    again = await publish_run(session, vault, run_id, later(due, minutes=1))

    assert (report.published, report.applications, report.offers, report.messages) == (
        True,
        8,
        5,
        8,
    )
    assert not again.published
    assert await statuses(session, world) == {"admitted": 5, "unplaced": 3}
    events = await session.scalar(
        select(func.count())
        .select_from(ApplicationEvent)
        .join(Application, Application.id == ApplicationEvent.application_id)
        .where(
            Application.cycle_id == uuid.UUID(world.cycle_id),
            ApplicationEvent.reason_code == "admission_published",
        )
    )
    assert events == 8
    sms = (
        await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.topic == "enrolment.notification.sms",
                OutboxMessage.payload["template"].astext.in_(["admitted", "unplaced"]),
            )
        )
    ).all()
    assert len(sms) == 8
    assert any("已被南宁市青秀区滨湖路小学录取" in m["message"] for m in sms)
    lottery = (await client.get(f"/v1/public/cycles/{world.cycle_id}/lottery")).json()
    assert hashlib.sha256(bytes.fromhex(lottery["seed"])).hexdigest() == lottery["commitment"]
    published = (await client.get(f"/v1/admission-runs/{run['id']}", headers=world.city)).json()
    assert published["publication_status"] == "published"
    assert (await request_run(client, world)).status_code == 409


async def test_a_family_sees_only_its_own_result_and_can_recompute_its_lottery_number(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
    issuer: TestIssuer,
) -> None:
    kids, run = await setup(client, world, session, vault, run_job)
    a = kids["A"]
    url = f"/v1/applications/{a.application_id}/admission"
    before = (await client.get(url, headers=issuer.parent(a.parent))).json()
    assert before["published"] is False
    assert before["public_id"] == a.public_id
    application = await client.get(
        f"/v1/applications/{a.application_id}", headers=issuer.parent(a.parent)
    )
    assert application.json()["public_id"] == a.public_id  # shown from submission on
    assert before["lottery"] is None  # nothing to see before the results are out

    await publish_now(client, world, session, vault, run)
    result = await client.get(url, headers=issuer.parent(a.parent))

    assert result.status_code == 200, result.text
    body = result.json()
    assert body["published"] is True
    assert body["status"] == "admitted"
    assert body["school"]["school_code"] == BINHU
    assert "已被「南宁市青秀区滨湖路小学」录取（第1志愿）" in body["summary"]
    assert body["offer"]["can_confirm"] is True
    seed = body["lottery"]["seed"]
    assert body["lottery"]["number"] == str(lottery_number(seed, world.cycle_id, a.public_id))
    assert body["lottery"]["verify_command"] == (
        f"xuezai lottery number --seed {seed} --cycle {world.cycle_id} {a.public_id}"
    )
    # The family runs the command printed for it and gets the number the system used.
    printed = CliRunner().invoke(
        xuezai_app,
        ["lottery", "number", "--seed", seed, "--cycle", world.cycle_id, a.public_id],
    )
    assert printed.exit_code == 0, printed.output
    assert printed.stdout.strip() == body["lottery"]["number"]

    # Another family: the application does not exist for them; staff use their own endpoints.
    assert (await client.get(url, headers=issuer.parent(uuid.uuid4()))).status_code == 404
    assert (await client.get(url, headers=world.city)).status_code == 403

    c = kids["C"]
    unplaced = (
        await client.get(
            f"/v1/applications/{c.application_id}/admission", headers=issuer.parent(c.parent)
        )
    ).json()
    assert unplaced["status"] == "unplaced"
    assert unplaced["school"] is None
    assert unplaced["offer"] is None
    assert "调剂" in unplaced["summary"]
    assert "已录满" in unplaced["choices"][0]["message"]


async def test_confirm_and_decline_within_the_window(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
    issuer: TestIssuer,
    clock: Callable[[datetime], None],
) -> None:
    kids, run = await setup(client, world, session, vault, run_job)
    await publish_now(client, world, session, vault, run)

    def path(name: str, action: str) -> str:
        return f"/v1/applications/{kids[name].application_id}/admission/{action}"

    def family(name: str) -> dict[str, str]:
        return issuer.parent(kids[name].parent)

    confirmed = await client.post(
        path("A", "confirm"), headers={**family("A"), "Idempotency-Key": "confirm-a"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["offer"]["status"] == "confirmed"
    replayed = await client.post(
        path("A", "confirm"), headers={**family("A"), "Idempotency-Key": "confirm-a"}
    )
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    again = await client.post(path("A", "confirm"), headers=family("A"))
    assert again.status_code == 409
    assert again.json()["code"] == "enrolment.offer.closed"

    declined = await client.post(
        path("B", "decline"), json={"reassignment": True}, headers=family("B")
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert "已申请统筹安排" in declined.json()["summary"]

    assert (await client.post(path("C", "confirm"), headers=family("C"))).status_code == 404
    assert (
        await client.post(path("F", "decline"), json={"reassign": True}, headers=family("F"))
    ).status_code == 422
    assert (await client.post(path("F", "confirm"), headers=family("A"))).status_code == 404

    clock(later(AFTER_REGISTRATION, days=4))
    late = await client.post(path("F", "confirm"), headers=family("F"))
    assert late.status_code == 409
    assert "已过" in late.json()["detail"]


async def test_reassignment_gives_one_offer_in_priority_order_within_the_seats_left(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
    issuer: TestIssuer,
    clock: Callable[[datetime], None],
) -> None:
    kids, run = await setup(client, world, session, vault, run_job)
    await publish_now(client, world, session, vault, run)
    b = kids["B"]
    await client.post(
        f"/v1/applications/{b.application_id}/admission/decline",
        json={"reassignment": True},
        headers=issuer.parent(b.parent),
    )
    # 凤岭: 2 seats, 1 taken; 滨湖路: 3 seats, B's freed. B (batch 1) is served before C
    # (batch 4), and D and E (others) find nothing left.
    body = {
        "method": "list",
        "schools": [FENGLING, BINHU],
        "respond_by": later(AFTER_REGISTRATION, days=5).isoformat(),
    }
    response = await client.post(
        f"/v1/cycles/{world.cycle_id}/reassignment-rounds", json=body, headers=world.city
    )

    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["candidates"], report["offered"], report["still_unplaced"]) == (4, 2, 2)
    assert {o["public_id"]: o["school_code"] for o in report["offers"]} == {
        b.public_id: FENGLING,
        kids["C"].public_id: BINHU,
    }
    offers = (
        await session.scalars(
            select(AdmissionOffer).where(
                AdmissionOffer.cycle_id == uuid.UUID(world.cycle_id),
                AdmissionOffer.status.in_([OfferStatus.offered, OfferStatus.confirmed]),
            )
        )
    ).all()
    for code, capacity in ((BINHU, 3), (FENGLING, 2), (PRIVATE, 1)):
        seats = sorted(o.seat_no for o in offers if o.school_code == code)
        assert len(seats) == capacity
        assert seats == list(range(1, capacity + 1))
    c = kids["C"]
    result = (
        await client.get(
            f"/v1/applications/{c.application_id}/admission", headers=issuer.parent(c.parent)
        )
    ).json()
    assert result["status"] == "reassigned"
    assert result["round"] == "reassignment"
    assert "统筹安排" in result["summary"]

    # One 调剂 offer each: declining it ends the matter, even when asking again.
    await client.post(
        f"/v1/applications/{c.application_id}/admission/decline",
        json={"reassignment": True},
        headers=issuer.parent(c.parent),
    )
    second = (
        await client.post(
            f"/v1/cycles/{world.cycle_id}/reassignment-rounds", json=body, headers=world.city
        )
    ).json()
    assert second["candidates"] == 2  # D and E, who never had an offer
    assert second["offered"] == 1  # C's seat at 滨湖路, freed, goes to the better of D and E
    assert second["expired"] == 0

    # After the deadline, unanswered offers lapse and their seats go to the next round.
    clock(later(AFTER_REGISTRATION, days=6))
    third = (
        await client.post(
            f"/v1/cycles/{world.cycle_id}/reassignment-rounds",
            json={**body, "respond_by": later(AFTER_REGISTRATION, days=8).isoformat()},
            headers=world.city,
        )
    ).json()
    # Lapsed: the four main-round offers nobody answered, B's and the second round's 调剂 offers.
    assert third["expired"] == 6
    assert third["candidates"] == 1
    assert third["offered"] == 1  # the last of D and E
    assert await statuses(session, world) == {"declined": 7, "reassigned": 1}


async def test_rosters_as_json_and_xlsx(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    kids, run = await setup(client, world, session, vault, run_job)

    sheet = await client.get(
        f"/v1/admission-runs/{run['id']}/schools/{BINHU}/roster.xlsx", headers=world.city
    )
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[2][:3] == ("座位号", "报名编号", "姓名")
    assert [row[0] for row in rows[3:]] == [1, 2, 3]
    assert rows[3][2] == "甲"

    await publish_now(client, world, session, vault, run)
    live = await client.get(
        f"/v1/cycles/{world.cycle_id}/schools/{BINHU}/roster", headers=world.city
    )
    assert live.status_code == 200
    entries = live.json()["entries"]
    assert [(e["seat_no"], e["round"], e["status"]) for e in entries] == [
        (1, "main", "offered"),
        (2, "main", "offered"),
        (3, "main", "offered"),
    ]
    assert entries[0]["public_id"] == kids["A"].public_id
    live_sheet = await client.get(
        f"/v1/cycles/{world.cycle_id}/schools/{BINHU}/roster.xlsx", headers=world.city
    )
    rows = list(load_workbook(io.BytesIO(live_sheet.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 + 3
    run_roster = await client.get(
        f"/v1/admission-runs/{run['id']}/schools/{BINHU}/roster", headers=world.city
    )
    assert {e["offer_status"] for e in run_roster.json()["entries"]} == {"offered"}


async def test_anyone_can_download_the_results_and_verify_them_with_the_command(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
    tmp_path: Path,
) -> None:
    _, run = await setup(client, world, session, vault, run_job)
    await publish_now(client, world, session, vault, run)

    response = await client.get(f"/v1/public/cycles/{world.cycle_id}/results")

    assert response.status_code == 200, response.text
    document = response.json()
    assert document["inputs_digest"] == run["inputs_digest"]
    assert document["assignment"] == await assignment(session, run["id"])
    path = tmp_path / "results.json"
    path.write_bytes(response.content)
    verified = await verify(path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["ok"] is True
    assert report["commitment_ok"] is True
    assert report["applicants"] == 8

    # A changed result is caught, and so is a changed input.
    moved = next(k for k, v in document["assignment"].items() if v == BINHU)
    document["assignment"][moved] = FENGLING
    path.write_text(json.dumps(document), encoding="utf-8")
    tampered = await verify(path)
    assert tampered.returncode == 1
    assert {m["kind"] for m in json.loads(tampered.stdout)["mismatches"]} == {"assignment"}
    document = response.json()
    document["schools"][0]["capacity"] += 1
    path.write_text(json.dumps(document), encoding="utf-8")
    changed = await verify(path)
    assert "inputs_digest" in {m["kind"] for m in json.loads(changed.stdout)["mismatches"]}


async def test_bad_publication_and_reassignment_requests_are_4xx(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    _, run = await setup(client, world, session, vault, run_job)
    url = f"/v1/admission-runs/{run['id']}/publication"
    for body, field in (
        ({}, "body.respond_by"),
        ({"respond_by": "2026-07-20T10:00:00"}, "body"),
        ({"respond_by": "not a time"}, "body.respond_by"),
        (
            {"publish_at": "2026-08-01T10:00:00+08:00", "respond_by": "2026-07-30T10:00:00+08:00"},
            "body",
        ),
        ({"respond_by": "2026-07-01T10:00:00+08:00"}, "body.respond_by"),
    ):
        response = await client.post(url, json=body, headers=world.city)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"].startswith(field), response.json()

    rounds = f"/v1/cycles/{world.cycle_id}/reassignment-rounds"
    respond = later(AFTER_REGISTRATION, days=5).isoformat()
    not_yet = await client.post(
        rounds,
        json={"method": "list", "schools": [BINHU], "respond_by": respond},
        headers=world.city,
    )
    assert not_yet.status_code == 404
    assert not_yet.json()["code"] == "enrolment.results.not_published"
    await publish_now(client, world, session, vault, run)
    unknown = await client.post(
        rounds,
        json={"method": "list", "schools": [BINHU, "9999999999"], "respond_by": respond},
        headers=world.city,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.schools.1"
    assert (
        await client.post(
            rounds, json={"method": "random", "respond_by": respond}, headers=world.city
        )
    ).status_code == 422
    assert (
        await client.get(f"/v1/public/cycles/{world.cycle_id}/results?district_code=x")
    ).status_code == 422
    # A second publication of a published run, and unscheduling it, are refused.
    assert (
        await client.post(url, json={"respond_by": respond}, headers=world.city)
    ).status_code == 409
    assert (await client.delete(url, headers=world.city)).status_code == 409
    assert ApplicationStatus.admitted in (await session.scalars(select(Application.status))).all()


async def test_the_sweep_publishes_what_is_due_and_queues_stranded_runs_again(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
    db_connection: AsyncConnection,
    redis_url: str,
    issuer: TestIssuer,
) -> None:
    _, run = await setup(client, world, session, vault, run_job)
    await client.post(
        f"/v1/admission-runs/{run['id']}/publication",
        json={"respond_by": later(AFTER_REGISTRATION, days=3).isoformat()},
        headers=world.city,
    )
    # A run whose job never reached Redis (it was down), queued long ago, in another cycle.
    other = await build_world(client, issuer, district=XINGNING)
    await commit_seed(client, other)
    stranded = (await request_run(client, other)).json()
    await session.execute(
        update(AdmissionRun)
        .where(AdmissionRun.id == uuid.UUID(stranded["id"]))
        .values(requested_at=later(AFTER_REGISTRATION, minutes=-5))
    )
    pool = ArqRedis.from_url(redis_url)
    job_id = f"enrolment.admission.run:{other.cycle_id}:all"
    await pool.zrem(queue_name_for("enrolment"), job_id)
    await pool.delete(f"arq:job:{job_id}")
    ctx: Any = {
        "sessionmaker": joined_sessionmaker(db_connection),
        "redis": pool,
        "settings": app_of(client).state.settings,
    }
    try:
        report = await sweep.coroutine(ctx)  # type: ignore[attr-defined]
        queued = await pool.zscore(queue_name_for("enrolment"), job_id)
    finally:
        await pool.aclose()

    assert report == {"published": [run["id"]], "requeued": 1}
    assert queued is not None
    assert await statuses(session, world) == {"admitted": 5, "unplaced": 3}


def square(lng: float, lat: float) -> list[list[list[float]]]:
    return [
        [[lng, lat], [lng + 0.01, lat], [lng + 0.01, lat + 0.01], [lng, lat + 0.01], [lng, lat]]
    ]


async def test_reassignment_by_distance_offers_the_nearest_school_with_a_seat(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    await set_seats(client, world, {BINHU: 1, FENGLING: 2, PRIVATE: 1})
    for code, (lng, lat) in ((FENGLING, (108.40, 22.80)), (PRIVATE, (108.30, 22.80))):
        patched = await client.patch(
            f"/v1/offerings/{world.offerings[code]}",
            json={"polygon": square(lng, lat)},
            headers=world.city,
        )
        assert patched.status_code == 200, patched.text
    kids = await add_kids(
        session,
        world,
        vault,
        [
            Kid(BINHU, 1, "2019-01-01"),
            Kid(BINHU, 4, "2019-01-01", home=(108.301, 22.801)),  # next to the private school
            Kid(BINHU, 9, home=(108.402, 22.802)),  # next to 凤岭
            Kid(BINHU, 9),  # no coordinates: the district's list
        ],
    )
    await commit_seed(client, world)
    run = await admit(client, world, run_job)
    await publish_now(client, world, session, vault, run)

    response = await client.post(
        f"/v1/cycles/{world.cycle_id}/reassignment-rounds",
        json={
            "method": "distance",
            "schools": [FENGLING],
            "respond_by": later(AFTER_REGISTRATION, days=5).isoformat(),
        },
        headers=world.city,
    )

    assert response.status_code == 201, response.text
    offers = {o["public_id"]: o["school_code"] for o in response.json()["offers"]}
    # Government-purchased private places count for 统筹 as well.
    assert offers == {
        kids[1].public_id: PRIVATE,
        kids[2].public_id: FENGLING,
        kids[3].public_id: FENGLING,
    }


async def test_a_scheduled_publication_can_be_called_off_and_set_again(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    vault: PersonalDataVault,
    run_job: Callable[..., Any],
) -> None:
    _, run = await setup(client, world, session, vault, run_job)
    url = f"/v1/admission-runs/{run['id']}/publication"
    body = {
        "publish_at": later(AFTER_REGISTRATION, days=1).isoformat(),
        "respond_by": later(AFTER_REGISTRATION, days=4).isoformat(),
    }
    assert (await client.post(url, json=body, headers=world.city)).status_code == 202

    called_off = await client.delete(url, headers=world.city)

    assert called_off.status_code == 200
    assert called_off.json()["publication_status"] is None
    assert not (
        await publish_run(session, vault, uuid.UUID(run["id"]), later(AFTER_REGISTRATION, days=2))
    ).published
    assert (await client.delete(url, headers=world.city)).status_code == 409
    # While nothing is scheduled the scope may be admitted again; then scheduled anew.
    again = await admit(client, world, run_job)
    assert again["inputs_digest"] == run["inputs_digest"]
    stale = await client.post(url, json=body, headers=world.city)
    assert stale.status_code == 409  # no longer the current run
    fresh = await client.post(
        f"/v1/admission-runs/{again['id']}/publication", json=body, headers=world.city
    )
    assert fresh.status_code == 202
