"""migrate, the schema it leaves behind, and the guard against an unmigrated store."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mindshare.core import StoreError
from mindshare.store import (
    connect,
    event_key,
    head_revision,
    metadata,
    migrate,
    require_current,
    schema_revision,
)


def _compare(connection: sa.Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _table_names(engine: sa.Engine) -> set[str]:
    with engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def test_migrate_creates_every_table_of_the_metadata(database: sa.Engine) -> None:
    found = _table_names(database)

    assert found == {*metadata.tables, "alembic_version"}


def test_migrate_leaves_the_store_at_the_head_revision(database: sa.Engine) -> None:
    revision = schema_revision(database)

    assert revision == head_revision()


def test_migrating_twice_is_a_no_op(database: sa.Engine) -> None:
    before = _table_names(database)

    migrate(database)

    assert _table_names(database) == before
    assert schema_revision(database) == head_revision()
    require_current(database)


def test_migrated_database_equals_the_metadata(database: sa.Engine) -> None:
    with database.connect() as connection:
        differences = _compare(connection)

    assert differences == []


def test_the_metadata_comparison_notices_a_dropped_index(database: sa.Engine) -> None:
    with database.begin() as connection:
        connection.execute(sa.text("DROP INDEX ix_rejected_world_id_rule"))

    with database.connect() as connection:
        differences = _compare(connection)

    assert [d[0] for d in differences] == ["add_index"]


def test_require_current_accepts_a_migrated_store(database: sa.Engine) -> None:
    require_current(database)


def test_require_current_refuses_an_unmigrated_store_and_names_mindshare_init(
    tmp_path: Path,
) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(StoreError, match="mindshare init"):
            require_current(engine)
    finally:
        engine.dispose()


def test_an_unmigrated_store_has_no_schema_revision(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        revision = schema_revision(engine)
    finally:
        engine.dispose()

    assert revision is None


def test_migrating_events_from_0001_gives_each_its_key(database: sa.Engine) -> None:
    with database.begin() as connection:  # back to an empty database
        connection.execute(sa.text("DROP TABLE alembic_version"))
        metadata.drop_all(connection)
    migrate(database, "0001")
    with database.begin() as connection:
        connection.execute(sa.text("INSERT INTO worlds (world_id, created_ms) VALUES ('w', 0)"))
        connection.execute(
            sa.text(
                "INSERT INTO people (world_id, user_id, body_hash, created_ms, updated_ms) "
                "VALUES ('w', 'u', '', 0, 0)"
            )
        )
        for event_id in ("e1", "e2"):
            connection.execute(
                sa.text(
                    "INSERT INTO events (world_id, event_id, type, user_id, ts_ms, received_ms) "
                    "VALUES ('w', :event_id, 'session_start', 'u', 0, 0)"
                ),
                {"event_id": event_id},
            )

    migrate(database)

    with database.connect() as connection:
        rows = connection.execute(sa.text("SELECT event_id, event_key FROM events"))
        keys = {event_id: key for event_id, key in rows}
        differences = _compare(connection)
    assert keys == {"e1": event_key("e1"), "e2": event_key("e2")}
    assert differences == []


def test_migrating_from_0009_counts_each_items_impressions_from_the_exposure_log(
    database: sa.Engine,
) -> None:
    with database.begin() as connection:  # back to an empty database
        connection.execute(sa.text("DROP TABLE alembic_version"))
        metadata.drop_all(connection)
    migrate(database, "0009")
    shown = [("w", "i1", 5), ("w", "i1", 9), ("w", "i2", 7), ("v", "i1", 3)]
    with database.begin() as connection:
        for slot, (world, item, served_ms) in enumerate(shown):
            connection.execute(
                sa.text(
                    "INSERT INTO exposures (world_id, feed_id, user_id, slot, item_id, "
                    "creator_id, kind, policy, served_ms, exposure, score) VALUES (:world, "
                    "'f', 'u', :slot, :item, 'c', 'organic', 'greedy', :served_ms, 1.0, 0.5)"
                ),
                {"world": world, "slot": slot, "item": item, "served_ms": served_ms},
            )

    migrate(database)

    with database.connect() as connection:
        totals = connection.execute(
            sa.text(
                "SELECT world_id, item_id, impressions, updated_ms FROM item_impressions "
                "ORDER BY world_id, item_id"
            )
        ).all()
        differences = _compare(connection)
    assert [tuple(row) for row in totals] == [
        ("v", "i1", 1, 3),
        ("w", "i1", 2, 9),
        ("w", "i2", 1, 7),
    ]
    assert differences == []


def _index_definition(connection: sa.Connection, name: str) -> str | None:
    if connection.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    else:
        query = (
            "SELECT indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND indexname = :name"
        )
    return connection.execute(sa.text(query), {"name": name}).scalar_one_or_none()


def test_migrating_from_0008_indexes_only_views_by_person(database: sa.Engine) -> None:
    with database.begin() as connection:  # back to an empty database
        connection.execute(sa.text("DROP TABLE alembic_version"))
        metadata.drop_all(connection)
    migrate(database, "0008")

    migrate(database)

    with database.connect() as connection:
        by_person = _index_definition(connection, "ix_events_world_id_user_id_ts_ms")
        views_by_person = _index_definition(connection, "ix_events_views_by_person")
        differences = _compare(connection)
    assert by_person is None
    assert views_by_person is not None
    assert "WHERE" in views_by_person.upper()
    assert "'view'" in views_by_person
    assert differences == []
