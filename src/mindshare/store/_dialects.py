"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_duplicates(connection: sa.Connection, table: sa.Table) -> sa.Insert:
    """An INSERT that skips rows whose key already exists (ON CONFLICT DO NOTHING)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


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
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    keys = [column.name for column in table.primary_key.columns]
    changes = {
        name: (table.c[name] + statement.excluded[name])
        if name in added
        else statement.excluded[name]
        for name in rows[0]
        if name not in keys
    }
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes), rows)


def insert_many(
    connection: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Bulk INSERT of positional rows straight through the driver, for ingestion's hot path.

    It skips SQLAlchemy's per-row parameter processing, so JSON columns must be given as
    JSON text already.
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, columns, rows)
        return
    connection.exec_driver_sql(_insert_sql(connection.dialect, table, tuple(columns)), rows)


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
