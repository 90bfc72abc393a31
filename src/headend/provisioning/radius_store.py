"""FreeRADIUS's rlm_sql tables, over the "radius" database alias: write, read and delete a
subscriber's rows and a plan group's reply, and create the tables where FreeRADIUS's schema.sql
was not loaded. A write makes the rows of its usernames (or groups) exactly what is asked, in
one transaction and a statement per table however many subscribers it writes; rows already as
asked are left alone, so writing again changes nothing. A database that cannot be reached
raises `RadiusUnavailable`."""

import contextlib
from collections.abc import Iterator, Mapping, Sequence
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
                # One statement, the locks taken one after the other in a fixed order (no
                # deadlock): the array's, sorted here.
                keys = sorted({f"headend-radius:{key}" for key in lock_keys})
                cursor.execute(
                    "SELECT count(pg_advisory_xact_lock(hashtext(key))) FROM unnest(%s::text[]) AS key", [keys]
                )
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


USER_TABLES = ("radcheck", "radreply", "radusergroup")


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _delete_users(cursor: Any, usernames: Sequence[str]) -> None:
    if not usernames:
        return
    for table in USER_TABLES:
        cursor.execute(
            f"DELETE FROM {table} WHERE username IN ({_placeholders(usernames)})",  # noqa: S608 (fixed names)
            list(usernames),
        )


def _insert_users(cursor: Any, entries: Sequence[UserEntry]) -> None:
    """Every entry's rows, one multi-row INSERT per table."""
    for table, rows in (
        ("radcheck", [(entry.username, *row) for entry in entries for row in entry.check]),
        ("radreply", [(entry.username, *row) for entry in entries for row in entry.reply]),
    ):
        if rows:
            cursor.execute(
                f"INSERT INTO {table} (username, attribute, op, value) VALUES "  # noqa: S608 (fixed names)
                + ", ".join(["(%s, %s, %s, %s)"] * len(rows)),
                [value for row in rows for value in row],
            )
    groups = [(entry.username, group, priority) for entry in entries for group, priority in entry.groups]
    if groups:
        cursor.execute(
            "INSERT INTO radusergroup (username, groupname, priority) VALUES "  # noqa: S608 (placeholders only)
            + ", ".join(["(%s, %s, %s)"] * len(groups)),
            [value for row in groups for value in row],
        )


def _users_held(cursor: Any, usernames: Sequence[str]) -> dict[str, UserEntry]:
    """The rows the database holds for these usernames (those with any), in one statement."""
    if not usernames:
        return {}
    marks = _placeholders(usernames)
    cursor.execute(
        f"SELECT 'c', id, username, attribute, op, value, 0 FROM radcheck WHERE username IN ({marks}) "  # noqa: S608
        f"UNION ALL SELECT 'r', id, username, attribute, op, value, 0 FROM radreply WHERE username IN ({marks}) "
        "UNION ALL SELECT 'g', id, username, groupname, '', '', priority FROM radusergroup "
        f"WHERE username IN ({marks}) "
        "ORDER BY 1, 2",
        [*usernames, *usernames, *usernames],
    )
    held: dict[str, UserEntry] = {}
    for kind, _, username, attribute, op, value, priority in cursor.fetchall():
        entry = held.setdefault(username, UserEntry(username=username, check=[], reply=[], groups=[]))
        if kind == "c":
            entry.check.append((attribute, op, value))
        elif kind == "r":
            entry.reply.append((attribute, op, value))
        else:
            entry.groups.append((attribute, int(priority)))
    return held


def _group_rows(cursor: Any, group: str) -> list[Row]:
    cursor.execute("SELECT attribute, op, value FROM radgroupreply WHERE groupname = %s ORDER BY id", [group])
    return [tuple(row) for row in cursor.fetchall()]


def _groups_rows(cursor: Any, groups: Sequence[str]) -> dict[str, list[Row]]:
    if not groups:
        return {}
    cursor.execute(
        "SELECT groupname, attribute, op, value FROM radgroupreply "  # noqa: S608 (placeholders only)
        f"WHERE groupname IN ({_placeholders(groups)}) ORDER BY id",
        list(groups),
    )
    rows: dict[str, list[Row]] = {group: [] for group in groups}
    for group, attribute, op, value in cursor.fetchall():
        rows[group].append((attribute, op, value))
    return rows


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
    """In one transaction: make each of `groups` reply exactly its rows, and the rows of
    `entry.username` exactly the entry's (and remove those of `replaces`, a former username)."""
    users_write([entry], groups=groups, replaces={entry.username: replaces} if replaces else None)


def users_write(
    entries: Sequence[UserEntry],
    *,
    groups: Mapping[str, list[Row]] | None = None,
    replaces: Mapping[str, str] | None = None,
) -> list[bool]:
    """`user_write` for many subscribers, in one transaction and a statement per table: each of
    `groups` replies exactly its rows; each entry's username holds exactly its rows; a former
    username (`replaces`, by new username) holds none. Usernames whose rows are as asked are not
    touched. Returns, per entry, whether its rows changed."""
    groups = groups or {}
    usernames = [entry.username for entry in entries]
    if len(set(usernames)) != len(usernames):
        raise ValueError("A username is written once per call.")
    formers = [
        former for name, former in (replaces or {}).items() if former and former != name and former not in usernames
    ]
    # A plan's group rows rarely change: read them unlocked, and lock (and rewrite) only a group
    # that differs, so workers provisioning subscribers of one plan do not queue on its lock.
    with reading() as cursor:
        held_groups = _groups_rows(cursor, list(groups))
    stale = {group: rows for group, rows in groups.items() if held_groups.get(group) != list(rows)}
    keys = [*(f"user:{name}" for name in usernames), *(f"group:{group}" for group in stale)]
    keys += [f"user:{former}" for former in formers]
    with _writing(*keys) as cursor:
        for group, rows in stale.items():
            _set_group_reply(cursor, group, rows)
        held = _users_held(cursor, [*usernames, *formers])  # under the locks: what is there now
        changed = [
            entry
            for entry in entries
            if (held.get(entry.username) or UserEntry(entry.username, [], [], [])) != _as_held(entry)
        ]
        _delete_users(cursor, [name for name in [*(e.username for e in changed), *formers] if name in held])
        _insert_users(cursor, changed)
    names = {entry.username for entry in changed}
    return [entry.username in names for entry in entries]


def _as_held(entry: UserEntry) -> UserEntry:
    """The entry as `_users_held` reads it back (lists of tuples)."""
    return UserEntry(
        username=entry.username,
        check=list(entry.check),
        reply=list(entry.reply),
        groups=[(group, int(priority)) for group, priority in entry.groups],
    )


def user_delete(username: str) -> None:
    """Remove a username's rows: FreeRADIUS rejects it from now on."""
    with _writing(f"user:{username}") as cursor:
        _delete_users(cursor, [username])


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
