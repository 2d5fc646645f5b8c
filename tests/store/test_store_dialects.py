"""The statements whose spelling differs between SQLite and PostgreSQL, on both."""

import sqlalchemy as sa

from mindshare.store import events, insert_many, is_among, people, worlds


def _world_with_people(database: sa.Engine, user_ids: list[str]) -> None:
    with database.begin() as connection:
        connection.execute(sa.insert(worlds).values(world_id="w", created_ms=0))
        insert_many(
            connection,
            people,
            ("world_id", "user_id", "body_hash", "created_ms", "updated_ms"),
            [("w", user_id, "h", 0, 0) for user_id in user_ids],
        )


def test_is_among_finds_the_values_stored_whatever_their_number(database: sa.Engine) -> None:
    stored = [f"u{n}" for n in range(40_000)]  # more than SQLite's parameter limit
    _world_with_people(database, stored)
    wanted = [*stored[::7], "missing", "u-1"]

    with database.connect() as connection:
        found = connection.execute(
            sa.select(people.c.user_id).where(is_among(connection, people.c.user_id, wanted))
        ).scalars()
        none = connection.execute(
            sa.select(people.c.user_id).where(is_among(connection, people.c.user_id, []))
        ).all()

    assert sorted(found) == sorted(stored[::7])
    assert none == []


def test_is_among_compares_big_integers_exactly(database: sa.Engine) -> None:
    _world_with_people(database, ["u"])
    keys = [2**63 - 1, -(2**63), 12345]
    with database.begin() as connection:
        insert_many(
            connection,
            events,
            ("world_id", "event_id", "type", "user_id", "ts_ms", "received_ms", "event_key"),
            [("w", f"e{n}", "click", "u", 0, 0, key) for n, key in enumerate(keys)],
        )

    with database.connect() as connection:
        found = connection.execute(
            sa.select(events.c.event_id).where(
                is_among(connection, events.c.event_key, [2**63 - 1, -(2**63), 2**63 - 2])
            )
        ).scalars()

    assert sorted(found) == ["e0", "e1"]


def test_insert_many_skipping_existing_rows_keeps_the_stored_ones(database: sa.Engine) -> None:
    _world_with_people(database, ["old"])
    columns = ("world_id", "user_id", "body_hash", "created_ms", "updated_ms")

    with database.begin() as connection:
        insert_many(
            connection,
            people,
            columns,
            [("w", "old", "changed", 5, 5), ("w", "new", "h", 5, 5)],
            skip_existing=True,
        )

    with database.connect() as connection:
        rows = connection.execute(
            sa.select(people.c.user_id, people.c.body_hash).order_by(people.c.user_id)
        ).all()
    assert [tuple(row) for row in rows] == [("new", "h"), ("old", "h")]
