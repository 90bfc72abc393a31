"""`manage.py task_worker`: django-tasks-db's worker, which outlives database errors (issue 10)."""

import signal
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django_tasks import task
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

pytestmark = pytest.mark.django_db(transaction=True)

RUNS: list[str] = []


@task()
def note(value: str) -> str:
    """A task for these tests: notes that it ran."""
    RUNS.append(value)
    return value


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    RUNS.clear()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in handlers.items():  # the worker installs its own
        signal.signal(sig, handler)


def run_worker_until_idle() -> None:
    call_command("task_worker", "--batch", "--no-startup-delay", "--interval=0", "--error-backoff=0.01", verbosity=0)


def test_task_worker_outlives_a_dropped_connection_and_runs_the_task(database_queue, caplog):
    result = note.enqueue("after the outage")
    real = DBTaskResultQuerySet.get_locked
    failures = iter([OperationalError("server closed the connection unexpectedly")])

    def dropped_once(queryset):
        if (error := next(failures, None)) is not None:
            raise error
        return real(queryset)

    with mock.patch.object(DBTaskResultQuerySet, "get_locked", dropped_once):
        run_worker_until_idle()

    assert RUNS == ["after the outage"]
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert "database error (OperationalError: server closed the connection unexpectedly)" in caplog.text


def test_task_worker_queues_again_a_task_whose_outcome_could_not_be_recorded(database_queue, caplog):
    result = note.enqueue("twice")
    real = DBTaskResult.set_successful
    failures = iter([OperationalError("database is locked")])

    def unrecorded_once(db_result, value):
        if (error := next(failures, None)) is not None:
            raise error
        return real(db_result, value)

    def unrecordable(db_result, exc):
        raise OperationalError("database is locked")

    with (
        mock.patch.object(DBTaskResult, "set_successful", unrecorded_once),
        mock.patch.object(DBTaskResult, "set_failed", unrecordable),
    ):
        run_worker_until_idle()

    assert RUNS == ["twice", "twice"]  # run again rather than left "running" for ever
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert "its outcome could not be recorded" in caplog.text
