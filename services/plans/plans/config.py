from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PLANS_", env_ignore_empty=True, extra="ignore")
    service_name: ClassVar[str] = "plans"

    # The client id this service presents to the directory for service tokens.
    # The city whose bureau owns city plans (GB/T 2260).
    city_code: str = "450100"

    # The 督办 ladder, in calendar days (Asia/Shanghai). Reminders before the deadline; yellow
    # the day after it passes (催办, leader copied); red some days later (通报); a repeated
    # reminder every `overdue_repeat_days` while the task stays open.
    reminder_days_before: tuple[int, ...] = (7, 3, 1)
    yellow_after_days: int = Field(default=1, ge=1)
    red_after_days: int = Field(default=6, ge=1)
    overdue_repeat_days: int = Field(default=3, ge=1)
    # Indicator traffic light: within this share of the target (or of 序时进度) is yellow.
    attainment_yellow_ratio: float = 0.95

    # Uploads.
    import_max_bytes: int = 5 * 1024 * 1024
    attachment_max_bytes: int = 10 * 1024 * 1024

    # Where notifications go after the in-app inbox: "log" (development) is the only sender.
    notification_sender: str = "log"
