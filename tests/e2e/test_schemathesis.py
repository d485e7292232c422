"""Schemathesis over every service's OpenAPI document, against the real processes: whatever a
client sends — malformed, oversized, wrongly typed, hostile — the answer is never a 5xx."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from shared.testing.tokens import TestIssuer
from xuezai.runner import Platform

from .conftest import service_url

OPENAPI = Path(__file__).resolve().parents[2] / "openapi"

pytestmark = pytest.mark.live

directory = schemathesis.openapi.from_path(OPENAPI / "directory.json")
plans = schemathesis.openapi.from_path(OPENAPI / "plans.json")
supervision = schemathesis.openapi.from_path(OPENAPI / "supervision.json")
enrolment = schemathesis.openapi.from_path(OPENAPI / "enrolment.json")

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def call(case: schemathesis.Case, platform: Platform, service: str, issuer: TestIssuer) -> None:
    headers = {**issuer.city_admin(), **(case.headers or {})}
    response = case.call(base_url=service_url(platform, service), headers=headers, timeout=10)
    case.validate_response(response, checks=[not_a_server_error])


@directory.parametrize()
@FUZZ
def test_directory_never_answers_5xx(
    case: schemathesis.Case, live_platform: Platform, issuer: TestIssuer
) -> None:
    call(case, live_platform, "directory", issuer)


@plans.parametrize()
@FUZZ
def test_plans_never_answers_5xx(
    case: schemathesis.Case, live_platform: Platform, issuer: TestIssuer
) -> None:
    call(case, live_platform, "plans", issuer)


@supervision.parametrize()
@FUZZ
def test_supervision_never_answers_5xx(
    case: schemathesis.Case, live_platform: Platform, issuer: TestIssuer
) -> None:
    call(case, live_platform, "supervision", issuer)


@enrolment.parametrize()
@FUZZ
def test_enrolment_never_answers_5xx(
    case: schemathesis.Case, live_platform: Platform, issuer: TestIssuer
) -> None:
    call(case, live_platform, "enrolment", issuer)
