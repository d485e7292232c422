from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings


class Settings(BaseServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="DIRECTORY_", env_ignore_empty=True, extra="ignore"
    )
    service_name: ClassVar[str] = "directory"


def get_settings() -> Settings:
    return Settings()
