from typing import ClassVar, Literal, Self

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import DEVELOPMENT_SECRET_PREFIX, BaseServiceSettings, Environment


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ENROLMENT_", env_ignore_empty=True, extra="ignore"
    )
    service_name: ClassVar[str] = "enrolment"

    # Personal data (PIPL): ID and certificate numbers are encrypted with the active key; older
    # keys stay listed (`id=secret,id=secret`) so rows written before a rotation still decrypt.
    data_key_id: str = "k1"
    data_key: str = f"{DEVELOPMENT_SECRET_PREFIX}enrolment-data-key"
    data_previous_keys: str = ""
    # Keyed hash for uniqueness and look-up of encrypted numbers. Not rotated: rotating it means
    # re-indexing every row, which a migration job would do.
    blind_index_key: str = f"{DEVELOPMENT_SECRET_PREFIX}enrolment-blind-index-key"

    # Documents families upload.
    blob_store: Literal["local", "s3"] = "local"
    blob_dir: str = ".data/blobs/enrolment"
    s3_endpoint: str = "http://127.0.0.1:9000"
    s3_bucket: str = "xuezai-enrolment"
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    upload_max_bytes: int = 5 * 1024 * 1024
    import_max_bytes: int = 5 * 1024 * 1024

    # Inter-agency verification (the agency simulator in development and tests).
    agency_timeout_seconds: float = 3.0
    agency_attempts: int = 3
    agency_backoff_seconds: float = 0.2
    agency_breaker_failures: int = 5
    agency_breaker_reset_seconds: float = 30.0

    # A parent account adds at most this many children (a family's own; a stranger cannot
    # stock an account with other people's children to probe or hold their places), and at
    # most `child_creation_limit` attempts per `child_creation_window_seconds`.
    children_per_account: int = 5
    child_creation_limit: int = 10
    child_creation_window_seconds: float = 3600.0

    # Cycle and offering data read on every submission; cached per process this long.
    cycle_cache_seconds: float = 5.0

    # Batch admission. A running admission job whose heartbeat is older than this is taken for
    # dead (its worker was killed) when staff ask for a new run; the job beats between phases,
    # seconds apart even at city scale.
    admission_stale_seconds: float = 120.0
    # Tests only, refused in production: the job pauses this long between phases (and inside the
    # results transaction before the swap) so a test can kill the worker or cancel mid-run.
    admission_phase_delay_seconds: float = 0.0

    @model_validator(mode="after")
    def _no_test_hooks_in_production(self) -> Self:
        if self.env == Environment.production and self.admission_phase_delay_seconds:
            raise ValueError("admission_phase_delay_seconds is a test hook, not for production")
        return self
