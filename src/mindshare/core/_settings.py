"""Process settings from the environment (``MINDSHARE_*``); the defaults need no infrastructure."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the store lives and where model artifacts go."""

    model_config = SettingsConfigDict(env_prefix="MINDSHARE_", extra="ignore")

    database_url: str = "sqlite:///./mindshare.db"
    artifacts_dir: str = "./.mindshare"
