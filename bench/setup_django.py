"""A throwaway database for a benchmark: SQLite in a temporary folder, or DATABASE_URL's server."""

import os
import sys
import tempfile
from pathlib import Path

from tests import template_db


def setup() -> str:
    """Django set up on the benchmark's database, migrated. The database is made once per
    process: a copy of the template a test run on this machine left for the same code
    (`make test` runs before the benchmarks in CI), else made by `migrate` (a new database: from
    the models, headend/core/schema.py)."""
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "src"))
    os.environ.setdefault("HEADEND_VAR_DIR", tempfile.mkdtemp(prefix="headend-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "headend.settings"
    os.environ.setdefault("HEADEND_LOG_LEVEL", "WARNING")
    first = not _made
    given = ""
    if first and (url := os.environ.get("DATABASE_URL")):
        # Never benchmark on the real database: use a sibling database named *_bench.
        base, _, given = url.rpartition("/")
        given = given or "headend"
        os.environ["DATABASE_URL"] = f"{base}/{given}_bench"
        _drop_postgres(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if first:
        _made.append(True)
        fresh = connection.vendor == "postgresql" or not Path(str(connection.settings_dict["NAME"])).exists()
        copied = fresh and template_db.copy_if_built(connection, base=given)
        if not copied and connection.vendor == "postgresql":
            _create_postgres(os.environ["DATABASE_URL"])
    # Applies what a copied template lacks (nothing, when it was built from this code).
    call_command("migrate", verbosity=0)
    return connection.vendor


_made: list[bool] = []  # the database of this process is made (setup runs once per benchmark)


def _drop_postgres(url: str) -> None:
    _on_server(url, 'DROP DATABASE IF EXISTS "{}"')


def _create_postgres(url: str) -> None:
    _on_server(url, 'CREATE DATABASE "{}"')


def _on_server(url: str, statement: str) -> None:
    """`statement` with the database of `url` named in it, run from the server's postgres one."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(statement.format(name))
