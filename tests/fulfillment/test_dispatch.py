"""The dispatch calendar: what it shows (technicians by day, visits and tasks, load against
capacity, unassigned skilled work) and the moves made on it (assign, reschedule, a visit moved
with its window), refused with the reason and nothing written when a rule says no."""

import datetime as dt

import pytest
from django.urls import reverse

from headend.catalog.services import TaskSpec
from headend.core.errors import Conflict, Forbidden, ValidationError
from headend.core.models import OutboxEvent
from headend.fulfillment import dispatch, dispatching, services
from headend.fulfillment.models import Appointment, Holiday, Skill, Task, Technician, WorkOrder
from tests.conftest import outbox_names
from tests.factories import make_product, make_quote, make_user

pytestmark = pytest.mark.django_db

EST = dt.timezone(dt.timedelta(hours=-5))
MONDAY, TUESDAY, WEDNESDAY, FRIDAY = (dt.date(2026, 3, day) for day in (2, 3, 4, 6))
SCRIPT = {"HTTP_HX_REQUEST": "true"}  # what dispatch.js sends with a drop or a Move… form


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in the first week of March 2026 in New York (EST); the clock is Mon 2 March 10:00."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=EST)


@pytest.fixture
def crew() -> dict:
    """Maria splices and installs (07:00-16:00, Mon-Fri); Tom installs (09:00-18:00, Mon-Thu);
    Pat (provisioning) dispatches."""
    splicing = Skill.objects.create(code="splicing", name="Fiber splicing")
    install = Skill.objects.create(code="install", name="Customer installation")
    maria = Technician.objects.create(
        user=make_user("provisioning", username="maria", first_name="Maria", last_name="Splicer"),
        day_start=dt.time(7),
        day_end=dt.time(16),
    )
    maria.skills.add(splicing, install)
    tom = Technician.objects.create(
        user=make_user("provisioning", username="tom", first_name="Tom", last_name="Installer"),
        day_start=dt.time(9),
        day_end=dt.time(18),
        weekdays="0123",
    )
    tom.skills.add(install)
    return {"maria": maria, "tom": tom, "pat": make_user("provisioning", username="pat")}  # Pat dispatches


def splice_and_install(lines: int = 1) -> list[WorkOrder]:
    """Work orders (one per line, in Eastport): Splice (5 h, splicing), then Install (2 h,
    installation, booked with the customer)."""
    version = make_product(
        tasks=[
            TaskSpec("Splice", role="provisioning", planned_minutes=300, skill="splicing"),
            TaskSpec(
                "Install",
                role="provisioning",
                planned_minutes=120,
                skill="install",
                needs_appointment=True,
                depends_on=["Splice"],
            ),
        ]
    )
    order = make_quote(status="accepted", lines=lines, version=version).order
    # Which technician the forecast places unassigned work on is the scheduler's to test; here
    # each test arranges it (`place`, `forecast_on`).
    Task.objects.filter(work_order__order_line__order=order).update(forecast_technician=None)
    return list(WorkOrder.objects.filter(order_line__order=order).order_by("order_line__position"))


def task(work_order: WorkOrder, name: str) -> Task:
    return work_order.tasks.get(name=name)


def place(task: Task, technician: Technician, start: dt.datetime, finish: dt.datetime) -> None:
    """Arrange a task as assigned and forecast (the grid reads what the forecast stored)."""
    Task.objects.filter(pk=task.pk).update(assignee=technician.user, forecast_start=start, forecast_finish=finish)


def forecast_on(task: Task, technician: Technician, start: dt.datetime, finish: dt.datetime) -> None:
    """Arrange an unassigned task as forecast on a technician."""
    Task.objects.filter(pk=task.pk).update(forecast_technician=technician, forecast_start=start, forecast_finish=finish)


def grid(user=None, view="week", anchor=MONDAY, skill="") -> dispatch.DispatchGrid:
    return dispatch.dispatch_grid(user=user or make_user("provisioning"), view=view, anchor=anchor, skill=skill)


def cell(grid: dispatch.DispatchGrid, technician: Technician, day: dt.date) -> dispatch.Cell:
    row = next(row for row in grid.rows if row.technician.pk == technician.pk)
    return next(cell for cell in row.cells if cell.day == day)


def names(cell: dispatch.Cell) -> list[tuple[str, str, str, str]]:
    return [(b.kind, b.task.name, f"{b.start:%H:%M}", f"{b.end:%H:%M}") for b in cell.blocks]


# --- What the calendar shows ------------------------------------------------------------------


def test_the_week_has_a_column_per_working_day_and_a_row_per_active_technician(crew):
    Technician.objects.create(user=make_user("provisioning", username="zed"), active=False)

    week = grid(anchor=WEDNESDAY)

    assert [day.date for day in week.days] == [MONDAY + dt.timedelta(days=n) for n in range(5)]
    assert [str(row.technician) for row in week.rows] == ["Maria Splicer", "Tom Installer"]
    assert (week.previous, week.next, week.today) == (dt.date(2026, 2, 25), dt.date(2026, 3, 11), MONDAY)
    maria = week.rows[0]
    assert (maria.skills, maria.hours, maria.capacity) == (
        ("Customer installation", "Fiber splicing"),
        "07:00-16:00, Mon-Fri",
        "8 h a day",
    )


def test_an_assigned_task_is_a_block_on_its_day_with_its_load_against_capacity(crew):
    (work_order,) = splice_and_install()
    place(task(work_order, "Splice"), crew["maria"], local(2, 10), local(2, 15))

    monday = cell(grid(), crew["maria"], MONDAY)

    assert names(monday) == [("task", "Splice", "10:00", "15:00")]
    block = monday.blocks[0]
    assert (block.number, block.town, block.forecast_only, block.movable) == (
        work_order.number,
        "Eastport",
        False,
        True,
    )
    assert block.href == f"/work/{work_order.pk}/#task-{block.task.pk}"
    assert (monday.load_minutes, monday.load_label, monday.over) == (300, "5 h of 8 h", False)
    assert cell(grid(), crew["maria"], TUESDAY).blocks == ()


def test_a_task_over_several_days_is_a_block_on_each_day_in_the_technicians_planned_day(crew):
    (work_order,) = splice_and_install()
    # 13 hours on Maria's planned day (07:00 to 15:00, her eight hours from the start of her day):
    # Monday 12:00-15:00, Tuesday all day, Wednesday 07:00-09:00.
    Task.objects.filter(pk=task(work_order, "Splice").pk).update(planned_minutes=780)
    place(task(work_order, "Splice"), crew["maria"], local(2, 12), local(4, 9))

    week = grid()

    assert names(cell(week, crew["maria"], MONDAY)) == [("task", "Splice", "12:00", "15:00")]
    assert names(cell(week, crew["maria"], TUESDAY)) == [("task", "Splice", "07:00", "15:00")]
    assert names(cell(week, crew["maria"], WEDNESDAY)) == [("task", "Splice", "07:00", "09:00")]
    loads = [cell(week, crew["maria"], day).load_label for day in (MONDAY, TUESDAY, WEDNESDAY)]
    assert loads == ["3 h of 8 h", "8 h of 8 h", "2 h of 8 h"]
    assert {b.start_day for day in (MONDAY, TUESDAY, WEDNESDAY) for b in cell(week, crew["maria"], day).blocks} == {
        MONDAY
    }


def test_a_task_fixed_outside_the_planned_day_shows_where_it_starts(crew):
    (work_order,) = splice_and_install()
    place(task(work_order, "Install"), crew["maria"], local(3, 15, 30), local(3, 17, 30))

    assert names(cell(grid(), crew["maria"], TUESDAY)) == [("task", "Install", "15:30", "17:30")]
    assert cell(grid(), crew["maria"], TUESDAY).load_label == "2 h of 8 h"


def test_a_day_over_capacity_is_flagged(crew):
    first, second = splice_and_install(lines=2)
    place(task(first, "Splice"), crew["maria"], local(3, 8), local(3, 13))
    place(task(second, "Splice"), crew["maria"], local(3, 11), local(3, 16))

    tuesday = cell(grid(), crew["maria"], TUESDAY)

    assert (tuesday.load_label, tuesday.over) == ("9 h of 8 h", True)  # 08:00-13:00 and 11:00-15:00
    assert [b.number for b in tuesday.blocks] == [first.number, second.number]


def test_unassigned_work_the_forecast_placed_on_a_technician_is_a_forecast_block(crew):
    (work_order,) = splice_and_install()
    forecast_on(task(work_order, "Splice"), crew["maria"], local(3, 8), local(3, 13))

    (block,) = cell(grid(), crew["maria"], TUESDAY).blocks

    assert (block.task.name, block.forecast_only, block.technician_id) == ("Splice", True, crew["maria"].pk)
    assert cell(grid(), crew["maria"], TUESDAY).load_label == "5 h of 8 h"


def test_a_booked_visit_is_a_block_in_its_window_and_its_task_is_not_drawn_twice(crew):
    (work_order,) = splice_and_install()
    install = task(work_order, "Install")
    Appointment.objects.create(
        task=install, technician=crew["tom"], start=local(3, 12), end=local(3, 17), booked_at=local(2, 10)
    )
    place(install, crew["tom"], local(3, 12), local(3, 14))

    tuesday = cell(grid(), crew["tom"], TUESDAY)

    assert names(tuesday) == [("visit", "Install", "12:00", "17:00")]
    assert tuesday.load_label == "2 h of 8 h"  # the task's two hours, not the five-hour window
    assert tuesday.blocks[0].warning == ""


def test_a_visit_booked_before_its_work_can_start_says_so(crew):
    (work_order,) = splice_and_install()
    install = task(work_order, "Install")
    Appointment.objects.create(
        task=install, technician=crew["tom"], start=local(3, 12), end=local(3, 17), booked_at=local(2, 10)
    )
    place(install, crew["tom"], local(5, 9), local(5, 11))  # the splice runs late

    (visit,) = cell(grid(), crew["tom"], TUESDAY).blocks

    assert visit.warning == "Can start Thu Mar 5 09:00 at the earliest"


def test_a_blocked_task_shows_with_its_reason(crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    place(splice, crew["maria"], local(2, 10), local(2, 15))
    services.task_block(task=Task.objects.get(pk=splice.pk), reason="No permit yet", blocked_by=None)
    place(splice, crew["maria"], local(2, 10), local(2, 15))

    (block,) = cell(grid(), crew["maria"], MONDAY).blocks

    assert (block.blocked, block.task.blocked_reason, block.movable) == (True, "No permit yet", True)


def test_days_off_and_holidays_have_no_capacity(crew):
    Holiday.objects.create(date=WEDNESDAY, name="Town meeting day")

    week = grid()

    wednesday = cell(week, crew["maria"], WEDNESDAY)
    friday = cell(week, crew["tom"], FRIDAY)
    assert (wednesday.works, wednesday.off_reason, wednesday.capacity_minutes) == (
        False,
        "Holiday: Town meeting day",
        0,
    )
    assert (friday.works, friday.off_reason) == (False, "Day off")
    assert [day.holiday for day in week.days] == ["", "", "Town meeting day", "", ""]


def test_the_unassigned_list_has_open_skilled_tasks_with_their_window_filterable_by_skill(crew):
    first, second = splice_and_install(lines=2)
    services.task_assign(task=task(second, "Splice"), assignee=crew["maria"].user, assigned_by=None)

    everything = grid().unassigned
    splicing = grid(skill="splicing").unassigned

    # Soonest first, as the levelled forecast plans them (Maria's assigned splice goes first).
    assert sorted((b.number, b.task.name, b.task.skill.code) for b in everything) == [
        (first.number, "Install", "install"),
        (first.number, "Splice", "splicing"),
        (second.number, "Install", "install"),
    ]
    assert [b.start for b in everything] == sorted(b.start for b in everything)
    assert [(b.number, b.task.name) for b in splicing] == [(first.number, "Splice")]
    splice = task(first, "Splice")
    (listed,) = splicing
    assert (listed.start, listed.end) == (splice.forecast_start, splice.forecast_finish)
    assert listed.duration == "5 h"


def test_the_skill_filter_keeps_the_technicians_who_have_it(crew):
    assert [str(row.technician) for row in grid(skill="splicing").rows] == ["Maria Splicer"]


def test_the_day_view_shows_one_day_and_steps_over_days_nobody_works(crew):
    day = grid(view="day", anchor=FRIDAY)

    assert [d.date for d in day.days] == [FRIDAY]
    assert (day.previous, day.next) == (dt.date(2026, 3, 5), dt.date(2026, 3, 9))  # Thursday, Monday


def test_a_move_menu_says_who_lacks_the_skill(crew):
    splice_and_install()

    splice = next(b for b in grid().unassigned if b.task.name == "Splice")

    assert [(c.name, c.note) for c in splice.choices] == [
        ("Maria Splicer", ""),
        ("Tom Installer", "lacks Fiber splicing"),
    ]


def test_hours_label():
    assert [dispatch.hours_label(m) for m in (0, 45, 60, 390, 480)] == ["0 h", "45 min", "1 h", "6 h 30 min", "8 h"]


# --- Moves ----------------------------------------------------------------------------------


def test_dispatching_an_unassigned_task_assigns_it_and_fixes_its_day_and_reforecasts(crew):
    (work_order,) = splice_and_install()
    splice, install = task(work_order, "Splice"), task(work_order, "Install")
    dispatcher = make_user("provisioning")

    moved = dispatching.task_dispatch(task=splice, technician=crew["maria"], day=WEDNESDAY, moved_by=dispatcher)

    # Its time of day (10:00, when the forecast had it) is kept: Maria works then.
    assert (moved.assignee, moved.not_before, moved.forecast_start) == (crew["maria"].user, local(4, 10), local(4, 10))
    install.refresh_from_db()
    assert install.forecast_start >= moved.forecast_finish > local(4, 10)
    assert outbox_names(subject=splice)[-2:] == ["task.assigned", "task.rescheduled"]
    assert cell(grid(), crew["maria"], WEDNESDAY).blocks[0].task.pk == splice.pk


def test_dispatching_to_another_day_of_the_same_technician_reschedules_only(crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    dispatching.task_dispatch(task=splice, technician=crew["maria"], day=MONDAY, moved_by=crew["pat"])
    before = OutboxEvent.objects.count()

    moved = dispatching.task_dispatch(task=splice, technician=crew["maria"], day=TUESDAY, moved_by=crew["pat"])

    assert (moved.assignee, moved.not_before) == (crew["maria"].user, local(3, 10))
    assert list(OutboxEvent.objects.order_by("id").values_list("name", flat=True)[before:]).count("task.assigned") == 0


def test_a_start_outside_the_technicians_hours_moves_to_the_start_of_their_day(crew):
    (work_order,) = splice_and_install()
    install = task(work_order, "Install")  # forecast Monday 15:00, after the splice
    Task.objects.filter(pk=install.pk).update(forecast_start=local(2, 8))

    moved = dispatching.task_dispatch(task=install, technician=crew["tom"], day=TUESDAY, moved_by=crew["pat"])

    assert moved.not_before == local(3, 9)  # Tom starts at 09:00


def test_a_technician_without_the_skill_is_refused_and_nothing_is_written(crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    before = OutboxEvent.objects.count()

    with pytest.raises(ValidationError) as error:
        dispatching.task_dispatch(task=splice, technician=crew["tom"], day=TUESDAY, moved_by=crew["pat"])

    assert (error.value.field, error.value.code) == ("technician", "missing_skill")
    assert error.value.message == "Tom Installer lacks the skill Fiber splicing this task needs."
    splice.refresh_from_db()
    assert (splice.assignee, splice.not_before, OutboxEvent.objects.count()) == (None, None, before)


@pytest.mark.parametrize(
    ("technician", "day", "code", "message"),
    [
        ("tom", FRIDAY, "not_working_day", "Tom Installer does not work on Fridays."),
        ("maria", dt.date(2026, 3, 7), "not_working_day", "Maria Splicer does not work on Saturdays."),
        ("maria", WEDNESDAY, "holiday", "Wed Mar 4 is a holiday (Town meeting day): no work is scheduled."),
        ("maria", dt.date(2026, 2, 27), "past_day", "Pick today or a later day."),
        ("maria", dt.date(2028, 3, 3), "too_far", "Pick a day within the next two years."),
    ],
)
def test_a_day_the_technician_does_not_work_is_refused_and_nothing_is_written(crew, technician, day, code, message):
    Holiday.objects.create(date=WEDNESDAY, name="Town meeting day")
    (work_order,) = splice_and_install()
    install = task(work_order, "Install")

    with pytest.raises(ValidationError) as error:
        dispatching.task_dispatch(task=install, technician=crew[technician], day=day, moved_by=crew["pat"])

    assert (error.value.field, error.value.code, error.value.message) == ("date", code, message)
    install.refresh_from_db()
    assert (install.assignee, install.not_before) == (None, None)


@pytest.fixture
def booked_install(crew) -> Task:
    """The install booked with Tom on Tuesday 12:00-17:00 (the afternoon window)."""
    (work_order,) = splice_and_install()
    install = task(work_order, "Install")
    Appointment.objects.create(
        task=install, technician=crew["tom"], start=local(3, 12), end=local(3, 17), booked_at=local(2, 10)
    )
    Task.objects.filter(pk=install.pk).update(assignee=crew["tom"].user, not_before=local(3, 12))
    return Task.objects.get(pk=install.pk)


def test_a_booked_visit_moves_with_its_window_and_the_customer_is_told(crew, booked_install):
    old = Appointment.objects.get(task=booked_install)

    moved = dispatching.task_dispatch(task=booked_install, technician=crew["tom"], day=WEDNESDAY, moved_by=crew["pat"])

    old.refresh_from_db()
    new = Appointment.objects.get(task=booked_install, status="booked")
    assert old.status == "cancelled"
    assert (new.technician, new.start, new.end) == (crew["tom"], local(4, 12), local(4, 17))
    assert (moved.assignee, moved.not_before, moved.forecast_start) == (crew["tom"].user, local(4, 12), local(4, 12))
    assert outbox_names(subject=new) == ["appointment.booked"]  # the customer's email of the new date


def test_a_visit_given_to_another_technician_the_same_day_keeps_its_booking(crew, booked_install):
    crew["maria"].day_end = dt.time(17)
    crew["maria"].save()
    old = Appointment.objects.get(task=booked_install)

    dispatching.task_dispatch(task=booked_install, technician=crew["maria"], day=TUESDAY, moved_by=crew["pat"])

    old.refresh_from_db()
    assert (old.status, old.technician, old.start) == ("booked", crew["maria"], local(3, 12))
    assert outbox_names(name_prefix="appointment.") == []
    assert Task.objects.get(pk=booked_install.pk).assignee == crew["maria"].user


def test_a_visit_outside_the_technicians_hours_is_refused(crew, booked_install):
    with pytest.raises(ValidationError) as error:
        dispatching.task_dispatch(task=booked_install, technician=crew["maria"], day=WEDNESDAY, moved_by=crew["pat"])

    assert (error.value.field, error.value.code) == ("technician", "outside_working_hours")
    assert error.value.message == "Maria Splicer works 07:00-16:00; the visit window 12:00-17:00 is outside it."
    assert list(Appointment.objects.filter(task=booked_install).values_list("status", "start")) == [
        ("booked", local(3, 12))
    ]


def test_a_visit_on_a_technicians_booked_window_is_refused(crew, booked_install):
    (other,) = splice_and_install()
    Appointment.objects.create(
        task=task(other, "Install"),
        technician=crew["tom"],
        start=local(4, 12),
        end=local(4, 17),
        booked_at=local(2, 10),
    )

    with pytest.raises(ValidationError) as error:
        dispatching.task_dispatch(task=booked_install, technician=crew["tom"], day=WEDNESDAY, moved_by=crew["pat"])

    assert (error.value.code, error.value.message) == (
        "slot_taken",
        "Tom Installer already has a visit on Wed Mar 4 12:00-17:00.",
    )


def test_a_move_from_a_stale_page_is_refused(crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    seen = dispatching.move_stamp(splice, None)
    dispatching.task_dispatch(task=splice, technician=crew["maria"], day=TUESDAY, moved_by=crew["pat"])  # someone else

    with pytest.raises(Conflict) as error:
        dispatching.task_dispatch(
            task=splice, technician=crew["maria"], day=WEDNESDAY, moved_by=crew["pat"], stamp=seen
        )

    assert error.value.code == "stale_move"
    assert "it is now with Maria Splicer on Tue Mar 3" in error.value.message
    assert Task.objects.get(pk=splice.pk).not_before == local(3, 10)


def test_a_started_task_is_not_moved(crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    services.task_start(task=splice, started_by=crew["maria"].user)

    with pytest.raises(Conflict) as error:
        dispatching.task_dispatch(task=splice, technician=crew["maria"], day=TUESDAY, moved_by=crew["pat"])

    assert error.value.code == "task_started"


def test_sales_may_not_dispatch(crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")

    with pytest.raises(Forbidden):
        dispatching.task_dispatch(task=splice, technician=crew["maria"], day=TUESDAY, moved_by=make_user("sales"))

    assert Task.objects.get(pk=splice.pk).assignee is None


# --- The pages ------------------------------------------------------------------------------


def move_url(task: Task) -> str:
    return reverse("fulfillment:dispatch_move", args=[task.pk])


def test_the_page_shows_the_calendar_to_provisioning(client, crew):
    (work_order,) = splice_and_install()
    place(task(work_order, "Splice"), crew["maria"], local(2, 10), local(2, 15))
    client.force_login(make_user("provisioning"))

    response = client.get(reverse("fulfillment:dispatch"), {"view": "week", "date": "2026-03-02"})

    assert response.status_code == 200
    page = response.content.decode()
    for text in ("5 h of 8 h", "Mon Mar 2", "Fri Mar 6", 'name="technician"', "Move…"):
        assert text in page
    assert f'data-testid="cell-{crew["maria"].pk}-2026-03-02"' in page


@pytest.mark.parametrize("role", ["sales", "support", "billing", "finance"])
def test_the_page_is_refused_to_those_who_do_not_work_tasks(client, crew, role):
    client.force_login(make_user(role))

    assert client.get(reverse("fulfillment:dispatch")).status_code == 403


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"date": "2026-02-30"}, "Give a date."),
        ({"date": "9999-12-31"}, "Give a date within ten years of today."),
        ({"skill": "tree-climbing"}, "Select a valid choice."),
    ],
)
def test_a_bad_query_is_a_400_with_the_error_on_the_field_and_todays_week(client, crew, query, error):
    client.force_login(make_user("provisioning"))

    response = client.get(reverse("fulfillment:dispatch"), {"view": "week", **query})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert response.context["grid"].anchor == MONDAY


def test_a_move_without_javascript_redirects_back_to_the_same_page(client, crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    client.force_login(make_user("provisioning"))
    form = {
        "technician": crew["maria"].pk,
        "date": "2026-03-03",
        "view": "day",
        "at": "2026-03-03",
        "skill": "splicing",
    }

    response = client.post(move_url(splice), {**form, "stamp": dispatching.move_stamp(splice, None)})

    assert response.status_code == 302
    assert response["Location"] == "/work/dispatch/?view=day&date=2026-03-03&skill=splicing"
    assert Task.objects.get(pk=splice.pk).assignee == crew["maria"].user


def test_a_refused_move_without_javascript_shows_the_reason_on_the_blocks_form(client, crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    client.force_login(make_user("provisioning"))

    response = client.post(move_url(splice), {"technician": crew["tom"].pk, "date": "2026-03-03", "at": "2026-03-02"})

    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="u{splice.pk}-technician-error">Tom Installer lacks the skill Fiber splicing this task needs.' in page
    assert f'<option value="{crew["tom"].pk}" selected>' in page  # what was chosen, to choose again
    assert Task.objects.get(pk=splice.pk).assignee is None


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"technician": "987654", "date": "2026-03-03"}, "Pick a technician."),
        ({"technician": "99999999999999999999999", "date": "2026-03-03"}, "Pick a technician."),
        ({"technician": "abc", "date": "not a date"}, "Pick a technician. Give a date."),
        ({"date": "2026-03-03"}, "Pick a technician."),
    ],
)
def test_a_move_with_unknown_ids_or_bad_dates_is_a_400_and_writes_nothing(client, crew, form, reason):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    client.force_login(make_user("provisioning"))

    response = client.post(move_url(splice), form, **SCRIPT)

    assert (response.status_code, response.content.decode()) == (400, reason)
    assert Task.objects.get(pk=splice.pk).assignee is None


def test_a_bad_page_to_come_back_to_does_not_stop_the_move(client, crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    client.force_login(make_user("provisioning"))

    response = client.post(
        move_url(splice), {"technician": crew["maria"].pk, "date": "2026-03-03", "at": "junk", "view": "year"}
    )

    assert response["Location"] == "/work/dispatch/?view=week&date=2026-03-02"  # this week
    assert Task.objects.get(pk=splice.pk).assignee == crew["maria"].user


def test_a_move_of_an_unknown_task_is_a_404(client, crew):
    client.force_login(make_user("provisioning"))

    response = client.post("/work/dispatch/tasks/987654/move/", {"technician": crew["maria"].pk, "date": "2026-03-03"})

    assert response.status_code == 404


def test_a_drop_answers_with_the_calendar_as_it_now_is(client, crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    client.force_login(make_user("provisioning"))

    response = client.post(
        move_url(splice), {"technician": crew["maria"].pk, "date": "2026-03-03", "at": "2026-03-02"}, **SCRIPT
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="dispatch-board"')
    assert f"{work_order.number} Splice: Maria Splicer, Tue Mar 3." in page
    assert cell(response.context["grid"], crew["maria"], TUESDAY).load_label == "5 h of 8 h"


def test_a_refused_drop_answers_with_the_reason_as_text(client, crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    client.force_login(make_user("provisioning"))

    response = client.post(move_url(splice), {"technician": crew["tom"].pk, "date": "2026-03-03"}, **SCRIPT)

    assert (response.status_code, response.content.decode()) == (
        400,
        "Tom Installer lacks the skill Fiber splicing this task needs.",
    )


def test_a_stale_drop_is_a_409(client, crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    client.force_login(make_user("provisioning"))

    response = client.post(
        move_url(splice), {"technician": crew["maria"].pk, "date": "2026-03-03", "stamp": "7||"}, **SCRIPT
    )

    assert response.status_code == 409
    assert Task.objects.get(pk=splice.pk).assignee is None


def test_sales_may_not_post_a_move(client, crew):
    (work_order,) = splice_and_install()
    splice = task(work_order, "Splice")
    client.force_login(make_user("sales"))

    response = client.post(move_url(splice), {"technician": crew["maria"].pk, "date": "2026-03-03"})

    assert response.status_code == 403
    assert Task.objects.get(pk=splice.pk).assignee is None
