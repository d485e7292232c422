"""Plans test fixtures: a small fake directory over real HTTP, app clients, import helpers.

The fake directory speaks exactly the contract of `shared.clients.directory`
(`POST /v1/organizations/lookup`) and issues service tokens at `POST /v1/auth/token`, like the
real one. Its gazetteer is a slice of Nanning: the city bureau and departments (with the short
names documents use), the twelve county-level governments, the development zones' committees,
two colleges, and the collective phrases of seed 001.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from plans.app import create_app
from plans.config import Settings
from shared.auth import Grant, Role, ScopeLevel
from shared.clients.directory import LookupRequest, LookupResult, NameMatch, OrganizationRef
from shared.embedded import free_port
from shared.testing.tokens import TestIssuer

DATA = Path(__file__).parent / "imports" / "data"
SEED_001 = DATA / "001_ae262387f17bac79.txt"
SEED_002 = DATA / "002_42d7a22f1583c568.txt"
CITY = "450100"
NAMESPACE = uuid.UUID("0b6f1c8e-5d2a-4b7e-9c1d-3f0e2a4b6c8d")

COUNTIES = {
    "450102": "兴宁区",
    "450103": "青秀区",
    "450105": "江南区",
    "450107": "西乡塘区",
    "450108": "良庆区",
    "450109": "邕宁区",
    "450110": "武鸣区",
    "450123": "隆安县",
    "450124": "马山县",
    "450125": "上林县",
    "450126": "宾阳县",
    "450181": "横州市",
}
ZONES = {"450191": "南宁高新区", "450192": "南宁经开区", "450193": "东盟经开区"}
DEPARTMENTS = (
    "财政局",
    "发展改革委",
    "编办",
    "规划局",
    "国土资源局",
    "住房局",
    "民政局",
    "残联",
    "城乡建委",
    "税务局",
    "人社局",
    "科技局",
    "民宗委",
    "文新广局",
    "环保局",
    "林园局",
    "卫生计生委",
    "工信委",
    "国资委",
    "外侨办",
    "台办",
    "投资促进局",
    "大型活动办",
    "公安局",
    "综治办",
    "扶贫办",
    "食品药品监督管理局",
    "青秀山管委会",
)


def org_id(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, name)


def government(code: str) -> str:
    return f"{COUNTIES.get(code) or ZONES[code]}{'人民政府' if code in COUNTIES else '管委会'}"


@dataclass
class FakeDirectory:
    """The directory's look-up contract over a fixed gazetteer; counts calls; can be made to fail."""

    issuer: TestIssuer
    base_url: str = ""
    down: bool = False
    lookups: list[dict[str, Any]] = field(default_factory=list)
    tokens_issued: int = 0
    orgs: dict[uuid.UUID, OrganizationRef] = field(default_factory=dict)
    names: dict[str, tuple[str, list[uuid.UUID]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._add("南宁市教育局", "city_bureau", CITY, None, ("市教育局", "教育局"))
        for short in DEPARTMENTS:
            aliases = (f"市{short}", short) if short.endswith("管委会") else (f"市{short}",)
            self._add(f"南宁市{short}", "department", None, None, aliases)
        for code in COUNTIES:
            self._add(government(code), "government", code, code, ())
            self._add(f"{COUNTIES[code]}教育局", "district_bureau", code, code, ())
        for code in ZONES:
            self._add(government(code), "government", code, code, ())
        self._add("南宁职业技术学院", "school", "4501000001", None, ())
        self._add("南宁学院", "school", "4501000002", None, ())
        governments = [org_id(government(code)) for code in COUNTIES]
        self.names["各县区人民政府"] = ("collective", governments)
        self.names["开发区管委会"] = ("collective", [org_id(government(c)) for c in ZONES])
        counties = [c for c, name in COUNTIES.items() if name.endswith(("县", "市"))]
        self.names["各县、武鸣区人民政府"] = (
            "collective",
            [org_id(government(c)) for c in [*counties, "450110"]],
        )

    def _add(
        self, name: str, kind: str, code: str | None, district: str | None, aliases: tuple[str, ...]
    ) -> None:
        ref = OrganizationRef(
            id=org_id(name), kind=kind, code=code, name=name, district_code=district
        )
        self.orgs[ref.id] = ref
        self.names[name] = ("name", [ref.id])
        for alias in aliases:
            self.names[alias] = ("alias", [ref.id])

    def id(self, name: str) -> uuid.UUID:
        return org_id(name)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/auth/token")
        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            if form.get("grant_type") != "client_credentials" or not request.headers.get(
                "authorization", ""
            ).startswith("Basic "):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            self.tokens_issued += 1
            scopes = str(form.get("scope") or "").split()
            access = self.issuer.token(
                Grant(Role.service), subject="service:plans", kind="service", scopes=scopes
            )
            return JSONResponse({"access_token": access, "token_type": "bearer", "expires_in": 900})

        @app.post("/v1/organizations/lookup")
        async def lookup(request: Request) -> JSONResponse:
            if self.down:
                return JSONResponse({"title": "down", "code": "x"}, status_code=503)
            if not request.headers.get("authorization", "").startswith("Bearer "):
                return JSONResponse({"title": "no token", "code": "auth"}, status_code=401)
            body = LookupRequest.model_validate(await request.json())
            self.lookups.append(body.model_dump(mode="json"))
            found = [self.orgs[i] for i in body.ids if i in self.orgs]
            by_code = [o for o in self.orgs.values() if o.code in body.codes]
            matches = []
            for name in body.names:
                kind, ids = self.names.get(name, ("none", []))
                matches.append(
                    NameMatch(
                        query=name,
                        match=kind,  # type: ignore[arg-type]
                        organizations=[self.orgs[i] for i in ids],
                    )
                )
            result = LookupResult(
                organizations=found + by_code,
                missing_ids=[i for i in body.ids if i not in self.orgs],
                missing_codes=[c for c in body.codes if not any(o.code == c for o in by_code)],
                names=matches,
            )
            return JSONResponse(result.model_dump(mode="json"))

        return app


async def serve(app: Any) -> tuple[str, uvicorn.Server, "asyncio.Task[None]"]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    return f"http://127.0.0.1:{port}", server, task


@pytest_asyncio.fixture(scope="session")
async def fake_directory(issuer: TestIssuer) -> AsyncIterator[FakeDirectory]:
    """One directory for the session (apps are cached per settings, so its URL must not move)."""
    directory = FakeDirectory(issuer)
    directory.base_url, server, task = await serve(directory.app())
    yield directory
    server.should_exit = True
    await task


@pytest.fixture(autouse=True)
def _directory_up(fake_directory: FakeDirectory) -> None:
    fake_directory.down = False


@pytest.fixture(scope="session")
def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


PlansClient = httpx.AsyncClient


@pytest_asyncio.fixture
async def client(make_client: Any, fake_directory: FakeDirectory) -> PlansClient:
    app_client: httpx.AsyncClient = await make_client(
        create_app, Settings, directory_url=fake_directory.base_url, http_retries=1
    )
    return app_client


@pytest_asyncio.fixture
async def offline_client(make_client: Any, closed_port_url: str) -> PlansClient:
    """The plans API while the directory cannot be reached at all."""
    app_client: httpx.AsyncClient = await make_client(
        create_app, Settings, directory_url=closed_port_url, http_retries=1
    )
    return app_client


@pytest.fixture
def today_is(client: PlansClient) -> Callable[[date], None]:
    """Set the day the API believes it is (Asia/Shanghai business day)."""
    app = client._transport.app  # type: ignore[attr-defined]
    original = getattr(app.state, "clock", None)

    def set_day(day: date) -> None:
        app.state.clock = lambda: day

    yield set_day  # type: ignore[misc]
    if original is None:
        if hasattr(app.state, "clock"):
            del app.state.clock
    else:
        app.state.clock = original


@dataclass
class Headers:
    issuer: TestIssuer
    directory: FakeDirectory

    @property
    def city(self) -> dict[str, str]:
        return self.issuer.city_admin()

    def district(self, code: str) -> dict[str, str]:
        return self.issuer.district_admin(code)

    def reporter(self, org_name: str, **kwargs: Any) -> dict[str, str]:
        return self.issuer.unit_reporter(str(self.directory.id(org_name)), **kwargs)

    def grants(self, *grants: str, **kwargs: Any) -> dict[str, str]:
        return self.issuer.headers(*grants, **kwargs)

    def service(self, scopes: tuple[str, ...] = ()) -> dict[str, str]:
        return self.issuer.service("supervision", scopes)

    def school(self, code: str) -> dict[str, str]:
        return self.issuer.school_staff(code)

    def org_grant(self, role: Role, org: uuid.UUID) -> dict[str, str]:
        return self.issuer.headers(Grant(role, ScopeLevel.org, str(org)))


@pytest.fixture
def auth(issuer: TestIssuer, fake_directory: FakeDirectory) -> Headers:
    return Headers(issuer, fake_directory)


ImportPlan = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def import_plan(client: PlansClient, auth: Headers) -> ImportPlan:
    """Import a text through the API and confirm it; returns the created plan."""

    async def run(
        text: str,
        *,
        headers: dict[str, str] | None = None,
        confirm: dict[str, Any] | None = None,
        api: PlansClient | None = None,
    ) -> dict[str, Any]:
        api = api or client
        headers = headers or auth.city
        preview = await api.post("/v1/plans/imports", json={"text": text}, headers=headers)
        assert preview.status_code == 201, preview.text
        confirmed = await api.post(
            f"/v1/plans/imports/{preview.json()['id']}/confirm",
            json=confirm or {},
            headers=headers,
        )
        assert confirmed.status_code == 201, confirmed.text
        plan: dict[str, Any] = confirmed.json()
        return plan

    return run


SMALL_PLAN = """南宁市教育局关于印发2019年重点工作督办方案的通知
南教办〔2019〕7号

一、学前教育
1. 扩大普惠性资源。新建幼儿园 5 所。（牵头单位：市教育局；责任单位：青秀区人民政府、江南区人民政府；完成时限：2019年6月底前）
2. 规范收费。（责任单位：青秀区人民政府；配合单位：市财政局；完成时限：2019年9月底前）
二、义务教育
1. 消除大班额。（责任单位：各县区人民政府；完成时限：2019年12月底前）
2. 建设智慧校园。（责任单位：五象新区管委会；完成时限：2019年12月底前）
"""


def tasks_by_ref(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            found[node["ref"]] = node
            walk(node["children"])

    walk(tree["nodes"])
    return found


@pytest.fixture
def small_plan() -> str:
    return SMALL_PLAN


@pytest.fixture(scope="session")
def seed001() -> str:
    return SEED_001.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed002() -> str:
    return SEED_002.read_text(encoding="utf-8")


@pytest.fixture
def walk() -> Callable[[dict[str, Any]], dict[str, dict[str, Any]]]:
    return tasks_by_ref
