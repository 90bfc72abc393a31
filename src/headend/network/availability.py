"""Availability from outage history: the pure interval arithmetic, and an element's figure.

    availability % = 100 x (1 - downtime / span)

`span` is the measured window (the last 30, 90 or 365 days, or a calendar month), `downtime`
the union of the outage intervals clipped to it: overlapping outages count once, an open outage
counts up to now. Planned maintenance is not downtime for the figure (an SLA excludes announced
maintenance): it is measured the same way and shown beside it.

The percent is cut (not rounded) to four decimal places, so a figure never reads better than it
was (any downtime at all shows below 100.0000), and "under 99.9" on the cut figure is exactly
"under 99.9" on the true one for any level of at most four decimals (support/sla_credits.py).

inventory/availability.py measures a service (from the outages that impacted it, over the time
it existed); `element_availability` here measures an element from the outages on it and on
every element above it in the topology."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from headend.core import clock
from headend.network.models import Element, Outage

Interval = tuple[dt.datetime, dt.datetime]
WINDOWS = (30, 90, 365)  # days
PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)
MICROSECOND = dt.timedelta(microseconds=1)


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of `intervals` as disjoint intervals, earliest first (empty ones dropped;
    touching ones joined)."""
    spans = sorted((start, end) for start, end in intervals if end > start)
    union: list[Interval] = []
    for start, end in spans:
        if union and start <= union[-1][1]:
            if end > union[-1][1]:
                union[-1] = (union[-1][0], end)
        else:
            union.append((start, end))
    return union


def covered(intervals: Iterable[Interval], *, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """How much of [start, end) the union of `intervals` covers."""
    total = dt.timedelta(0)
    for low, high in merged(intervals):
        low, high = max(low, start), min(high, end)
        if high > low:
            total += high - low
    return total


def percent_up(*, down: dt.timedelta, span: dt.timedelta) -> Decimal:
    """100 x (1 - down / span), cut to four decimal places (exact: whole microseconds)."""
    if span <= dt.timedelta(0):
        raise ValueError("An availability needs a span longer than zero.")
    span_us, down_us = span // MICROSECOND, min(down, span) // MICROSECOND
    return (HUNDRED * (span_us - down_us) / span_us).quantize(PLACES, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Availability:
    """The figure over one span, with what it is made of."""

    start: dt.datetime
    end: dt.datetime
    percent: Decimal  # the SLA figure: unplanned outages only
    downtime: dt.timedelta  # unplanned, counted once where outages overlap
    maintenance: dt.timedelta  # planned maintenance in the span, not counted in `percent`
    outages: int  # unplanned outages that touched the span
    days: int | None = None  # the rolling window it answers (None: another span, a month)

    @property
    def span(self) -> dt.timedelta:
        return self.end - self.start

    @property
    def downtime_minutes(self) -> Decimal:
        return (Decimal(self.downtime // MICROSECOND) / 60_000_000).quantize(Decimal("0.1"))

    @property
    def maintenance_minutes(self) -> Decimal:
        return (Decimal(self.maintenance // MICROSECOND) / 60_000_000).quantize(Decimal("0.1"))


def measure(
    *,
    outages: Iterable[Interval],
    maintenance: Iterable[Interval] = (),
    start: dt.datetime,
    end: dt.datetime,
    days: int | None = None,
) -> Availability | None:
    """The availability over [start, end) given the unplanned outage and maintenance intervals
    (already ended at now when still open); None when the span is empty (nothing to measure)."""
    if end <= start:
        return None
    outages = list(outages)
    down = covered(outages, start=start, end=end)
    return Availability(
        start=start,
        end=end,
        percent=percent_up(down=down, span=end - start),
        downtime=down,
        maintenance=covered(maintenance, start=start, end=end),
        outages=sum(1 for low, high in outages if high > start and low < end and high > low),
        days=days,
    )


def window(days: int, *, at: dt.datetime) -> Interval:
    """The last `days` days up to `at`."""
    return at - dt.timedelta(days=days), at


OutageRow = tuple[dt.datetime, dt.datetime | None, str]


def split(rows: Iterable[OutageRow], *, at: dt.datetime) -> tuple[list[Interval], list[Interval]]:
    """(started, ended or None while open, outage kind) rows as (unplanned, maintenance)
    intervals, an open one running to `at`."""
    unplanned: list[Interval] = []
    planned: list[Interval] = []
    for started, ended, kind in rows:
        interval = (started, ended if ended is not None else max(at, started))
        (planned if kind == Outage.Kind.MAINTENANCE else unplanned).append(interval)
    return unplanned, planned


# Outages that never ran (a maintenance window announced or called off) have no downtime.
NOT_RUN = (Outage.Status.SCHEDULED, Outage.Status.CANCELLED)


def element_outage_rows(*, element: Element, since: dt.datetime) -> list[OutageRow]:
    """(started, ended or None, kind) of the outages on `element` and every element above it
    that ran after `since`."""
    return [
        (started, ended, kind)
        for started, ended, kind in Outage.objects.filter(element_id__in=[element.pk, *element.ancestor_ids])
        .exclude(status__in=NOT_RUN)
        .exclude(started_at=None)
        .exclude(ended_at__lte=since)
        .values_list("started_at", "ended_at", "kind")
        if started is not None  # excluded above; says so to the type checker
    ]


def element_availability(element: Element, days: int, *, at: dt.datetime | None = None) -> Availability:
    """The element's availability over the last `days` days: down whenever it or an element
    above it had an outage (their union); planned maintenance shown apart, not counted."""
    if days < 1:
        raise ValueError("Measure over one day or more.")
    at = at or clock.now()
    start, end = window(days, at=at)
    unplanned, planned = split(element_outage_rows(element=element, since=start), at=at)
    measured = measure(outages=unplanned, maintenance=planned, start=start, end=end, days=days)
    assert measured is not None  # a span of a day or more
    return measured


def element_availability_windows(element: Element, *, at: dt.datetime | None = None) -> list[Availability]:
    """`element_availability` over 30, 90 and 365 days, from one query."""
    at = at or clock.now()
    rows = element_outage_rows(element=element, since=at - dt.timedelta(days=max(WINDOWS)))
    unplanned, planned = split(rows, at=at)
    figures = []
    for days in WINDOWS:
        start, end = window(days, at=at)
        measured = measure(outages=unplanned, maintenance=planned, start=start, end=end, days=days)
        assert measured is not None
        figures.append(measured)
    return figures
