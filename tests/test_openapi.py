"""The committed OpenAPI documents match the code (regenerate with `make openapi`)."""

import json

import pytest

from xuezai import openapi
from xuezai.platform import SERVICES


@pytest.mark.parametrize("service", [spec.name for spec in SERVICES])
def test_committed_document_is_current(service: str) -> None:
    path = openapi.OPENAPI_DIR / f"{service}.json"

    assert path.exists(), f"openapi/{service}.json is missing — run `make openapi`"
    assert path.read_text(encoding="utf-8") == openapi.render(service), (
        f"openapi/{service}.json is stale — run `make openapi`"
    )


@pytest.mark.parametrize("service", [spec.name for spec in SERVICES])
def test_every_operation_is_documented(service: str) -> None:
    document = json.loads(openapi.render(service))

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), f"{where} has no summary"
            assert operation.get("tags"), f"{where} has no tags"
            assert (
                "200" in operation["responses"]
                or "201" in operation["responses"]
                or "202" in operation["responses"]
                or "204" in operation["responses"]
            ), where
            if path.startswith("/v1/"):
                assert "422" in operation["responses"], f"{where} does not document its errors"
