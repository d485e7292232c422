"""docker/compose.yaml cannot run here (no Docker engine); check it against the code instead."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from xuezai.cli import app as cli
from xuezai.platform import SERVICES

DOCKER = Path(__file__).resolve().parents[1] / "docker"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_storage_is_health_checked(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name


def test_migration_runs_once_before_everything(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"] == ["xuezai", "migrate"]
    for spec in SERVICES:
        for name in (spec.name, f"{spec.name}-worker"):
            depends = services[name]["depends_on"]
            assert depends["migrate"]["condition"] == "service_completed_successfully", name
            assert depends["postgres"]["condition"] == "service_healthy", name


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_each_api_and_worker_matches_the_code(compose: dict[str, Any], spec: Any) -> None:
    api = compose["services"][spec.name]
    worker = compose["services"][f"{spec.name}-worker"]

    assert api["command"] == ["xuezai", "serve", spec.name, "--port", str(spec.port)]
    assert api["ports"] == [f"{spec.port}:{spec.port}"]
    assert api["build"]["args"]["SERVICE"] == spec.name
    assert worker["command"] == ["xuezai", "worker", spec.name]
    assert worker["build"]["args"]["SERVICE"] == spec.name
    assert api["build"]["dockerfile"] == "docker/Dockerfile"


def test_commands_exist_in_the_cli() -> None:
    names = {command.name or command.callback.__name__ for command in cli.registered_commands}  # type: ignore[union-attr]
    assert {"serve", "worker", "migrate"} <= names


def test_dockerfile_builds_one_image_per_service_as_non_root() -> None:
    dockerfile = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG SERVICE" in dockerfile
    assert "uv sync --frozen" in dockerfile
    assert "USER xuezai" in dockerfile
    assert dockerfile.count("FROM ") >= 2  # multi-stage
