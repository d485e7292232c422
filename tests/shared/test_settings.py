import pytest
from pydantic import ValidationError

from enrolment.config import Settings as EnrolmentSettings
from plans.config import Settings as PlansSettings


def test_service_prefix_wins_over_the_platform_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://platform/xuezai")
    monkeypatch.setenv("PLANS_DATABASE_URL", "postgresql+asyncpg://plans-only/xuezai")

    assert PlansSettings().database_url == "postgresql+asyncpg://plans-only/xuezai"
    assert EnrolmentSettings().database_url == "postgresql+asyncpg://platform/xuezai"


def test_platform_wide_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere:6379/3")
    monkeypatch.setenv("XUEZAI_DIRECTORY_URL", "http://directory.internal")

    settings = PlansSettings()

    assert settings.redis_url == "redis://elsewhere:6379/3"
    assert settings.directory_url == "http://directory.internal"


def test_production_refuses_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEZAI_ENV", "production")

    with pytest.raises(ValidationError, match="service_client_secret"):
        PlansSettings()

    monkeypatch.setenv("PLANS_SERVICE_CLIENT_SECRET", "a-real-secret-from-the-vault")
    assert PlansSettings().env == "production"
