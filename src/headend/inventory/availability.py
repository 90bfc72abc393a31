"""A service's availability over the last 30, 90 and 365 days and over a calendar month, from
the outages that impacted it (ServiceOutage rows): the service page, TMF638 and the SLA
credits (support/sla_credits.py) read it here.

Over a window, the span measured is the part of the window the service existed in: from its
turn-up (`activated_at`) to its disconnection (`billable_until`, else the instant it became
disconnected), so a service turned up last week is measured over that week, not charged with
the weeks before it. Downtime is the union of its impact intervals clipped to that span:
overlapping outages count once, an open one counts up to now. Planned maintenance is measured
apart and not counted. The arithmetic and its rounding are network/availability.py's."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from headend.core import clock
from headend.inventory.models import Service, ServiceOutage
from headend.network.availability import (
    NOT_RUN,
    WINDOWS,
    Availability,
    Interval,
    OutageRow,
    covered,
    measure,
    merged,
    percent_up,
    split,
    window,
)
from headend.network.models import Outage

__all__ = [
    "WINDOWS",
    "Availability",
    "Interval",
    "covered",
    "measure",
    "merged",
    "month_span",
    "percent_up",
    "service_availability",
    "service_life",
    "service_month_availability",
    "services_availability",
    "split",
    "window",
]


def service_life(service: Service) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the service existed: (turned up, disconnected or None while it runs); (None, None)
    when it never was turned up."""
    if service.activated_at is None:
        return None, None
    end = service.billable_until
    if end is None and service.status == Service.Status.DISCONNECTED:
        end = service.status_changed_at
    return service.activated_at, end


def clipped_to_life(
    service: Service, *, start: dt.datetime, end: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """[start, end) cut to when the service existed; None when it did not exist in it."""
    born, gone = service_life(service)
    if born is None:
        return None
    start, end = max(start, born), min(end, gone) if gone is not None else end
    return (start, end) if end > start else None


def outage_rows(*, service_ids: Iterable[int], since: dt.datetime) -> dict[int, list[OutageRow]]:
    """Per service, (started, ended or None while open, outage kind) of the outages that
    impacted it and ran after `since`; a row its outage closed without an end of its own ends
    when the outage did."""
    rows: dict[int, list[OutageRow]] = defaultdict(list)
    impacts = (
        ServiceOutage.objects.filter(service_id__in=list(service_ids))
        .exclude(outage__status__in=NOT_RUN)
        .exclude(ended_at__lte=since)
        .values_list("service_id", "started_at", "ended_at", "outage__kind", "outage__status", "outage__ended_at")
    )
    for service_id, started, ended, kind, status, outage_ended in impacts:
        if ended is None and status == Outage.Status.RESOLVED:
            ended = outage_ended
        if ended is not None and ended <= since:
            continue
        rows[service_id].append((started, ended, kind))
    return rows


def _windows(service: Service, rows: list[OutageRow], *, at: dt.datetime, days: Sequence[int]) -> list[Availability]:
    unplanned, planned = split(rows, at=at)
    figures = []
    for length in days:
        span = clipped_to_life(service, start=at - dt.timedelta(days=length), end=at)
        measured = (
            measure(outages=unplanned, maintenance=planned, start=span[0], end=span[1], days=length) if span else None
        )
        if measured is not None:
            figures.append(measured)
    return figures


def services_availability(
    *, services: Sequence[Service], at: dt.datetime | None = None, days: Sequence[int] = WINDOWS
) -> dict[int, list[Availability]]:
    """Per service id, its availability over each window of `days` days up to `at` (a window
    it did not exist in is left out), from one query for them all."""
    at = at or clock.now()
    rows = outage_rows(service_ids=[service.pk for service in services], since=at - dt.timedelta(days=max(days)))
    return {service.pk: _windows(service, rows.get(service.pk, []), at=at, days=days) for service in services}


def service_availability(
    *, service: Service, at: dt.datetime | None = None, days: Sequence[int] = WINDOWS
) -> list[Availability]:
    """The service's availability over the last 30, 90 and 365 days (those it existed in)."""
    return services_availability(services=[service], at=at, days=days)[service.pk]


def month_span(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The calendar month holding `month` where the provider is, as UTC instants (arithmetic on
    two datetimes of one zone would ignore a change of the clocks: March is 743 hours in New York)."""
    zone = clock.provider_zone()
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=zone).astimezone(dt.UTC),
        dt.datetime.combine(following, dt.time.min, tzinfo=zone).astimezone(dt.UTC),
    )


def service_month_availability(
    *, service: Service, month: dt.date, at: dt.datetime | None = None
) -> Availability | None:
    """The service's availability over the calendar month holding `month` (provider's zone), as
    an SLA measures it: the whole month it existed in (a service still running counts to the
    month's end, the rest of the month as up), with the outages known at `at`. None when it did
    not exist that month."""
    at = at or clock.now()
    start, end = month_span(month)
    span = clipped_to_life(service, start=start, end=end)
    if span is None:
        return None
    rows = outage_rows(service_ids=[service.pk], since=span[0]).get(service.pk, [])
    unplanned, planned = split(rows, at=at)
    return measure(outages=unplanned, maintenance=planned, start=span[0], end=span[1])
