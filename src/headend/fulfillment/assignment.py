"""Technician assignment: a task given to a person by hand (a technician must have its skill and
work at its time), or to the qualified technician free the earliest."""

from typing import Any

from django.db import transaction

from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import forecast, task_flow
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import Task, Technician


def _check_technician(task: Task, technician: Technician) -> None:
    if not technician.active or not technician.user.is_active:
        raise ValidationError(f"{technician} is not active.", field="assignee", code="inactive_technician")
    if task.skill_id and not technician.skills.filter(pk=task.skill_id).exists():
        raise ValidationError(
            f"{technician} lacks the skill {task.skill} this task needs.", field="assignee", code="missing_skill"
        )
    window = task.not_before or task.forecast_start
    if window is not None:
        local = window.astimezone(clock.provider_zone())
        if not technician.works_on(local.date()) or not (technician.day_start <= local.time() < technician.day_end):
            raise ValidationError(
                f"{technician} does not work at {local:%a %b %-d %H:%M} "
                f"(works {technician.day_start:%H:%M}-{technician.day_end:%H:%M}).",
                field="assignee",
                code="outside_working_hours",
            )


@transaction.atomic
def task_assign(*, task: Task, assignee: Any, assigned_by: Any) -> Task:
    """Give an open task to a person; a technician must have the skill and work at that time.
    The forecast follows: a technician's task is planned on their calendar."""
    work_order, task = task_flow.lock(task)
    if not task.is_open:
        raise Conflict("Only an open task can be assigned.", field="status")
    if assignee is not None:
        if not assignee.is_active:
            raise ValidationError("That user is inactive.", field="assignee")
        technician = Technician.objects.filter(user=assignee).first()
        if technician is not None:
            _check_technician(task, technician)
        elif task.skill_id:
            raise ValidationError(
                f"{assignee} is not a technician with the skill {task.skill}.", field="assignee", code="missing_skill"
            )
    task.assignee = assignee
    task.save(update_fields=["assignee"])
    events.emit("task.assigned", subject=task, data={"assignee_id": assignee.pk if assignee else None})
    forecast.reforecast(work_order, clock.now())
    return task


@transaction.atomic
def task_assign_automatically(*, task: Task, assigned_by: Any) -> Task:
    """Give the task to the qualified technician who is free the earliest (then the least booked)."""
    work_order, task = task_flow.lock(task)
    if not task.is_open:
        raise Conflict("Only an open task can be assigned.", field="status")
    choice = fulfillment_selectors.earliest_free_technician(task=task)
    if choice is None:
        raise Conflict("No active technician has the skill this task needs.", field="assignee", code="no_technician")
    technician, start = choice
    task.assignee = technician.user
    fields = ["assignee"]
    if task.forecast_start is None or start > task.forecast_start:
        task.not_before, fields = start, [*fields, "not_before"]
    task.save(update_fields=fields)
    events.emit("task.assigned", subject=task, data={"assignee_id": technician.user_id, "automatic": True})
    forecast.reforecast(work_order, clock.now())
    return task
