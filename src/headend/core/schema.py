"""A new database made from the models at once instead of by replaying every migration.

Replaying the migrations from nothing takes ~45 s of CPU (Django renders again every model
related to a changed one after each operation, and every model is related to the user model
through its history and `created_by`); making the same tables from the models takes 5. This is
what `migrate` (core's own command) does to a new database, so to a provider's first `make run`;
the test databases' template and the benchmarks' servers start from it too. Rails does the same
(`db:schema:load` for a new database). The migrations are then recorded as applied, so the next
`migrate` applies only newer ones.

That the two ways give the same database is checked on every test run, on SQLite and on
PostgreSQL: tests/test_migrations.py replays the migrations (`migrate --replay`) into one empty
database and compares its tables, columns, constraints, indexes and rows with those `migrate`
makes in another, and checks that the models need no migration not yet written.

A database is new while no migration is recorded in it. The tables are made in one transaction,
the seeds are written by handlers that find what is there, and the migrations are recorded last
in one statement: a first start stopped half-way (Ctrl-C) is finished by the next `migrate`."""

from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django.test.utils import override_settings


class _NoMigrations(dict):
    """MIGRATION_MODULES saying that no app has migrations: migrate makes each table from its model."""

    def __contains__(self, app: object) -> bool:
        return True

    def __getitem__(self, app: str) -> None:
        return None


def is_new(connection: Any) -> bool:
    """No migration is recorded in the database (a new SQLite file, a database just created, or
    one whose first start stopped before its migrations were recorded)."""
    recorder = MigrationRecorder(connection)
    return not recorder.has_table() or not recorder.migration_qs.exists()


def models_match_migrations() -> bool:
    """The models are what the migrations make (no change without its migration, no two latest
    migrations in an app): else a database made from the models would differ from one the
    migrations make, and `migrate` replays them, refusing or warning as Django does."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    if loader.detect_conflicts():
        return False
    return not MigrationAutodetector(loader.project_state(), ProjectState.from_apps(apps)).changes(graph=loader.graph)


def migrations_on_disk() -> list[tuple[str, str]]:
    """Every migration of every app, as (app, name)."""
    return sorted(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def create_from_models(connection: Any) -> int:
    """Make every table from the models in the new database of `connection` (those not there
    yet), seed it as the migrations do (the post-migrate handlers: permissions, role groups,
    standard terms), and record every migration as applied. The number of migrations recorded."""
    with override_settings(MIGRATION_MODULES=_NoMigrations()):
        call_command("migrate", database=connection.alias, run_syncdb=True, replay=True, verbosity=0, interactive=False)
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    migrations = migrations_on_disk()
    recorder.migration_qs.bulk_create([recorder.Migration(app=app, name=name) for app, name in migrations])
    return len(migrations)
