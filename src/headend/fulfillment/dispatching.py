"""Dispatch moves: a task (or its booked visit) put on a technician's day from the dispatch
calendar, by dragging its block or with its "Move…" form.

The rules are the board's and the assignment's: the mover may work the task, the technician
has its skill and works that day (no holiday, no day off), a booked visit keeps its window on
the new day (and the customer is told of a new date), and the order is reforecast."""

import datetime as dt
from typing import Any

from django.db import transaction

from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import require
from headend.fulfillment import forecast, task_flow
from headend.fulfillment.models import Appointment, Holiday, Task, Technician

# How far ahead a dispatcher plans: further is a typo (and past what the calendar computes).
HORIZON_DAYS = 730
MOVABLE = (Task.Status.PENDING, Task.Status.READY, Task.Status.BLOCKED)


def move_stamp(task: Task, appointment: Appointment | None) -> str:
    """Where a task stands as the dispatcher saw it: assignee, fixed start and booked visit.
    A move made from a page older than the task's last move is refused (the stamps differ)."""
    not_before = task.not_before.isoformat() if task.not_before else ""
    visit = f"{appointment.pk}@{appointment.technician_id}" if appointment is not None else ""
    return f"{task.assignee_id or ''}|{not_before}|{visit}"


def _where(task: Task, appointment: Appointment | None) -> str:
    """Where a task is now, in words, for the stale-move message."""
    zone = clock.provider_zone()
    assignee = task.assignee
    who = (assignee.get_full_name() or assignee.get_username()) if assignee is not None else ""
    if appointment is not None:
        who = str(appointment.technician)
    when = appointment.start if appointment is not None else (task.not_before or task.forecast_start)
    day = f" on {when.astimezone(zone):%a %b %-d}" if when is not None else ""
    return f"with {who}{day}" if who else f"unassigned{day}"


def _check_day(technician: Technician, day: dt.date, today: dt.date) -> None:
    if day < today:
        raise ValidationError("Pick today or a later day.", field="date", code="past_day")
    if day > today + dt.timedelta(days=HORIZON_DAYS):
        raise ValidationError("Pick a day within the next two years.", field="date", code="too_far")
    holiday = Holiday.objects.filter(date=day).first()
    if holiday is not None:
        raise ValidationError(
            f"{day:%a %b %-d} is a holiday ({holiday.name}): no work is scheduled.", field="date", code="holiday"
        )
    if not technician.works_on(day):
        raise ValidationError(f"{technician} does not work on {day:%A}s.", field="date", code="not_working_day")


def _check_technician(task: Task, technician: Technician) -> None:
    if not technician.active or not technician.user.is_active:
        raise ValidationError(f"{technician} is not active.", field="technician", code="inactive_technician")
    if task.skill_id and not technician.skills.filter(pk=task.skill_id).exists():
        raise ValidationError(
            f"{technician} lacks the skill {task.skill} this task needs.", field="technician", code="missing_skill"
        )


def _start_on(task: Task, technician: Technician, day: dt.date) -> dt.datetime:
    """The task's new fixed start: its time of day kept when the technician works then, else
    the start of their day."""
    zone = clock.provider_zone()
    current = task.not_before or task.forecast_start
    at = technician.day_start
    if current is not None:
        local = current.astimezone(zone).time().replace(second=0, microsecond=0)
        if technician.day_start <= local < technician.day_end:
            at = local
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC)


def _move_visit(
    appointment: Appointment, technician: Technician, day: dt.date, *, moved_by: Any, at: dt.datetime
) -> Appointment:
    """The booked visit on `day` in the same window, with `technician`: the same row when only
    the technician changes; a new booking (the old one cancelled) when the date does."""
    zone = clock.provider_zone()
    start_local, end_local = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
    start = dt.datetime.combine(day, start_local.time(), tzinfo=zone).astimezone(dt.UTC)
    end = start + (appointment.end - appointment.start)
    if start_local.time() < technician.day_start or (
        end.astimezone(zone).date() != day or end.astimezone(zone).time() > technician.day_end
    ):
        raise ValidationError(
            f"{technician} works {technician.day_start:%H:%M}-{technician.day_end:%H:%M}; the visit window "
            f"{start_local:%H:%M}-{end_local:%H:%M} is outside it.",
            field="technician",
            code="outside_working_hours",
        )
    busy = (
        Appointment.objects.filter(
            technician=technician, status=Appointment.Status.BOOKED, start__lt=end, end__gt=start
        )
        .exclude(pk=appointment.pk)
        .first()
    )
    if busy is not None:
        raise ValidationError(
            f"{technician} already has a visit on {start.astimezone(zone):%a %b %-d} "
            f"{busy.start.astimezone(zone):%H:%M}-{busy.end.astimezone(zone):%H:%M}.",
            field="technician",
            code="slot_taken",
        )
    if start == appointment.start:
        appointment.technician = technician
        appointment.save(update_fields=["technician"])
        return appointment
    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])
    moved = Appointment.objects.create(
        task=appointment.task, technician=technician, start=start, end=end, booked_by=moved_by, booked_at=at
    )
    work_order = appointment.task.work_order
    # The customer's email says the new date (fulfillment/notifications.py).
    events.emit(
        "appointment.booked",
        subject=moved,
        data={"task_id": moved.task_id, "service_id": work_order.service_id, "start": start.isoformat()},
    )
    return moved


@transaction.atomic
def task_dispatch(*, task: Task, technician: Technician, day: dt.date, moved_by: Any, stamp: str | None = None) -> Task:
    """Put a task that has not started on a technician's day: assign it to them and fix its start
    on that day (its booked visit moves with its window). The order is reforecast.

    Raises Forbidden (the mover may not work the task), Conflict (the task has started or is
    done, or was moved by someone else since `stamp` was read) and ValidationError on
    `technician` (inactive, lacks the skill, out of hours for the visit, already booked) or
    `date` (past, too far, a holiday, the technician's day off)."""
    require(moved_by, "task.work", named=task.role)
    work_order, task = task_flow.lock(task)
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("task__work_order")
        .filter(task=task, status=Appointment.Status.BOOKED)
        .first()
    )
    if stamp is not None and stamp != move_stamp(task, appointment):
        raise Conflict(
            f"{task.name} was moved by someone else since this page was loaded (it is now "
            f"{_where(task, appointment)}); look again and move it from there.",
            code="stale_move",
        )
    if task.kind != Task.Kind.MANUAL:
        raise ValidationError("Only people's tasks are dispatched to technicians.", field="task", code="not_manual")
    if task.status not in MOVABLE:
        raise Conflict(
            f"{task.name} is {task.get_status_display().lower()}: only work not yet started can be moved.",
            field="status",
            code="task_started",
        )
    now = clock.now()
    _check_technician(task, technician)
    _check_day(technician, day, clock.local_date(now))
    if appointment is not None:
        appointment = _move_visit(appointment, technician, day, moved_by=moved_by, at=now)
        not_before = appointment.start
    else:
        not_before = _start_on(task, technician, day)
    fields = []
    if task.assignee_id != technician.user_id:
        task.assignee = technician.user
        fields.append("assignee")
        events.emit("task.assigned", subject=task, data={"assignee_id": technician.user_id, "dispatched": True})
    if task.not_before != not_before:
        task.not_before = not_before
        fields.append("not_before")
        events.emit("task.rescheduled", subject=task, data={"not_before": not_before.isoformat()})
    if not fields:
        return task
    task.save(update_fields=fields)
    forecast.reforecast(work_order, now)
    task.refresh_from_db(fields=["forecast_start", "forecast_finish"])
    return task
