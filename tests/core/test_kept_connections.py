"""SQLite connections are kept between requests (settings.py); one that a request left inside a
transaction is closed when the request ends, so it cannot keep SQLite's write lock for the
next minute (core/connections.py)."""

import pytest
from django.core.signals import request_finished
from django.db.utils import ConnectionHandler

from headend.core import connections as core_connections


@pytest.fixture
def scratch_allowed(django_db_blocker):
    """A scratch SQLite file of the test's own, not the tests' database."""
    with django_db_blocker.unblock():
        yield


def _scratch_sqlite(tmp_path) -> ConnectionHandler:
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "scratch.sqlite3")}
    return ConnectionHandler({"default": sqlite, "scratch": sqlite})


def test_a_connection_left_in_a_transaction_is_closed_when_the_request_ends(tmp_path, scratch_allowed):
    handler = _scratch_sqlite(tmp_path)
    left = handler["scratch"]
    left.ensure_connection()
    left.connection.execute("BEGIN IMMEDIATE")  # the write lock, as a failed COMMIT can leave it
    assert left.connection.in_transaction

    core_connections.close_left_in_transaction(handler=handler)

    assert left.connection is None
    other = _scratch_sqlite(tmp_path)["scratch"]
    with other.cursor() as cursor:  # the lock is free: another connection writes at once
        cursor.execute("CREATE TABLE written (id integer)")
    other.close()


def test_a_connection_between_statements_is_kept(tmp_path, scratch_allowed):
    handler = _scratch_sqlite(tmp_path)
    kept = handler["scratch"]
    with kept.cursor() as cursor:
        cursor.execute("SELECT 1")
    raw = kept.connection

    core_connections.close_left_in_transaction(handler=handler)

    assert kept.connection is raw
    kept.close()


def test_the_check_runs_when_a_request_ends():
    assert core_connections.close_left_in_transaction in request_finished._live_receivers(None)[0]
