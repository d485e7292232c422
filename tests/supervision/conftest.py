"""Supervision under test: the app in the test transaction, and its peers — directory (token +
organisation look-up), plans (unit progress) and enrolment (statistics) — as small fake services
served over real HTTP, speaking exactly the contracts in `shared/clients/*.py`."""

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.auth import AUDIENCE, Grant, Role
from shared.clients.enrolment import STATS_SCOPE
from shared.clients.plans import PROGRESS_SCOPE
from shared.embedded import free_port
from shared.testing.tokens import TestIssuer
from supervision.app import create_app
from supervision.config import Settings

SERVICE_SECRET = "test-service-secret"

P, J, PJ, S, K = ("primary",), ("junior",), ("primary", "junior"), ("senior",), ("kindergarten",)

# The organisations the fake directory knows: (code, kind, name, district, stages).
ORGS: tuple[tuple[str, str, str, str | None, tuple[str, ...]], ...] = (
    ("450100", "city_bureau", "南宁市教育局", None, ()),
    ("450102", "district_bureau", "兴宁区教育局", "450102", ()),
    ("450103", "district_bureau", "青秀区教育局", "450103", ()),
    ("450105", "district_bureau", "江南区教育局", "450105", ()),
    ("4501020001", "school", "南宁市兴宁区民主路小学", "450102", P),
    ("4501030001", "school", "南宁市青秀区滨湖路小学", "450103", P),
    ("4501030002", "school", "南宁市青秀区凤岭小学", "450103", P),
    ("4501030003", "school", "南宁市青秀区埌东小学", "450103", P),
    ("4501030004", "school", "南宁市青秀区天桃实验学校", "450103", PJ),
    ("4501030005", "school", "南宁市青秀区凤岭初级中学", "450103", J),
    ("4501030006", "school", "南宁市第三中学", "450103", S),
    ("4501030007", "kindergarten", "南宁市青秀区第一幼儿园", "450103", K),
    ("4501030009", "school", "青秀区长塘镇某教学点", "450103", P),
    ("4501030010", "school", "南宁市青秀区民族小学", "450103", P),
    ("4501030011", "school", "南宁市青秀区桃源小学", "450103", P),
    ("4501050001", "school", "南宁市江南区淡村小学", "450105", P),
    ("4501050003", "school", "南宁市江南区第一初级中学", "450105", J),
)


@dataclass
class PeerState:
    """What the fake peers answer; tests change it and read the calls they received."""

    progress: dict[str, dict[str, Any]] = field(default_factory=dict)
    stats: dict[tuple[int, str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    tokens_issued: int = 0

    def reset(self) -> None:
        self.progress.clear()
        self.stats.clear()
        self.calls.clear()


def _org(
    code: str, kind: str, name: str, district: str | None, stages: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_OID, code)),
        "kind": kind,
        "code": code,
        "name": name,
        "parent_id": None,
        "district_code": district,
        "stages": list(stages),
        "ownership": "public",
        "valid_from": None,
        "valid_to": None,
    }


def _authorised(request: Request, issuer: TestIssuer, scope: str) -> JSONResponse | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return JSONResponse({"code": "auth.unauthenticated"}, status_code=401)
    try:
        claims = jwt.decode(
            header.removeprefix("Bearer "),
            issuer.private_key.public_key(),
            algorithms=["EdDSA"],
            audience=AUDIENCE,
        )
    except jwt.PyJWTError:
        return JSONResponse({"code": "auth.unauthenticated"}, status_code=401)
    if claims.get("kind") != "service" or scope not in claims.get("scope", "").split():
        return JSONResponse({"code": "auth.forbidden"}, status_code=403)
    return None


def fake_directory(issuer: TestIssuer, state: PeerState) -> FastAPI:
    app = FastAPI()
    orgs = {code: _org(code, kind, name, d, st) for code, kind, name, d, st in ORGS}

    @app.post("/v1/auth/token")
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        auth = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"supervision:{SERVICE_SECRET}".encode()).decode()
        if form.get("grant_type") != "client_credentials" or auth != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        state.tokens_issued += 1
        scopes = str(form.get("scope") or "").split()
        access = issuer.token(
            Grant(Role.service), subject="service:supervision", kind="service", scopes=scopes
        )
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 600})

    @app.post("/v1/organizations/lookup")
    async def lookup(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return JSONResponse({"code": "auth.unauthenticated"}, status_code=401)
        body = await request.json()
        state.calls.append(("directory.lookup", {"codes": ",".join(body.get("codes", []))}))
        codes = body.get("codes", [])
        return JSONResponse(
            {
                "organizations": [orgs[c] for c in codes if c in orgs],
                "missing_ids": [],
                "missing_codes": [c for c in codes if c not in orgs],
                "names": [],
            }
        )

    return app


def fake_plans(issuer: TestIssuer, state: PeerState) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/progress/units")
    async def unit_progress(request: Request, org_code: str) -> JSONResponse:
        denied = _authorised(request, issuer, PROGRESS_SCOPE)
        if denied is not None:
            return denied
        state.calls.append(("plans.progress", {"org_code": org_code}))
        progress = state.progress.get(org_code)
        if progress is None:
            return JSONResponse(
                {"code": "plans.unit.not_found", "title": "没有该单位的任务", "status": 404},
                status_code=404,
                media_type="application/problem+json",
            )
        return JSONResponse(
            {"org_code": org_code, "as_of": datetime.now(UTC).isoformat(), **progress}
        )

    return app


def fake_enrolment(issuer: TestIssuer, state: PeerState) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/stats/enrolment")
    async def stats(request: Request, year: int, stage: str, district_code: str) -> JSONResponse:
        denied = _authorised(request, issuer, STATS_SCOPE)
        if denied is not None:
            return denied
        state.calls.append(
            ("enrolment.stats", {"year": str(year), "stage": stage, "district": district_code})
        )
        found = state.stats.get((year, stage, district_code))
        if found is None:
            return JSONResponse({"code": "enrolment.stats.none"}, status_code=404)
        return JSONResponse(
            {
                "year": year,
                "stage": stage,
                "district_code": district_code,
                "applications": 1000,
                "verified": 980,
                "admitted": 950,
                "unplaced": 0,
                "by_batch": {},
                "schools": [],
                "as_of": datetime.now(UTC).isoformat(),
                **found,
            }
        )

    return app


@dataclass
class Peers:
    state: PeerState
    directory_url: str
    plans_url: str
    enrolment_url: str


@pytest_asyncio.fixture(scope="session")
async def fake_peers(issuer: TestIssuer) -> AsyncIterator[Peers]:
    state = PeerState()
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    urls = []
    for app in (
        fake_directory(issuer, state),
        fake_plans(issuer, state),
        fake_enrolment(issuer, state),
    ):
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        servers.append((server, task))
        urls.append(f"http://127.0.0.1:{port}")
    yield Peers(state, *urls)
    for server, task in servers:
        server.should_exit = True
        await task


@pytest.fixture
def peers(fake_peers: Peers) -> Iterator[Peers]:
    fake_peers.state.reset()
    yield fake_peers
    fake_peers.state.reset()


@pytest.fixture(scope="session")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


def settings_for(peers: Peers, evidence_dir: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "directory_url": peers.directory_url,
        "plans_url": peers.plans_url,
        "enrolment_url": peers.enrolment_url,
        "service_client_secret": SERVICE_SECRET,
        "evidence_dir": str(evidence_dir),
        "evidence_max_bytes": 200_000,
        **overrides,
    }


@pytest_asyncio.fixture
async def client(make_client: Any, peers: Peers, evidence_dir: Path) -> httpx.AsyncClient:
    return await make_client(create_app, Settings, **settings_for(peers, evidence_dir))


def dead_url() -> str:
    """A port nothing listens on: the service is 'stopped'."""
    return f"http://127.0.0.1:{free_port()}"


# --- principals -----------------------------------------------------------------------------


class Who:
    """Tokens for the people the tests need."""

    def __init__(self, issuer: TestIssuer) -> None:
        self.issuer = issuer

    def city(self) -> dict[str, str]:
        return self.issuer.city_admin()

    def district(self, code: str) -> dict[str, str]:
        return self.issuer.district_admin(code)

    def school(self, code: str) -> dict[str, str]:
        return self.issuer.school_staff(code)

    def inspector(self, district: str, subject: str) -> dict[str, str]:
        return self.issuer.inspector(district, subject=subject)

    def parent(self) -> dict[str, str]:
        return self.issuer.parent(uuid.uuid4())

    def service(self) -> dict[str, str]:
        return self.issuer.service("plans")


@pytest.fixture(scope="session")
def who(issuer: TestIssuer) -> Who:
    return Who(issuer)


async def register_inspector(
    client: httpx.AsyncClient,
    who: Who,
    *,
    district: str = "450103",
    employer: str | None = None,
    name: str = "韦志坚",
) -> tuple[dict[str, Any], dict[str, str]]:
    """An inspector linked to a fresh login; returns the record and that login's headers."""
    subject = f"user:{uuid.uuid4()}"
    body: dict[str, Any] = {
        "name": name,
        "certificate_no": f"GXDX-{uuid.uuid4().hex[:10]}",
        "district_code": district,
        "phone": "0771-5550101",
        "account_subject": subject,
    }
    if employer:
        body["employer_org_code"] = employer
    response = await client.post("/v1/inspectors", json=body, headers=who.district(district))
    assert response.status_code == 201, response.text
    return response.json(), who.inspector(district, subject)


async def assign(
    client: httpx.AsyncClient, who: Who, inspector: dict[str, Any], school_code: str
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/inspectors/{inspector['id']}/assignments",
        json={"school_code": school_code},
        headers=who.district(inspector["district_code"]),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


FULL_CHECKLIST = [
    {"item": key, "status": "ok"}
    for key in (
        "school_affairs",
        "admissions_fees",
        "curriculum_teaching",
        "student_workload",
        "teacher_ethics",
        "campus_safety",
        "canteen_hygiene",
        "school_ethos",
    )
]

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"\x01" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes = JPEG, name: str = "p.jpg"
) -> dict[str, Any]:
    response = await client.post(
        "/v1/attachments", files={"file": (name, data, "application/octet-stream")}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


def fields(response: httpx.Response) -> set[str]:
    return {e["field"] for e in response.json().get("errors") or []}
