"""Board moves: a work-order card dragged to another column of the board."""

from typing import Any

from django.db import transaction

from headend.core.errors import Conflict
from headend.fulfillment import task_flow
from headend.fulfillment.models import Task, WorkOrder


@transaction.atomic
def work_order_move(*, work_order: WorkOrder, to: str, moved_by: Any) -> WorkOrder:
    """A card dragged on the work-order board: into "in progress" starts its first ready manual
    task; every other move is refused with the reason (work orders finish through their tasks,
    and are cancelled with their order)."""
    work_order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
    if to == work_order.status:
        return work_order
    if to == WorkOrder.Status.IN_PROGRESS and work_order.status == WorkOrder.Status.PENDING:
        task = (
            work_order.tasks.filter(status=Task.Status.READY).exclude(kind=Task.Kind.CODE).order_by("position").first()
        )
        if task is None:
            raise Conflict("No task of this work order is ready to start.", field="status", code="nothing_ready")
        task_flow.task_start(task=task, started_by=moved_by)
        work_order.refresh_from_db()
        return work_order
    if to == WorkOrder.Status.COMPLETED:
        open_tasks = list(work_order.tasks.filter(status__in=Task.OPEN).order_by("position"))
        names = ", ".join(f"{task.position}. {task.name}" for task in open_tasks[:3])
        raise Conflict(
            f"A work order completes when its tasks are done; still open: {names}.",
            field="status",
            code="tasks_open",
        )
    if to == WorkOrder.Status.CANCELLED:
        raise Conflict("Cancel the order to cancel its work orders.", field="status", code="cancel_the_order")
    raise Conflict(
        f"A work order cannot go from {work_order.get_status_display().lower()} back to "
        f"{WorkOrder.Status(to).label.lower() if to in WorkOrder.Status.values else to}.",
        field="status",
        code="invalid_transition",
    )
