"""FreeRADIUS's rlm_sql tables, over the "radius" database alias: write, read and delete a
subscriber's rows and a plan group's reply, and create the tables where FreeRADIUS's schema.sql
was not loaded. Each write replaces the rows of one username (or group) in one transaction; a
database that cannot be reached raises `RadiusUnavailable`."""

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from headend.provisioning.radius_rows import Row, UserEntry

RADIUS = "radius"


class RadiusUnavailable(Exception):
    """FreeRADIUS's database could not be reached or refused the statement."""


@contextlib.contextmanager
def _writing(*lock_keys: str) -> Iterator[Any]:
    """A cursor in one transaction on the radius alias, holding a lock per key on PostgreSQL so
    two workers writing the same username take turns (SQLite has one writer at a time)."""
    try:
        with transaction.atomic(using=RADIUS), connections[RADIUS].cursor() as cursor:
            if connections[RADIUS].vendor == "postgresql" and lock_keys:
                # One statement, the locks taken left to right in a fixed order (no deadlock).
                keys = sorted(lock_keys)
                locks = ", ".join(["pg_advisory_xact_lock(hashtext(%s))"] * len(keys))
                cursor.execute(f"SELECT {locks}", [f"headend-radius:{key}" for key in keys])
            yield cursor
    except DatabaseError as exc:
        raise RadiusUnavailable(_database_error(exc)) from exc


@contextlib.contextmanager
def reading() -> Iterator[Any]:
    """A cursor on the radius alias, outside any transaction of ours."""
    try:
        with connections[RADIUS].cursor() as cursor:
            yield cursor
    except DatabaseError as exc:
        raise RadiusUnavailable(_database_error(exc)) from exc


def _database_error(exc: Exception) -> str:
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"The RADIUS database is unavailable: {first_line}"


def _delete_user(cursor: Any, username: str) -> None:
    for table in ("radcheck", "radreply", "radusergroup"):
        cursor.execute(f"DELETE FROM {table} WHERE username = %s", [username])  # noqa: S608 (fixed names)


def _insert_user(cursor: Any, entry: UserEntry) -> None:
    for table, rows in (("radcheck", entry.check), ("radreply", entry.reply)):
        if rows:
            cursor.executemany(
                f"INSERT INTO {table} (username, attribute, op, value) VALUES (%s, %s, %s, %s)",  # noqa: S608
                [(entry.username, *row) for row in rows],
            )
    cursor.executemany(
        "INSERT INTO radusergroup (username, groupname, priority) VALUES (%s, %s, %s)",
        [(entry.username, group, priority) for group, priority in entry.groups],
    )


def _group_rows(cursor: Any, group: str) -> list[Row]:
    cursor.execute("SELECT attribute, op, value FROM radgroupreply WHERE groupname = %s ORDER BY id", [group])
    return [tuple(row) for row in cursor.fetchall()]


def _set_group_reply(cursor: Any, group: str, rows: list[Row]) -> bool:
    if _group_rows(cursor, group) == list(rows):
        return False
    cursor.execute("DELETE FROM radgroupreply WHERE groupname = %s", [group])
    cursor.executemany(
        "INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES (%s, %s, %s, %s)",
        [(group, *row) for row in rows],
    )
    return True


def user_write(entry: UserEntry, *, groups: dict[str, list[Row]] | None = None, replaces: str = "") -> None:
    """In one transaction: make each of `groups` reply exactly its rows, and replace every row of
    `entry.username` (and of `replaces`, a former username)."""
    groups = groups or {}
    former = replaces if replaces and replaces != entry.username else ""
    # A plan's group rows rarely change: read them unlocked, and lock (and rewrite) only a group
    # that differs, so workers provisioning subscribers of one plan do not queue on its lock.
    with reading() as cursor:
        stale = {group: rows for group, rows in groups.items() if _group_rows(cursor, group) != list(rows)}
    keys = [f"user:{entry.username}", *(f"group:{group}" for group in stale)] + ([f"user:{former}"] if former else [])
    with _writing(*keys) as cursor:
        for group, rows in stale.items():
            _set_group_reply(cursor, group, rows)
        if former:
            _delete_user(cursor, former)
        _delete_user(cursor, entry.username)
        _insert_user(cursor, entry)


def user_delete(username: str) -> None:
    """Remove a username's rows: FreeRADIUS rejects it from now on."""
    with _writing(f"user:{username}") as cursor:
        _delete_user(cursor, username)


def user_get(username: str) -> UserEntry | None:
    """The rows FreeRADIUS holds for a username, or None if it has none."""
    with reading() as cursor:
        rows = {}
        for table in ("radcheck", "radreply"):
            cursor.execute(
                f"SELECT attribute, op, value FROM {table} WHERE username = %s ORDER BY id",  # noqa: S608
                [username],
            )
            rows[table] = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT groupname, priority FROM radusergroup WHERE username = %s ORDER BY priority, id", [username]
        )
        groups = [(str(group), int(priority)) for group, priority in cursor.fetchall()]
    if not (rows["radcheck"] or rows["radreply"] or groups):
        return None
    return UserEntry(username=username, check=rows["radcheck"], reply=rows["radreply"], groups=groups)


def group_reply_get(group: str) -> list[Row]:
    with reading() as cursor:
        cursor.execute("SELECT attribute, op, value FROM radgroupreply WHERE groupname = %s ORDER BY id", [group])
        return [(str(a), str(o), str(v)) for a, o, v in cursor.fetchall()]


# ---------------------------------------------------------------------------------------------
# The schema, for a database FreeRADIUS's own schema.sql has not been loaded into.


def _schema(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    pg = connection.vendor == "postgresql"
    pk = "serial PRIMARY KEY" if pg else "integer PRIMARY KEY AUTOINCREMENT"
    big_pk = "bigserial PRIMARY KEY" if pg else "integer PRIMARY KEY AUTOINCREMENT"
    inet = "inet" if pg else "text"
    instant = "timestamp with time zone" if pg else "timestamp"

    def attribute_table(name: str, key: str, op: str) -> list[str]:
        return [
            f"CREATE TABLE {name} (id {pk}, {key} text NOT NULL DEFAULT '', attribute text NOT NULL DEFAULT '', "
            f"op varchar(2) NOT NULL DEFAULT '{op}', value text NOT NULL DEFAULT '')",
            f"CREATE INDEX {name}_{key} ON {name} ({key}, attribute)",
        ]

    return {
        "radcheck": attribute_table("radcheck", "username", "=="),
        "radreply": attribute_table("radreply", "username", "="),
        "radgroupcheck": attribute_table("radgroupcheck", "groupname", "=="),
        "radgroupreply": attribute_table("radgroupreply", "groupname", "="),
        "radusergroup": [
            f"CREATE TABLE radusergroup (id {pk}, username text NOT NULL DEFAULT '', "
            "groupname text NOT NULL DEFAULT '', priority integer NOT NULL DEFAULT 0)",
            "CREATE INDEX radusergroup_username ON radusergroup (username)",
        ],
        # Every column FreeRADIUS's accounting queries write.
        "radacct": [
            f"CREATE TABLE radacct (radacctid {big_pk}, acctsessionid text NOT NULL, "
            f"acctuniqueid text NOT NULL UNIQUE, username text, realm text, nasipaddress {inet} NOT NULL, "
            f"nasportid text, nasporttype text, acctstarttime {instant}, acctupdatetime {instant}, "
            f"acctstoptime {instant}, acctinterval bigint, acctsessiontime bigint, acctauthentic text, "
            "connectinfo_start text, connectinfo_stop text, acctinputoctets bigint, acctoutputoctets bigint, "
            "calledstationid text, callingstationid text, acctterminatecause text, servicetype text, "
            f"framedprotocol text, framedipaddress {inet}, framedipv6address {inet}, framedipv6prefix {inet}, "
            f"framedinterfaceid text, delegatedipv6prefix {inet}, class text)",
            "CREATE INDEX radacct_open_username ON radacct (username) WHERE acctstoptime IS NULL",
            "CREATE INDEX radacct_bulk_close ON radacct (nasipaddress, acctstarttime) WHERE acctstoptime IS NULL",
        ],
        "radpostauth": [
            f"CREATE TABLE radpostauth (id {big_pk}, username text NOT NULL, pass text, reply text, "
            f"calledstationid text, callingstationid text, authdate {instant} NOT NULL DEFAULT CURRENT_TIMESTAMP, "
            "class text)",
        ],
        "nasreload": [f"CREATE TABLE nasreload (nasipaddress {inet} PRIMARY KEY, reloadtime {instant} NOT NULL)"],
    }


def schema_create(using: str = RADIUS) -> list[str]:
    """Create the FreeRADIUS tables a database lacks; return the names created. For `make run`
    without FreeRADIUS (SQLite); a real server's database gets the package's schema.sql."""
    connection = connections[using]
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            existing = set(connection.introspection.table_names(cursor))
            created = []
            for table, statements in _schema(connection).items():
                if table in existing:
                    continue
                for statement in statements:
                    cursor.execute(statement)
                created.append(table)
    except DatabaseError as exc:
        raise RadiusUnavailable(_database_error(exc)) from exc
    return created
