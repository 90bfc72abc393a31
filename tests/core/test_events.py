import datetime as dt
import threading

import pytest
from django.db import OperationalError, transaction

from headend.core import audit, events
from headend.core.models import OutboxEvent
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def test_emit_writes_the_event_in_the_open_transaction():
    account = make_account()

    event = OutboxEvent.objects.get(name="account.created")
    assert (event.subject_type, event.subject_id, event.published_at) == ("crm.account", str(account.pk), None)


COLUMNS = (
    "name",
    "subject_type",
    "subject_id",
    "data",
    "occurred_at",
    "actor_id",
    "published_at",
    "attempts",
    "last_error",
)


@pytest.mark.parametrize("count", [10, 100])
def test_many_events_are_written_as_emit_writes_each_in_one_statement(count, django_assert_num_queries):
    accounts = [make_account(name=f"Customer {n}") for n in range(count)]
    rep = make_user("sales")
    OutboxEvent.objects.all().delete()
    with audit.acting_for(rep):
        one = events.emit("account.noted", subject=accounts[0], data={"n": 0, "tags": ["a"]})
        with django_assert_num_queries(1):
            written = events.emit_many(
                "account.noted", subjects=accounts, data=[{"n": n, "tags": ["a"]} for n in range(count)]
            )

    assert written == count
    rows = list(OutboxEvent.objects.exclude(pk=one.pk).order_by("pk").values_list(*COLUMNS))
    expected = OutboxEvent.objects.filter(pk=one.pk).values_list(*COLUMNS).get()
    assert rows[0] == expected  # what emit() wrote for the same subject
    assert rows == [(*expected[:2], str(a.pk), {"n": n, "tags": ["a"]}, *expected[4:]) for n, a in enumerate(accounts)]
    assert len(set(OutboxEvent.objects.values_list("event_id", flat=True))) == count + 1


def test_no_subjects_emit_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert events.emit_many("account.noted", subjects=[], data=[]) == 0


def test_an_event_rolls_back_with_the_change_that_caused_it():
    def open_account_then_crash():
        with transaction.atomic():
            make_account()
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        open_account_then_crash()

    assert OutboxEvent.objects.count() == 0


def test_a_transaction_that_emits_queues_one_relay_when_it_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        make_account()
        make_account()

    assert callbacks == [events._schedule_relay]


def test_no_relay_is_queued_on_commit_when_the_worker_loop_relays(settings, django_capture_on_commit_callbacks):
    settings.HEADEND_RELAY_ON_COMMIT = False
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        make_account()

    assert callbacks == []
    assert OutboxEvent.objects.filter(name="account.created", published_at=None).count() == 1


def test_relay_hands_each_event_to_its_handlers_once():
    seen = []
    handler = events.subscribe("test.ping")(lambda event: seen.append(event.event_id))
    try:
        account = make_account()
        event = events.emit("test.ping", subject=account)

        first, second = events.relay(), events.relay()
    finally:
        events._handlers["test.ping"].remove(handler)

    assert seen == [event.event_id]
    assert (first, second) == (2, 0)  # account.created and test.ping, then nothing left


def test_a_failing_handler_leaves_its_event_for_the_next_relay():
    def explode(event):
        raise ValueError("downstream is down")

    events.subscribe("test.boom")(explode)
    try:
        event = events.emit("test.boom", subject=make_account())

        events.relay()
    finally:
        events._handlers["test.boom"].remove(explode)

    event.refresh_from_db()
    assert event.published_at is None
    assert event.attempts == 1
    assert event.last_error == "ValueError: downstream is down"


def test_relay_task_schedules_a_later_retry_for_failed_events(settings):
    from django_tasks_db.models import DBTaskResult

    from headend.core.tasks import relay_outbox
    from tests.conftest import FROZEN_AT

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

    def explode(event):
        raise ValueError("downstream is down")

    events.subscribe("test.later")(explode)
    try:
        events.emit("test.later", subject=make_account())

        relay_outbox.call()
    finally:
        events._handlers["test.later"].remove(explode)

    retry = DBTaskResult.objects.get()
    assert retry.task_path == "headend.core.tasks.relay_outbox"
    assert retry.run_after == FROZEN_AT + dt.timedelta(seconds=30)


@pytest.mark.django_db(transaction=True)
def test_follow_outlives_a_database_error_and_spends_no_attempt_on_it(settings, caplog):
    settings.HEADEND_RELAY_ON_COMMIT = False  # only the loop relays, as under `make run`
    stop = threading.Event()
    calls = []

    def locked_once(event):
        calls.append(event.pk)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        stop.set()  # published on the loop's next turn: the test is over

    events.subscribe("test.locked")(locked_once)
    try:
        event = events.emit("test.locked", subject=make_account())

        events.follow(stop=stop, interval=0.01)
    finally:
        events._handlers["test.locked"].remove(locked_once)

    event.refresh_from_db()
    assert calls == [event.pk, event.pk]
    assert event.published_at is not None
    assert (event.attempts, event.last_error) == (1, "")  # the lock was not the handler's failure
    assert "database error (OperationalError: database is locked); trying again in 0.0 s" in caplog.text
