"""Availability from outage history: the interval arithmetic first (exact), then a service's
figures over 30/90/365 days and a calendar month, the service page, and an element's figure."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.inventory import availability
from headend.inventory.availability import covered, measure, merged, percent_up, split
from headend.inventory.models import Service, ServiceOutage
from headend.network import topology
from headend.network.availability import element_availability, element_availability_windows
from headend.network.models import Outage
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_live_service, make_product, make_user

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


# --- The arithmetic ---------------------------------------------------------------------------


def test_merged_joins_overlapping_nested_and_touching_intervals_and_drops_empty_ones():
    intervals = [(at(50), at(60)), (at(0), at(10)), (at(5), at(20)), (at(20), at(30)), (at(7), at(8)), (at(40), at(40))]

    assert merged(intervals) == [(at(0), at(30)), (at(50), at(60))]


def test_covered_counts_overlapping_outages_once_and_clips_to_the_span():
    intervals = [(at(-30), at(10)), (at(0), at(20)), (at(90), at(130))]

    assert covered(intervals, start=at(0), end=at(100)) == dt.timedelta(minutes=30)


def test_percent_up_43_2_minutes_down_in_30_days_is_99_9000():
    assert percent_up(down=dt.timedelta(minutes=43.2), span=30 * DAY) == Decimal("99.9000")


@pytest.mark.parametrize(
    ("down", "span", "percent"),
    [
        (dt.timedelta(0), 30 * DAY, "100.0000"),
        (dt.timedelta(minutes=43.2), 30 * DAY, "99.9000"),
        # 43.2 min + 1 µs: cut, never rounded up to the 99.9 it missed.
        (dt.timedelta(minutes=43.2, microseconds=1), 30 * DAY, "99.8999"),
        # One microsecond in a year still reads below 100.
        (dt.timedelta(microseconds=1), 365 * DAY, "99.9999"),
        (dt.timedelta(hours=1), 90 * DAY, "99.9537"),  # 1 - 1/2160 = 0.99953703...
        (30 * DAY, 30 * DAY, "0.0000"),
        (31 * DAY, 30 * DAY, "0.0000"),  # downtime beyond the span is the whole span
    ],
)
def test_percent_up_is_exact_and_cut_to_four_places(down, span, percent):
    assert percent_up(down=down, span=span) == Decimal(percent)


def test_percent_up_of_an_empty_span_is_refused():
    with pytest.raises(ValueError):
        percent_up(down=dt.timedelta(0), span=dt.timedelta(0))


def test_measure_counts_unplanned_outages_once_and_maintenance_apart():
    figure = measure(
        outages=[(at(0), at(30)), (at(20), at(43.2)), (at(-100), at(-50))],
        maintenance=[(at(100), at(220))],
        start=at(0),
        end=at(0) + 30 * DAY,
        days=30,
    )

    assert figure is not None
    assert (figure.percent, figure.downtime, figure.outages) == (Decimal("99.9000"), dt.timedelta(minutes=43.2), 2)
    assert (figure.maintenance, figure.downtime_minutes, figure.maintenance_minutes) == (
        2 * HOUR,
        Decimal("43.2"),
        Decimal("120.0"),
    )


def test_measure_of_an_empty_span_is_none():
    assert measure(outages=[], start=at(10), end=at(10)) is None


def test_split_runs_an_open_outage_to_now_and_sets_maintenance_apart():
    rows = [(at(0), None, "unplanned"), (at(5), at(10), "maintenance"), (at(20), at(25), "unplanned")]

    assert split(rows, at=at(60)) == ([(at(0), at(60)), (at(20), at(25))], [(at(5), at(10))])


# --- A service ---------------------------------------------------------------------------------


def live_service(*, since: dt.datetime, kind: str = "business") -> Service:
    with clock.frozen(since):
        return make_live_service(make_account(kind), make_product(tasks=[TaskSpec("Turn up")]))


def element(name: str = "OLT-1", parent=None):
    return topology.element_create(name=name, kind="olt" if parent is None else "pon_port", parent=parent)


def outage(
    on,
    start: dt.datetime,
    end: dt.datetime | None,
    *,
    kind: str = "unplanned",
    status: str | None = None,
) -> Outage:
    return Outage.objects.create(
        element=on,
        kind=kind,
        status=status or ("open" if end is None else "resolved"),
        source="staff",
        title="Fiber cut",
        started_at=start,
        ended_at=end,
        created_at=start,
    )


def impact(service: Service, down: Outage, start=None, end=None) -> ServiceOutage:
    return ServiceOutage.objects.create(
        outage=down,
        service=service,
        account=service.account,
        mrc_amount=service.mrc_amount,
        currency=service.currency,
        started_at=start or down.started_at,
        ended_at=end if end is not None else down.ended_at,
    )


@pytest.mark.django_db
def test_service_availability_over_30_90_365_days_with_overlapping_and_open_outages():
    service = live_service(since=FROZEN_AT - 400 * DAY)
    olt = element()
    # 20 days ago: two outages that overlap by 10 minutes (30 + 30 - 10 = 50 minutes down).
    first = outage(olt, FROZEN_AT - 20 * DAY, FROZEN_AT - 20 * DAY + 30 * MINUTE)
    second = outage(element("OLT-2"), FROZEN_AT - 20 * DAY + 20 * MINUTE, FROZEN_AT - 20 * DAY + 50 * MINUTE)
    # 60 days ago: 6 hours; 200 days ago: 1 day; open for the last 10 minutes.
    older = outage(olt, FROZEN_AT - 60 * DAY, FROZEN_AT - 60 * DAY + 6 * HOUR)
    oldest = outage(olt, FROZEN_AT - 200 * DAY, FROZEN_AT - 199 * DAY)
    still_open = outage(element("OLT-3"), FROZEN_AT - 10 * MINUTE, None)
    for down in (first, second, older, oldest, still_open):
        impact(service, down)

    figures = availability.service_availability(service=service)

    assert [(figure.days, figure.downtime, figure.outages) for figure in figures] == [
        (30, 60 * MINUTE, 3),
        (90, 6 * HOUR + 60 * MINUTE, 4),
        (365, DAY + 6 * HOUR + 60 * MINUTE, 5),
    ]
    # 60 min of 43,200: 1 - 1/720; 420 of 129,600; 1,860 of 525,600.
    assert [figure.percent for figure in figures] == [Decimal("99.8611"), Decimal("99.6759"), Decimal("99.6461")]


@pytest.mark.django_db
def test_maintenance_is_shown_apart_and_not_counted():
    service = live_service(since=FROZEN_AT - 400 * DAY)
    olt = element()
    impact(service, outage(olt, FROZEN_AT - 5 * DAY, FROZEN_AT - 5 * DAY + 43.2 * MINUTE))
    impact(service, outage(olt, FROZEN_AT - 3 * DAY, FROZEN_AT - 3 * DAY + 2 * HOUR, kind="maintenance"))

    thirty = availability.service_availability(service=service)[0]

    assert (thirty.percent, thirty.downtime_minutes, thirty.maintenance_minutes) == (
        Decimal("99.9000"),
        Decimal("43.2"),
        Decimal("120.0"),
    )


@pytest.mark.django_db
def test_a_cancelled_or_scheduled_window_is_not_downtime():
    service = live_service(since=FROZEN_AT - 400 * DAY)
    olt = element()
    impact(service, outage(olt, FROZEN_AT - 5 * DAY, FROZEN_AT - 4 * DAY, kind="maintenance", status="cancelled"))
    impact(service, outage(olt, FROZEN_AT - 2 * DAY, FROZEN_AT - DAY, status="scheduled"))

    thirty = availability.service_availability(service=service)[0]

    assert (thirty.percent, thirty.maintenance) == (Decimal("100.0000"), dt.timedelta(0))


@pytest.mark.django_db
def test_a_resolved_outage_whose_impact_row_has_no_end_ends_with_the_outage():
    service = live_service(since=FROZEN_AT - 400 * DAY)
    down = outage(element(), FROZEN_AT - 2 * DAY, FROZEN_AT - 2 * DAY + 43.2 * MINUTE)
    ServiceOutage.objects.create(
        outage=down,
        service=service,
        account=service.account,
        mrc_amount=service.mrc_amount,
        currency="USD",
        started_at=down.started_at,
        ended_at=None,
    )

    assert availability.service_availability(service=service)[0].percent == Decimal("99.9000")


@pytest.mark.django_db
def test_a_young_service_is_measured_over_the_time_it_existed():
    service = live_service(since=FROZEN_AT - 10 * DAY)
    impact(service, outage(element(), FROZEN_AT - 20 * DAY, FROZEN_AT - 9 * DAY))  # began before turn-up

    figures = availability.service_availability(service=service)

    # Down for its first day of ten: 90 % in every window, measured from turn-up.
    assert [(figure.days, figure.start, figure.percent) for figure in figures] == [
        (30, FROZEN_AT - 10 * DAY, Decimal("90.0000")),
        (90, FROZEN_AT - 10 * DAY, Decimal("90.0000")),
        (365, FROZEN_AT - 10 * DAY, Decimal("90.0000")),
    ]


@pytest.mark.django_db
def test_a_disconnected_service_is_measured_until_it_was_disconnected():
    service = live_service(since=FROZEN_AT - 400 * DAY)
    Service.objects.filter(pk=service.pk).update(billable_until=FROZEN_AT - 10 * DAY, status="disconnected")
    service.refresh_from_db()
    impact(service, outage(element(), FROZEN_AT - 15 * DAY, FROZEN_AT - 15 * DAY + 20 * HOUR))
    impact(service, outage(element("OLT-2"), FROZEN_AT - 5 * DAY, FROZEN_AT - 4 * DAY))  # after: not counted

    thirty = availability.service_availability(service=service)[0]

    # 20 hours down in the 20 days from 30 days ago to its disconnection.
    assert (thirty.start, thirty.end, thirty.percent) == (
        FROZEN_AT - 30 * DAY,
        FROZEN_AT - 10 * DAY,
        Decimal("95.8333"),
    )


@pytest.mark.django_db
def test_a_service_never_turned_up_is_not_measured():
    from tests.factories import make_quote

    service = Service.objects.get(order_line__order__quote=make_quote(status="accepted"))

    assert availability.service_availability(service=service) == []


@pytest.mark.django_db
def test_month_availability_spans_the_whole_calendar_month_where_the_provider_is():
    service = live_service(since=FROZEN_AT - 400 * DAY)
    # March 2026 in New York: Mar 1 05:00 UTC to Apr 1 04:00 UTC (the clocks go forward on the
    # 8th): 743 hours. One hour down on Mar 2.
    impact(service, outage(element(), FROZEN_AT - 3 * HOUR, FROZEN_AT - 2 * HOUR))
    impact(
        service,
        outage(element("OLT-2"), dt.datetime(2026, 3, 1, 4, tzinfo=UTC), dt.datetime(2026, 3, 1, 5, tzinfo=UTC)),
    )

    figure = availability.service_month_availability(service=service, month=dt.date(2026, 3, 2))

    assert figure is not None
    assert (figure.start, figure.end) == (
        dt.datetime(2026, 3, 1, 5, tzinfo=UTC),
        dt.datetime(2026, 4, 1, 4, tzinfo=UTC),
    )
    # 1 - 1/743 = 0.998654104...; February's hour (before 05:00 UTC on Mar 1) is not March's.
    assert (figure.downtime, figure.percent) == (HOUR, Decimal("99.8654"))


# --- The service page and the element ------------------------------------------------------------


@pytest.mark.django_db
def test_the_service_page_shows_its_availability(client):
    service = live_service(since=FROZEN_AT - 400 * DAY)
    impact(service, outage(element(), FROZEN_AT - 5 * DAY, FROZEN_AT - 5 * DAY + 43.2 * MINUTE))
    impact(service, outage(element("OLT-2"), FROZEN_AT - 3 * DAY, FROZEN_AT - 3 * DAY + HOUR, kind="maintenance"))
    client.force_login(make_user("support"))

    response = client.get(service.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h2 id="availability-heading">Availability</h2>' in html
    assert '<td class="num">99.9000 %</td>' in html
    assert '<td class="num">43.2 min</td>' in html
    assert '<td class="num">60.0 min</td>' in html  # the maintenance, apart
    assert "Planned maintenance is not counted" in html


@pytest.mark.django_db
def test_an_element_is_down_when_it_or_an_element_above_it_is():
    olt = element("OLT-1")
    port = element("OLT-1-PON-1", parent=olt)
    other_port = element("OLT-1-PON-2", parent=olt)
    outage(olt, FROZEN_AT - 10 * DAY, FROZEN_AT - 10 * DAY + 30 * MINUTE)
    outage(port, FROZEN_AT - 10 * DAY + 20 * MINUTE, FROZEN_AT - 10 * DAY + 43.2 * MINUTE)  # overlaps the OLT's
    outage(other_port, FROZEN_AT - 5 * DAY, FROZEN_AT - 4 * DAY)  # a sibling: not this port
    outage(port, FROZEN_AT - 2 * DAY, FROZEN_AT - 2 * DAY + 3 * HOUR, kind="maintenance")

    figure = element_availability(port, 30)

    assert (figure.percent, figure.downtime, figure.outages, figure.maintenance) == (
        Decimal("99.9000"),
        dt.timedelta(minutes=43.2),
        2,
        3 * HOUR,
    )
    assert element_availability(olt, 30).downtime == 30 * MINUTE  # nothing below counts up
    assert [figure.days for figure in element_availability_windows(port)] == [30, 90, 365]
