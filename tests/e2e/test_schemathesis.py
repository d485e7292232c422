"""Schemathesis over every service's OpenAPI document, against the real processes, signed in as
each kind of caller: whatever a client sends — malformed, oversized, wrongly typed, hostile —
the answer is never a 5xx.

Every operation of every service is tried as a city admin (25 examples each) and as a parent,
school staff, a district admin and an agency client (fewer examples each: bounded, so the
suite stays minutes long).
"""

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from shared.testing.tokens import TestIssuer
from xuezai.runner import Platform

from .conftest import service_url

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"

pytestmark = pytest.mark.live

SCHEMAS = {
    service: schemathesis.openapi.from_path(OPENAPI / f"{service}.json")
    for service in ("directory", "plans", "supervision", "enrolment")
}

# Every scope an agency client can be granted, so its calls get past the policies.
AGENCY_SCOPES = ["directory:organizations:read", "enrolment:stats:read", "plans:progress:read"]

ROLES: dict[str, Callable[[TestIssuer], dict[str, str]]] = {
    "city_admin": lambda issuer: issuer.city_admin(),
    "district_admin": lambda issuer: issuer.district_admin("450103"),
    "school_staff": lambda issuer: issuer.school_staff("4501030001"),
    "parent": lambda issuer: issuer.parent(uuid.uuid4()),
    "agency_client": lambda issuer: issuer.agency_client("schemathesis", AGENCY_SCOPES),
}
EXAMPLES = {"city_admin": 25}
OTHER_ROLE_EXAMPLES = 6


def call(
    case: schemathesis.Case, platform: Platform, service: str, headers: dict[str, str]
) -> None:
    merged = {**headers, **(case.headers or {})}
    response = case.call(base_url=service_url(platform, service), headers=merged, timeout=10)
    case.validate_response(response, checks=[not_a_server_error])


def never_5xx(service: str, role: str) -> Callable[..., None]:
    @SCHEMAS[service].parametrize()
    @settings(
        max_examples=EXAMPLES.get(role, OTHER_ROLE_EXAMPLES),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    def test(case: schemathesis.Case, live_platform: Platform, issuer: TestIssuer) -> None:
        call(case, live_platform, service, ROLES[role](issuer))

    test.__name__ = f"test_{service}_as_{role}_never_answers_5xx"
    # One operation's examples; password grants hash with argon2, slow on a busy machine.
    return pytest.mark.timeout(600)(test)


for _service in SCHEMAS:
    for _role in ROLES:
        _test: Any = never_5xx(_service, _role)
        globals()[_test.__name__] = _test
