"""Helpers for admission tests: verified applications written straight into the database (the
registration flow has its own tests; here only the admission's inputs matter), and the job
run in-process inside the test's transaction."""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from enrolment.admissions.runner import AdmissionRunner
from enrolment.idnumber import make
from enrolment.models import (
    Application,
    ApplicationStatus,
    Child,
    FamilyFacts,
    Sex,
    Track,
)
from enrolment.privacy import PersonalDataVault
from enrolment.rules import BatchRule, decide, nanning_batches
from enrolment.windows import SHANGHAI
from shared.testing.fixtures import joined_sessionmaker
from shared.testing.tokens import TestIssuer
from shared.worker import queue_name_for

from ..conftest import (
    BINHU,
    FENGLING,
    PRIVATE,
    QINGXIU,
    XINGNING,
    XINGNING_SCHOOL,
    World,
    app_of,
    cycle_body,
)

AFTER_REGISTRATION = datetime(2026, 7, 25, 10, 0, tzinfo=SHANGHAI)
BATCHES = [BatchRule.model_validate(batch) for batch in nanning_batches()]

_sequence = iter(range(100, 10_000_000))


def batch_facts(batch: int, day: str = "2020-01-01") -> dict[str, Any]:
    """Facts (as stored at submission) that put a child in Nanning batch 1, 4 or 9 ("others")
    at their catchment school, ordered by `day` inside batches 1 and 4."""
    if batch == 1:
        return {
            "hukou_in_catchment": True,
            "property_in_catchment": True,
            "hukou_matches_property": True,
            "property_sole": True,
            "property_family_owned": True,
            "lives_at_property": True,
            "has_property": True,
            "hukou_in_district": True,
            "hukou_in_city": True,
            "hukou_move_in_date": day,
            "claims": [],
        }
    if batch == 4:
        return {
            "hukou_in_catchment": True,
            "three_generations": True,
            "hukou_in_district": True,
            "hukou_in_city": True,
            "hukou_move_in_date": day,
            "has_property": False,
            "claims": [],
        }
    return {"has_property": False, "hukou_in_city": True, "claims": []}


def key_of(facts: dict[str, Any]) -> list[float]:
    parsed = {k: date.fromisoformat(v) if k.endswith("_date") else v for k, v in facts.items()}
    decision = decide(BATCHES, parsed)
    assert decision is not None
    return list(decision.key)


@dataclass
class Kid:
    """One verified application. `school` is the catchment school's code (None: no catchment);
    `private` a private school's code for the 公民同招 track."""

    school: str | None
    batch: int = 1
    day: str = "2020-01-01"
    private: str | None = None
    district: str = QINGXIU
    name: str = "测试儿童"
    parent: uuid.UUID = field(default_factory=uuid.uuid4)
    home: tuple[float, float] | None = None
    """(lng, lat) of the 户籍 address, for 调剂 by distance."""


@dataclass
class Placed:
    application_id: uuid.UUID
    public_id: str
    parent: uuid.UUID
    kid: Kid


async def add_kids(
    session: AsyncSession, world: World, vault: PersonalDataVault, kids: list[Kid]
) -> list[Placed]:
    placed: list[Placed] = []
    for kid in kids:
        # Distinct real ID numbers: another birthday every 999 children.
        serial = next(_sequence)
        birth = date(2019, 1, 1) + timedelta(days=serial // 999)
        sealed = vault.seal("child.id_number", make(kid.district, birth, serial % 999 + 1))
        child = Child(
            id=uuid.uuid4(),
            parent_subject=f"parent:{kid.parent}",
            name=kid.name,
            sex=Sex.male,
            birth_date=birth,
            id_number_cipher=sealed.cipher,
            id_number_key_id=sealed.key_id,
            id_number_index=sealed.index,
            id_number_masked=sealed.masked,
        )
        session.add(child)
        await session.flush()  # no ORM relationship orders the two inserts
        if kid.home is not None:
            session.add(
                FamilyFacts(
                    child_id=child.id,
                    hukou_address={
                        "district_code": kid.district,
                        "road": "民族大道",
                        "lng": kid.home[0],
                        "lat": kid.home[1],
                    },
                    has_property=False,
                    claims=[],
                )
            )
        facts = batch_facts(kid.batch, kid.day)
        private = kid.private is not None
        catchment = uuid.UUID(world.offerings[kid.school]) if kid.school else None
        key = key_of(facts)
        application = Application(
            id=uuid.uuid4(),
            cycle_id=uuid.UUID(world.cycle_id),
            child_id=child.id,
            parent_subject=child.parent_subject,
            id_number_index=sealed.index,
            track=Track.private if private else Track.public,
            private_choices=[uuid.UUID(world.offerings[kid.private])] if kid.private else [],
            status=ApplicationStatus.verified,
            district_code=kid.district,
            school_codes=[kid.private] if kid.private else ([kid.school] if kid.school else []),
            catchment_offering_id=catchment,
            catchment_school_code=kid.school,
            batch_code="private_lottery" if private else BATCHES[int(key[0]) - 1].code,
            batch_order=None if private else int(key[0]),
            batch_name="民办学校报名" if private else BATCHES[int(key[0]) - 1].name,
            priority_key=[] if private else key,
            facts_snapshot=facts,
            flags=[],
            corrections=[],
            batch_explanation=[],
        )
        session.add(application)
        await session.flush()
        placed.append(Placed(application.id, application.public_id, kid.parent, kid))
    return placed


async def set_seats(client: httpx.AsyncClient, world: World, seats: dict[str, int]) -> None:
    for code, count in seats.items():
        response = await client.patch(
            f"/v1/offerings/{world.offerings[code]}",
            json={"seats": count},
            headers=world.city,
        )
        assert response.status_code == 200, response.text


async def commit_seed(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    response = await client.post(f"/v1/cycles/{world.cycle_id}/lottery/commit", headers=world.city)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def request_run(
    client: httpx.AsyncClient, world: World, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/cycles/{world.cycle_id}/admission-runs", json=body, headers=headers or world.city
    )


@pytest.fixture(autouse=True)
async def forget_admission_jobs(redis_url: str) -> AsyncIterator[None]:
    """The requests of in-process tests queue real jobs (a publication deferred by hours among
    them) for rows that roll back; drop them so no later burst worker waits on them."""
    yield
    redis = Redis.from_url(redis_url)
    try:
        queue = queue_name_for("enrolment")
        for raw in await redis.zrange(queue, 0, -1):
            job_id = raw.decode()
            if job_id.startswith("enrolment.admission."):
                await redis.zrem(queue, job_id)
                await redis.delete(f"arq:job:{job_id}")
    finally:
        await redis.aclose()


@pytest.fixture
def vault(client: httpx.AsyncClient) -> PersonalDataVault:
    result: PersonalDataVault = app_of(client).state.vault
    return result


@pytest.fixture
def run_job(db_connection: AsyncConnection, vault: PersonalDataVault) -> Callable[..., Any]:
    """Run the admission job in-process, in the test's transaction, as the worker would."""

    async def run(cycle_id: str, scope: str = "all", **options: Any) -> dict[str, Any]:
        runner = AdmissionRunner(
            joined_sessionmaker(db_connection), vault, offload=False, **options
        )
        return await runner.run(uuid.UUID(cycle_id), scope)

    return run


async def admit(
    client: httpx.AsyncClient, world: World, run_job: Callable[..., Any]
) -> dict[str, Any]:
    """Request a run, run its job, and return the finished run as staff see it."""
    response = await request_run(client, world)
    assert response.status_code == 202, response.text
    report = await run_job(world.cycle_id)
    assert report["status"] == "succeeded", report
    run = await client.get(f"/v1/admission-runs/{response.json()['id']}", headers=world.city)
    assert run.status_code == 200
    body: dict[str, Any] = run.json()
    return body


async def assignment(session: AsyncSession, run_id: str) -> dict[str, str | None]:
    from enrolment.models import AdmissionPlacement, AdmissionRunSchool

    rows = await session.execute(
        select(AdmissionPlacement.public_id, AdmissionRunSchool.school_code)
        .outerjoin(
            AdmissionRunSchool,
            (AdmissionRunSchool.run_id == AdmissionPlacement.run_id)
            & (AdmissionRunSchool.offering_id == AdmissionPlacement.offering_id),
        )
        .where(AdmissionPlacement.run_id == uuid.UUID(run_id))
    )
    return dict(rows.all())


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)


async def city_world(client: httpx.AsyncClient, issuer: TestIssuer) -> World:
    """A published city-wide cycle with schools in 青秀区 and 兴宁区 (no catchments: the
    applications are written directly)."""
    city = issuer.city_admin()
    created = await client.post(
        "/v1/cycles", json=cycle_body(None, name="2026年全市小学一年级招生"), headers=city
    )
    assert created.status_code == 201, created.text
    cycle_id = created.json()["id"]
    offerings: dict[str, str] = {}
    for code, district, ownership in (
        (BINHU, QINGXIU, "public"),
        (FENGLING, QINGXIU, "public"),
        (PRIVATE, QINGXIU, "private"),
        (XINGNING_SCHOOL, XINGNING, "public"),
    ):
        response = await client.post(
            f"/v1/cycles/{cycle_id}/offerings",
            json={
                "school_code": code,
                "district_code": district,
                "ownership": ownership,
                "seats": 90,
                "classes": 2,
            },
            headers=city,
        )
        assert response.status_code == 201, response.text
        offerings[code] = response.json()["id"]
    published = await client.post(f"/v1/cycles/{cycle_id}/publish", headers=city)
    assert published.status_code == 200, published.text
    return World(cycle_id, offerings, city)
