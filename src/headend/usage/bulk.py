"""Set-based writes of usage's tables: many rows inserted, or updated where a unique key holds
them already, in a few statements whatever their number."""

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

WRITE_ROWS = 2000  # rows per multi-row INSERT (SQLite takes up to 32,766 parameters)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _copy(cursor: Any, table: str, names: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """COPY the rows into `table`, written as text by hand (psycopg's write_row costs about
    5 us a row in Python; a joined line per row, sent in chunks, a fraction of it)."""
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for start in range(0, len(rows), WRITE_ROWS * 10):
            lines = [
                "\t".join([str(v) if type(v) is int else _copy_value(v) for v in row])
                for row in rows[start : start + WRITE_ROWS * 10]
            ]
            copy.write("\n".join(lines) + "\n")


def upsert(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], conflict: str, update: str) -> None:
    """INSERT the rows into `table` (our own table and column names, never input), or where the
    unique `conflict` holds one already, UPDATE it as `update` says (`excluded.<column>` is the
    row given). On PostgreSQL the rows are COPYed into a temporary table and go in by one
    INSERT ... SELECT: no statement to build and parse per row. Elsewhere, multi-row INSERTs of
    WRITE_ROWS rows. Runs in the caller's transaction."""
    if not rows:
        return
    names = ", ".join(columns)
    tail = f" ON CONFLICT ({conflict}) DO UPDATE SET {update}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            batch = f"usage_batch_{table}"
            # Made once per connection, emptied at each commit (and here, if written again before).
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {batch} ON COMMIT DELETE ROWS "  # noqa: S608
                f"AS SELECT {names} FROM {table} WITH NO DATA"
            )
            _copy(cursor, batch, names, rows)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {batch}{tail}")  # noqa: S608
            cursor.execute(f"TRUNCATE {batch}")
            return
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        head = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608
        for start in range(0, len(rows), WRITE_ROWS):
            part = rows[start : start + WRITE_ROWS]
            cursor.execute(
                head + ", ".join([marks] * len(part)) + tail, [_sqlite_value(value) for row in part for value in row]
            )


def insert(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """INSERT rows no unique key holds yet (the caller knows, under its lock): COPY on
    PostgreSQL, multi-row INSERTs elsewhere."""
    if not rows:
        return
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, table, names, rows)
            return
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        head = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608
        for start in range(0, len(rows), WRITE_ROWS):
            part = rows[start : start + WRITE_ROWS]
            cursor.execute(head + ", ".join([marks] * len(part)), [_sqlite_value(v) for row in part for v in row])


def ids_in(ids: Collection[int]) -> Any:
    """What `field__in=` takes for many ids: on PostgreSQL one array parameter (no statement of
    thousands of placeholders to build and plan), elsewhere the list."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return list(ids)


def texts_in(texts: Collection[str]) -> Any:
    """`ids_in` for strings."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::text[])", [list(texts)])
    return list(texts)
