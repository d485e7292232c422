"""Settings shared by every service.

Each service subclasses `BaseServiceSettings` with its own env prefix (`PLANS_`, `ENROLMENT_` …).
Platform-wide values — the database, Redis, the environment and the other services' URLs — may
also be given once for the whole platform (`DATABASE_URL`, `REDIS_URL`, `XUEZAI_ENV`,
`XUEZAI_DIRECTORY_URL` …); a service-prefixed variable wins over the platform-wide one.
"""

import os
from enum import StrEnum
from typing import Any, ClassVar, Self

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEVELOPMENT_SECRET_PREFIX = "dev-only-"


class Environment(StrEnum):
    development = "development"
    testing = "testing"
    production = "production"


class PlatformEnvSource(PydanticBaseSettingsSource):
    """Reads the platform-wide fallbacks, below the service-prefixed variables in priority."""

    aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "database_url": ("DATABASE_URL", "XUEZAI_DATABASE_URL"),
        "redis_url": ("REDIS_URL", "XUEZAI_REDIS_URL"),
    }

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        for name in self.aliases.get(field_name, ()) + (f"XUEZAI_{field_name.upper()}",):
            value = os.environ.get(name)
            if value:
                return value, field_name, False
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, field_name)
            if value is not None:
                values[key] = value
        return values


class BaseServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", case_sensitive=False)

    service_name: ClassVar[str] = "service"

    env: Environment = Environment.development
    log_level: str = "INFO"
    log_json: bool = True

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/xuezai"
    database_pool_size: int = 10
    database_max_overflow: int = 10
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Redis on a request's path (revocation, rate limits, enqueueing): each call is given this
    # long, and after `redis_breaker_failures` failures in a row Redis is skipped (callers fail
    # open) for `redis_breaker_reset_seconds` before one trial call. See `shared.redis`.
    redis_timeout_seconds: float = Field(default=0.05, gt=0, le=5)
    redis_breaker_failures: int = Field(default=3, ge=1, le=100)
    redis_breaker_reset_seconds: float = Field(default=5.0, gt=0, le=600)

    directory_url: str = "http://127.0.0.1:8000"
    plans_url: str = "http://127.0.0.1:8001"
    supervision_url: str = "http://127.0.0.1:8002"
    enrolment_url: str = "http://127.0.0.1:8003"
    agencysim_url: str = "http://127.0.0.1:8010"

    # The JWKS is fetched from the directory; refreshed at most this often on an unknown key id.
    jwks_refresh_min_seconds: float = 10.0
    jwks_cache_seconds: float = 3600.0
    token_issuer: str = "xuezai-directory"
    # A JWKS file trusted besides the directory's keys, for end-to-end tests and benchmarks that
    # sign their own tokens while no directory runs. Refused in production.
    trusted_jwks_file: str | None = None

    # Credentials this service uses to obtain a service token from the directory; the client id
    # defaults to the service's name (the directory registers one client per service).
    service_client_id: str | None = None
    service_client_secret: str = Field(default=f"{DEVELOPMENT_SECRET_PREFIX}service-secret")

    http_timeout_seconds: float = 5.0
    http_retries: int = 3

    pagination_max_limit: int = 200
    # Upper bound for any request body; endpoints that take uploads set their own, lower caps.
    max_body_bytes: int = 20 * 1024 * 1024

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            PlatformEnvSource(settings_cls),
            dotenv_settings,
            file_secret_settings,
        )

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Self:
        if self.env == Environment.production and self.trusted_jwks_file:
            raise ValueError("trusted_jwks_file is for tests and benchmarks, not production")
        if self.env == Environment.production:
            for name in type(self).model_fields:
                value = getattr(self, name)
                if isinstance(value, str) and value.startswith(DEVELOPMENT_SECRET_PREFIX):
                    raise ValueError(
                        f"{name} still has its development default; set a real secret in production"
                    )
        return self

    @property
    def is_development(self) -> bool:
        return self.env == Environment.development

    @property
    def is_testing(self) -> bool:
        return self.env == Environment.testing
