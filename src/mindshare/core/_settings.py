"""Process settings from the environment (``MINDSHARE_*``); the defaults need no infrastructure."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the store lives, where model artifacts go, and the HTTP service's limits."""

    model_config = SettingsConfigDict(env_prefix="MINDSHARE_", extra="ignore")

    database_url: str = "sqlite:///./mindshare.db"
    artifacts_dir: str = "./.mindshare"
    #: Requests a second one API key may make on average, and the burst it may save up.
    api_rate_per_s: float = 500.0
    api_burst: int = 1_000
    #: The largest request body the service reads (a batch of 10,000 events fits).
    api_max_body_bytes: int = 16 * 1024 * 1024
    #: How long the service serves feeds from a world it read before reading it again.
    feed_cache_ms: int = 30_000
    #: API requests the service works on at once; one more is answered 503 at once. Below
    #: the 40 threads that run the routes, so that an admitted request never waits for one.
    api_max_in_flight: int = Field(default=32, ge=1)
