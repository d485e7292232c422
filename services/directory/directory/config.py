from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import DEVELOPMENT_SECRET_PREFIX, BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="DIRECTORY_", env_ignore_empty=True, extra="ignore"
    )
    service_name: ClassVar[str] = "directory"

    # Encrypts signing keys' private halves and parents' phone numbers (AES-GCM). Rotate by
    # moving the old value to `previous_secret_keys`: values are tagged with their key's id.
    secret_key: str = Field(default=f"{DEVELOPMENT_SECRET_PREFIX}directory-secret-key")
    previous_secret_keys: list[str] = Field(default_factory=list)
    # Keys the blind index of phone numbers and the hashes of SMS codes (HMAC-SHA256). Changing
    # it orphans every stored index, so it is not rotated with `secret_key`.
    index_key: str = Field(default=f"{DEVELOPMENT_SECRET_PREFIX}directory-index-key")

    access_token_seconds: int = 900
    session_days: int = 30
    # A new signing key is published this long before it signs anything, so every service's
    # JWKS cache has it before the first token arrives.
    signing_key_rotation_days: int = 30
    signing_key_publish_ahead_seconds: int = 120

    # argon2id cost (argon2-cffi's RFC 9106 low-memory profile by default).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    # Failed password and client-secret checks per network address (each costs an argon2
    # verification); beyond it the address waits, whatever accounts it tries.
    failed_sign_ins_per_ip: int = 50
    failed_sign_ins_window_seconds: int = 600

    sms_code_seconds: int = 300
    sms_max_attempts: int = 5
    sms_resend_seconds: int = 60
    sms_daily_limit: int = 10
    sms_hourly_limit_per_ip: int = 30
    # An HTTP SMS gateway (JSON POST); without one, codes go to the log (and, outside
    # production, to `GET /v1/dev/sms-outbox`).
    sms_gateway_url: str | None = None

    default_client_rate_limit_per_minute: int = 600


def get_settings() -> Settings:
    return Settings()
