"""Checked coverage rows written set-wise: a few statements per chunk of rows, never one per row.

PostgreSQL: the chunk is COPYed (binary) into a temporary staging table of the same columns,
then one INSERT ... SELECT ... ON CONFLICT DO UPDATE moves it into the table. SQLite (no COPY):
one executemany of the same upsert. Either way a row is updated only where a value differs, so
importing a file again writes no row version (PostgreSQL still marks each row it compared as
locked: ON CONFLICT DO UPDATE locks the rows it finds). A chunk must not hold one key twice
(PostgreSQL refuses to touch a row twice in one statement): the caller keeps the last.
"""

from collections.abc import Collection, Sequence
from types import TracebackType
from typing import Any

from django.db import DatabaseError, connection, models


class Upsert:
    """The rows of `model` by its unique key `key`, `fields` given in this order in each row.

    Use as a context manager around the writes: on PostgreSQL it makes the session's staging
    table on entry and drops it on exit."""

    def __init__(self, model: type[models.Model], *, fields: Sequence[str], key: Sequence[str]) -> None:
        # Every name below comes from the model, quoted; every value goes as a parameter or by COPY.
        quote = connection.ops.quote_name
        options = model._meta
        field_of = {field.name: field for field in options.concrete_fields}
        column_of = {name: field.column for name, field in field_of.items()}
        table = quote(options.db_table)
        columns = [quote(column_of[name]) for name in fields]
        keys = [quote(column_of[name]) for name in key]
        changing = [column for column in columns if column not in keys]
        listed = ", ".join(columns)
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in changing)
        conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        self.postgresql = connection.vendor == "postgresql"
        if self.postgresql:
            staging = quote(f"{options.db_table}_staging")
            # Typed as the table's columns, without its constraints; emptied by every commit.
            self.create = (
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {listed} FROM {table} WITH NO DATA"
            )
            self.empty = f"TRUNCATE {staging}"  # within an outer transaction no commit empties it
            # Binary: the values go as the server stores them, no text to write or parse.
            self.copy = f"COPY {staging} ({listed}) FROM STDIN (FORMAT BINARY)"
            self.types = [str(field_of[name].db_type(connection)).partition("(")[0] for name in fields]
            current = ", ".join(f"{table}.{column}" for column in changing)
            excluded = ", ".join(f"EXCLUDED.{column}" for column in changing)
            self.upsert = (
                f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {staging} {conflict} "  # noqa: S608 (names from the model)
                f"WHERE ({current}) IS DISTINCT FROM ({excluded})"
            )
            self.drop = f"DROP TABLE IF EXISTS {staging}"
        else:
            differs = " OR ".join(f"{table}.{column} IS NOT EXCLUDED.{column}" for column in changing)
            placeholders = ", ".join(["%s"] * len(columns))
            self.upsert = f"INSERT INTO {table} ({listed}) VALUES ({placeholders}) {conflict} WHERE {differs}"  # noqa: S608

    def __enter__(self) -> "Upsert":
        if self.postgresql:
            with connection.cursor() as cursor:
                cursor.execute(self.create)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.postgresql:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(self.drop)
            except DatabaseError:
                if kind is None:
                    raise  # after another error (a broken transaction) the session's table stays

    def write(self, rows: Collection[Sequence[Any]]) -> int:
        """Insert or update `rows` (call inside a transaction); returns how many rows were
        inserted or changed: the unchanged ones are not counted, nor written."""
        if not rows:
            return 0
        with connection.cursor() as cursor:
            if not self.postgresql:
                cursor.executemany(self.upsert, list(rows))
                return int(cursor.rowcount)
            cursor.execute(self.empty)
            # Django logs the COPY as a statement where it logs queries (DEBUG, the tests' counts).
            with connection.wrap_database_errors, cursor.copy(self.copy) as copy:
                copy.set_types(self.types)
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
            cursor.execute(self.upsert)
            return int(cursor.rowcount)
