"""Write use cases for work orders and their tasks.

A task can start only when every task it depends on is done. Completing the last task of a
work order turns its service up."""

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from headend.catalog import selectors as catalog_selectors
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import code_actions
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory import services as inventory_services

logger = logging.getLogger(__name__)


def work_order_create(
    *, order_line: Any, service: Any, at: dt.datetime, templates: dict[tuple[int, str], Any] | None = None
) -> WorkOrder:
    """The work for one order line, copied from its product's template for the line's action.

    Called inside order decomposition (which passes `templates`, a cache shared by its lines);
    a later template change never alters the work order."""
    product = order_line.product_version.product
    key = (product.pk, order_line.action)
    templates = {} if templates is None else templates
    if key not in templates:
        templates[key] = catalog_selectors.template_for(product_id=product.pk, action=order_line.action)
    template = templates[key]
    if template is None:
        raise Conflict(
            f"{product} has no work-order template for {order_line.get_action_display().lower()}; "
            "define one in the catalog before accepting.",
            field="product_version",
            code="no_template",
        )
    work_order = WorkOrder.objects.create(
        order_line=order_line,
        service=service,
        created_at=at,
        name=f"{template.name}: {order_line.location.one_line}",
    )
    template_tasks = list(template.tasks.all())
    tasks = bulk_create_with_history(
        [
            Task(
                work_order=work_order,
                position=spec.position,
                name=spec.name,
                kind=spec.kind,
                role=spec.role,
                planned_minutes=spec.planned_minutes,
                code_action=spec.code_action,
                status=Task.Status.PENDING if spec.depends_on.all() else Task.Status.READY,
            )
            for spec in template_tasks
        ],
        Task,
        default_date=at,
    )
    by_template_pk = {spec.pk: task for spec, task in zip(template_tasks, tasks, strict=True)}
    Task.depends_on.through.objects.bulk_create(
        Task.depends_on.through(from_task_id=by_template_pk[spec.pk].pk, to_task_id=by_template_pk[dep.pk].pk)
        for spec in template_tasks
        for dep in spec.depends_on.all()
    )
    events.emit("work_order.created", subject=work_order, data={"order_line_id": order_line.pk})
    for task in tasks:
        if task.status == Task.Status.READY:
            _announce_ready(task)
    return work_order


def _announce_ready(task: Task) -> None:
    events.emit("task.ready", subject=task, data={"work_order_id": task.work_order_id, "kind": task.kind})


def _lock(task: Task) -> tuple[WorkOrder, Task]:
    """Lock the work order, then the task: one order of locks for every task use case."""
    work_order = WorkOrder.objects.select_for_update().get(pk=task.work_order_id)
    return work_order, Task.objects.select_for_update().get(pk=task.pk)


def _open_predecessors(task: Task) -> list[Task]:
    return [dep for dep in task.depends_on.order_by("position") if dep.status != Task.Status.DONE]


def _check_can_work(task: Task, work_order: WorkOrder) -> None:
    if work_order.status in (WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED):
        raise Conflict(f"Work order {work_order.number} is {work_order.get_status_display().lower()}.", field="status")
    if task.status == Task.Status.PENDING:
        waiting = ", ".join(f"{dep.position}. {dep.name}" for dep in _open_predecessors(task))
        raise Conflict(
            f"{task.name!r} waits for: {waiting}.",
            field="status",
            code="task_blocked",
        )


def _work_started(work_order: WorkOrder, at: dt.datetime) -> None:
    """The first work on a work order moves it, its service, order line and order forward."""
    if work_order.status != WorkOrder.Status.PENDING:
        return
    from headend.orders import services as orders_services

    work_order.status, work_order.started_at = WorkOrder.Status.IN_PROGRESS, at
    work_order.save(update_fields=["status", "started_at"])
    inventory_services.service_start_provisioning(service=work_order.service, at=at)
    orders_services.order_line_start(order_line=work_order.order_line, at=at)
    events.emit("work_order.started", subject=work_order)


@transaction.atomic
def task_start(*, task: Task, started_by: Any) -> Task:
    """A technician starts a ready manual task."""
    work_order, task = _lock(task)
    _check_can_work(task, work_order)
    if task.kind == Task.Kind.CODE:
        raise Conflict("Code tasks are run by the worker.", field="kind", code="code_task")
    now = clock.now()
    task.check_transition(Task.Status.IN_PROGRESS)
    task.status, task.started_at = Task.Status.IN_PROGRESS, now
    if task.assignee_id is None:
        task.assignee = started_by
    task.save(update_fields=["status", "started_at", "assignee"])
    _work_started(work_order, now)
    events.emit("task.started", subject=task)
    return task


@transaction.atomic
def task_complete(*, task: Task, completed_by: Any, notes: str = "") -> Task:
    """Mark a manual task done; its successors become ready, and the last task turns the service up.

    Raises Conflict if a predecessor is still open or the task is already done."""
    work_order, task = _lock(task)
    _check_can_work(task, work_order)
    if task.kind == Task.Kind.CODE:
        raise Conflict("Code tasks are run by the worker; retry it if it failed.", field="kind", code="code_task")
    return _finish(task, work_order, at=clock.now(), by=completed_by, notes=notes)


def _finish(
    task: Task, work_order: WorkOrder, *, at: dt.datetime, by: Any, notes: str = "", result: dict | None = None
) -> Task:
    task.check_transition(Task.Status.DONE)
    task.status, task.completed_at, task.completed_by = Task.Status.DONE, at, by
    task.started_at = task.started_at or at
    task.notes = (notes or "").strip() or task.notes
    if result is not None:
        task.result = result
    task.save(update_fields=["status", "completed_at", "completed_by", "started_at", "notes", "result"])
    events.emit("task.completed", subject=task, data={"work_order_id": work_order.pk})
    _work_started(work_order, at)
    for successor in task.successors.select_for_update().filter(status=Task.Status.PENDING).order_by("position"):
        if not _open_predecessors(successor):
            successor.status = Task.Status.READY
            successor.save(update_fields=["status"])
            _announce_ready(successor)
    if not work_order.tasks.exclude(status__in=[Task.Status.DONE, Task.Status.CANCELLED]).exists():
        _work_order_complete(work_order, at)
    return task


def _work_order_complete(work_order: WorkOrder, at: dt.datetime) -> None:
    from headend.orders import services as orders_services

    work_order.check_transition(WorkOrder.Status.COMPLETED)
    work_order.status, work_order.completed_at = WorkOrder.Status.COMPLETED, at
    work_order.save(update_fields=["status", "completed_at"])
    events.emit("work_order.completed", subject=work_order)
    inventory_services.service_activate(
        service=work_order.service, at=at, reason=f"work order {work_order.number} done"
    )
    orders_services.order_line_complete(order_line=work_order.order_line, at=at)


@transaction.atomic
def task_assign(*, task: Task, assignee: Any, assigned_by: Any) -> Task:
    """Give an open task to a person."""
    _, task = _lock(task)
    if not task.is_open:
        raise Conflict("Only an open task can be assigned.", field="status")
    if assignee is not None and not assignee.is_active:
        raise ValidationError("That user is inactive.", field="assignee")
    task.assignee = assignee
    task.save(update_fields=["assignee"])
    return task


def task_run_code(*, task_id: int) -> Task | None:
    """Run a ready code task's action outside any transaction, then record the outcome.

    Safe to call twice: a task that is no longer ready is left as it is."""
    task = (
        Task.objects.select_related("work_order__service__product_version__product", "work_order__service__account")
        .filter(pk=task_id)
        .first()
    )
    if task is None or task.kind != Task.Kind.CODE or task.status != Task.Status.READY:
        return task
    if not code_actions.is_registered(task.code_action):
        return _record_failure(task, f"Unknown code action {task.code_action!r}.")
    try:
        result = code_actions.get(task.code_action)(task)
    except Exception as exc:
        logger.exception("code task %s (%s) failed", task.pk, task.code_action)
        return _record_failure(task, f"{type(exc).__name__}: {exc}")
    with transaction.atomic():
        work_order, task = _lock(task)
        if task.status != Task.Status.READY:
            return task
        task.attempts += 1
        task.save(update_fields=["attempts"])
        return _finish(task, work_order, at=clock.now(), by=None, result=result)


@transaction.atomic
def _record_failure(task: Task, error: str) -> Task:
    _, task = _lock(task)
    if task.status != Task.Status.READY:
        return task
    task.status, task.attempts, task.last_error = Task.Status.FAILED, task.attempts + 1, error
    task.save(update_fields=["status", "attempts", "last_error"])
    events.emit("task.failed", subject=task, data={"error": error})
    return task


@transaction.atomic
def task_retry(*, task: Task, retried_by: Any) -> Task:
    """Put a failed code task back in the worker's queue."""
    _, task = _lock(task)
    task.check_transition(Task.Status.READY)
    task.status, task.last_error = Task.Status.READY, ""
    task.save(update_fields=["status", "last_error"])
    _announce_ready(task)
    return task
