"""Throttles on the network: the cap cycles caps.py marked to throttle are applied (the subscriber
in the throttled RADIUS group, a CoA to each open session: provisioning/throttle.py), and those of
a cycle that is over are lifted (the plan's group and rate again).

The RADIUS writes and CoA happen outside any transaction of Headend's database; the row is
updated after, in its own. A NAS that does not answer or a RADIUS database that is down leaves
the row as it was, with the error and one more attempt: the next pass (the worker's usage job,
or `manage.py ingest_usage`) tries again. Throttling and lifting are idempotent, so a pass that
dies between the network and the row's update does the same again next time."""

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from headend.catalog.code_actions import RetryableError
from headend.core import clock, events
from headend.provisioning import throttle
from headend.provisioning.radius_store import RadiusUnavailable
from headend.usage.ingest import CURSOR
from headend.usage.models import CapCycle, IngestCursor

logger = logging.getLogger(__name__)

LOG_KEEP = 20  # exchanges kept on the cap cycle, newest last


def _due(throttle_states: list[str], **filters: Any) -> list[CapCycle]:
    return list(
        CapCycle.objects.filter(throttle__in=throttle_states, **filters)
        .select_related("service__product_version__product")
        .order_by("pk")
    )


def _ingest_lock() -> None:
    """Take the ingest's lock (its cursor row), which every writer of cap cycles holds: caps.py
    reads and writes them without row locks."""
    IngestCursor.objects.select_for_update().filter(name=CURSOR).first()


@transaction.atomic
def _failed(row: CapCycle, exc: Exception) -> None:
    logger.warning("usage throttle of service %s: %s", row.service_id, exc)
    _ingest_lock()
    CapCycle.objects.filter(pk=row.pk).update(
        throttle_attempts=row.throttle_attempts + 1, throttle_error=str(exc)[:500]
    )


@transaction.atomic
def _record(row: CapCycle, *, to: str, at: dt.datetime, outcome: Any, event: str) -> None:
    _ingest_lock()
    locked = CapCycle.objects.get(pk=row.pk)
    locked.throttle = to
    if to == CapCycle.Throttle.LIFTED:
        locked.lifted_at = at
    locked.throttle_attempts += 1
    locked.throttle_error = outcome.error if outcome is not None else ""
    if outcome is not None:
        locked.throttle_log = [*locked.throttle_log, *outcome.exchanges][-LOG_KEEP:]
    locked.save(update_fields=["throttle", "lifted_at", "throttle_attempts", "throttle_error", "throttle_log"])
    data = {
        "cycle_start": locked.cycle_start.isoformat(),
        "cycle_end": locked.cycle_end.isoformat(),
        "username": outcome.username if outcome is not None else "",
        "group": outcome.group if outcome is not None else "",
    }
    events.emit(event, subject=row.service, data=data)


def throttles_apply(*, at: dt.datetime | None = None, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Throttle on the network every cap cycle marked to throttle; return how many were applied.
    One whose cycle ended first is lifted without touching the network."""
    at = at or clock.now()
    today = clock.local_date(at)
    done = 0
    for row in _due([CapCycle.Throttle.PENDING]):
        if should_stop():
            break
        if row.cycle_end <= today:
            _record(row, to=CapCycle.Throttle.LIFTED, at=at, outcome=None, event="usage.throttle_lifted")
            continue
        try:
            outcome = throttle.subscriber_throttle(service=row.service)
        except (RetryableError, RadiusUnavailable) as exc:
            _failed(row, exc)
            continue
        _record(row, to=CapCycle.Throttle.APPLIED, at=at, outcome=outcome, event="usage.throttled")
        done += 1
    return done


def throttles_lift(*, at: dt.datetime | None = None, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Lift on the network the throttles of cycles that are over; return how many were lifted."""
    at = at or clock.now()
    done = 0
    held = [CapCycle.Throttle.PENDING, CapCycle.Throttle.APPLIED]
    for row in _due([CapCycle.Throttle.APPLIED], cycle_end__lte=clock.local_date(at)):
        if should_stop():
            break
        if CapCycle.objects.filter(
            service_id=row.service_id, cycle_start__gt=row.cycle_start, throttle__in=held
        ).exists():
            # The next cycle is capped already: its throttle holds the subscriber.
            _record(row, to=CapCycle.Throttle.LIFTED, at=at, outcome=None, event="usage.throttle_lifted")
            continue
        try:
            outcome = throttle.subscriber_unthrottle(service=row.service)
        except (RetryableError, RadiusUnavailable) as exc:
            _failed(row, exc)
            continue
        _record(row, to=CapCycle.Throttle.LIFTED, at=at, outcome=outcome, event="usage.throttle_lifted")
        done += 1
    return done
