"""Fixtures of the service tests: an app over two worlds with keys of every scope, and the
dashboard's world (helpers in ``service_worlds``)."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_worlds import (
    DashboardWorld,
    Service,
    ServiceFactory,
    build_dashboard_world,
    build_world,
    make_key,
)

from mindshare.core import Settings
from mindshare.models import ModelRegistry
from mindshare.service import Scope, create_app


@pytest.fixture
def make_service(database: sa.Engine, tmp_path: Path) -> Iterator[ServiceFactory]:
    """Build the app over worlds ``w`` and ``other`` with settings overridden by keywords;
    keys ``read``, ``ingest``, ``trade``, ``admin`` of ``w``, ``foreign`` (every scope) of
    ``other``."""
    build_world(database, "w")
    build_world(database, "other")
    tokens = {scope.value: make_key(database, "w", scope) for scope in Scope}
    tokens["foreign"] = make_key(database, "other", *Scope)
    clients: list[TestClient] = []

    def build(**settings: object) -> Service:
        options: dict[str, object] = {"artifacts_dir": str(tmp_path / "artifacts"), **settings}
        app = create_app(Settings(**options), store=database)  # type: ignore[arg-type]
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return Service(app=app, client=client, store=database, tokens=tokens)

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def service(make_service: ServiceFactory) -> Service:
    """The app with default settings (see ``make_service``)."""
    return make_service()


# --- the dashboard's world --------------------------------------------------------------


def _dashboard_world(store: sa.Engine, tmp_path: Path) -> DashboardWorld:
    settings = Settings(database_url=str(store.url), artifacts_dir=str(tmp_path / "artifacts"))
    now = datetime.now(UTC)
    day0 = build_dashboard_world(
        store, ModelRegistry(Path(settings.artifacts_dir) / "models"), now=now
    )
    tokens = {
        "read": make_key(store, "w", Scope.READ),
        "ingest": make_key(store, "w", Scope.INGEST),
        "other": make_key(store, "other", Scope.READ),
    }
    return DashboardWorld(store=store, settings=settings, tokens=tokens, now=now, first_day=day0)


@pytest.fixture
def dashboard_world(database: sa.Engine, tmp_path: Path) -> DashboardWorld:
    """The dashboard's world on every backend."""
    return _dashboard_world(database, tmp_path)


@pytest.fixture
def sqlite_dashboard_world(sqlite_database: sa.Engine, tmp_path: Path) -> DashboardWorld:
    """The dashboard's world on SQLite, for tests whose subject is not the database."""
    return _dashboard_world(sqlite_database, tmp_path)
