"""Fixtures of the service tests: two small worlds, keys of every scope, and a client."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mindshare import engine
from mindshare.core import Settings, to_epoch_ms
from mindshare.events import RecordKind, create_world
from mindshare.service import Scope, create_api_key, create_app

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Service:
    """A running app over a store with worlds ``w`` and ``other``, and keys by name."""

    app: FastAPI
    client: TestClient
    store: sa.Engine
    tokens: dict[str, str]

    def headers(self, name: str) -> dict[str, str]:
        """Authorization headers with the key called ``name``."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def view(event_id: str, user: str, item: str, minute: int, dwell_ms: int = 20_000) -> dict:
    """A fully visible view ``minute`` minutes after DAY0."""
    return {
        "event_id": event_id,
        "type": "view",
        "user_id": user,
        "ts": (DAY0 + timedelta(minutes=minute)).isoformat(),
        "item_id": item,
        "dwell_ms": dwell_ms,
        "visible_fraction": 1.0,
    }


def build_world(store: sa.Engine, world: str) -> None:
    """Creators c1 and c2, five items, four people and a few views of them."""
    with store.begin() as connection:
        create_world(connection, world, now_ms=to_epoch_ms(DAY0))
    engine.ingest_world(
        store,
        world,
        {
            RecordKind.CREATORS: [{"creator_id": "c1"}, {"creator_id": "c2"}],
            RecordKind.ITEMS: [
                {
                    "item_id": f"i{n}",
                    "kind": "content",
                    "creator_id": f"c{1 + n % 2}",
                    "title": f"Item {n}",
                    "tags": ["t"],
                }
                for n in range(1, 6)
            ],
            RecordKind.PEOPLE: [{"user_id": f"u{n}"} for n in range(1, 5)],
            RecordKind.EVENTS: [
                view(f"e{u}{i}", f"u{u}", f"i{i}", 10 * u + i)
                for u in range(1, 5)
                for i in range(1, 6)
                if (u + i) % 2
            ],
        },
        now=DAY0 + timedelta(days=1),
    )


def make_key(store: sa.Engine, world: str, *scopes: Scope) -> str:
    """A new key of ``world`` with ``scopes``."""
    with store.begin() as connection:
        return create_api_key(connection, world, frozenset(scopes), now_ms=to_epoch_ms(DAY0)).token


ServiceFactory = Callable[..., Service]


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
