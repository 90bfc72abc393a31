"""The outbox's worker turn (`events.work`), which `relay_outbox --follow` repeats: failed
events wait for their back-off, handlers for every event, follow-ups after the relay."""

import datetime as dt

import pytest

from headend.core import events
from headend.core.models import OutboxEvent
from tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def exploding():
    def explode(event):
        raise ValueError("downstream is down")

    events.subscribe("test.boom")(explode)
    yield
    events._handlers["test.boom"].remove(explode)


def test_a_worker_turn_leaves_failed_events_to_their_retry(exploding):
    event = events.emit("test.boom", subject=make_account())

    events.work()
    events.work()
    after_two_turns = OutboxEvent.objects.get(pk=event.pk).attempts
    events.work(retry_failed=True)

    assert after_two_turns == 1
    assert OutboxEvent.objects.get(pk=event.pk).attempts == 2


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (7, 1920), (9, 1920)])
def test_failed_events_are_retried_after_a_doubling_delay(attempts, seconds):
    event = events.emit("test.boom", subject=make_account())
    OutboxEvent.objects.exclude(pk=event.pk).update(published_at=event.occurred_at)
    OutboxEvent.objects.filter(pk=event.pk).update(attempts=attempts)

    assert events.retry_delay() == dt.timedelta(seconds=seconds)


def test_no_retry_is_due_when_no_event_failed():
    make_account()

    assert events.retry_delay() is None


def test_a_handler_for_every_event_sees_each_once():
    seen = []
    handler = events.subscribe(events.EVERY_EVENT)(lambda event: seen.append(event.name))
    try:
        events.emit("test.ping", subject=make_account())

        events.relay()
        events.relay()
    finally:
        events._handlers[events.EVERY_EVENT].remove(handler)

    assert seen == ["account.created", "test.ping"]


def test_follow_ups_run_after_the_relay_and_stop_when_asked():
    calls = []

    def step(should_stop):
        calls.append(OutboxEvent.objects.filter(published_at=None).count())
        return 3

    events.follow_up(step)
    try:
        make_account()
        done = events.work()
        stopped = events.work(should_stop=lambda: True)
    finally:
        events._follow_ups.remove(step)

    assert calls == [0]  # ran once, after the relay published the event
    assert (done, stopped) == (1 + 3, 0)
