"""A throwaway database for a benchmark: SQLite in a temporary folder, or DATABASE_URL's server."""

import os
import sys
import tempfile
from pathlib import Path


def setup() -> str:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "src"))
    os.environ.setdefault("HEADEND_VAR_DIR", tempfile.mkdtemp(prefix="headend-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "headend.settings"
    os.environ.setdefault("HEADEND_LOG_LEVEL", "WARNING")
    if url := os.environ.get("DATABASE_URL"):
        # Never benchmark on the real database: use a sibling database named *_bench.
        base, _, name = url.rpartition("/")
        os.environ["DATABASE_URL"] = f"{base}/{name or 'headend'}_bench"
        _recreate_postgres(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    return connection.vendor


def _recreate_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
