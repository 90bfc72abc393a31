from typing import Any

from django.core.management.base import CommandParser
from django.core.management.commands import migrate
from django.db import connections

from headend.core import schema

# Options that ask for something else than "bring the whole database up to date".
_PARTICULAR = ("app_label", "migration_name", "fake", "fake_initial", "plan", "run_syncdb", "check_unapplied", "prune")


class Command(migrate.Command):
    help = (
        "Bring the database up to date. A new database (no migration recorded) is made from the models "
        "at once and its migrations recorded as applied (headend/core/schema.py), instead of replaying "
        "every migration; --replay applies them one by one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--replay",
            action="store_true",
            help="Apply each migration in turn even to a new database (what tests/test_migrations.py compares).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        # --plan asks what a plain `migrate` would do: on a new database, this, not a replay.
        if not made_from_models({**options, "plan": False}, connection):
            super().handle(*args, **options)
        elif options["plan"]:
            self.stdout.write(
                "Planned operations:\n  A new database: its tables made from the models and its "
                f"{len(schema.migrations_on_disk())} migrations recorded as applied."
            )
        else:
            recorded = schema.create_from_models(connection)
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"A new database: made its tables from the models and recorded its {recorded} "
                    "migrations as applied."
                )


def made_from_models(options: dict[str, Any], connection: Any) -> bool:
    """Whether this `migrate` makes the database of `connection` from the models: it is new and
    brought wholly up to date (no app, migration or other mode named, --replay not given), and
    the models are what the migrations make."""
    if options.get("replay") or any(options.get(name) for name in _PARTICULAR):
        return False
    return schema.is_new(connection) and schema.models_match_migrations()
