"""Bounded URL parameters: out-of-range values are 422s on every service, and a service with an
unbounded parameter is caught here, by the kernel's check."""

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from directory.app import create_app as directory_app
from directory.config import Settings as DirectorySettings
from enrolment.app import create_app as enrolment_app
from enrolment.config import Settings as EnrolmentSettings
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from shared.app import build_app
from shared.params import Limit, unbounded_parameters
from shared.settings import BaseServiceSettings
from shared.testing.tokens import TestIssuer
from supervision.app import create_app as supervision_app
from supervision.config import Settings as SupervisionSettings

APPS = {
    "directory": (directory_app, DirectorySettings),
    "plans": (plans_app, PlansSettings),
    "supervision": (supervision_app, SupervisionSettings),
    "enrolment": (enrolment_app, EnrolmentSettings),
}


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_url_parameter_of_every_service_is_bounded(service: str) -> None:
    factory, settings = APPS[service]
    assert unbounded_parameters(factory(settings())) == []


def test_an_unbounded_parameter_is_found() -> None:
    router = APIRouter()

    @router.get("/v1/things/{code}")
    async def things(
        code: str, year: int | None = None, day: date | None = None, limit: Limit = 10
    ) -> dict[str, str]:
        return {}

    app = build_app(settings=BaseServiceSettings(), title="t", description="t", routers=[router])

    assert unbounded_parameters(app) == [
        "GET /v1/things/{code} code",
        "GET /v1/things/{code} day",
        "GET /v1/things/{code} year",
    ]


# The values the issue found answering 500, and their kind on every service.
OUT_OF_RANGE = [
    ("enrolment", "/v1/public/cycles?year=834020953962", False),
    ("enrolment", "/v1/cycles?year=-174512806488539267072", True),
    ("enrolment", "/v1/cycles?year=1999", True),
    ("enrolment", "/v1/review/applications?limit=100000000000000000000", True),
    ("directory", "/v1/organizations?valid_on=9999-12-31", True),
    ("directory", "/v1/audit-events?since=0001-01-01T00:00:00Z", True),
    ("directory", "/v1/organizations?limit=201", True),
    ("plans", "/v1/plans?limit=0", True),
    ("plans", "/v1/plans?limit=99999999999999999999999", True),
    ("supervision", "/v1/frameworks/resolve?as_of=0001-01-01&kind=balance", True),
    ("supervision", "/v1/school-data?year=99999999999999999999", True),
    ("supervision", "/v1/findings?district_code=" + "4" * 5000, True),
]


@pytest.mark.parametrize(("service", "url", "signed_in"), OUT_OF_RANGE)
async def test_out_of_range_url_values_are_422_naming_the_parameter(
    make_client: Callable[..., Any], issuer: TestIssuer, service: str, url: str, signed_in: bool
) -> None:
    factory, settings = APPS[service]
    client: httpx.AsyncClient = await make_client(factory, settings)
    headers = issuer.city_admin() if signed_in else {}

    response = await client.get(url, headers=headers)

    assert response.status_code == 422, response.text
    parameter = url.split("?")[1].split("=")[0]
    assert parameter in {error["field"].rsplit(".", 1)[-1] for error in response.json()["errors"]}
