"""Database connections in the long-running loops (the task worker, the outbox relay loop) and
the writes that end a long piece of work."""

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import Error as DatabaseError
from django.db import InterfaceError, OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import In
from django.db.utils import ConnectionHandler

logger = logging.getLogger(__name__)
T = TypeVar("T")


def drop_all() -> None:
    """Close every database connection of this thread, even a broken one, so that the next query
    opens a fresh connection: after a dropped PostgreSQL connection, or a SQLite error that may
    have left a transaction open."""
    drop_all_of(connections.all(initialized_only=True))


def drop_all_of(those: Iterable[BaseDatabaseWrapper]) -> None:
    for each in those:
        try:
            each.close()
        except DatabaseError:
            each.connection = None  # closing a dead connection can fail too: forget it


def utc_timestamps_in_c(*, connection: BaseDatabaseWrapper, **signal: Any) -> None:
    """On a new PostgreSQL connection whose time zone is UTC (Django sets it so, USE_TZ with
    TIME_ZONE "UTC"): timestamps are read by psycopg's C loader rather than Django's, which
    subclasses psycopg's pure-Python one to attach the time zone and so parses each value in
    Python (a tenth of a code-task worker's CPU, and of a long API list's). In UTC both give the
    same aware datetime, tzinfo `datetime.timezone.utc`; on any other zone Django's stays."""
    if connection.vendor != "postgresql" or connection.timezone != dt.UTC:
        return
    raw = connection.connection
    if raw is not None and raw.info.parameter_status("TimeZone") == "UTC":
        raw.adapters.register_loader("timestamptz", _c_utc_loader())


@functools.cache
def _c_utc_loader() -> type:
    """A loader of timestamptz text that hands each value to psycopg's own loader (its C one, with
    psycopg[binary]; that class cannot be subclassed), naming the zone it gives as Django's
    loader does (`timezone`, which Django compares before each cursor)."""
    from psycopg import adapters
    from psycopg.abc import AdaptContext
    from psycopg.abc import Loader as LoaderProtocol
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    found = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    assert found is not None
    psycopgs: type[LoaderProtocol] = found

    class UtcTimestamptzLoader(Loader):
        timezone = dt.UTC
        # Each instance's `load` is psycopg's loader's own (a C method: no Python frame a value).
        load: Any = None

        def __init__(self, oid: int, context: AdaptContext | None = None):
            super().__init__(oid, context)
            self.load = psycopgs(oid, context).load

    return UtcTimestamptzLoader


def close_left_in_transaction(*, handler: ConnectionHandler = connections, **signal: Any) -> None:
    """After a request: a SQLite connection that is kept for the next request (CONN_MAX_AGE) and
    was left inside a transaction (an error on COMMIT can leave one open) would keep SQLite's one
    write lock, and every other writer waiting, until it is closed. Close it: SQLite rolls the
    transaction back. Django closes a connection left outside autocommit, not this one."""
    for each in handler.all(initialized_only=True):
        raw = each.connection
        if each.vendor == "sqlite" and raw is not None and raw.in_transaction and not each.in_atomic_block:
            logger.warning("A request left a SQLite transaction open on %r: closing the connection.", each.alias)
            drop_all_of([each])


def patiently(write: Callable[[], T], *, give_up_after: float = 600.0, first_wait: float = 1.0) -> T:
    """Run `write` (a short write that ends a long piece of work, such as storing a rendered
    PDF), trying again while the database is locked or unreachable, so minutes of work are not
    lost to a lock held past SQLite's busy timeout or a dropped connection. Inside a transaction
    there is nothing to retry: the error goes to the caller."""
    deadline = time.monotonic() + give_up_after
    wait = first_wait
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + wait > deadline:
                raise
            logger.warning("The database refused a write (%s); trying again in %.0f s.", exc, wait)
            drop_all()
            time.sleep(wait)
            wait = min(wait * 2, 30.0)


def tuple_in_on_sqlite(lookup: Any, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
    """Django 5.2's TupleIn on SQLite, which has no tuple lookups: for one column, `column IN
    (...)`; for more, Django's own (an OR of ANDs). Django prefetches every forward relation
    (`prefetch_related("account")`) with a TupleIn of one column, and its fallback writes one
    `id = %s OR` per row, which SQLite refuses past 1,000 ("Expression tree is too large"):
    a prefetch over 1,000 rows failed. Set as `TupleIn.as_sqlite` (core/apps.py), as Django's
    documentation adds a database's variant of an expression."""
    if len(lookup.lhs) == 1 and lookup.rhs_is_direct_value():
        (column,) = lookup.lhs
        values = [value for (value,) in lookup.rhs if value is not None]  # NULL equals nothing
        if not values:
            raise EmptyResultSet
        return compiler.compile(In(column, values))
    return lookup.as_sql(compiler, connection)
