"""The store: SQLAlchemy Core tables, connections and migrations (SQLite or PostgreSQL)."""

from mindshare.store._database import (
    connect,
    head_revision,
    migrate,
    normalize_url,
    require_current,
    schema_revision,
)
from mindshare.store._dialects import insert_ignoring_duplicates, insert_many
from mindshare.store._schema import (
    attention_daily,
    campaigns,
    creatives,
    creator_exposure,
    creators,
    event_key,
    events,
    exposures,
    feeds,
    items,
    metadata,
    people,
    rejected,
    worlds,
)

__all__ = [
    "attention_daily",
    "campaigns",
    "connect",
    "creatives",
    "creator_exposure",
    "creators",
    "event_key",
    "events",
    "exposures",
    "feeds",
    "head_revision",
    "insert_ignoring_duplicates",
    "insert_many",
    "items",
    "metadata",
    "migrate",
    "normalize_url",
    "people",
    "rejected",
    "require_current",
    "schema_revision",
    "worlds",
]
