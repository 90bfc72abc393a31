import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from headend.fulfillment import gantt
from headend.fulfillment.gantt import Bar, GanttGroup, GanttTask, chart, go_live_slip
from headend.fulfillment.models import WorkOrder
from headend.fulfillment.scheduling import BusinessCalendar
from tests.factories import make_quote, make_user

NY = ZoneInfo("America/New_York")
CALENDAR = BusinessCalendar.for_zone("America/New_York")  # 09:00-17:00, Monday to Friday


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def small_schedule() -> list[GanttGroup]:
    """Survey done (an hour early), install forecast an hour behind plan, then go-live."""
    survey = GanttTask(
        "survey",
        "Survey",
        "done",
        forecast_start=ny(2026, 3, 2, 9),
        forecast_finish=ny(2026, 3, 2, 12),
        planned_start=ny(2026, 3, 2, 9),
        planned_finish=ny(2026, 3, 2, 13),
        actual_start=ny(2026, 3, 2, 9),
        actual_finish=ny(2026, 3, 2, 12),
    )
    install = GanttTask(
        "install",
        "Install",
        "ready",
        forecast_start=ny(2026, 3, 2, 13),
        forecast_finish=ny(2026, 3, 3, 11),
        planned_start=ny(2026, 3, 2, 13),
        planned_finish=ny(2026, 3, 3, 10),
        critical=True,
        predecessors=("survey",),
    )
    live = GanttTask(
        "live",
        "Live",
        "pending",
        forecast_start=ny(2026, 3, 3, 11),
        forecast_finish=ny(2026, 3, 3, 11),
        critical=True,
        milestone=True,
        predecessors=("install",),
    )
    return [GanttGroup("wo-1", "W-000001 · 40 Water St", (survey, install, live))]


def small_chart(**kwargs) -> gantt.Chart:
    return chart(small_schedule(), now=ny(2026, 3, 2, 10, 30), calendar=CALENDAR, headers=False, **kwargs)


def rows_by_key(result: gantt.Chart) -> dict[str, gantt.Row]:
    return {row.key: row for row in result.rows}


# Scale and bars


def test_chart_of_a_short_schedule_is_drawn_by_the_hour_from_an_hour_before_to_an_hour_after():
    result = small_chart()

    assert (result.start, result.end) == (ny(2026, 3, 2, 8), ny(2026, 3, 3, 12))
    assert (result.daily, result.hour_px, result.width) == (False, 30.0, 840.0)  # 28 hours fill 840 px


def test_chart_bars_sit_at_their_instants():
    rows = rows_by_key(small_chart())

    assert rows["survey"].actual == Bar(x=30.0, y=5, width=90.0, height=12)  # 09:00-12:00, done
    assert rows["survey"].forecast is None
    assert rows["survey"].planned == Bar(x=30.0, y=19, width=120.0, height=3)  # 09:00-13:00 baseline
    assert rows["install"].forecast == Bar(x=150.0, y=31, width=660.0, height=12)  # Mon 13:00 - Tue 11:00
    assert rows["install"].planned == Bar(x=150.0, y=45, width=630.0, height=3)
    assert rows["live"].diamond == "810,58 817,65 810,72 803,65"  # Tue 11:00, in the third row
    assert [row.y for row in small_chart().rows] == [0, 26, 52]


def test_chart_marks_the_critical_tasks():
    circuit = GanttTask("circuit", "Circuit", "ready", ny(2026, 3, 2, 9), ny(2026, 3, 2, 10), slack_minutes=60)
    groups = [*small_schedule(), GanttGroup("wo-2", "W-000002", (circuit,))]

    rows = rows_by_key(chart(groups, now=ny(2026, 3, 2, 10, 30), calendar=CALENDAR))

    assert [rows[key].critical for key in ("survey", "install", "live", "circuit")] == [False, True, True, False]
    assert rows["circuit"].title.splitlines()[-1] == "Slack 1 h"


def test_chart_arrows_run_from_the_predecessors_end_to_the_successors_start():
    arrows = {(arrow.source, arrow.target): arrow for arrow in small_chart().arrows}

    assert set(arrows) == {("survey", "install"), ("install", "live")}
    # Survey's actual end (12:00, x 120, row 1) to Install's start (13:00, x 150, row 2).
    assert arrows["survey", "install"].path == "M120,13 H126 V39 H150"
    # Install ends where the milestone is: straight down onto the diamond's top.
    assert arrows["install", "live"].path == "M810,39 H810 V58"
    assert [arrows[key].critical for key in (("survey", "install"), ("install", "live"))] == [False, True]


def test_chart_arrow_to_a_task_starting_right_at_its_predecessors_end_doubles_back_between_the_rows():
    first = GanttTask("a", "A", "ready", ny(2026, 3, 2, 9), ny(2026, 3, 2, 10))
    second = GanttTask("b", "B", "pending", ny(2026, 3, 2, 10), ny(2026, 3, 2, 11), predecessors=("a",))

    result = chart([GanttGroup("w", "W", (first, second))], now=ny(2026, 3, 2, 9), calendar=CALENDAR, headers=False)

    # x 280 is 10:00 on a chart from 08:00 at 140 px an hour; row 2's top is y 26.
    assert result.hour_px == 140
    assert result.arrows[0].path == "M280,13 H286 V26 H274 V39 H280"


def test_chart_skips_arrows_from_tasks_not_on_it():
    task = GanttTask("b", "B", "pending", ny(2026, 3, 2, 10), ny(2026, 3, 2, 11), predecessors=("cancelled",))

    result = chart([GanttGroup("w", "W", (task,))], now=ny(2026, 3, 2, 9), calendar=CALENDAR)

    assert result.arrows == ()


def test_chart_today_line_is_at_now():
    result = small_chart()

    assert result.today_x == 75.0  # 10:30 is 2.5 hours after 08:00
    assert [(marker.kind, marker.x) for marker in result.markers] == [("today", 75.0)]


def test_chart_leaves_today_out_when_the_schedule_is_more_than_a_week_away():
    on_the_edge = chart(small_schedule(), now=ny(2026, 3, 10, 11), calendar=CALENDAR)
    past_it = chart(small_schedule(), now=ny(2026, 3, 10, 11, 1), calendar=CALENDAR)

    assert (on_the_edge.end, on_the_edge.markers[-1].kind) == (ny(2026, 3, 11), "today")  # the chart grows
    assert (past_it.today_x, past_it.end) == (None, ny(2026, 3, 3, 12))


def test_chart_draws_go_live_lines():
    result = small_chart(planned_go_live=ny(2026, 3, 3, 10), forecast_go_live=ny(2026, 3, 3, 11))

    assert [(marker.kind, marker.x) for marker in result.markers] == [
        ("planned", 780.0),
        ("forecast", 810.0),
        ("today", 75.0),
    ]


def test_chart_hour_axis_labels_every_two_hours_at_30_px_an_hour():
    result = small_chart()

    assert result.day_ticks == (480.0,)  # Tuesday's midnight
    assert [label.text for label in result.top_labels] == ["Mon Mar 2, 2026", "Tue Mar 3, 2026"]
    assert [label.text for label in result.bottom_labels][:3] == ["10:00", "12:00", "14:00"]
    assert result.bottom_labels[0].x == 60.0
    # Outside working hours is shaded: 08:00-09:00, then the night from Mon 17:00 to Tue 09:00.
    assert [(band.x, band.width) for band in result.bands] == [(0.0, 30.0), (270.0, 480.0)]


def test_chart_of_a_longer_schedule_has_a_tick_at_each_local_midnight_across_daylight_saving():
    task = GanttTask("t", "Build", "ready", ny(2026, 3, 2, 9), ny(2026, 3, 13, 17))

    result = chart([GanttGroup("w", "W", (task,))], now=ny(2026, 3, 2, 9), calendar=CALENDAR, width=287 * 3)

    assert result.daily
    assert (result.start, result.end) == (ny(2026, 3, 2), ny(2026, 3, 14))  # 287 hours: clocks go forward Mar 8
    assert result.hour_px == 3
    assert result.day_ticks == (0.0, 72.0, 144.0, 216.0, 288.0, 360.0, 432.0, 501.0, 573.0, 645.0, 717.0, 789.0, 861.0)
    assert [label.text for label in result.bottom_labels][:2] == ["Mon 2", "Tue 3"]
    assert [label.text for label in result.top_labels] == ["March 2026"]
    assert [(band.x, band.width) for band in result.bands] == [(360.0, 141.0)]  # the weekend, 47 hours


def test_chart_scale_keeps_days_readable_for_a_long_order():
    task = GanttTask("t", "Build", "ready", ny(2026, 3, 2, 9), ny(2026, 5, 29, 17))

    result = chart([GanttGroup("w", "W", (task,))], now=ny(2026, 3, 2, 9), calendar=CALENDAR)

    assert result.hour_px * 24 == pytest.approx(gantt.MIN_DAY_PX)
    assert result.width == 2668.8  # 89 days, one of them an hour short: 2,135 hours at 1.25 px
    assert [label.text for label in result.top_labels] == ["March 2026", "April 2026", "May 2026"]


def test_chart_scale_keeps_a_short_task_visible():
    task = GanttTask("t", "Check", "ready", ny(2026, 3, 2, 9), ny(2026, 3, 2, 9, 15))

    result = chart([GanttGroup("w", "W", (task,))], now=ny(2026, 3, 2, 9), calendar=CALENDAR)

    assert result.hour_px == gantt.MAX_HOUR_PX
    assert result.rows[1].forecast.width == 35.0  # 15 minutes; row 0 is the work order


def test_chart_of_an_order_has_a_header_row_per_work_order_spanning_its_tasks():
    groups = [*small_schedule(), GanttGroup("wo-2", "W-000002", (GanttTask("x", "X", "ready", None, None),))]

    result = chart(groups, now=ny(2026, 3, 2, 10, 30), calendar=CALENDAR)

    assert [(row.kind, row.key, row.y) for row in result.rows] == [
        ("group", "wo-1", 0),
        ("task", "survey", 26),
        ("task", "install", 52),
        ("task", "live", 78),
        ("group", "wo-2", 104),
        ("task", "x", 130),
    ]
    assert result.rows[0].summary == Bar(x=30.0, y=8, width=780.0, height=8)  # 09:00 to Tue 11:00
    assert (result.rows[4].summary, result.rows[5].forecast) == (None, None)  # not scheduled yet
    assert result.height == 6 * gantt.ROW_HEIGHT


def test_chart_shortens_long_labels_but_keeps_them_whole_in_the_tooltip():
    name = "Splice the drop fiber at the pedestal by the harbour master's office"
    task = GanttTask("t", name, "ready", ny(2026, 3, 2, 9), ny(2026, 3, 2, 10), critical=True)

    row = chart([GanttGroup("w", "W", (task,))], now=ny(2026, 3, 2, 9), calendar=CALENDAR, headers=False).rows[0]

    assert row.label == "Splice the drop fiber at the pedestal…"
    assert row.title.splitlines() == [
        f"{name} · ready",
        "Forecast Mon Mar 2 09:00 → Mon Mar 2 10:00",
        "Critical: no slack",
    ]


@pytest.mark.parametrize(
    ("planned", "forecast", "text"),
    [
        (ny(2026, 3, 3, 10), ny(2026, 3, 3, 10), "on plan"),
        (ny(2026, 3, 3, 10), ny(2026, 3, 4, 12), "1 d 2 h late"),
        (ny(2026, 3, 3, 10), ny(2026, 3, 3, 9, 30), "30 min early"),
        (None, ny(2026, 3, 3, 10), ""),
    ],
)
def test_go_live_slip_in_working_time(planned, forecast, text):
    assert go_live_slip(planned, forecast, CALENDAR) == text


# The pages


@pytest.mark.django_db
def test_order_gantt_page_draws_every_task_of_the_order(client):
    client.force_login(make_user("sales"))
    order = make_quote(status="accepted", lines=2).order

    response = client.get(reverse("fulfillment:order_gantt", args=[order.pk]))

    assert response.status_code == 200
    chart_ = response.context["chart"]
    work_orders = list(WorkOrder.objects.filter(order_line__order=order).order_by("order_line__position"))
    assert [row.key for row in chart_.rows if row.kind == "group"] == [f"wo-{wo.pk}" for wo in work_orders]
    assert len([row for row in chart_.rows if row.kind == "task"]) == 6
    page = response.content.decode()
    assert page.count('class="bar-forecast critical"') == 6  # both sites' chains end at go-live
    assert 'class="marker marker-today"' in page
    assert response.context["slip"] == "on plan"


@pytest.mark.django_db
def test_work_order_gantt_page_draws_its_tasks_without_a_header_row(client):
    client.force_login(make_user("provisioning"))
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted"))

    response = client.get(reverse("fulfillment:work_order_gantt", args=[work_order.pk]))

    assert [row.label for row in response.context["chart"].rows] == ["1. Schedule", "2. Install", "3. Activate"]
    assert len(response.context["chart"].arrows) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["fulfillment:order_gantt", "fulfillment:work_order_gantt"])
def test_gantt_of_an_unknown_id_is_404(client, route):
    client.force_login(make_user("provisioning"))
    make_quote(status="accepted")

    response = client.get(reverse(route, args=[999_999]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_order_gantt_reads_the_same_number_of_queries_for_one_site_or_many(client):
    client.force_login(make_user("provisioning"))
    one_site, four_sites = make_quote(status="accepted").order, make_quote(status="accepted", lines=4).order

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("fulfillment:order_gantt", args=[one_site.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("fulfillment:order_gantt", args=[four_sites.pk]))

    assert len(many) == len(one)
