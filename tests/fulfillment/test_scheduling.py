import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from headend.fulfillment.scheduling import (
    BusinessCalendar,
    Dependency,
    Schedule,
    ScheduleCycleError,
    TaskNode,
    format_working_duration,
    schedule,
    slip_minutes,
)

NY = ZoneInfo("America/New_York")
HOLIDAY = dt.date(2026, 3, 4)  # a Wednesday; US daylight saving starts Sunday 2026-03-08
CALENDAR = BusinessCalendar.for_zone("America/New_York", holidays=[HOLIDAY])  # 09:00-17:00, 480 min a day
ORDER_START = dt.datetime(2026, 3, 2, 9, tzinfo=NY)  # Monday


def ny(*args: int) -> dt.datetime:
    """An instant given as wall-clock time where the provider is."""
    return dt.datetime(*args, tzinfo=NY)


def after(*keys: str, lag: int = 0) -> tuple[Dependency, ...]:
    return tuple(Dependency(key, lag) for key in keys)


def site(name: str, **changes: dict) -> list[TaskNode]:
    """One site's work order: survey, fiber lateral, a day of curing, CPE, circuit, turn-up."""
    tasks = [
        TaskNode(f"{name} survey", 240),
        TaskNode(f"{name} build", 2400, after(f"{name} survey")),
        TaskNode(f"{name} install", 240, after(f"{name} build", lag=480)),
        TaskNode(f"{name} circuit", 1),
        TaskNode(f"{name} turn-up", 120, after(f"{name} install", f"{name} circuit")),
    ]
    return [TaskNode(**{**vars(t), **changes.get(t.key.split()[-1], {})}) for t in tasks]


def three_sites(**changes_by_site: dict) -> list[TaskNode]:
    return [task for name in "ABC" for task in site(name, **changes_by_site.get(name, {}))]


def plan(nodes: list[TaskNode], **kwargs) -> Schedule:
    return schedule(nodes, start=ORDER_START, calendar=CALENDAR, **kwargs)


# Working-time arithmetic


def test_add_working_minutes_spills_past_closing_into_the_next_morning():
    assert CALENDAR.add_working_minutes(ny(2026, 3, 2, 16), 120) == ny(2026, 3, 3, 10)


@pytest.mark.parametrize(
    ("minutes", "finish"),
    [(480, ny(2026, 3, 2, 17)), (481, ny(2026, 3, 3, 9, 1))],
)
def test_add_working_minutes_ending_at_closing_finishes_that_evening(minutes, finish):
    assert CALENDAR.add_working_minutes(ny(2026, 3, 2, 9), minutes) == finish


def test_add_working_minutes_skips_the_weekend():
    assert CALENDAR.add_working_minutes(ny(2026, 2, 27, 15), 240) == ny(2026, 3, 2, 11)


def test_add_working_minutes_skips_a_holiday():
    assert CALENDAR.add_working_minutes(ny(2026, 3, 3, 16), 120) == ny(2026, 3, 5, 10)


@pytest.mark.parametrize(
    ("start", "finish", "finish_utc"),
    [
        # Spring forward: Friday 16:00 EST (21:00Z) + 2 h is Monday 10:00 EDT (14:00Z).
        (ny(2026, 3, 6, 16), ny(2026, 3, 9, 10), dt.datetime(2026, 3, 9, 14, tzinfo=dt.UTC)),
        # Fall back on 2026-11-01: Friday 16:00 EDT + 2 h is Monday 10:00 EST (15:00Z).
        (ny(2026, 10, 30, 16), ny(2026, 11, 2, 10), dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC)),
    ],
)
def test_add_working_minutes_across_a_dst_change_keeps_wall_clock_hours(start, finish, finish_utc):
    result = CALENDAR.add_working_minutes(start, 120)

    assert result == finish == finish_utc
    assert result.tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("minutes", "finish"),
    [
        (2400, ny(2026, 3, 9, 17)),  # five working days: Mon, Tue, Thu, Fri, Mon
        (100_000, ny(2026, 12, 18, 11, 40)),  # 208 working days and 160 minutes
    ],
)
def test_add_working_minutes_jumps_whole_days_for_long_work(minutes, finish):
    assert CALENDAR.add_working_minutes(ny(2026, 3, 2, 9), minutes) == finish


def test_add_zero_working_minutes_moves_the_start_into_working_time():
    assert CALENDAR.add_working_minutes(ny(2026, 2, 28, 12), 0) == ny(2026, 3, 2, 9)


def test_add_working_minutes_rejects_negative_minutes():
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_working_minutes(ny(2026, 3, 2, 9), -1)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (ny(2026, 3, 2, 10, 30, 15), ny(2026, 3, 2, 10, 30, 15)),  # working: unchanged, to the microsecond
        (ny(2026, 3, 2, 7), ny(2026, 3, 2, 9)),  # before opening
        (ny(2026, 3, 2, 16, 59), ny(2026, 3, 2, 16, 59)),  # last working minute
        (ny(2026, 3, 2, 17), ny(2026, 3, 3, 9)),  # closing time belongs to the next morning
        (ny(2026, 3, 3, 17), ny(2026, 3, 5, 9)),  # across the holiday
        (ny(2026, 3, 7, 12), ny(2026, 3, 9, 9)),  # Saturday, and the clocks change on Sunday
    ],
)
def test_next_working_instant(at, expected):
    assert CALENDAR.next_working_instant(at) == expected


def test_working_minutes_between_counts_only_working_time_both_ways():
    friday, monday = ny(2026, 3, 6, 16), ny(2026, 3, 9, 10)

    assert CALENDAR.working_minutes_between(friday, monday) == 120
    assert CALENDAR.working_minutes_between(monday, friday) == -120


def test_calendar_rejects_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        CALENDAR.next_working_instant(dt.datetime(2026, 3, 2, 9))


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (45, "45 min"), (480, "1 d"), (1140, "2 d 3 h"), (3359, "6 d 7 h 59 min"), (-300, "-5 h")],
)
def test_format_working_duration_in_working_days(minutes, text):
    assert format_working_duration(minutes, CALENDAR) == text


# The 3-site business order


def test_schedule_plans_each_site_on_the_business_calendar():
    forecast = plan(three_sites())

    build, install, turn_up = forecast["B build"], forecast["B install"], forecast["B turn-up"]
    assert (forecast["B survey"].start, forecast["B survey"].finish) == (ny(2026, 3, 2, 9), ny(2026, 3, 2, 13))
    # Five working days skip the Wednesday holiday and cross the DST change.
    assert (build.start, build.finish) == (ny(2026, 3, 2, 13), ny(2026, 3, 10, 13))
    # A working day of curing after the build; the CPE install ends at closing time.
    assert (install.start, install.finish) == (ny(2026, 3, 11, 13), ny(2026, 3, 11, 17))
    assert (turn_up.start, turn_up.finish) == (ny(2026, 3, 12, 9), ny(2026, 3, 12, 11))
    assert forecast.finish == ny(2026, 3, 12, 11) == dt.datetime(2026, 3, 12, 15, tzinfo=dt.UTC)


def test_schedule_gives_a_code_task_its_slack_until_turn_up():
    circuit = plan(three_sites())["A circuit"]

    assert (circuit.start, circuit.finish) == (ny(2026, 3, 2, 9), ny(2026, 3, 2, 9, 1))
    assert (circuit.late_start, circuit.late_finish) == (ny(2026, 3, 11, 16, 59), ny(2026, 3, 11, 17))
    assert (circuit.slack_minutes, circuit.critical) == (3359, False)


def test_schedule_critical_path_ties_go_to_the_first_listed_site():
    forecast = plan(three_sites())

    assert forecast.critical_path() == ["A survey", "A build", "A install", "A turn-up"]
    assert sorted(k for k, t in forecast.tasks.items() if t.critical) == sorted(
        f"{s} {step}" for s in "ABC" for step in ("survey", "build", "install", "turn-up")
    )


def test_schedule_critical_path_ties_between_predecessors_go_to_the_first_listed_task():
    nodes = [TaskNode("CPE", 240), TaskNode("lateral", 240), TaskNode("turn-up", 60, after("lateral", "CPE"))]

    assert plan(nodes).critical_path() == ["CPE", "turn-up"]


def test_schedule_late_build_moves_its_successors_and_go_live():
    baseline = plan(three_sites())
    late_build = {
        "survey": {"actual_start": ny(2026, 3, 2, 9), "actual_finish": ny(2026, 3, 2, 13)},
        # Planned to finish Tuesday 10 March 13:00; it finished Wednesday 10:00: 300 working minutes late.
        "build": {"actual_start": ny(2026, 3, 2, 13), "actual_finish": ny(2026, 3, 11, 10)},
    }

    current = plan(three_sites(B=late_build))

    assert (current["B install"].start, current["B install"].finish) == (ny(2026, 3, 12, 10), ny(2026, 3, 12, 14))
    assert (current["B turn-up"].start, current["B turn-up"].finish) == (ny(2026, 3, 12, 14), ny(2026, 3, 12, 16))
    assert current.finish == ny(2026, 3, 12, 16)
    assert slip_minutes(baseline, current) == 300
    assert slip_minutes(baseline, current, "A turn-up") == 0
    assert current.critical_path() == ["B install", "B turn-up"]
    assert current["A install"].slack_minutes == 300


def test_schedule_appointment_pushes_the_install_and_go_live():
    baseline = plan(three_sites())

    current = plan(three_sites(C={"install": {"not_before": ny(2026, 3, 16, 10)}}))

    assert (current["C install"].start, current["C turn-up"].finish) == (ny(2026, 3, 16, 10), ny(2026, 3, 16, 16))
    assert current.finish_of(k for k in current.tasks if k.startswith("A ")) == ny(2026, 3, 12, 11)
    assert current.finish == ny(2026, 3, 16, 16)
    assert slip_minutes(baseline, current) == 1260
    assert format_working_duration(1260, CALENDAR) == "2 d 5 h"
    assert current.critical_path() == ["C install", "C turn-up"]
    assert current["C build"].slack_minutes == 1260


def test_schedule_done_task_off_the_critical_path_keeps_go_live():
    done_late = {"circuit": {"actual_start": ny(2026, 3, 6, 9), "actual_finish": ny(2026, 3, 6, 9, 5)}}

    forecast = plan(three_sites(A=done_late))

    circuit = forecast["A circuit"]
    assert circuit.finish.tzinfo is dt.UTC
    assert (circuit.start, circuit.finish, circuit.slack_minutes, circuit.critical) == (
        ny(2026, 3, 6, 9),
        ny(2026, 3, 6, 9, 5),
        0,
        False,
    )
    assert forecast.finish == ny(2026, 3, 12, 11)
    assert forecast["A turn-up"].start == ny(2026, 3, 12, 9)


def test_schedule_does_not_plan_unstarted_work_before_now():
    forecast = plan(site("A"), now=ny(2026, 3, 3, 15))

    assert forecast["A survey"].start == ny(2026, 3, 3, 15)
    assert forecast["A build"].start == ny(2026, 3, 5, 11)
    assert forecast.finish == ny(2026, 3, 13, 17)


@pytest.mark.parametrize(
    ("now", "finish"),
    [
        (ny(2026, 3, 2, 10), ny(2026, 3, 2, 13)),  # on time: actual start + 240 minutes
        (ny(2026, 3, 2, 15, 30), ny(2026, 3, 2, 15, 30)),  # overran: it finishes no earlier than now
    ],
)
def test_schedule_in_progress_task_finishes_after_its_duration_or_now(now, finish):
    in_progress = {"survey": {"actual_start": ny(2026, 3, 2, 9)}}

    survey = plan(site("A", **in_progress), now=now)["A survey"]

    assert (survey.start, survey.finish, survey.critical) == (ny(2026, 3, 2, 9), finish, True)


def test_schedule_task_started_ahead_of_its_predecessor_no_longer_holds_it_to_a_date():
    nodes = [TaskNode("survey", 240), TaskNode("build", 480, after("survey"), actual_start=ny(2026, 3, 2, 9))]

    forecast = plan(nodes)

    assert (forecast["build"].start, forecast["build"].finish) == (ny(2026, 3, 2, 9), ny(2026, 3, 2, 17))
    assert (forecast["survey"].late_finish, forecast["survey"].slack_minutes) == (ny(2026, 3, 2, 17), 240)
    assert forecast.critical_path() == ["build"]


def test_schedule_milestone_finishes_when_it_starts_at_next_mornings_opening():
    nodes = [TaskNode("install", 480), TaskNode("ready for service", 0, after("install"))]

    forecast = plan(nodes)

    assert forecast["install"].finish == ny(2026, 3, 2, 17)
    milestone = forecast["ready for service"]
    assert (milestone.start, milestone.finish, milestone.critical) == (ny(2026, 3, 3, 9), ny(2026, 3, 3, 9), True)
    assert forecast.critical_path() == ["install", "ready for service"]


def test_schedule_rounds_seconds_up_to_the_next_minute():
    forecast = schedule([TaskNode("survey", 60)], start=ny(2026, 3, 2, 9, 0, 1), calendar=CALENDAR)

    assert (forecast["survey"].start, forecast["survey"].finish) == (ny(2026, 3, 2, 9, 1), ny(2026, 3, 2, 10, 1))


def test_schedule_with_no_tasks_goes_live_at_the_start():
    assert plan([]).finish == ny(2026, 3, 2, 9)


def test_schedule_cycle_is_named_without_the_tasks_waiting_on_it():
    nodes = [
        TaskNode("D", 60, after("A")),
        TaskNode("A", 60, after("C")),
        TaskNode("B", 60, after("A")),
        TaskNode("C", 60, after("B")),
    ]

    with pytest.raises(ScheduleCycleError, match=r"cycle: A -> B -> C -> A$") as raised:
        plan(nodes)

    assert raised.value.cycle == ("A", "B", "C", "A")


def test_schedule_task_waiting_on_itself_is_a_cycle():
    with pytest.raises(ScheduleCycleError, match=r"cycle: A -> A$"):
        plan([TaskNode("A", 60, after("A"))])


def test_schedule_rejects_an_unknown_predecessor():
    with pytest.raises(ValueError, match="'install' waits on unknown task 'survey'"):
        plan([TaskNode("install", 60, after("survey"))])


def test_schedule_rejects_a_repeated_key():
    with pytest.raises(ValueError, match="'survey' is listed twice"):
        plan([TaskNode("survey", 60), TaskNode("survey", 30)])


def test_task_rejects_negative_duration_and_lag():
    with pytest.raises(ValueError, match="duration must not be negative"):
        TaskNode("survey", -1)
    with pytest.raises(ValueError, match="Lag after 'survey' must not be negative"):
        Dependency("survey", -1)


def test_task_rejects_a_finish_without_a_start():
    with pytest.raises(ValueError, match="finished but never started"):
        TaskNode("survey", 60, actual_finish=ny(2026, 3, 2, 10))


# Properties on random orders


starts = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31), timezones=st.just(NY), allow_imaginary=False)


@st.composite
def orders(draw) -> list[TaskNode]:
    """Random task graphs, some with appointments: each task may wait on any earlier one, listed in a random order."""
    count = draw(st.integers(1, 14))
    nodes = []
    for i in range(count):
        waits_on = draw(st.lists(st.integers(0, i - 1), unique=True, max_size=3)) if i else []
        lags = [draw(st.integers(0, 1000)) for _ in waits_on]
        nodes.append(
            TaskNode(
                f"t{i}",
                draw(st.integers(0, 3000)),
                tuple(Dependency(f"t{j}", lag) for j, lag in zip(waits_on, lags, strict=True)),
                not_before=draw(st.none() | st.none() | starts),
            )
        )
    return draw(st.permutations(nodes))


def in_working_time(at: dt.datetime) -> bool:
    closing = at.astimezone(NY).time() == CALENDAR.day_end and CALENDAR.is_working_day(at.astimezone(NY).date())
    return CALENDAR.next_working_instant(at) == at or closing


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=orders(), start=starts, now=st.none() | starts)
def test_schedule_properties_on_random_orders(nodes, start, now):
    forecast = schedule(nodes, start=start, calendar=CALENDAR, now=now)

    for node in nodes:
        task = forecast[node.key]
        assert task.start >= max(at for at in (start, now, node.not_before) if at is not None)
        for dependency in node.predecessors:
            assert CALENDAR.add_working_minutes(forecast[dependency.key].finish, dependency.lag_minutes) <= task.start
        assert in_working_time(task.start)
        assert in_working_time(task.finish)
        assert CALENDAR.working_minutes_between(task.start, task.finish) == node.duration_minutes
        assert task.slack_minutes >= 0
        assert task.critical == (task.slack_minutes == 0)
    assert forecast.finish == max(t.finish for t in forecast.tasks.values())
    path = forecast.critical_path()
    assert path
    assert forecast[path[-1]].finish == forecast.finish
    assert all(forecast[key].critical for key in path)
    by_key = {node.key: node for node in nodes}
    assert all(before in {d.key for d in by_key[key].predecessors} for before, key in itertools.pairwise(path))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nodes=orders(), start=starts)
def test_schedule_dates_do_not_depend_on_the_order_tasks_are_listed(nodes, start):
    forward = schedule(nodes, start=start, calendar=CALENDAR)
    backward = schedule(nodes[::-1], start=start, calendar=CALENDAR)

    assert forward.finish == backward.finish
    assert forward.tasks == backward.tasks


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=starts, minutes=st.integers(0, 20_000))
def test_working_minutes_between_undoes_add_working_minutes(start, minutes):
    start = start.replace(second=0, microsecond=0)

    finish = CALENDAR.add_working_minutes(start, minutes)

    assert CALENDAR.working_minutes_between(start, finish) == minutes
    assert in_working_time(finish)
