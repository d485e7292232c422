"""Helpers for enrolment tests: a client with no caches, a settable clock, and a published
2026 primary grade-1 cycle in 青秀区 with two public schools, one private school and catchments."""

import io
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from enrolment.app import create_app
from enrolment.config import Settings
from enrolment.idnumber import make
from enrolment.schools import StaticSchools
from enrolment.windows import SHANGHAI
from shared.clients.directory import OrganizationRef
from shared.testing.tokens import TestIssuer

QINGXIU = "450103"
XINGNING = "450102"
BINHU = "4501030001"  # 滨湖路小学: 民族大道 1–199 (odd), 阳光小区
FENGLING = "4501030002"  # 凤岭小学: 民族大道 2–200 (even)
PRIVATE = "4501030008"  # 青秀区外国语学校 (private)
XINGNING_SCHOOL = "4501020001"

SCHOOLS_BY_DISTRICT = {
    QINGXIU: {BINHU: BINHU, FENGLING: FENGLING, PRIVATE: PRIVATE},
    XINGNING: {BINHU: "4501020001", FENGLING: "4501020002", PRIVATE: "4501020005"},
}

OPEN_MORNING = datetime(2026, 7, 2, 9, 0, tzinfo=SHANGHAI)
LUNCH_BREAK = datetime(2026, 7, 2, 13, 0, tzinfo=SHANGHAI)
BLOB_DIR = Path(__file__).resolve().parents[2] / ".data" / "test" / "blobs-enrolment"


def png(size: int = 200) -> bytes:
    """A real PNG of about `size` bytes (a grey strip)."""
    width = max(size // 4, 1)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(1))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    header = width.to_bytes(4, "big") + (1).to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def child_id_number(
    birth: date = date(2019, 5, 6), sequence: int = 1, district: str = QINGXIU
) -> str:
    return make(district, birth, sequence)


def address(
    road: str = "民族大道", number: str = "99号", district: str = QINGXIU, **extra: Any
) -> dict[str, Any]:
    return {"district_code": district, "road": road, "house_number": number, **extra}


@dataclass
class World:
    cycle_id: str
    offerings: dict[str, str]  # school code → offering id
    city: dict[str, str]


@pytest.fixture
async def client(make_client: Callable[..., Any]) -> httpx.AsyncClient:
    http: httpx.AsyncClient = await make_client(
        create_app, Settings, cycle_cache_seconds=0.0, blob_dir=str(BLOB_DIR)
    )
    # The directory's register of schools, without a directory process.
    app_of(http).state.schools = demo_school_register()
    return http


def demo_school_register() -> StaticSchools:
    from directory.seed.nanning import SCHOOLS

    schools = {
        school.code: OrganizationRef(
            id=uuid.uuid5(uuid.NAMESPACE_OID, school.code),
            kind="kindergarten" if school.stages == ("kindergarten",) else "school",
            code=school.code,
            name=school.name,
            district_code=district,
            stages=list(school.stages),
            ownership=school.ownership,
        )
        for district, district_schools in SCHOOLS.items()
        for school in district_schools
    }
    return StaticSchools(schools)


def app_of(client: httpx.AsyncClient) -> Any:
    return client._transport.app  # type: ignore[attr-defined]


@pytest.fixture
def clock(client: httpx.AsyncClient) -> Iterator[Callable[[datetime], None]]:
    app = app_of(client)
    original = app.state.clock

    def set_to(moment: datetime) -> None:
        app.state.clock = lambda: moment

    set_to(OPEN_MORNING)
    yield set_to
    app.state.clock = original


def cycle_body(district: str | None = QINGXIU, **overrides: Any) -> dict[str, Any]:
    body = {
        "year": 2026,
        "stage": "primary_g1",
        "district_code": district,
        "name": "2026年青秀区小学一年级招生",
        "registration_opens_at": "2026-07-02T08:30:00+08:00",
        "registration_closes_at": "2026-07-07T17:30:00+08:00",
        "daily_hours_overrides": {
            "2026-07-07": [{"start": "08:30", "end": "12:30"}, {"start": "14:30", "end": "17:30"}]
        },
        "review_closes_at": "2026-07-20T18:00:00+08:00",
    }
    body.update(overrides)
    return body


async def build_world(
    client: httpx.AsyncClient, issuer: TestIssuer, district: str = QINGXIU
) -> World:
    city = issuer.city_admin()
    response = await client.post("/v1/cycles", json=cycle_body(district), headers=city)
    assert response.status_code == 201, response.text
    cycle_id = response.json()["id"]
    offerings: dict[str, str] = {}
    # The same three roles in another district are played by that district's schools (the
    # directory's register decides which codes a district may offer); keyed as in 青秀区.
    stand_ins = SCHOOLS_BY_DISTRICT[district]
    for code, ownership in ((BINHU, "public"), (FENGLING, "public"), (PRIVATE, "private")):
        created = await client.post(
            f"/v1/cycles/{cycle_id}/offerings",
            json={
                "school_code": stand_ins[code],
                "district_code": district,
                "ownership": ownership,
                "seats": 90,
                "classes": 2,
            },
            headers=city,
        )
        assert created.status_code == 201, created.text
        offerings[code] = created.json()["id"]
    units = [
        (
            BINHU,
            {
                "district_code": district,
                "road": "民族大道",
                "number_from": 1,
                "number_to": 199,
                "parity": "odd",
            },
        ),
        (BINHU, {"district_code": district, "estate": "阳光小区"}),
        (
            FENGLING,
            {
                "district_code": district,
                "road": "民族大道",
                "number_from": 2,
                "number_to": 200,
                "parity": "even",
            },
        ),
        (FENGLING, {"district_code": district, "road": "凤岭北路"}),
    ]
    for code, unit in units:
        added = await client.post(
            f"/v1/offerings/{offerings[code]}/catchment-units", json=unit, headers=city
        )
        assert added.status_code == 201, added.text
    published = await client.post(f"/v1/cycles/{cycle_id}/publish", headers=city)
    assert published.status_code == 200, published.text
    return World(cycle_id, offerings, city)


async def publish_cycle(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: dict[str, Any],
    schools: list[tuple[str, str, str]],
    units: dict[str, list[dict[str, Any]]],
) -> World:
    """Create, fill and publish a cycle: `schools` as (code, district, ownership), catchment
    `units` by school code."""
    created = await client.post("/v1/cycles", json=body, headers=headers)
    assert created.status_code == 201, created.text
    cycle_id = created.json()["id"]
    offerings: dict[str, str] = {}
    for code, district, ownership in schools:
        offering = await client.post(
            f"/v1/cycles/{cycle_id}/offerings",
            json={
                "school_code": code,
                "district_code": district,
                "ownership": ownership,
                "seats": 90,
                "classes": 2,
            },
            headers=headers,
        )
        assert offering.status_code == 201, offering.text
        offerings[code] = offering.json()["id"]
        for unit in units.get(code, []):
            added = await client.post(
                f"/v1/offerings/{offerings[code]}/catchment-units", json=unit, headers=headers
            )
            assert added.status_code == 201, added.text
    published = await client.post(f"/v1/cycles/{cycle_id}/publish", headers=headers)
    assert published.status_code == 200, published.text
    return World(cycle_id, offerings, headers)


@pytest.fixture
async def world(client: httpx.AsyncClient, issuer: TestIssuer) -> World:
    return await build_world(client, issuer)


@dataclass
class Family:
    headers: dict[str, str]
    parent_id: uuid.UUID
    child_id: str
    id_number: str


def batch_one_facts(number: str = "99号", move_in: str = "2020-03-01") -> dict[str, Any]:
    """房户一致, sole ownership by the parents, living there: Nanning's first batch at 滨湖路小学."""
    home = address(number=number)
    return {
        "hukou_address": home,
        "hukou_move_in_date": move_in,
        "has_property": True,
        "property_address": home,
        "property_certificate_number": "桂(2018)南宁市不动产权第0123456号",
        "property_ownership": "sole",
        "property_owner": "parents",
        "property_handover_date": "2018-05-20",
        "lives_at_property": True,
        "guardians": [
            {
                "relation": "father",
                "name": "李大明",
                "phone": "13800001234",
                "id_number": make(QINGXIU, date(1988, 1, 1), 3),
                "hukou_in_nanning": True,
            },
            {
                "relation": "mother",
                "name": "王丽",
                "id_number": make(QINGXIU, date(1989, 2, 2), 4),
                "hukou_in_nanning": True,
            },
        ],
    }


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    child_id: str,
    kind: str,
    content: bytes | None = None,
    filename: str = "scan.png",
    content_type: str = "image/png",
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/v1/children/{child_id}/documents",
        data={"kind": kind},
        files={
            "file": (filename, io.BytesIO(content if content is not None else png()), content_type)
        },
        headers={**headers, **(extra_headers or {})},
    )


async def make_family(
    client: httpx.AsyncClient,
    issuer: TestIssuer,
    *,
    birth: date = date(2019, 5, 6),
    sequence: int = 1,
    facts: dict[str, Any] | None = None,
    documents: tuple[str, ...] = ("hukou_book", "real_estate_certificate"),
    parent_id: uuid.UUID | None = None,
    id_number: str | None = None,
) -> Family:
    parent_id = parent_id or uuid.uuid4()
    headers = issuer.parent(parent_id)
    number = id_number or child_id_number(birth, sequence)
    added = await client.post(
        "/v1/children", json={"name": "李小明", "id_number": number}, headers=headers
    )
    assert added.status_code == 201, added.text
    child_id = added.json()["id"]
    put = await client.put(
        f"/v1/children/{child_id}/facts",
        json=facts if facts is not None else batch_one_facts(),
        headers=headers,
    )
    assert put.status_code == 200, put.text
    for kind in documents:
        uploaded = await upload(client, headers, child_id, kind)
        assert uploaded.status_code == 201, uploaded.text
    return Family(headers, parent_id, child_id, number)


async def submit(
    client: httpx.AsyncClient, world: World, family: Family, **extra: Any
) -> httpx.Response:
    body = {"cycle_id": world.cycle_id, "child_id": family.child_id, "submit": True, **extra}
    return await client.post("/v1/applications", json=body, headers=family.headers)


@pytest.fixture
async def agencysim_url(serve_app: Callable[..., Any]) -> AsyncIterator[str]:
    from agencysim.app import create_app as create_sim

    return await serve_app(create_sim())
