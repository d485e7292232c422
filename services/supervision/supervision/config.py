from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="SUPERVISION_", env_ignore_empty=True, extra="ignore"
    )
    service_name: ClassVar[str] = "supervision"

    # Where evidence files (photos, scans) are kept, content-addressed. Relative paths resolve
    # against the working directory (the repository root under `make run`).
    evidence_dir: Path = Path(".data/supervision/evidence")
    evidence_max_bytes: int = 10 * 1024 * 1024

    # The service token this service asks the directory for, to call plans and enrolment.
    peer_token_scope: str = "plans:progress:read enrolment:stats:read"

    # 挂牌督导办法 (2013): one responsible inspector per about five schools.
    max_schools_per_inspector: int = Field(default=5, ge=1)
    # A visit recorded offline may be synced later, but not from further back than this.
    visit_backdate_days: int = Field(default=7, ge=0)
    # The current month's visit is "due" in its last days (a reminder before it is overdue).
    visit_due_days_before_month_end: int = Field(default=5, ge=0)
    # Days after the deadline at which an open finding escalates to yellow, then red.
    escalation_yellow_days: int = Field(default=15, ge=1)
    escalation_red_days: int = Field(default=30, ge=1)
    # Deadline given to a finding raised without one (e.g. from a visit).
    default_rectification_days: int = Field(default=30, ge=1)
    # Largest xlsx import accepted (rows).
    import_max_rows: int = Field(default=5000, ge=1)
