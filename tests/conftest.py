"""Shared fixtures: a migrated store on SQLite always, and on PostgreSQL when one is given.

Set ``MINDSHARE_TEST_DATABASE_URL`` (CI does) to run every ``database`` test on
PostgreSQL too; each test gets a schema of its own, dropped afterwards.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mindshare.store import connect, migrate

POSTGRES_URL = os.environ.get("MINDSHARE_TEST_DATABASE_URL", "")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MOVIELENS_100K = SHARED_DATA / "movielens-100k"
OPEN_BANDIT = SHARED_DATA / "open-bandit-dataset"


def _sqlite_store(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = connect(f"sqlite:///{tmp_path / 'mindshare.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _postgres_store() -> Iterator[sa.Engine]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL suite did not run: MINDSHARE_TEST_DATABASE_URL is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = connect(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = connect(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty, migrated store: SQLite in a temporary file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield from _sqlite_store(tmp_path)
    else:
        yield from _postgres_store()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty, migrated SQLite store, for tests whose subject is not the database."""
    yield from _sqlite_store(tmp_path)


@pytest.fixture(scope="session")
def movielens_100k() -> Path:
    """The MovieLens-100k RecBole atomic files beside the checkout (never committed)."""
    if not (MOVIELENS_100K / "ml-100k.inter").exists():
        pytest.fail(f"MovieLens-100k is missing: expected it at {MOVIELENS_100K}")
    return MOVIELENS_100K


@pytest.fixture(scope="session")
def open_bandit() -> Path:
    """The Open Bandit Dataset sample (random/, bts/, prior_bts.yaml) beside the checkout."""
    if not (OPEN_BANDIT / "random" / "all" / "all.csv").exists():
        pytest.fail(f"The Open Bandit Dataset sample is missing: expected it at {OPEN_BANDIT}")
    return OPEN_BANDIT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not POSTGRES_URL:
        terminalreporter.write_line(
            "NOTE: the PostgreSQL suite did not run (MINDSHARE_TEST_DATABASE_URL is not set); "
            "only SQLite was tested.",
            yellow=True,
        )
