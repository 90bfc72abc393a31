"""Reads compiled to SQL once per process, then run with new values on the database's cursor.

Django compiles a queryset to SQL each time it is evaluated: its joins, columns, filters and
ordering resolved again. For a wide read that costs far more than the database's answer: a
quote's ten items with their sites and products take 1.6 ms through the ORM and 0.07 ms as the
same SQL on the cursor (measured for issue 19). The reads on the API's hot path (the token, the
rows a kept body is checked against: api/representations.py) keep their SQL here instead:

    ROWS = Prepared()
    rows = ROWS.rows(("by id", roles), lambda: visible.values_list(*FIELDS), [quote_id])

The first call for a key compiles the queryset `build` returns and keeps its SQL; every call runs
that SQL with `values`, which must be the statement's parameters exactly, in order. That is checked
each time a statement is compiled, so a queryset that gains a parameter its caller does not pass
(a filter by the user, say) fails at once instead of being run with another request's value.
Anything else the SQL depends on (the user's roles where a selector scopes by them, which filters
are given, the number of ids in an `IN`) belongs in the key. `read_page` passes a page's offset and
limit as parameters too (Django would write a sliced queryset's into the SQL). A statement that
compiles to nothing (a filter on an empty list) is answered with no rows and not kept, and each
Prepared keeps at most MAX_STATEMENTS statements.

Rows are the database driver's values, not Python's (Decimal, aware datetimes): what a cache
key compares. `converted` gives Python's values of rows, by the statement's own converters.

`read` and `read_page` give a `Read`: the rows and what two reads are compared by. On SQLite that
is one text the database renders the rows as (a JSON array of arrays, from a statement that wraps
the queryset's), read in one step: Python's sqlite3 lets go of the interpreter's lock at every row
it steps, and with gunicorn's threads serving other requests each row of a long read then waits
for the lock again (measured for issue 19: 300 rows read in 4 busy threads cost 3.4 ms of CPU
against 0.74 ms in one, one row of their JSON 0.6 ms). The rows of a text are JSON's values, which
`converted` takes as it takes the driver's (dates as text, booleans as 0 and 1); a statement with a
float or binary column is read row by row (JSON holds no binary, and its floats have 15 digits),
and so is any read that meets bytes stored where text was meant. Elsewhere a Read's signature is
its rows."""

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from json import loads
from typing import Any, NamedTuple

from cachetools import LRUCache
from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connections
from django.db.models import BinaryField, DecimalField, FloatField, QuerySet

Row = tuple[Any, ...]
Build = Callable[[], QuerySet[Any, Any]]
MAX_STATEMENTS = 512  # per Prepared and process, the least recently run dropped first
PAGE = " LIMIT %s OFFSET %s"
UNRENDERED = (BinaryField, FloatField)  # columns a Read takes row by row (JSON holds no bytes; its floats 15 digits)


class ParametersMismatch(AssertionError):
    """A prepared statement's parameters are not the values its caller passes (a programming error)."""


class Statement(NamedTuple):
    """A compiled read: its database and SQL; for a Read on SQLite, also the SQL that renders its
    rows as one JSON text, and the columns whose values are exact in JSON (all but decimals)."""

    using: str
    sql: str
    as_text: str = ""
    exact: tuple[int, ...] = ()


class Read:
    """What a prepared statement read: `signature`, equal for two reads exactly when their rows
    are, and `rows`.

    A text's rows are JSON's values. JSON writes a real number to 15 digits (SQLite 3.40), which
    is exact for a decimal column (Django rounds the driver's value of it to 15 digits too) but not
    for another column holding one by SQL written by hand (an integer column keeps 2.5, and
    2.5000000000000004 would be the same text): such a value is read as a new object, equal to
    nothing, so that nothing is kept under rows that hold it."""

    __slots__ = ("_exact", "_rows", "signature")

    def __init__(self, signature: Hashable, rows: list[Row] | None = None, exact: tuple[int, ...] = ()) -> None:
        self.signature, self._rows, self._exact = signature, rows, exact

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:  # a text the database rendered
            rows = loads(self.signature)  # type: ignore[arg-type]
            for row in rows:
                for at in self._exact:
                    if isinstance(row[at], float):
                        row[at] = object()
            self._rows = [tuple(row) for row in rows]
        return self._rows


class Prepared:
    """Compiled SQL (and the database it is for) by key; thread-safe: gunicorn serves with threads."""

    def __init__(self) -> None:
        self._sql: LRUCache[Hashable, Statement] = LRUCache(maxsize=MAX_STATEMENTS)
        self._lock = threading.Lock()

    def rows(self, key: Hashable, build: Build, values: Sequence[Any]) -> list[Row]:
        """The rows of the queryset `build()` with its parameters `values`, as the driver returns them."""
        statement = self._compiled(key, build, list(values), "")
        return [] if statement is None else self._fetch(statement.using, statement.sql, list(values))

    def read(self, key: Hashable, build: Build, values: Sequence[Any]) -> Read:
        """The rows of `rows`, and their signature: in one step where the database renders them."""
        return self._read(self._compiled(key, build, list(values), ""), list(values))

    def read_page(self, key: Hashable, build: Build, values: Sequence[Any], *, offset: int, limit: int) -> Read:
        """`read` of `limit` rows from the `offset`th: `build()` is not sliced, and the offset and
        the limit are parameters (sliced, Django would write them into the SQL: a statement for
        each page a client asks for)."""
        values = [*values, limit, offset]
        return self._read(self._compiled(key, build, values, PAGE), values)

    def _read(self, statement: Statement | None, values: list[Any]) -> Read:
        if statement is None:
            return Read((), [])
        if statement.as_text:
            try:
                return Read(self._fetch(statement.using, statement.as_text, values)[0][0], exact=statement.exact)
            except OperationalError as error:  # bytes stored in a column (SQL by hand): JSON holds none
                if "BLOB" not in str(error):
                    raise
        rows = self._fetch(statement.using, statement.sql, values)
        return Read(tuple(rows), rows)

    @staticmethod
    def _fetch(using: str, sql: str, values: list[Any]) -> list[Row]:
        with connections[using].cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()

    def _compiled(self, key: Hashable, build: Build, values: list[Any], suffix: str) -> Statement | None:
        """The statement kept for `key` (compiled now if need be); None if it can match nothing."""
        with self._lock:
            statement = self._sql.get(key)
        if statement is not None:
            return statement
        queryset = build()
        if queryset.query.is_sliced:
            raise ValueError("a prepared page is sliced by its offset and limit, not by its queryset")
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            sql, parameters = compiler.as_sql()
        except EmptyResultSet:  # a filter on nothing, from a value: not kept under the key
            return None
        own = values[: len(values) - suffix.count("%s")]  # the caller's, before the page's
        if list(parameters) != own:
            raise ParametersMismatch(f"the statement's parameters are {parameters!r}, its caller passes {own!r}")
        statement = Statement(queryset.db, sql + suffix)
        columns = [alias for _, _, alias in compiler.select]
        fields = [getattr(column, "output_field", None) for column, _, _ in compiler.select]
        if (
            connections[queryset.db].vendor == "sqlite"
            and None not in columns
            and len({column.lower() for column in columns}) == len(columns)  # SQLite's names ignore case
            and not any(isinstance(field, UNRENDERED) for field in fields)
        ):
            # LIMIT keeps the rows in the statement's order (SQLite may drop a subquery's ORDER BY
            # that has none, where the outer query does not need it)
            quoted = ", ".join(connections[queryset.db].ops.quote_name(column) for column in columns)
            wrapped = f"SELECT json_group_array(json_array({quoted})) FROM ({sql}{suffix or ' LIMIT -1'})"  # noqa: S608
            exact = tuple(at for at, field in enumerate(fields) if not isinstance(field, DecimalField))
            statement = statement._replace(as_text=wrapped, exact=exact)
        with self._lock:
            self._sql[key] = statement
        return statement

    @staticmethod
    def converted(queryset: QuerySet[Any, Any], rows: Iterable[Row]) -> list[Row]:
        """`rows`, read by a statement selecting the columns `queryset` selects, with Python's values
        (as evaluating `queryset` gives them)."""
        compiler = queryset.query.get_compiler(using=queryset.db)
        try:
            compiler.as_sql()  # sets up the selected columns and their converters
        except EmptyResultSet:
            return []
        return list(compiler.results_iter(results=[list(rows)], tuple_expected=True))

    def __len__(self) -> int:
        """How many statements are kept."""
        with self._lock:
            return len(self._sql)

    def clear(self) -> None:
        with self._lock:
            self._sql.clear()
