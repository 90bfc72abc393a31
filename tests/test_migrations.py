"""The migrations and the models agree.

A new database (no migration recorded) is made from the models by `migrate`
(headend/core/schema.py; the tests' template too: 4 s, where replaying the 136 migrations takes
45), and a database that exists is brought up to date by the migrations. So here, once per run
on one worker: the models need no migration that is not written; replaying every migration into
an empty database (`migrate --replay`) gives the same tables, columns, constraints, indexes and
rows (role groups and their permissions, standard terms) as `migrate` makes of another empty
database, which is what the tests run on; and `migrate` takes that way only for a new database
brought wholly up to date, finishes a first start cut short, and then finds nothing to do."""

import io
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from headend.core import schema
from headend.core.management.commands.migrate import made_from_models
from tests import template_db

SCRATCH = "migrated_from_nothing"
GENERATED = ("__unnamed", "fk_")  # names SQLite's introspection makes up from positions
# The one known difference: on PostgreSQL, Django's auth migrations give the ids of its
# many-to-many tables bigint where its models (auto-created, AutoField) give integer. Nothing
# of ours reads those ids.
KNOWN = {
    ("postgresql", table, "id"): "integer for bigint"
    for table in ("auth_group_permissions", "auth_user_groups", "auth_user_user_permissions")
}


def test_the_models_need_no_migration_that_is_not_written(db):
    try:
        call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    except SystemExit as exit:
        pytest.fail(f"The models have changes no migration makes (`manage.py makemigrations`): exit {exit.code}")


def _declared_names() -> set[str]:
    """Constraint and index names the models give: the code may rely on these (a constraint's
    name mapped to a field error), so they must match by name. Others are Django's, made from
    the tables and columns they were created on: matched by what they are."""
    names = set()
    for model in apps.get_models(include_auto_created=True):
        names |= {item.name for item in (*model._meta.constraints, *model._meta.indexes) if item.name}
    return names


def _shape(connection: Any) -> dict[str, Any]:
    declared = _declared_names()
    introspection = connection.introspection
    shape = {}
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            columns = {
                column.name: KNOWN.get(
                    (connection.vendor, table, column.name),
                    (column.type_code, column.internal_size, column.precision, column.scale, column.null_ok),
                )
                for column in introspection.get_table_description(cursor, table)
            }
            named, unnamed = {}, []
            for name, found in introspection.get_constraints(cursor, table).items():
                what = (
                    tuple(found["columns"] or ()),
                    found["primary_key"],
                    found["unique"],
                    found["foreign_key"],
                    found["check"],
                    found["index"],
                    found.get("type"),
                )
                if name in declared and not name.startswith(GENERATED):
                    named[name] = what
                else:
                    unnamed.append(what)
            shape[table] = {"columns": columns, "named": named, "unnamed": sorted(unnamed, key=repr)}
    return shape


def _seeds(connection: Any) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT g.name, ct.app_label, p.codename FROM auth_group g"
            " JOIN auth_group_permissions gp ON gp.group_id = g.id"
            " JOIN auth_permission p ON p.id = gp.permission_id"
            " JOIN django_content_type ct ON ct.id = p.content_type_id"
        )
        groups = sorted(cursor.fetchall())
        cursor.execute("SELECT label, body FROM contracts_termsversion")
        terms = sorted(cursor.fetchall())
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = sorted(cursor.fetchall())
        # Every table's rows counted: a migration that seeds rows (rather than a post-migrate
        # handler, which runs both ways) would leave a new database made from the models without.
        rows = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            rows[table] = cursor.fetchone()[0]
    return {"group permissions": groups, "terms": terms, "migrations applied": applied, "rows": rows}


def _difference(tested: dict[str, Any], migrated: dict[str, Any]) -> dict[str, Any]:
    """What one table's shape has that the other's lacks, part by part."""
    difference = {}
    for part in ("columns", "named"):
        if tested[part] != migrated[part]:
            keys = set(tested[part]) | set(migrated[part])
            difference[part] = {
                key: {"tested": tested[part].get(key), "migrated": migrated[part].get(key)}
                for key in sorted(keys)
                if tested[part].get(key) != migrated[part].get(key)
            }
    if tested["unnamed"] != migrated["unnamed"]:
        difference["unnamed"] = {
            "tested only": [item for item in tested["unnamed"] if item not in migrated["unnamed"]],
            "migrated only": [item for item in migrated["unnamed"] if item not in tested["unnamed"]],
        }
    return difference


NEW = "made_from_models"


def _new_migrations_message() -> str:
    migrations = len(schema.migrations_on_disk())
    return f"A new database: made its tables from the models and recorded its {migrations} migrations as applied.\n"


@pytest.mark.django_db
def test_replaying_the_migrations_gives_what_migrate_makes_of_a_new_database(tmp_path, django_db_blocker):
    """Two empty databases: the migrations replayed into one, `migrate` (from the models) makes
    the other; and the tests run on a database made as the second is."""
    said = io.StringIO()
    with (
        django_db_blocker.unblock(),
        template_db.scratch(SCRATCH, tmp_path) as migrated,
        template_db.scratch(NEW, tmp_path) as new,
    ):
        call_command("migrate", database=SCRATCH, replay=True, verbosity=0, interactive=False)
        call_command("migrate", database=NEW, interactive=False, stdout=said)
        for alias in (SCRATCH, NEW):
            call_command("createcachetable", database=alias, verbosity=0)
        expected, expected_seeds = _shape(migrated), _seeds(migrated)
        actual, actual_seeds = _shape(new), _seeds(new)

    assert said.getvalue() == _new_migrations_message()
    assert sorted(actual) == sorted(expected)
    differing = {
        table: _difference(actual[table], expected[table]) for table in expected if actual[table] != expected[table]
    }
    assert differing == {}
    assert actual_seeds == expected_seeds
    assert _shape(connections["default"]) == actual


@pytest.mark.django_db
def test_migrate_makes_only_a_new_database_from_the_models_and_finishes_a_first_start_cut_short(
    tmp_path, django_db_blocker
):
    assert schema.models_match_migrations()  # as makemigrations --check above
    with django_db_blocker.unblock(), template_db.scratch(NEW, tmp_path) as new:
        assert schema.is_new(new)
        for particular in ("replay", "app_label", "migration_name", "fake", "fake_initial", "plan", "run_syncdb",
                           "check_unapplied", "prune"):  # fmt: skip
            assert not made_from_models({particular: "x"}, new), particular
        assert made_from_models({"app_label": None, "fake": False}, new)
        planned = io.StringIO()
        call_command("migrate", database=NEW, plan=True, stdout=planned)
        assert planned.getvalue() == (
            "Planned operations:\n  A new database: its tables made from the models and its "
            f"{len(schema.migrations_on_disk())} migrations recorded as applied.\n"
        )
        assert schema.is_new(new)  # planning wrote nothing
        call_command("migrate", database=NEW, verbosity=0)
        assert not made_from_models({}, new)
        whole = _shape(new), _seeds(new)

        # Stopped after the tables and seeds, before the migrations were recorded: the next
        # migrate finishes the work (the tables there are kept, the seeds not written twice).
        with new.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations")
        said = io.StringIO()
        call_command("migrate", database=NEW, stdout=said)

        assert said.getvalue() == _new_migrations_message()
        assert (_shape(new), _seeds(new)) == whole
        executor = MigrationExecutor(new)
        assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
        said = io.StringIO()
        call_command("migrate", database=NEW, stdout=said)
        assert said.getvalue().endswith("No migrations to apply.\n")
    assert not made_from_models({}, connections["default"])  # the tests' database has its migrations
