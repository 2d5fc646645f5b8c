"""Process settings from the environment (``MINDSHARE_*``); the defaults need no infrastructure."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the store lives and where model artifacts go."""

    model_config = SettingsConfigDict(env_prefix="MINDSHARE_", extra="ignore")

    database_url: str = "sqlite:///./mindshare.db"
    artifacts_dir: str = "./.mindshare"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
