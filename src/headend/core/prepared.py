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
are given, the number of ids in an `IN`) belongs in the key. `page` passes a page's offset and
limit as parameters too (Django would write a sliced queryset's into the SQL). A statement that
compiles to nothing (a filter on an empty list) is answered with no rows and not kept, and each
Prepared keeps at most MAX_STATEMENTS statements.

Rows are the database driver's values, not Python's (Decimal, aware datetimes): what a cache
key compares. `converted` gives Python's values of rows, by the statement's own converters."""

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from cachetools import LRUCache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

Row = tuple[Any, ...]
Build = Callable[[], QuerySet[Any, Any]]
MAX_STATEMENTS = 512  # per Prepared and process, the least recently run dropped first


class ParametersMismatch(AssertionError):
    """A prepared statement's parameters are not the values its caller passes (a programming error)."""


class Prepared:
    """Compiled SQL (and the database it is for) by key; thread-safe: gunicorn serves with threads."""

    def __init__(self) -> None:
        self._sql: LRUCache[Hashable, tuple[str, str]] = LRUCache(maxsize=MAX_STATEMENTS)
        self._lock = threading.Lock()

    def rows(self, key: Hashable, build: Build, values: Sequence[Any]) -> list[Row]:
        """The rows of the queryset `build()` with its parameters `values`, as the driver returns them."""
        return self._run(key, build, list(values), "")

    def page(self, key: Hashable, build: Build, values: Sequence[Any], *, offset: int, limit: int) -> list[Row]:
        """`rows` of `limit` rows from the `offset`th: `build()` is not sliced, and the offset and
        the limit are parameters (sliced, Django would write them into the SQL: a statement for
        each page a client asks for)."""
        return self._run(key, build, [*values, limit, offset], " LIMIT %s OFFSET %s")

    def _run(self, key: Hashable, build: Build, values: list[Any], suffix: str) -> list[Row]:
        with self._lock:
            compiled = self._sql.get(key)
        if compiled is None:
            queryset = build()
            if queryset.query.is_sliced:
                raise ValueError("a prepared page is sliced by its offset and limit, not by its queryset")
            try:
                sql, parameters = queryset.query.get_compiler(using=queryset.db).as_sql()
            except EmptyResultSet:  # a filter on nothing, from a value: not kept under the key
                return []
            own = values[: len(values) - suffix.count("%s")]  # the caller's, before the page's
            if list(parameters) != own:
                raise ParametersMismatch(f"the statement's parameters are {parameters!r}, its caller passes {own!r}")
            compiled = (queryset.db, sql + suffix)
            with self._lock:
                self._sql[key] = compiled
        using, sql = compiled
        with connections[using].cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()

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
