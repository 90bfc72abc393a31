"""Each test process's database copied from one template instead of made again.

The first process to need it builds a template once, under a file lock, and every process
copies it: PostgreSQL's `CREATE DATABASE ... TEMPLATE` (a file copy in the server), SQLite's
online backup into the process's in-memory database. The template is made from the models, not
by replaying the migrations (`_migrate`: 4 s instead of 45, while every other test process
waited), as `migrate` makes a new database; tests/test_migrations.py proves that the two give the
same database and that no migration is missing. The template is named by a fingerprint of how
it is made (this module), of the project's source (src/headend/**/*.py: the post-migrate
handlers that seed role groups and terms live there too), of every migration and of the
installed packages, so any change makes a new one; a template of another fingerprint is dropped
when a new one is built.

Only the default database is templated. The RADIUS alias holds only FreeRADIUS's own tables
(tests/radius_fixtures.py makes them) and no migration applies to it (its router): it is created
empty, without the migrate that would still walk the whole migration graph for nothing."""

import fcntl
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from headend.core import schema

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "headend"
FOLDER = Path(tempfile.gettempdir())


def fingerprint() -> str:
    """What the template's contents depend on: this module (how it is made), our source, the
    migrations of every app and the installed packages' versions (a package's post-migrate
    handler can change what is seeded)."""
    from django.db.migrations.loader import MigrationLoader

    digest = hashlib.sha256()
    # A set: a package found through two entries of sys.path (xdist's workers have `src` twice)
    # is listed twice, and must not change the name.
    for name, version in sorted({(dist.metadata["Name"] or "", dist.version) for dist in metadata.distributions()}):
        digest.update(f"{name}=={version}\n".encode())
    digest.update(Path(__file__).read_bytes())  # how the template is made
    for path in sorted(SOURCE.rglob("*.py")):
        digest.update(str(path.relative_to(SOURCE)).encode())
        digest.update(path.read_bytes())
    for app, name in sorted(MigrationLoader(None, ignore_no_migrations=True).disk_migrations):
        digest.update(f"{app}.{name}\n".encode())
    return digest.hexdigest()[:12]


@contextmanager
def _locked(name: str) -> Iterator[None]:
    """One process at a time (of this run and of any other on this machine) for `name`."""
    path = FOLDER / f"headend-test-template-{hashlib.sha256(name.encode()).hexdigest()[:16]}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sqlite_lock() -> Any:
    return _locked(f"sqlite-templates:{FOLDER}")


def _point(connection: Any, name: str) -> None:
    """Use database `name` from now on (as Django's create_test_db does)."""
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = name
    connection.settings_dict["NAME"] = name


def _migrate(connection: Any) -> None:
    """The schema made from the models, every migration recorded as applied and the post-migrate
    signal's seeds (role groups, standard terms, permissions): what `migrate` does to a new
    database (headend/core/schema.py; 4 s, where replaying the migrations takes 45).
    tests/test_migrations.py checks that replaying them gives the same schema and seeds, and that
    the models need no migration not yet written."""
    schema.create_from_models(connection)
    call_command("createcachetable", database=connection.alias, verbosity=0)


def _postgresql_lock(connection: Any, prefix: str) -> Any:
    return _locked(f"postgresql:{connection.settings_dict.get('HOST')}:{connection.settings_dict.get('PORT')}:{prefix}")


def _postgresql_template(base: str) -> tuple[str, str]:
    """The prefix every template of test databases named after `base` shares, and this code's."""
    prefix = f"test_{base}_template_"[:50]
    return prefix, f"{prefix}{fingerprint()}"


def _create_from(cursor: Any, connection: Any, name: str, template: str) -> None:
    quote = connection.ops.quote_name
    cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")


def _sqlite_template() -> Path:
    return FOLDER / f"headend-test-template-{fingerprint()}.sqlite3"


def _postgresql(connection: Any, test_name: str) -> None:
    quote = connection.ops.quote_name
    prefix, template = _postgresql_template(str(connection.settings_dict["NAME"]))
    with _postgresql_lock(connection, prefix):
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])
            found = {row[0] for row in cursor.fetchall()}
            for stale in found - {template}:  # another fingerprint's, or a build that died
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)} WITH (FORCE)")
        if template not in found:
            building = f"{template}_build"
            with connection.creation._nodb_cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {quote(building)}")
            original = connection.settings_dict["NAME"]
            _point(connection, building)
            _migrate(connection)
            _point(connection, original)
            with connection.creation._nodb_cursor() as cursor:
                cursor.execute(f"ALTER DATABASE {quote(building)} RENAME TO {quote(template)}")
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)} WITH (FORCE)")
            _create_from(cursor, connection, test_name, template)
    _point(connection, test_name)


def _sqlite(connection: Any, test_name: str) -> None:
    template = _sqlite_template()
    # One lock for every fingerprint's file: a run of other code deletes a stale template only
    # when no process is between finding it and copying it.
    with _sqlite_lock():
        if not template.exists():
            for stale in FOLDER.glob("headend-test-template-*.sqlite3*"):  # with its -wal and -shm files
                stale.unlink(missing_ok=True)
            building = template.with_suffix(f".{os.getpid()}.build")
            building.unlink(missing_ok=True)
            original = connection.settings_dict["NAME"]
            _point(connection, str(building))
            _migrate(connection)
            _point(connection, original)
            building.replace(template)
        if not connection.creation.is_in_memory_db(test_name):
            Path(test_name).unlink(missing_ok=True)
        _point(connection, test_name)
        connection.ensure_connection()  # an in-memory database lives as long as this connection
        # Read-only: a template that is not there is an error, never an empty database copied.
        with closing(sqlite3.connect(f"file:{template}?mode=ro", uri=True)) as source:
            source.backup(connection.connection)


def create(alias: str = "default") -> tuple[Any, str]:
    """The test database of `alias` as a copy of the template; (connection, name before)."""
    connection = connections[alias]
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()
    if connection.vendor == "postgresql":
        _postgresql(connection, test_name)
    elif connection.vendor == "sqlite":
        _sqlite(connection, test_name)
    else:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return connection, old_name


def create_empty(alias: str) -> tuple[Any, str]:
    """The test database of `alias`, created empty (no migrate); (connection, name before)."""
    connection = connections[alias]
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation._create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    _point(connection, test_name)
    return connection, old_name


def copy_if_built(connection: Any, *, base: str) -> bool:
    """Create `connection`'s database (not there yet) as a copy of the template a test run on
    this machine built for the same code, if there is one (the benchmarks' set-up after `make
    test` in CI); False when there is none. `base` is the database name the test run was given
    (its template is named after it on PostgreSQL)."""
    if connection.vendor == "sqlite":
        return copy_sqlite_if_built(Path(str(connection.settings_dict["NAME"])))
    if connection.vendor == "postgresql":
        prefix, template = _postgresql_template(base)
        with _postgresql_lock(connection, prefix), connection.creation._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            if cursor.fetchone() is None:
                return False
            _create_from(cursor, connection, connection.settings_dict["NAME"], template)
        return True
    return False


def copy_sqlite_if_built(target: Path) -> bool:
    """Write the SQLite template a test run on this machine built for the same code to the
    database file `target` (not there yet), if there is one; False when there is none (or when
    this process has not set Django up, so cannot name the code's template)."""
    from django.apps import apps

    if not apps.ready:
        return False
    with _sqlite_lock():
        template = _sqlite_template()
        if not template.exists():
            return False
        with (
            closing(sqlite3.connect(f"file:{template}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
    return True


def destroy(created: list[tuple[Any, str, bool]]) -> None:
    """Drop the test databases `create` and `create_empty` made. On PostgreSQL, WITH (FORCE): a
    session a test left open (a thread's connection not yet collected) must not fail the run's
    teardown after every test passed."""
    from django.test.utils import teardown_databases

    others = []
    for connection, old_name, _ in created:
        if connection.vendor != "postgresql":
            others.append((connection, old_name, True))
            continue
        test_name = connection.settings_dict["NAME"]
        _point(connection, old_name)
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(test_name)} WITH (FORCE)")
    teardown_databases(others, verbosity=0)


@contextmanager
def scratch(alias: str, folder: Path) -> Iterator[Any]:
    """An empty database of the test database's kind under its own `alias` (a file in `folder`
    for SQLite, a database of its own on PostgreSQL), dropped afterwards; its connection."""
    default = connections["default"]
    postgresql = default.vendor == "postgresql"
    name = f"{default.settings_dict['NAME']}_{alias}"[:63] if postgresql else str(folder / f"{alias}.sqlite3")
    quoted = default.ops.quote_name(name)
    if postgresql:
        with default.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {quoted}")
    connections.settings[alias] = {**default.settings_dict, "NAME": name, "TEST": {**default.settings_dict["TEST"]}}
    try:
        yield connections[alias]
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]
        if postgresql:
            with default.creation._nodb_cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
