"""Appointments: the customer's visit booked for a task in one of its free slots."""

import datetime as dt
from typing import Any

from django.db import transaction

from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import forecast, task_flow
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import Appointment, Task


@transaction.atomic
def appointment_book(*, task: Task, start: dt.datetime, booked_by: Any) -> Appointment:
    """Book the customer's visit for a task in one of its free slots; the task starts then."""
    work_order, task = task_flow.lock(task)
    if not task.needs_appointment:
        raise ValidationError("This task is not booked with the customer.", field="task", code="no_appointment")
    if task.status not in (Task.Status.PENDING, Task.Status.READY, Task.Status.BLOCKED):
        raise Conflict("The visit has started; it cannot be rebooked.", field="status")
    slot = next((s for s in fulfillment_selectors.appointment_slots(task=task) if s.start == start), None)
    if slot is None:
        raise ValidationError("That time is not free any more; pick another slot.", field="start", code="slot_taken")
    now = clock.now()
    Appointment.objects.filter(task=task, status=Appointment.Status.BOOKED).update(status=Appointment.Status.CANCELLED)
    appointment = Appointment.objects.create(
        task=task, technician=slot.technician, start=slot.start, end=slot.end, booked_by=booked_by, booked_at=now
    )
    task.not_before, task.assignee = slot.start, slot.technician.user
    task.save(update_fields=["not_before", "assignee"])
    events.emit(
        "appointment.booked",
        subject=appointment,
        data={"task_id": task.pk, "service_id": work_order.service_id, "start": slot.start.isoformat()},
    )
    forecast.reforecast(work_order, now)
    return appointment
