"""Scheduling with capacity: the pure engine places skilled work on the technicians who have the
skill, within their hours and daily capacity, and around what is already booked for them."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headend.catalog import services as catalog_services
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.fulfillment import forecast, services
from headend.fulfillment.models import Appointment, Skill, Task, Technician, WorkOrder
from headend.fulfillment.scheduling import Booking, BusinessCalendar, Crew, Dependency, TaskNode, schedule
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from tests.conftest import FROZEN_AT
from tests.factories import define_change_templates, make_product, make_quote, make_user

NY = ZoneInfo("America/New_York")
HOLIDAY = dt.date(2026, 3, 4)  # a Wednesday
CALENDAR = BusinessCalendar.for_zone("America/New_York", holidays=[HOLIDAY])  # 09:00-17:00
MONDAY = dt.datetime(2026, 3, 2, 9, tzinfo=NY)
WEEK = 2400  # 40 working hours


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def crew(key: str, *skills: str, capacity: int | None = None, **hours) -> Crew:
    """A technician on the provider's calendar (its holidays too), with their own hours if given."""
    calendar = BusinessCalendar(
        NY,
        hours.get("day_start", CALENDAR.day_start),
        hours.get("day_end", CALENDAR.day_end),
        hours.get("weekdays", CALENDAR.weekdays),
        CALENDAR.holidays,
    )
    return Crew(key, calendar, frozenset(skills), capacity)


def splices(count: int = 3) -> list[TaskNode]:
    return [TaskNode(f"splice {n}", WEEK, skill="splicing") for n in range(1, count + 1)]


def plan(nodes, **kwargs):
    return schedule(nodes, start=MONDAY, calendar=CALENDAR, **kwargs)


def test_three_week_long_splices_with_one_splicer_run_one_after_the_other():
    forecast = plan(splices(), crews=[crew("maria", "splicing")])

    first, second, third = (forecast[f"splice {n}"] for n in (1, 2, 3))
    assert (first.start, first.finish) == (ny(2026, 3, 2, 9), ny(2026, 3, 9, 17))  # five days, not the holiday
    assert second.start == ny(2026, 3, 10, 9)  # when the first finishes
    assert third.start == ny(2026, 3, 17, 9)
    assert {first.crew, second.crew, third.crew} == {"maria"}
    assert forecast.finish == third.finish == ny(2026, 3, 23, 17)


def test_with_two_splicers_two_splices_run_at_once():
    forecast = plan(splices(), crews=[crew("maria", "splicing"), crew("tom", "splicing")])

    first, second, third = (forecast[f"splice {n}"] for n in (1, 2, 3))
    assert first.start == second.start == ny(2026, 3, 2, 9)
    assert {first.crew, second.crew} == {"maria", "tom"}
    assert third.start == ny(2026, 3, 10, 9)  # on whoever finished first (a tie: the first by name)
    assert third.crew == "maria"
    assert forecast.finish == ny(2026, 3, 16, 17)


def test_without_crews_every_task_runs_at_once_as_before():
    forecast = plan(splices())

    assert {forecast[f"splice {n}"].start for n in (1, 2, 3)} == {MONDAY}
    assert {forecast[f"splice {n}"].crew for n in (1, 2, 3)} == {None}


def test_a_skill_nobody_has_and_work_without_a_skill_are_not_levelled():
    nodes = [
        TaskNode("survey", 240),
        TaskNode("desk", 240),
        TaskNode("voice", 60, skill="voice"),
        TaskNode("other voice", 60, skill="voice"),
    ]

    forecast = plan(nodes, crews=[crew("maria", "splicing")])

    assert {task.start for task in forecast.tasks.values()} == {MONDAY}
    assert {task.crew for task in forecast.tasks.values()} == {None}


def test_a_technician_who_is_booked_takes_new_work_after_the_booking():
    booked = [Booking("maria", ny(2026, 3, 2, 9), ny(2026, 3, 3, 13))]  # another order's work

    forecast = plan([TaskNode("splice", 240, skill="splicing")], crews=[crew("maria", "splicing")], booked=booked)

    assert (forecast["splice"].start, forecast["splice"].finish) == (ny(2026, 3, 3, 13), ny(2026, 3, 3, 17))


def test_work_goes_to_the_qualified_technician_who_can_finish_first():
    booked = [Booking("maria", ny(2026, 3, 2, 9), ny(2026, 3, 2, 17))]

    forecast = plan(
        [TaskNode("splice", 240, skill="splicing")],
        crews=[crew("ines", "install"), crew("maria", "splicing"), crew("tom", "splicing")],
        booked=booked,
    )

    assert (forecast["splice"].crew, forecast["splice"].start) == ("tom", MONDAY)


def test_an_assigned_task_stays_with_its_technician():
    nodes = [TaskNode("first", 480, technician="maria"), TaskNode("second", 240, skill="splicing", technician="maria")]

    forecast = plan(nodes, crews=[crew("maria", "splicing"), crew("tom", "splicing")])

    assert forecast["second"].crew == "maria"
    assert forecast["second"].start == ny(2026, 3, 3, 9)


def test_assigned_work_is_placed_before_tentative_work_that_could_start_as_early():
    nodes = [
        TaskNode("tentative", 480, skill="splicing"),
        TaskNode("assigned", 480, skill="splicing", technician="maria"),
    ]

    forecast = plan(nodes, crews=[crew("maria", "splicing"), crew("tom", "splicing")])

    assert (forecast["assigned"].crew, forecast["assigned"].start) == ("maria", MONDAY)
    assert (forecast["tentative"].crew, forecast["tentative"].start) == ("tom", MONDAY)


def test_a_task_assigned_to_someone_who_is_no_crew_is_not_levelled():
    nodes = [TaskNode("a", 240, technician="office:7"), TaskNode("b", 240, technician="office:7")]

    forecast = plan(nodes, crews=[crew("maria", "splicing")])

    assert forecast["a"].start == forecast["b"].start == MONDAY


def test_daily_capacity_shortens_the_technicians_day():
    forecast = plan([TaskNode("splice", 480, skill="splicing")], crews=[crew("maria", "splicing", capacity=240)])

    # 09:00-13:00 a day: two days for eight hours (Monday, Tuesday).
    assert (forecast["splice"].start, forecast["splice"].finish) == (MONDAY, ny(2026, 3, 3, 13))


def test_a_technician_with_no_capacity_takes_no_work():
    forecast = plan(
        [TaskNode("splice", 240, skill="splicing")],
        crews=[crew("maria", "splicing", capacity=0), crew("tom", "splicing")],
    )

    assert forecast["splice"].crew == "tom"


def test_a_technician_works_their_own_hours_and_weekdays():
    saturday_shift = crew(
        "sam", "splicing", day_start=dt.time(7), day_end=dt.time(15), weekdays=frozenset({1, 2, 3, 4, 5})
    )
    friday_afternoon = ny(2026, 3, 6, 13)

    forecast = schedule(
        [TaskNode("splice", 600, skill="splicing")], start=friday_afternoon, calendar=CALENDAR, crews=[saturday_shift]
    )

    # Friday 13:00-15:00, Saturday 07:00-15:00: Saturday is a working day for Sam, not for the office.
    assert (forecast["splice"].start, forecast["splice"].finish) == (friday_afternoon, ny(2026, 3, 7, 15))


def test_successors_wait_for_levelled_work_and_slack_follows_the_technicians_sequence():
    nodes = [
        *splices(2),
        TaskNode("turn-up 1", 60, (Dependency("splice 1"),)),
        TaskNode("turn-up 2", 60, (Dependency("splice 2"),)),
        TaskNode("circuit", 1),
    ]

    forecast = plan(nodes, crews=[crew("maria", "splicing")])

    assert forecast["splice 1"].finish == ny(2026, 3, 9, 17)
    assert forecast["turn-up 1"].start == ny(2026, 3, 10, 9)  # the next working minute
    assert forecast["splice 2"].start == ny(2026, 3, 10, 9)
    assert forecast["turn-up 2"].start == ny(2026, 3, 17, 9)
    # The first splice holds the second (the same splicer): no slack although only its turn-up waits on it.
    assert (forecast["splice 1"].slack_minutes, forecast["splice 1"].critical) == (0, True)
    assert forecast["turn-up 1"].slack_minutes == WEEK
    assert forecast.critical_path() == ["splice 1", "splice 2", "turn-up 2"]
    assert forecast["circuit"].critical is False


def test_the_more_urgent_task_gets_the_technician_first():
    # Both can start Monday; the one with a long chain after it has no slack and goes first.
    nodes = [
        TaskNode("spare splice", 480, skill="splicing"),
        TaskNode("urgent splice", 480, skill="splicing"),
        TaskNode("build", WEEK, (Dependency("urgent splice"),)),
    ]

    forecast = plan(nodes, crews=[crew("maria", "splicing")])

    assert forecast["urgent splice"].start == MONDAY
    assert forecast["spare splice"].start == ny(2026, 3, 3, 9)


def test_work_in_progress_keeps_its_technician_busy():
    nodes = [
        TaskNode("started", 960, skill="splicing", technician="maria", actual_start=MONDAY),
        TaskNode("next", 240, skill="splicing"),
    ]

    forecast = plan(nodes, crews=[crew("maria", "splicing")], now=ny(2026, 3, 2, 12))

    assert forecast["started"].finish == ny(2026, 3, 3, 17)
    assert forecast["next"].start == ny(2026, 3, 5, 9)  # after the holiday


def test_work_after_a_started_task_is_placed_once():
    nodes = [
        TaskNode("started", 240, skill="splicing", actual_start=MONDAY),
        TaskNode("next", 240, (Dependency("started"),), skill="splicing"),
        TaskNode("last", 60, (Dependency("next"),)),
    ]

    forecast = plan(nodes, crews=[crew("maria", "splicing")], now=ny(2026, 3, 2, 10))

    assert (forecast["next"].start, forecast["next"].finish) == (ny(2026, 3, 2, 13), ny(2026, 3, 2, 17))
    assert forecast["last"].start == ny(2026, 3, 3, 9)
    assert forecast.critical_path() == ["started", "next", "last"]


@pytest.mark.parametrize("crews", [[], [crew("maria", "splicing")]])
def test_a_blocked_task_cannot_finish_before_now_plus_its_duration(crews):
    nodes = [
        TaskNode("splice", 480, skill="splicing", actual_start=MONDAY, blocked=True),
        TaskNode("turn-up", 60, (Dependency("splice"),)),
    ]

    unblocked = plan([TaskNode(**{**vars(nodes[0]), "blocked": False}), nodes[1]], crews=crews, now=ny(2026, 3, 2, 13))
    blocked = plan(nodes, crews=crews, now=ny(2026, 3, 2, 13))
    a_day_later = plan(nodes, crews=crews, now=ny(2026, 3, 3, 13))

    assert unblocked["splice"].finish == ny(2026, 3, 2, 17)
    assert blocked["splice"].finish == ny(2026, 3, 3, 13)
    assert blocked["turn-up"].start == ny(2026, 3, 3, 13)
    assert a_day_later["splice"].finish == ny(2026, 3, 5, 13)  # Wednesday is a holiday


def test_bookings_before_the_plan_and_for_unknown_crews_are_ignored():
    booked = [
        Booking("maria", ny(2026, 2, 2, 9), ny(2026, 2, 3, 9)),
        Booking("nobody", MONDAY, ny(2026, 3, 9, 9)),
    ]

    forecast = plan([TaskNode("splice", 60, skill="splicing")], crews=[crew("maria", "splicing")], booked=booked)

    assert forecast["splice"].start == MONDAY


def test_a_levelled_plan_is_the_same_every_time():
    nodes = [*splices(4), TaskNode("install", 240, (Dependency("splice 3"),), skill="install")]
    crews = [crew("maria", "splicing", "install"), crew("tom", "splicing")]

    assert plan(nodes, crews=crews) == plan(nodes, crews=crews)


def test_crew_rejects_a_negative_capacity():
    with pytest.raises(ValueError, match="capacity"):
        crew("maria", capacity=-1)


# Properties on random orders with crews

CREWS = [
    crew("a", "splicing", "install"),
    crew("b", "splicing", capacity=240),
    crew("c", "install", day_start=dt.time(7), day_end=dt.time(15), weekdays=frozenset({1, 2, 3, 4, 5})),
]
starts = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31), timezones=st.just(NY), allow_imaginary=False)


@st.composite
def orders(draw) -> list[TaskNode]:
    count = draw(st.integers(1, 12))
    nodes = []
    for i in range(count):
        waits_on = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        nodes.append(
            TaskNode(
                f"t{i}",
                draw(st.integers(0, 1500)),
                tuple(Dependency(f"t{j}", draw(st.integers(0, 600))) for j in waits_on),
                not_before=draw(st.none() | st.none() | starts),
                skill=draw(st.sampled_from([None, "splicing", "install", "voice"])),
                technician=draw(st.sampled_from([None, None, None, "a", "c", "office"])),
            )
        )
    return draw(st.permutations(nodes))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=orders(), start=starts, booked_at=st.none() | starts)
def test_levelled_plans_never_double_book_a_technician(nodes, start, booked_at):
    booked = [Booking("a", booked_at, booked_at + dt.timedelta(hours=30))] if booked_at else []
    forecast = schedule(nodes, start=start, calendar=CALENDAR, crews=CREWS, booked=booked)
    calendars = {c.key: c.planning_calendar for c in CREWS}

    by_crew: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    for node in nodes:
        task = forecast[node.key]
        assert task.start >= max(at for at in (start, node.not_before) if at is not None)
        for dependency in node.predecessors:
            assert CALENDAR.add_working_minutes(forecast[dependency.key].finish, dependency.lag_minutes) <= task.start
        assert task.slack_minutes >= 0
        assert task.critical == (task.slack_minutes == 0)
        if task.crew is not None:
            assert node.duration_minutes > 0
            assert node.technician == task.crew or (
                node.technician is None and node.skill in calendars_skills(task.crew)
            )
            assert calendars[task.crew].working_minutes_between(task.start, task.finish) == node.duration_minutes
            by_crew.setdefault(task.crew, []).append((task.start, task.finish))
        elif node.duration_minutes and (
            node.technician in ("a", "c") or (not node.technician and node.skill in ("splicing", "install"))
        ):
            pytest.fail(f"{node.key} should have been levelled")
    for key, spans in by_crew.items():
        spans += [(b.start, b.finish) for b in booked if b.crew == key]
        spans.sort()
        for (_, finish), (begin, _) in itertools.pairwise(spans):
            assert calendars[key].working_minutes_between(begin, finish) <= 0  # no working minute shared
    path = forecast.critical_path()
    assert path
    assert forecast[path[-1]].finish == forecast.finish
    assert all(forecast[key].critical for key in path)


def calendars_skills(key: str) -> frozenset[str]:
    return next(c.skills for c in CREWS if c.key == key)


# The forecast: technicians, their load from other orders, add-ons, blocks

EST = dt.timezone(dt.timedelta(hours=-5))


@pytest.fixture
def splicing():

    return Skill.objects.create(code="splicing", name="Fiber splicing")


def splicer(username: str, skill):

    technician = Technician.objects.create(user=make_user("provisioning", username=username))
    technician.skills.add(skill)
    return technician


def splice_product(count: int = 3, minutes: int = WEEK):

    return make_product(
        tasks=[
            TaskSpec(f"Splice {n}", role="provisioning", skill="splicing", planned_minutes=minutes)
            for n in range(1, count + 1)
        ]
    )


def accepted_order(version, lines: int = 1):

    return Order.objects.get(quote=make_quote(status="accepted", version=version, lines=lines))


def tasks_of(order):

    return list(Task.objects.filter(work_order__order_line__order=order).order_by("work_order_id", "position"))


@pytest.mark.django_db
def test_the_forecast_runs_three_week_long_splices_one_after_the_other_with_one_splicer(splicing):
    maria = splicer("maria", splicing)

    first, second, third = tasks_of(accepted_order(splice_product()))

    assert second.forecast_start == first.forecast_finish
    assert third.forecast_start == second.forecast_finish
    assert {first.forecast_technician, second.forecast_technician, third.forecast_technician} == {maria}
    # 08:00-16:00 (480 minutes a day) from Monday 10:00: five days later, 10:00.
    assert first.forecast_finish == dt.datetime(2026, 3, 9, 10, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    assert third.work_order.forecast_finish == third.forecast_finish


@pytest.mark.django_db
def test_the_forecast_runs_two_splices_at_once_with_two_splicers(splicing):
    maria, tom = splicer("maria", splicing), splicer("tom", splicing)

    first, second, third = tasks_of(accepted_order(splice_product()))

    assert first.forecast_start == second.forecast_start
    assert {first.forecast_technician, second.forecast_technician} == {maria, tom}
    assert third.forecast_start == first.forecast_finish


@pytest.mark.django_db
def test_an_order_fits_around_what_other_orders_already_hold_a_technician_to(splicing):

    maria = splicer("maria", splicing)
    (earlier,) = tasks_of(accepted_order(splice_product(count=1, minutes=480)))
    (visit,) = tasks_of(accepted_order(splice_product(count=1, minutes=60)))
    Appointment.objects.create(
        task=visit,
        technician=maria,
        start=dt.datetime(2026, 3, 3, 11, tzinfo=EST),
        end=dt.datetime(2026, 3, 3, 14, tzinfo=EST),
        booked_at=FROZEN_AT,
    )

    (later,) = tasks_of(accepted_order(splice_product(count=1, minutes=480)))

    # The first order holds Maria Monday 10:00 to Tuesday 10:00 (her day is 08:00-16:00: 480
    # minutes), the second the hour after that, a visit Tuesday 11:00-14:00: the third order's
    # day of work starts after it and ends Wednesday 14:00.
    assert earlier.forecast_technician == later.forecast_technician == maria
    assert later.forecast_start == dt.datetime(2026, 3, 3, 14, tzinfo=EST)
    assert later.forecast_finish == dt.datetime(2026, 3, 4, 14, tzinfo=EST)
    assert visit.forecast_start == earlier.forecast_finish == dt.datetime(2026, 3, 3, 10, tzinfo=EST)


@pytest.mark.django_db
def test_an_assigned_task_is_planned_on_its_technician(splicing):

    maria, tom = splicer("maria", splicing), splicer("tom", splicing)
    first, second, third = tasks_of(accepted_order(splice_product(minutes=240)))

    for task in (first, second, third):
        services.task_assign(task=task, assignee=tom.user, assigned_by=None)

    first, second, third = tasks_of(first.work_order.order_line.order)
    assert {first.forecast_technician, second.forecast_technician, third.forecast_technician} == {tom}
    assert second.forecast_start >= first.forecast_finish
    assert third.forecast_start >= second.forecast_finish
    assert maria.forecast_tasks.count() == 0


@pytest.mark.django_db
def test_a_block_moves_the_forecast_and_each_day_blocked_moves_it_further():

    order = accepted_order(
        make_product(
            tasks=[
                TaskSpec("Build", role="provisioning", planned_minutes=540),
                TaskSpec("Turn up", role="provisioning", planned_minutes=60, depends_on=["Build"], turns_up=True),
            ]
        )
    )
    build, _ = tasks_of(order)
    services.task_start(task=build, started_by=None)
    before = tasks_of(order)[1].forecast_finish

    with clock.frozen(FROZEN_AT + dt.timedelta(hours=4)):  # 14:00: half the build is done
        services.task_block(task=build, reason="No access to the pole", blocked_by=None)
    blocked = tasks_of(order)
    # Blocked, the build cannot finish before now plus its whole day: Tuesday 14:00, then the turn-up.
    assert blocked[0].forecast_finish == dt.datetime(2026, 3, 3, 14, tzinfo=EST)
    assert blocked[1].forecast_finish == dt.datetime(2026, 3, 3, 15, tzinfo=EST) > before

    next_day = FROZEN_AT + dt.timedelta(days=1)
    assert forecast.reforecast_blocked(at=next_day) == 1
    assert tasks_of(order)[1].forecast_finish == dt.datetime(2026, 3, 4, 11, tzinfo=EST)

    daily = forecast.DailyReforecast()
    with clock.frozen(next_day + dt.timedelta(days=1)):
        assert daily(lambda: False) == 1
        assert daily(lambda: False) == 0  # once a day
    assert tasks_of(order)[1].forecast_finish == dt.datetime(2026, 3, 5, 11, tzinfo=EST)

    with clock.frozen(next_day + dt.timedelta(days=1, hours=1)):
        services.task_unblock(task=build, unblocked_by=None)
    # Unblocked, it is expected to take its planned day from when it started: long past, so now.
    assert tasks_of(order)[0].forecast_finish == dt.datetime(2026, 3, 4, 11, tzinfo=EST)


def addon_of(base):

    product = catalog_services.product_create(
        code="managed-wifi", name="Managed Wi-Fi", kind="addon", customer_type="any", addon_of=[base.product]
    )
    version = catalog_services.version_create(
        product=product, effective_from=dt.date(2020, 1, 1), prices={12: ("12.00", "0.00")}
    )
    catalog_services.template_define(
        product=product,
        action="add",
        name="Managed Wi-Fi",
        tasks=[TaskSpec("Configure on the customer's service", role="provisioning", planned_minutes=30)],
    )
    define_change_templates(product)
    return catalog_services.version_publish(version=version)


def circuit():

    return make_product(
        customer_type="business",
        tasks=[
            TaskSpec("Site survey", role="provisioning", planned_minutes=240),
            TaskSpec("Build fiber lateral", role="provisioning", planned_minutes=2400, depends_on=["Site survey"]),
            TaskSpec(
                "Turn-up", role="provisioning", planned_minutes=120, turns_up=True, depends_on=["Build fiber lateral"]
            ),
            TaskSpec("Customer sign-off", kind="milestone", planned_minutes=0, depends_on=["Turn-up"]),
        ],
    )


@pytest.mark.django_db
def test_a_managed_wifi_add_on_ordered_with_its_circuit_goes_live_after_the_circuit():

    base = circuit()
    wifi = addon_of(base)
    quote = make_quote(version=base, lines=1)
    quoting_services.quote_line_add(
        quote=quote, location=quote.lines.get().location, product_version=wifi, term_months=12
    )
    quoting_services.quote_present(quote=quote)
    order = Order.objects.get(quote=quoting_services.quote_accept(quote=quote, accepted_by_name="Pat"))

    circuit_work = WorkOrder.objects.get(order_line__order=order, order_line__product_version=base)
    wifi_work = WorkOrder.objects.get(order_line__order=order, order_line__product_version=wifi)
    turn_up = Task.objects.get(work_order=circuit_work, name="Turn-up")
    configure = wifi_work.tasks.get()
    assert configure.forecast_start >= turn_up.forecast_finish
    assert wifi_work.forecast_finish > circuit_work.forecast_finish - dt.timedelta(minutes=1)
    assert wifi_work.forecast_finish - circuit_work.planned_finish < dt.timedelta(days=1)


@pytest.mark.django_db
def test_an_add_on_whose_base_is_installed_by_another_open_order_waits_for_that_turn_up():

    base = circuit()
    base_order = accepted_order(base)
    base_service = Service.objects.get(order_line__order=base_order)
    turn_up = Task.objects.get(work_order__service=base_service, name="Turn-up")
    # An add-on's order placed while the base is still being installed (the API or an import
    # can: a quote offers only live bases).
    other = make_product(tasks=[TaskSpec("Configure")])
    addon_order = Order.objects.get(quote=make_quote(status="accepted", version=other))
    addon_service = Service.objects.get(order_line__order=addon_order)
    Service.objects.filter(pk=addon_service.pk).update(base_service=base_service)

    forecast.order_forecast(order=addon_order, at=FROZEN_AT)

    configure = Task.objects.get(work_order__service=addon_service)
    assert configure.forecast_start >= turn_up.forecast_finish
    assert WorkOrder.objects.get(service=addon_service).forecast_finish > turn_up.forecast_finish

    # Once the base is live, nothing holds the add-on.
    Task.objects.filter(work_order__service=base_service).update(status="done", completed_at=FROZEN_AT)
    WorkOrder.objects.filter(service=base_service).update(status="completed")
    forecast.order_forecast(order=addon_order, at=FROZEN_AT)
    assert Task.objects.get(work_order__service=addon_service).forecast_start == FROZEN_AT


@pytest.mark.django_db
@pytest.mark.parametrize("lines", [10, 100])
def test_the_forecast_reads_a_fixed_number_of_statements_whatever_the_order_size(
    lines, splicing, django_assert_num_queries
):

    maria, _ = splicer("maria", splicing), splicer("tom", splicing)
    (other,) = tasks_of(accepted_order(splice_product(count=1, minutes=60)))  # their load elsewhere
    Appointment.objects.create(
        task=other, technician=maria, start=FROZEN_AT, end=FROZEN_AT + dt.timedelta(hours=4), booked_at=FROZEN_AT
    )
    order = accepted_order(splice_product(count=2, minutes=240), lines=lines)
    assert sum(task.forecast_technician_id is not None for task in tasks_of(order)) == 2 * lines

    # Eight reads (the tasks, their dependencies, the holidays, the work orders, the technicians,
    # their skills, other orders' levelled tasks, the visits), two writes (the tasks and the work
    # orders that moved, one statement each), and the order's go-live (read, written, its
    # history, the forecast_changed event): the same for 10 lines and for 100.
    with django_assert_num_queries(14):
        forecast.order_forecast(order=order, at=FROZEN_AT + dt.timedelta(days=1))
