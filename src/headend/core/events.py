"""The outbox: `emit()` inside a use case's transaction; `relay()` in the worker afterwards.

Each transaction that emits queues one relay task when it commits, unless
settings.HEADEND_RELAY_ON_COMMIT is off (when the worker loop runs, it relays anyway).

The worker loop (`manage.py relay_outbox --follow`, `follow()` here) calls `work()` about once a
second: it relays, then runs the follow-ups apps registered (sending webhook deliveries), outside
any transaction. A database error (SQLite busy past its timeout, a dropped PostgreSQL connection)
never stops the loop, nor counts against an event: the loop backs off and tries again."""

import datetime as dt
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import Error as DatabaseError
from django.db import InterfaceError, OperationalError, close_old_connections, models, transaction

from headend.core import audit, backoff, bulk, clock, connections
from headend.core.models import OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
FollowUp = Callable[[Callable[[], bool]], int]
_handlers: dict[str, list[Handler]] = defaultdict(list)
_follow_ups: list[FollowUp] = []
_local = threading.local()
MAX_ATTEMPTS = 10
EVERY_EVENT = "*"


def subscribe(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for events named `name` (`EVERY_EVENT`, "*", for all of them); it
    runs in the worker, once per event, inside the transaction that marks the event published."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return register


def emit(name: str, *, subject: models.Model, data: dict[str, Any] | None = None) -> OutboxEvent:
    """Write an event row in the open transaction and have the worker relay it after commit.
    The event names who it was done for: the request's user or the one the worker acts for."""
    actor = audit.current_user()
    event = OutboxEvent.objects.create(
        name=name,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        data=data or {},
        occurred_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) is not None else None,
    )
    _relay_on_commit()
    return event


def emit_many(name: str, *, subjects: list[models.Model], data: list[dict[str, Any]]) -> int:
    """`emit()` for many subjects at once (a bill run's invoices, a worker's batch): one insert
    (no event instance built: nobody reads them back here), one relay. Returns how many."""
    if not subjects:
        return 0
    actor = audit.current_user()
    actor_id = actor.pk if getattr(actor, "pk", None) is not None else None
    now = clock.now()
    written = bulk.insert_rows(
        OutboxEvent,
        ["event_id", "name", "subject_type", "subject_id", "data", "occurred_at", "actor", "attempts", "last_error"],
        [
            (uuid.uuid4(), name, subject._meta.label_lower, str(subject.pk), values, now, actor_id, 0, "")
            for subject, values in zip(subjects, data, strict=True)
        ],
    )
    _relay_on_commit()
    return written


def _relay_on_commit() -> None:
    """Queue one relay when the open transaction commits, however many events it emits (none
    when the worker loop, `relay_outbox --follow`, relays every second)."""
    if not settings.HEADEND_RELAY_ON_COMMIT:
        return
    connection = transaction.get_connection()
    if not any(entry[1] is _schedule_relay for entry in connection.run_on_commit):
        transaction.on_commit(_schedule_relay)


def activity(subject: models.Model, *, limit: int = 50) -> list[OutboxEvent]:
    """What happened to `subject`, newest first, with who did it: the events it emitted."""
    return list(
        OutboxEvent.objects.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk))
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )


def _schedule_relay() -> None:
    from headend.core.tasks import relay_outbox

    relay_outbox.enqueue()


def follow_up(step: FollowUp) -> FollowUp:
    """Register work the worker loop does after each relay, outside any transaction (network
    calls belong here, not in handlers). `step(should_stop)` returns how much it did and
    returns early once `should_stop()` is true (the worker was asked to stop)."""
    if step not in _follow_ups:
        _follow_ups.append(step)
    return step


def relay(*, limit: int = 1000, retry_failed: bool = True) -> int:
    """Hand unpublished events to their handlers, oldest first; return how many were published.

    Each event is handled and marked published in one transaction, so a handler's writes and
    the mark commit together. A failing handler leaves its event for the next relay; with
    `retry_failed=False` events that failed before are left alone (the worker loop retries
    them on the back-off schedule of `retry_delay()`)."""
    if getattr(_local, "relaying", False):
        return 0  # the outer relay loop picks up events emitted by handlers
    _local.relaying = True
    published = 0
    tried: set[int] = set()  # a failed event waits for the next relay, not this one
    waiting = OutboxEvent.objects.filter(published_at=None, attempts__lt=MAX_ATTEMPTS)
    if not retry_failed:
        waiting = waiting.filter(attempts=0)
    try:
        while published < limit:
            pending = list(waiting.exclude(pk__in=tried).order_by("id").values_list("pk", flat=True)[:100])
            if not pending:
                break
            for pk in pending:
                tried.add(pk)
                if _relay_one(pk):
                    published += 1
    finally:
        _local.relaying = False
    return published


def _relay_one(pk: int) -> bool:
    try:
        with transaction.atomic():
            event = OutboxEvent.objects.select_for_update(skip_locked=True).filter(pk=pk, published_at=None).first()
            if event is None:
                return False
            for handler in [*_handlers.get(event.name, []), *_handlers.get(EVERY_EVENT, [])]:
                handler(event)
            event.published_at = clock.now()
            event.attempts += 1
            event.save(update_fields=["published_at", "attempts"])
            return True
    except (OperationalError, InterfaceError):
        raise  # the database failed, not the handler: no attempt is spent; the loop backs off
    except Exception as exc:
        logger.exception("outbox event %s failed", pk)
        OutboxEvent.objects.filter(pk=pk).update(
            attempts=models.F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"
        )
        return False


def retry_delay() -> dt.timedelta | None:
    """How long until events whose handler failed should be tried again: 30 s after the first
    failure, doubling per attempt up to 32 min; None when no event waits for a retry."""
    failed = (
        OutboxEvent.objects.filter(published_at=None, attempts__gt=0, attempts__lt=MAX_ATTEMPTS)
        .order_by("attempts")
        .values_list("attempts", flat=True)
        .first()
    )
    if failed is None:
        return None
    return dt.timedelta(seconds=backoff.delay(failed, first=30, cap=32 * 60))


def work(*, retry_failed: bool = False, should_stop: Callable[[], bool] = lambda: False) -> int:
    """One turn of the worker loop: relay new events (and, with `retry_failed`, those that
    failed before), then run each follow-up; return how much was done."""
    done = relay(retry_failed=retry_failed)
    for step in _follow_ups:
        if should_stop():
            break
        done += step(should_stop)
    return done


def follow(*, stop: threading.Event, interval: float = 1.0, max_backoff: float = 60.0) -> None:
    """The worker loop: `work()` about once a second until `stop` is set, retrying events whose
    handler failed on the `retry_delay()` schedule. A database error is logged, every connection
    is closed and the turn is tried again after a back-off that doubles from `interval` up to
    `max_backoff`; any other error is logged and the loop goes on."""
    retry_at = 0.0  # events whose handler failed are retried on the back-off schedule
    errors = 0
    while not stop.is_set():
        done = 0
        try:
            close_old_connections()  # a database restart or CONN_MAX_AGE must not stop the loop
            retry = time.monotonic() >= retry_at
            done = work(retry_failed=retry, should_stop=stop.is_set)
            if retry:
                delay = retry_delay()
                retry_at = time.monotonic() + (delay.total_seconds() if delay else interval)
            errors = 0
        except DatabaseError as exc:
            errors += 1
            wait = backoff.delay(errors, first=interval, cap=max_backoff)
            logger.warning(
                "The outbox worker hit a database error (%s: %s); trying again in %.1f s.",
                type(exc).__name__,
                exc,
                wait,
            )
            connections.drop_all()
            stop.wait(wait)
            continue
        except Exception:
            logger.exception("The outbox worker's turn failed; trying again.")
        if not done:
            stop.wait(interval)
