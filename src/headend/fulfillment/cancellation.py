"""Cancellation: the work of a cancelled order stopped, with undo tasks for what was already
done."""

import datetime as dt
from typing import Any

from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from headend.core import events
from headend.fulfillment import task_flow
from headend.fulfillment.models import Task, WorkOrder


def order_work_cancel(*, order: Any, at: dt.datetime, reason: str) -> None:
    """Cancel the work of each line of a cancelled order, in line order (`order_cancel`'s, through
    `orders.hooks.order_work`)."""
    for work_order in WorkOrder.objects.filter(order_line__order_id=order.pk).order_by("order_line__position"):
        work_order_cancel(work_order=work_order, at=at, reason=reason)


def work_order_cancel(*, work_order: WorkOrder, at: dt.datetime, reason: str) -> WorkOrder:
    """Stop a work order: open tasks are cancelled; a done task whose template defines an undo
    gets an undo task, and the work order is cancelled once those are done.

    Called by `order_cancel` inside its transaction."""
    work_order = (
        WorkOrder.objects.select_related("order_line__order", "service")
        .select_for_update(of=("self",))
        .get(pk=work_order.pk)
    )
    if work_order.status in (WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED):
        return work_order
    work_order.cancel_requested_at = at
    work_order.save(update_fields=["cancel_requested_at"])
    open_tasks = list(work_order.tasks.select_for_update().filter(status__in=Task.OPEN))
    for task in open_tasks:
        task.status = Task.Status.CANCELLED
    bulk_update_with_history(open_tasks, Task, ["status"], default_date=at)
    done_with_undo = list(work_order.tasks.filter(status=Task.Status.DONE, undo_of=None).exclude(undo=""))
    last = max((task.position for task in work_order.tasks.all()), default=0)
    undo_tasks = [
        Task(
            work_order=work_order,
            position=last + offset,
            name=f"Undo: {task.undo}",
            kind=Task.Kind.MANUAL,
            role=task.role,
            skill_id=task.skill_id,
            planned_minutes=task.planned_minutes,
            undo_of=task,
            status=Task.Status.READY,
        )
        for offset, task in enumerate(done_with_undo, start=1)
    ]
    undo_tasks = bulk_create_with_history(undo_tasks, Task, default_date=at)
    events.emit(
        "work_order.cancelling",
        subject=work_order,
        data={"reason": reason, "cancelled_tasks": len(open_tasks), "undo_tasks": len(undo_tasks)},
    )
    for task in undo_tasks:
        task_flow.announce_ready(task)
    if not undo_tasks:
        task_flow.work_order_finish(work_order, at)
    return work_order
