"""A transactional test's flush on PostgreSQL deletes rows instead of truncating tables.

Django empties the database after every transactional test (live server, browser, worker and
kill tests) with one `TRUNCATE` of all ~170 tables, which gives each table and index a new file:
0.8 s on PostgreSQL, mostly for tables the test never wrote. `DELETE FROM` each table does the
same for a test's few rows in 0.04 s. Every foreign key Django makes on PostgreSQL is
`DEFERRABLE INITIALLY DEFERRED`, so the deletes may run in any order inside the flush's
transaction (tested: tests/test_fast_flush.py). A flush that resets sequences (a test asking for
`reset_sequences`) is left to Django's TRUNCATE ... RESTART IDENTITY.
"""

from typing import Any

from django.db.backends.postgresql.operations import DatabaseOperations

_truncate = DatabaseOperations.sql_flush


def _sql_flush(
    self: DatabaseOperations, style: Any, tables: Any, *, reset_sequences: bool = False, allow_cascade: bool = False
) -> list[str]:
    if reset_sequences or not tables:
        return _truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    return ["SET CONSTRAINTS ALL DEFERRED"] + [
        f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables
    ]


def install() -> None:
    DatabaseOperations.sql_flush = _sql_flush  # type: ignore[method-assign]
