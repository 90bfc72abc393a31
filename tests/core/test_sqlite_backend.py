"""The SQLite backend (core/sqlite): its cursor converts Django's placeholders as Django's does."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor
from hypothesis import given
from hypothesis import strategies as st

from headend.core.sqlite.base import SQLiteCursorWrapper

ROOT = Path(__file__).resolve().parents[2]


def _cursors():
    database = sqlite3.connect(":memory:")
    return database.cursor(factory=SQLiteCursorWrapper), database.cursor(factory=DjangoCursor)


@given(st.text(alphabet="%s?'a ", max_size=40))
def test_a_statement_is_converted_as_django_converts_it(query):
    ours, django = _cursors()

    assert ours.convert_query(query) == django.convert_query(query)


@pytest.mark.parametrize(
    "query",
    ["SELECT %s", "SELECT '100%%', %s", "SELECT %%s, %s", "SELECT %%%s", "WHERE a LIKE '%%x' AND b = %s", "SELECT 1"],
)
def test_placeholders_and_literal_percent_signs_are_converted_as_django_converts_them(query):
    ours, django = _cursors()

    assert ours.convert_query(query) == django.convert_query(query)


def test_named_parameters_are_converted_by_djangos_own_code():
    ours, django = _cursors()
    query = "SELECT %(a)s, '100%%' WHERE b = %(b)s"

    assert ours.convert_query(query, param_names=["a", "b"]) == django.convert_query(query, param_names=["a", "b"])
    assert ours.convert_query(query, param_names=["a", "b"]) == "SELECT :a, '100%' WHERE b = :b"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend's cursor")
@pytest.mark.django_db
def test_the_database_on_sqlite_runs_statements_through_this_cursor():
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, SQLiteCursorWrapper)
        cursor.execute("SELECT %s, '100%%', %s", ["a", 2])
        assert cursor.fetchall() == [("a", "100%", 2)]


def test_the_settings_put_this_backend_in_place_of_djangos_for_sqlite(tmp_path):
    """As `make run` starts: no database named, SQLite files in the var directory."""
    env = {**os.environ, "HEADEND_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT / "src")}
    for named in ("DATABASE_URL", "HEADEND_RADIUS_DATABASE_URL"):
        env.pop(named, None)
    engines = "import headend.settings as s; print(s.DATABASES['default']['ENGINE'], s.DATABASES['radius']['ENGINE'])"

    result = subprocess.run([sys.executable, "-c", engines], env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["headend.core.sqlite", "headend.core.sqlite"]
