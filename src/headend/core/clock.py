"""The one clock domain code reads, so tests can freeze it.

Domain code calls `clock.now()` once per use case and passes `at=` down; never
`timezone.now()` directly.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return _frozen if _frozen is not None else timezone.now()


def provider_zone() -> ZoneInfo:
    return ZoneInfo(settings.HEADEND_TIME_ZONE)


def local_date(at: dt.datetime) -> dt.date:
    """The calendar date of `at` where the provider is."""
    return at.astimezone(provider_zone()).date()


def today() -> dt.date:
    return local_date(now())


@contextmanager
def frozen(at: dt.datetime) -> Iterator[dt.datetime]:
    """Freeze `now()` at `at` (tests, benchmarks)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("Freeze the clock at an aware datetime.")
    previous, _frozen = _frozen, at
    try:
        yield at
    finally:
        _frozen = previous
