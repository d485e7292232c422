"""A stand-in for the other agencies' systems (public security, property registry, social
insurance), which do not exist here. It speaks real HTTP, answers from demo data, and can be
told to fail or be slow so that retries, timeouts and the circuit breaker can be exercised.

Control endpoints (`/v1/sim/…`) add records, inject faults and count calls; they exist only in
the simulator."""

import asyncio
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from agencysim.demo import DEMO_HUKOU, DEMO_INSURANCE, DEMO_PROPERTY
from shared.errors import add_exception_handlers
from shared.middleware import RequestContextMiddleware

AgencyName = Literal["public_security", "property_registry", "social_insurance"]


def _norm(value: Any) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).lower()
    return text or None


def _number(value: Any) -> int | None:
    found = (
        re.search(r"\d+", unicodedata.normalize("NFKC", str(value))) if value is not None else None
    )
    return int(found.group()) if found else None


def same_place(registered: dict[str, Any] | None, declared: dict[str, Any] | None) -> bool:
    if not registered or not declared:
        return False
    if registered.get("district_code") != declared.get("district_code"):
        return False
    if _norm(registered.get("estate")) and _norm(registered.get("estate")) == _norm(
        declared.get("estate")
    ):
        return True
    return _norm(registered.get("road")) == _norm(declared.get("road")) and _number(
        registered.get("house_number")
    ) == _number(declared.get("house_number"))


class Address(BaseModel):
    district_code: str | None = None
    road: str | None = None
    house_number: str | None = None
    estate: str | None = None


class HukouRecord(BaseModel):
    id_number: str
    name: str
    address: Address
    move_in_date: str


class PropertyRecord(BaseModel):
    certificate_number: str
    address: Address
    sole: bool = True
    share: float = 1.0
    handover_date: str


class InsuranceRecord(BaseModel):
    id_number: str
    months: int


class Records(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hukou: list[HukouRecord] = Field(default_factory=list)
    property: list[PropertyRecord] = Field(default_factory=list)
    insurance: list[InsuranceRecord] = Field(default_factory=list)


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agency: AgencyName
    mode: Literal["fail", "slow", "ok"] = "fail"
    status: int = Field(default=503, ge=400, le=599)
    delay_ms: int = Field(default=0, ge=0, le=120_000)
    count: int | None = Field(
        default=None, ge=1, description="Only the next N calls; None: until cleared."
    )


class HukouCheck(BaseModel):
    id_number: str
    name: str | None = None
    hukou_address: dict[str, Any] | None = None
    move_in_date: str | None = None


class TitleCheck(BaseModel):
    certificate_number: str
    address: dict[str, Any] | None = None
    sole: bool | None = None
    share: float | None = None
    handover_date: str | None = None


class ContributionCheck(BaseModel):
    id_numbers: list[str] = Field(default_factory=list, max_length=10)
    declared_months: int | None = None


@dataclass
class State:
    hukou: dict[str, HukouRecord] = field(default_factory=dict)
    property: dict[str, PropertyRecord] = field(default_factory=dict)
    insurance: dict[str, int] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    calls: dict[str, int] = field(
        default_factory=lambda: {
            "public_security": 0,
            "property_registry": 0,
            "social_insurance": 0,
        }
    )

    def load(self, records: Records) -> None:
        for hukou in records.hukou:
            self.hukou[hukou.id_number.upper()] = hukou
        for title in records.property:
            self.property[_norm(title.certificate_number) or ""] = title
        for insurance in records.insurance:
            self.insurance[insurance.id_number.upper()] = insurance.months

    def reset(self) -> None:
        self.hukou.clear()
        self.property.clear()
        self.insurance.clear()
        self.faults.clear()
        for name in self.calls:
            self.calls[name] = 0
        self.load(Records(hukou=DEMO_HUKOU, property=DEMO_PROPERTY, insurance=DEMO_INSURANCE))


async def _apply_fault(state: State, agency: str) -> JSONResponse | None:
    state.calls[agency] += 1
    fault = state.faults.get(agency)
    if fault is None or fault.mode == "ok":
        return None
    if fault.count is not None:
        fault.count -= 1
        if fault.count <= 0:
            del state.faults[agency]
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.mode == "fail":
        return JSONResponse({"title": "simulated failure"}, status_code=fault.status)
    return None


def create_app() -> FastAPI:
    app = FastAPI(
        title="Xuezai agency simulator",
        description="Simulated public-security, property-registry and social-insurance systems.",
        version="1.0.0",
    )
    add_exception_handlers(app)
    app.add_middleware(RequestContextMiddleware, service="agencysim")
    state = State()
    state.reset()
    app.state.sim = state
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    agencies = APIRouter(prefix="/v1", tags=["agencies"])

    @agencies.post("/public-security/hukou-checks", summary="公安户籍核验")
    async def hukou_check(body: HukouCheck) -> JSONResponse:
        if (fault := await _apply_fault(state, "public_security")) is not None:
            return fault
        record = state.hukou.get(body.id_number.upper())
        if record is None:
            return JSONResponse({"outcome": "not_found"}, status_code=404)
        details = {
            "name_matches": body.name is None or body.name == record.name,
            "address_matches": same_place(record.address.model_dump(), body.hukou_address),
            "move_in_date_matches": body.move_in_date is None
            or body.move_in_date == record.move_in_date,
            "registered_move_in_date": record.move_in_date,
        }
        ok = (
            details["name_matches"]
            and details["address_matches"]
            and details["move_in_date_matches"]
        )
        return JSONResponse({"outcome": "matched" if ok else "mismatch", "details": details})

    @agencies.post("/property-registry/title-checks", summary="不动产登记核验")
    async def title_check(body: TitleCheck) -> JSONResponse:
        if (fault := await _apply_fault(state, "property_registry")) is not None:
            return fault
        record = state.property.get(_norm(body.certificate_number) or "")
        if record is None:
            return JSONResponse({"outcome": "not_found"}, status_code=404)
        details = {
            "address_matches": same_place(record.address.model_dump(), body.address),
            "sole_matches": body.sole is None or body.sole == record.sole,
            "share_matches": body.share is None or abs(body.share - record.share) < 1e-6,
            "handover_date_matches": body.handover_date is None
            or body.handover_date == record.handover_date,
            "registered_handover_date": record.handover_date,
        }
        ok = all(value for key, value in details.items() if key.endswith("_matches"))
        return JSONResponse({"outcome": "matched" if ok else "mismatch", "details": details})

    @agencies.post("/social-insurance/contribution-checks", summary="社保缴费核验")
    async def contribution_check(body: ContributionCheck) -> JSONResponse:
        if (fault := await _apply_fault(state, "social_insurance")) is not None:
            return fault
        months = [state.insurance.get(number.upper()) for number in body.id_numbers]
        known = [m for m in months if m is not None]
        if not known:
            return JSONResponse({"outcome": "not_found"}, status_code=404)
        best = max(known)
        ok = body.declared_months is None or best >= body.declared_months
        return JSONResponse(
            {
                "outcome": "matched" if ok else "mismatch",
                "details": {"months": best, "declared_months": body.declared_months},
            }
        )

    control = APIRouter(prefix="/v1/sim", tags=["simulator control"])

    @control.post("/records", summary="Add demo records")
    async def add_records(body: Records) -> dict[str, int]:
        state.load(body)
        return {
            "hukou": len(state.hukou),
            "property": len(state.property),
            "insurance": len(state.insurance),
        }

    @control.post("/faults", summary="Make an agency fail or be slow")
    async def add_fault(body: Fault) -> dict[str, Any]:
        state.faults[body.agency] = body
        return body.model_dump()

    @control.delete("/faults", summary="Clear every fault")
    async def clear_faults() -> dict[str, str]:
        state.faults.clear()
        return {"status": "ok"}

    @control.get("/calls", summary="Calls received per agency")
    async def calls() -> dict[str, int]:
        return dict(state.calls)

    @control.post("/reset", summary="Back to the demo data, no faults, no calls")
    async def reset() -> dict[str, str]:
        state.reset()
        return {"status": "ok"}

    app.include_router(router)
    app.include_router(agencies)
    app.include_router(control)
    return app
