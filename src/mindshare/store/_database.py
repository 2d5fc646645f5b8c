"""Connections to the store: SQLite (embedded default, WAL, foreign keys on) or PostgreSQL."""

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from mindshare.core import StoreError

_MIGRATIONS = Path(__file__).with_name("migrations")


def normalize_url(database_url: str) -> str:
    """Use psycopg 3 for a bare ``postgresql://`` URL, the driver Mindshare installs."""
    for bare in ("postgresql://", "postgres://"):
        if database_url.startswith(bare):
            return "postgresql+psycopg://" + database_url[len(bare) :]
    return database_url


def connect(database_url: str, **engine_options: Any) -> sa.Engine:
    """An engine for the store at ``database_url``; SQLite gets WAL, foreign keys, a busy wait."""
    url = sa.make_url(normalize_url(database_url))
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {url.get_backend_name()!r}: use sqlite:///PATH "
            "or postgresql+psycopg://USER@HOST/DB"
        )
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, **engine_options)
        sa.event.listen(engine, "connect", _configure_sqlite)
        return engine
    # Plan every statement afresh: a plan cached while a table was small (a bulk load's
    # first batches) keeps scanning the whole table once it is large.
    connect_args = {"prepare_threshold": None, **engine_options.pop("connect_args", {})}
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, **engine_options)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a committed batch survives power loss, not only a crash of the process.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 64 MiB of page cache: event indexes on random client ids outgrow the 2 MiB default.
    cursor.execute("PRAGMA cache_size=-65536")
    # Checkpoint every 10,000 WAL pages (40 MiB), not the default 1,000: a bulk load's
    # commits each dirty pages all over the event key index, and a checkpoint copies a page
    # once however many commits changed it. Durability is the same: a commit is durable
    # once in the WAL; checkpoints only move pages into the database file.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    # ...and the WAL file is cut back to 64 MiB after a checkpoint, not left at its peak.
    cursor.execute("PRAGMA journal_size_limit=67108864")
    cursor.close()


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Create the store or bring it up to ``revision`` (the newest by default)."""
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
    except sa.exc.OperationalError as error:
        raise StoreError(f"cannot migrate the store at {engine.url!r}: {error.orig}") from error


def schema_revision(engine: sa.Engine) -> str | None:
    """The migration the store is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration this version of Mindshare ships."""
    head = ScriptDirectory(str(_MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def require_current(engine: sa.Engine) -> None:
    """Refuse to work on a store that is missing or behind this version's schema."""
    try:
        current = schema_revision(engine)
    except sa.exc.OperationalError as error:
        raise StoreError(f"cannot open the store at {engine.url!r}: {error.orig}") from error
    if current != head_revision():
        raise StoreError(
            f"the store at {engine.url!r} is at schema {current or 'none'}, "
            f"this Mindshare needs {head_revision()}: run `mindshare init`"
        )
