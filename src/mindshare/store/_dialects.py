"""The few statements whose spelling differs between SQLite and PostgreSQL."""

import json
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mindshare.store._schema import worlds


def lock_world(connection: sa.Connection, world_id: str) -> sa.Row[Any] | None:
    """Take the world's write turn for the rest of the transaction; the world's row, or None.

    Writers of one world then take turns, each reading what the one before it committed,
    so that what they look up is still true when they write: on SQLite the transaction
    takes the database's write lock now (``BEGIN IMMEDIATE``) rather than at its first
    write, after its reads; on PostgreSQL the world's row stays locked until it ends.
    """
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    query = sa.select(worlds).where(worlds.c.world_id == world_id).with_for_update(key_share=True)
    return connection.execute(query).one_or_none()


def insert_ignoring_duplicates(connection: sa.Connection, table: sa.Table) -> sa.Insert:
    """An INSERT that skips rows whose key already exists (ON CONFLICT DO NOTHING)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def is_among(
    connection: sa.Connection, column: sa.ColumnElement[Any], values: Collection[Any]
) -> sa.ColumnElement[bool]:
    """``column IN values`` with the values bound as one parameter, however many they are.

    An IN list costs SQLAlchemy a bound parameter per value to name and render, more than
    the database spends on the lookups, and is bounded by the driver's parameter limit.
    So PostgreSQL is given an array (``= ANY``) and SQLite a JSON array read by
    ``json_each``; each still looks the values up one by one in an index on ``column``.
    """
    if connection.dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column == sa.any_(array)
    listed = sa.func.json_each(sa.bindparam(None, json.dumps(list(values)))).table_valued("value")
    return column.in_(sa.select(listed.c.value))


def add_to_totals(
    connection: sa.Connection,
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    *,
    added: Sequence[str],
) -> None:
    """Add each row's ``added`` columns to the stored totals of its key, creating the row
    when the key is new (one INSERT … ON CONFLICT DO UPDATE for the batch); other columns
    are overwritten."""
    if not rows:
        return
    statement = _upsert(connection.dialect.name, table, tuple(rows[0]), tuple(added))
    connection.execute(statement, rows)


@lru_cache(maxsize=64)
def _upsert(
    dialect_name: str, table: sa.Table, names: tuple[str, ...], added: tuple[str, ...]
) -> sa.Insert:
    """``add_to_totals``'s statement, built once: building it costs more than a small batch."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(table)
    keys = [column.name for column in table.primary_key.columns]
    changes = {
        name: (table.c[name] + statement.excluded[name])
        if name in added
        else statement.excluded[name]
        for name in names
        if name not in keys
    }
    upsert: sa.Insert = statement.on_conflict_do_update(index_elements=keys, set_=changes)
    return upsert


def insert_many(
    connection: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    skip_existing: bool = False,
) -> None:
    """Bulk INSERT of positional rows straight through the driver, for ingestion's hot path.

    It skips SQLAlchemy's per-row parameter processing, so JSON columns must be given as
    JSON text already. ``skip_existing`` skips rows whose key is stored already (ON
    CONFLICT DO NOTHING) instead of failing.
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql" and not skip_existing:
        _copy_rows(connection, table, columns, rows)
        return
    sql = _insert_sql(connection.dialect, table, tuple(columns))
    if skip_existing:
        sql += " ON CONFLICT DO NOTHING"
    connection.exec_driver_sql(sql, rows)


def _copy_rows(
    connection: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """PostgreSQL's COPY, many times faster than row-by-row INSERTs, in the same transaction.

    A broken constraint raises ``sqlalchemy.exc.IntegrityError``, as an INSERT would.
    """
    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    integrity_error = connection.dialect.loaded_dbapi.IntegrityError
    try:
        with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except integrity_error as error:
        raise sa.exc.IntegrityError(statement, None, error) from error


@lru_cache(maxsize=64)
def _insert_sql(dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...]) -> str:
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(marker for _ in columns)})"
    )
