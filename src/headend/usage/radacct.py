"""Reading FreeRADIUS's accounting table, radacct, over the "radius" database alias.

rlm_sql keeps one row per session (acctuniqueid) and rewrites it at each Interim-Update and at
the Stop, setting acctupdatetime to the packet's Event-Timestamp; its octet columns are 64-bit
totals (Gigawords already added). The ingest reads the rows updated since its cursor, ordered by
(acctupdatetime, radacctid), through one server-side cursor on PostgreSQL, a batch at a time.

FreeRADIUS's schema.sql has no index on acctupdatetime: `index_create()` adds one (the
`ingest_usage --create-index` command), without which each run reads the whole table."""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import DatabaseError, connections, transaction

from headend.provisioning.radius_store import RADIUS, RadiusUnavailable
from headend.usage.octets import micros

INDEX = "headend_radacct_updated"
# Instants as whole microseconds since the epoch: a million rows are read without building a
# datetime for each (Django's timestamptz loader costs about 10 us a value).
COLUMNS = (
    "radacctid, COALESCE(username, ''), "
    "(EXTRACT(EPOCH FROM acctstarttime) * 1000000)::bigint, "
    "(EXTRACT(EPOCH FROM acctupdatetime) * 1000000)::bigint, "
    "acctstoptime IS NOT NULL, COALESCE(acctinputoctets, 0), COALESCE(acctoutputoctets, 0)"
)
# SQLite (`make run` without FreeRADIUS): text instants, turned into microseconds here.
PLAIN_COLUMNS = (
    "radacctid, COALESCE(username, ''), acctstarttime, acctupdatetime, acctstoptime IS NOT NULL, "
    "COALESCE(acctinputoctets, 0), COALESCE(acctoutputoctets, 0)"
)
# One reading: radacct id, username, start and update instants (microseconds; start None when
# unknown), whether it stopped, input and output octets.
Reading = tuple[int, str, int | None, int, bool, int, int]


def _micros(value: Any) -> int | None:
    """SQLite's text instant (UTC) in microseconds."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return micros(value)


def _error(exc: Exception) -> RadiusUnavailable:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return RadiusUnavailable(f"The RADIUS database is unavailable: {first}")


def select_sql(*, since: dt.datetime | None, after_id: int, postgresql: bool = True) -> tuple[str, list[Any]]:
    """The query of the rows updated after (`since`, `after_id`), in (update time, id) order."""
    where = "acctupdatetime IS NOT NULL"
    params: list[Any] = []
    if since is not None:
        where += " AND (acctupdatetime > %s OR (acctupdatetime = %s AND radacctid > %s))"
        params = [since, since, after_id]
    columns = COLUMNS if postgresql else PLAIN_COLUMNS
    return f"SELECT {columns} FROM radacct WHERE {where} ORDER BY acctupdatetime, radacctid", params  # noqa: S608


def readings(*, since: dt.datetime | None, after_id: int, batch: int) -> Iterator[list[Reading]]:
    """The rows updated after (`since`, `after_id`) in (update time, radacct id) order, in lists
    of at most `batch`. A row never updated (no acctupdatetime) is read once it is.

    Raises RadiusUnavailable."""
    connection = connections[RADIUS]
    postgresql = connection.vendor == "postgresql"
    sql, params = select_sql(since=since, after_id=after_id, postgresql=postgresql)
    try:
        # One transaction for the read: the server-side cursor needs no WITH HOLD copy of the rows.
        with transaction.atomic(using=RADIUS), connection.chunked_cursor() as cursor:
            if postgresql:
                # Plan for reading every row (a backlog: a sequential scan and a sort), not for the
                # first tenth as a cursor is by default (the index, row by row).
                with connection.cursor() as setting:
                    setting.execute("SET LOCAL cursor_tuple_fraction = 1.0")
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(batch):
                if not postgresql:
                    rows = [(r[0], r[1], _micros(r[2]), _micros(r[3]), bool(r[4]), r[5], r[6]) for r in rows]
                yield rows
    except DatabaseError as exc:
        raise _error(exc) from exc


def index_create() -> bool:
    """Add the index the ingest reads radacct by, unless it is there; return whether it was added.
    On PostgreSQL it is built CONCURRENTLY, so FreeRADIUS goes on writing meanwhile (unless inside
    a transaction).

    Raises RadiusUnavailable."""
    connection = connections[RADIUS]
    try:
        with connection.cursor() as cursor:
            existing = {
                name
                for constraints in [connection.introspection.get_constraints(cursor, "radacct")]
                for name in constraints
            }
            if INDEX in existing:
                return False
            # Not inside a transaction (PostgreSQL refuses it there): the tests' is one.
            outside = connection.vendor == "postgresql" and not connection.in_atomic_block
            concurrently = "CONCURRENTLY " if outside else ""
            cursor.execute(f"CREATE INDEX {concurrently}{INDEX} ON radacct (acctupdatetime, radacctid)")
    except DatabaseError as exc:
        raise _error(exc) from exc
    return True
