"""connect and normalize_url: which databases the store opens, and how SQLite is set up."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from mindshare.core import StoreError
from mindshare.store import connect, normalize_url


def _pragma(engine: sa.Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_connections_use_write_ahead_logging(sqlite_database: sa.Engine) -> None:
    mode = _pragma(sqlite_database, "journal_mode")

    assert str(mode).lower() == "wal"


def test_sqlite_connections_enforce_foreign_keys(sqlite_database: sa.Engine) -> None:
    enabled = _pragma(sqlite_database, "foreign_keys")

    assert enabled == 1


def test_sqlite_foreign_keys_reject_an_item_of_a_missing_creator(
    sqlite_database: sa.Engine,
) -> None:
    statement = sa.text(
        "INSERT INTO items (world_id, item_id, kind, creator_id, body_hash, created_ms, "
        "updated_ms) VALUES ('nowhere', 'i', 'content', 'nobody', 'h', 0, 0)"
    )

    with pytest.raises(sa.exc.IntegrityError), sqlite_database.begin() as connection:
        connection.execute(statement)


def test_connect_creates_the_folder_of_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "still" / "mindshare.db"

    engine = connect(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()

    assert path.parent.is_dir()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://me@db:5432/mindshare", "postgresql+psycopg://me@db:5432/mindshare"),
        ("postgres://me@db/mindshare", "postgresql+psycopg://me@db/mindshare"),
        ("postgresql+psycopg://me@db/mindshare", "postgresql+psycopg://me@db/mindshare"),
        ("sqlite:///./mindshare.db", "sqlite:///./mindshare.db"),
    ],
)
def test_normalize_url_uses_psycopg_for_bare_postgresql_urls(given: str, expected: str) -> None:
    normalized = normalize_url(given)

    assert normalized == expected


def test_connect_gives_a_bare_postgresql_url_the_psycopg_driver() -> None:
    engine = connect("postgresql://me@127.0.0.1:1/mindshare")
    try:
        driver = engine.url.get_driver_name()
    finally:
        engine.dispose()

    assert driver == "psycopg"


@pytest.mark.parametrize("url", ["mysql://me@db/mindshare", "mssql+pyodbc://me@db/mindshare"])
def test_connect_refuses_databases_other_than_sqlite_and_postgresql(url: str) -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        connect(url)
