"""Write use cases for work orders and their tasks.

A task can start only when every task it depends on is done. Completing the task marked
"turns up" puts the service live (or applies the change, or disconnects it); the work order
completes when all its tasks are done. Every change reschedules the order's forecast."""

import datetime as dt
import functools
import logging
import os
import socket
import time
from typing import Any, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connections, models, router, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from headend.catalog import code_actions
from headend.catalog import selectors as catalog_selectors
from headend.core import audit, clock, events, user_files
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import scheduling
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import (
    Appointment,
    CodeAttempt,
    Task,
    TaskAttachment,
    TaskDependency,
    Technician,
    WorkOrder,
)
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.orders import services as orders_services

logger = logging.getLogger(__name__)


def work_order_create(
    *,
    order_line: Any,
    service: Any,
    at: dt.datetime,
    templates: dict[tuple[int, str], Any] | None = None,
    after: WorkOrder | None = None,
    requested_by: Any = None,
) -> WorkOrder:
    """The work for one order line, copied from its product's template for the line's action.
    With `after` (the work of the base service an add-on rides on), the work starts only once
    that work order has turned its service up. `requested_by` (who accepted the quote or placed
    the order) is named in the history of what the worker's code tasks change.

    Called inside order decomposition (which passes `templates`, a cache shared by its lines,
    and schedules the order once all its work orders exist); a later template change never
    alters the work order."""
    product = order_line.product_version.product
    action = order_line.template_action
    if action is None:
        raise Conflict(f"Line {order_line.position} changes only the contract: it needs no work order.", field="action")
    key = (product.pk, action)
    templates = {} if templates is None else templates
    if key not in templates:
        templates[key] = catalog_selectors.template_for(product_id=product.pk, action=action)
    template = templates[key]
    if template is None:
        raise Conflict(
            f"{product} has no work-order template for {action}; define one in the catalog before accepting.",
            field="product_version",
            code="no_template",
        )
    work_order = WorkOrder.objects.create(
        order_line=order_line,
        service=service,
        action=action,
        created_at=at,
        name=f"{template.name}: {order_line.location.one_line}",
        requested_by=requested_by if getattr(requested_by, "pk", None) is not None else None,
    )
    _copy_template_tasks(work_order, template, at, waits_for=_turn_up_task(after) if after is not None else None)
    events.emit("work_order.created", subject=work_order, data={"order_line_id": order_line.pk})
    _announce_ready_tasks(work_order)
    return work_order


def _copy_template_tasks(
    work_order: WorkOrder, template: Any, at: dt.datetime, *, waits_for: Task | None = None
) -> list[Task]:
    """The template's tasks on the work order; with `waits_for`, its first tasks wait for that
    task (of another work order) too."""
    template_tasks = list(template.tasks.all())
    tasks = bulk_create_with_history(
        [
            Task(
                work_order=work_order,
                position=spec.position,
                name=spec.name,
                kind=spec.kind,
                role=spec.role,
                skill_id=spec.skill_id,
                planned_minutes=spec.planned_minutes,
                code_action=spec.code_action,
                code_params=spec.code_params,
                turns_up=spec.turns_up,
                needs_appointment=spec.needs_appointment,
                undo=spec.undo,
                checklist=[{"item": item, "done": False} for item in spec.checklist],
                status=Task.Status.PENDING if spec.dependencies.all() or waits_for else Task.Status.READY,
            )
            for spec in template_tasks
        ],
        Task,
        default_date=at,
    )
    by_template_pk = {spec.pk: task for spec, task in zip(template_tasks, tasks, strict=True)}
    TaskDependency.objects.bulk_create(
        TaskDependency(
            task=by_template_pk[spec.pk], predecessor=by_template_pk[dep.predecessor_id], lag_minutes=dep.lag_minutes
        )
        for spec in template_tasks
        for dep in spec.dependencies.all()
    )
    if waits_for is not None:
        TaskDependency.objects.bulk_create(
            TaskDependency(task=by_template_pk[spec.pk], predecessor=waits_for)
            for spec in template_tasks
            if not spec.dependencies.all()
        )
    return tasks


def _turn_up_task(work_order: WorkOrder) -> Task | None:
    """The open task that turns the work order's service up (None once it is done)."""
    task = work_order.tasks.filter(turns_up=True).first() or work_order.tasks.order_by("-position").first()
    return task if task is not None and task.status not in (Task.Status.DONE, Task.Status.CANCELLED) else None


def _announce_ready_tasks(work_order: WorkOrder) -> None:
    for task in work_order.tasks.filter(status=Task.Status.READY).order_by("position"):
        _announce_ready(task)


@transaction.atomic
def service_action_request(*, service: Service, action: str, reason: str, requested_by: Any) -> WorkOrder:
    """Suspend, restore or disconnect a live service outside an order (non-payment, a customer's
    request): a work order from the product's template for that action, whose code tasks
    change the network and whose turn-up task changes the service's status.

    A disconnect takes the service's add-ons with it (a work order each): an add-on never
    outlives the service it rides on. Refused while another work order on the service is open
    (one change at a time)."""
    if action not in Service.ACTIONS:
        raise ValidationError(f"Unknown service action {action!r}.", field="action", code="invalid_choice")
    statuses, verb, done = Service.ACTIONS[action]
    service = (
        Service.objects.select_for_update().select_related("product_version__product", "location").get(pk=service.pk)
    )
    if service.status not in statuses:
        raise Conflict(
            f"A {service.get_status_display().lower()} service cannot be {done}.",
            field="status",
            code="invalid_transition",
        )
    busy = (
        WorkOrder.objects.filter(service=service)
        .exclude(status__in=[WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED])
        .first()
    )
    if busy is not None:
        raise Conflict(
            f"Work order {busy.number} on {service.number} is still open; finish or cancel it first.",
            field="service",
            code="change_in_flight",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"Say why the service is to be {done}.", field="reason", code="required")
    product = service.product_version.product
    template = catalog_selectors.template_for(product_id=product.pk, action=action)
    if template is None:
        raise Conflict(
            f"{product} has no work-order template for {verb}; define one in the catalog first.",
            field="action",
            code="no_template",
        )
    at = clock.now()
    if action == "delete":
        inventory_services.service_request_disconnect(service=service, reason=reason)
    work_order = WorkOrder.objects.create(
        order_line=None,
        service=service,
        action=action,
        created_at=at,
        name=f"{template.name}: {service.location.one_line}",
        requested_by=requested_by,
        reason=reason[:200],
    )
    _copy_template_tasks(work_order, template, at)
    events.emit("work_order.created", subject=work_order, data={"service_id": service.pk, "action": action})
    work_order_forecast(work_order=work_order, at=at, baseline=True)
    _announce_ready_tasks(work_order)
    if action == "delete":
        for addon in Service.objects.filter(
            base_service=service, status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED]
        ).order_by("pk"):
            service_action_request(
                service=addon,
                action="delete",
                reason=f"{reason} (rides on {service.number})",
                requested_by=requested_by,
            )
    work_order.refresh_from_db()
    return work_order


# --- Forecast -----------------------------------------------------------------------------


def order_forecast(*, order: Any, at: dt.datetime, baseline: bool = False) -> scheduling.Schedule:
    """Plan every open task of an order on the business calendar and store the forecast.

    With `baseline`, the plan is also kept as the planned dates the forecast is measured
    against (once, when the order is decomposed)."""
    plan = _forecast(
        Task.objects.filter(work_order__order_line__order_id=order.pk), start=order.created_at, at=at, baseline=baseline
    )
    orders_services.order_set_forecast(
        order_id=order.pk, go_live=plan.finish if plan.tasks else None, baseline=baseline
    )
    return plan


def work_order_forecast(*, work_order: WorkOrder, at: dt.datetime, baseline: bool = False) -> scheduling.Schedule:
    """Plan the open tasks of a work order that belongs to no order (a service action)."""
    return _forecast(
        Task.objects.filter(work_order_id=work_order.pk), start=work_order.created_at, at=at, baseline=baseline
    )


def _forecast(
    task_rows: models.QuerySet[Task], *, start: dt.datetime, at: dt.datetime, baseline: bool
) -> scheduling.Schedule:
    tasks = list(
        task_rows.exclude(status=Task.Status.CANCELLED)
        .prefetch_related("dependencies")
        .order_by("work_order_id", "position")
    )
    live = {task.pk for task in tasks}
    nodes = [
        scheduling.TaskNode(
            key=str(task.pk),
            duration_minutes=task.planned_minutes,
            predecessors=tuple(
                scheduling.Dependency(str(dep.predecessor_id), dep.lag_minutes)
                for dep in task.dependencies.all()
                if dep.predecessor_id in live
            ),
            actual_start=task.started_at if task.status != Task.Status.PENDING else None,
            actual_finish=task.completed_at if task.status == Task.Status.DONE else None,
            not_before=task.not_before,
        )
        for task in tasks
    ]
    plan = scheduling.schedule(nodes, start=start, calendar=fulfillment_selectors.provider_calendar(), now=at)
    fields = ["forecast_start", "forecast_finish", "slack_minutes", "critical"]
    if baseline:
        fields += ["planned_start", "planned_finish"]
    changed = []
    for task in tasks:
        planned = plan[str(task.pk)]
        before = tuple(getattr(task, field) for field in fields)
        task.forecast_start, task.forecast_finish = planned.start, planned.finish
        task.slack_minutes, task.critical = planned.slack_minutes, planned.critical
        if baseline:
            task.planned_start, task.planned_finish = planned.start, planned.finish
        if tuple(getattr(task, field) for field in fields) != before:
            changed.append(task)
    # Only what moved is written: after a slip that is the slipped chain, not the whole order.
    _write_columns(Task, changed, fields)
    by_work_order: dict[int, list[str]] = {}
    for task in tasks:
        by_work_order.setdefault(task.work_order_id, []).append(str(task.pk))
    wo_fields = ["forecast_finish", *(["planned_finish"] if baseline else [])]
    moved = []
    for work_order in WorkOrder.objects.filter(pk__in=by_work_order).only("pk", *wo_fields):
        finish = plan.finish_of(by_work_order[work_order.pk])
        if work_order.forecast_finish != finish or (baseline and work_order.planned_finish != finish):
            work_order.forecast_finish = finish
            if baseline:
                work_order.planned_finish = finish
            moved.append(work_order)
    _write_columns(WorkOrder, moved, wo_fields)
    return plan


def _write_columns(model: type[models.Model], rows: list[Any], fields: list[str]) -> None:
    """UPDATE these columns of these rows in one executemany: the plan of a large order is
    thousands of rows, where `bulk_update`'s CASE expressions cost seconds."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    concrete = [cast(models.Field, model._meta.get_field(name)) for name in fields]
    quote = connection.ops.quote_name
    pk = cast(models.Field, model._meta.pk)
    # Only model metadata (table and column names, quoted) is formatted in; values are parameters.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in concrete),
        quote(pk.column),
    )
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in concrete] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _reforecast(work_order: WorkOrder, at: dt.datetime) -> None:
    if work_order.order_line is None:
        work_order_forecast(work_order=work_order, at=at)
    else:
        order_forecast(order=work_order.order_line.order, at=at)


# --- Task workflow ---------------------------------------------------------------------------


def _announce_ready(task: Task) -> None:
    events.emit("task.ready", subject=task, data={"work_order_id": task.work_order_id, "kind": task.kind})


def _lock(task: Task) -> tuple[WorkOrder, Task]:
    """Lock the work order, then the task: one order of locks for every task use case."""
    work_order = (
        WorkOrder.objects.select_related("order_line__order").select_for_update(of=("self",)).get(pk=task.work_order_id)
    )
    return work_order, Task.objects.select_for_update().get(pk=task.pk)


def _open_predecessors(task: Task) -> list[Task]:
    return [
        dep
        for dep in task.depends_on.order_by("position")
        if dep.status not in (Task.Status.DONE, Task.Status.CANCELLED)
    ]


def _check_can_work(task: Task, work_order: WorkOrder) -> None:
    if work_order.status in (WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED):
        raise Conflict(f"Work order {work_order.number} is {work_order.get_status_display().lower()}.", field="status")
    if task.status == Task.Status.PENDING:
        waiting = ", ".join(
            f"{dep.position}. {dep.name}"
            if dep.work_order_id == task.work_order_id
            else f"{dep.name} on work order {dep.work_order.number} (the service it rides on)"
            for dep in _open_predecessors(task)
        )
        raise Conflict(f"{task.name!r} waits for: {waiting}.", field="status", code="task_blocked")
    if task.status == Task.Status.BLOCKED:
        raise Conflict(
            f"{task.name!r} is blocked: {task.blocked_reason}. Unblock it first.", field="status", code="task_blocked"
        )


def _check_by_hand(task: Task) -> None:
    if task.kind == Task.Kind.CODE:
        raise Conflict("Code tasks are run by the worker; retry it if it failed.", field="kind", code="code_task")


def _service_of(work_order: WorkOrder) -> Service:
    """The work order's service for an inventory use case, which locks and re-reads it by its
    key: the loaded one if it is, else only its key (no query for a row read again at once)."""
    if WorkOrder.service.is_cached(work_order):
        return work_order.service
    return Service(pk=work_order.service_id)


def _work_started(work_order: WorkOrder, at: dt.datetime) -> None:
    """The first work on a work order moves it, its service, order line and order forward."""
    if work_order.status != WorkOrder.Status.PENDING:
        return
    work_order.status, work_order.started_at = WorkOrder.Status.IN_PROGRESS, at
    work_order.save(update_fields=["status", "started_at"])
    if work_order.action == "add":
        inventory_services.service_start_provisioning(service=_service_of(work_order), at=at)
    if work_order.order_line is not None:
        orders_services.order_line_start(order_line=work_order.order_line, at=at)
    events.emit("work_order.started", subject=work_order)


@transaction.atomic
def task_start(*, task: Task, started_by: Any) -> Task:
    """A technician starts a ready task."""
    work_order, task = _lock(task)
    _check_can_work(task, work_order)
    _check_by_hand(task)
    now = clock.now()
    task.check_transition(Task.Status.IN_PROGRESS)
    task.status, task.started_at = Task.Status.IN_PROGRESS, now
    if task.assignee_id is None:
        task.assignee = started_by
    task.save(update_fields=["status", "started_at", "assignee"])
    _work_started(work_order, now)
    events.emit("task.started", subject=task)
    _reforecast(work_order, now)
    return task


def _check_checklist(task: Task, checklist: list[str] | None) -> list[dict[str, Any]]:
    """The task's checklist with the ticked items marked; every item must be ticked to finish."""
    items = [item["item"] for item in task.checklist]
    if checklist is None:
        checklist = [item["item"] for item in task.checklist if item.get("done")]
    unknown = [item for item in checklist if item not in items]
    if unknown:
        raise ValidationError(f"Not on this task's checklist: {unknown[0]!r}.", field="checklist")
    missing = [item for item in items if item not in checklist]
    if missing:
        raise ValidationError(
            f"Tick every checklist item first; open: {', '.join(missing)}.", field="checklist", code="checklist_open"
        )
    return [{"item": item, "done": True} for item in items]


@transaction.atomic
def task_complete(
    *,
    task: Task,
    completed_by: Any,
    notes: str = "",
    checklist: list[str] | None = None,
    attachments: list[UploadedFile] | None = None,
    early_reason: str = "",
) -> Task:
    """Mark a task done (with notes, ticked checklist items and photos); successors become
    ready, and the turn-up task puts the service live. Done before the customer's booked
    appointment, it needs `early_reason` (kept in the notes).

    Raises Conflict if a predecessor is still open or the task is already done, ValidationError
    (`early_reason`) for an early completion without a reason, (`attachments`) for a file too
    large or of a type attachments do not allow (core/user_files.py)."""
    work_order, task = _lock(task)
    _check_can_work(task, work_order)
    _check_by_hand(task)
    task.checklist = _check_checklist(task, checklist)
    now = clock.now()
    notes = _check_early(task, now, notes=notes, reason=early_reason)
    uploads = _check_attachments(attachments)
    for upload, name in uploads:
        _attach(task, upload, name, uploaded_by=completed_by, at=now)
    _finish(task, work_order, at=now, by=completed_by, notes=notes)
    _reforecast(work_order, now)
    return task


def _check_early(task: Task, now: dt.datetime, *, notes: str, reason: str) -> str:
    """The task's notes, with the reason it was done before its booked appointment if it was."""
    appointment = task.appointments.filter(status=Appointment.Status.BOOKED, start__gt=now).first()
    if appointment is None:
        return notes
    reason = (reason or "").strip()
    when = f"{appointment.start.astimezone(clock.provider_zone()):%b %-d %H:%M}"
    if not reason:
        raise ValidationError(
            f"The customer is booked for {when}: say why this is done before the appointment.",
            field="early_reason",
            code="before_appointment",
        )
    return "\n".join(
        part for part in ((notes or "").strip(), f"Done before the appointment of {when}: {reason}") if part
    )


def _finish(
    task: Task,
    work_order: WorkOrder,
    *,
    at: dt.datetime,
    by: Any,
    notes: str = "",
    result: dict | None = None,
    also: list[str] | None = None,
) -> Task:
    """Mark the task done (writing `also`, fields the caller changed, in the same save) and
    carry the work on: successors, turn-up, the work order's completion."""
    task.check_transition(Task.Status.DONE)
    task.status, task.completed_at, task.completed_by = Task.Status.DONE, at, by
    task.started_at = task.started_at or at
    task.notes = (notes or "").strip() or task.notes
    task.blocked_reason = ""
    if result is not None:
        task.result = result
    task.save(
        update_fields=[
            "status",
            "completed_at",
            "completed_by",
            "started_at",
            "notes",
            "result",
            "checklist",
            "blocked_reason",
            *(also or []),
        ]
    )
    events.emit("task.completed", subject=task, data={"work_order_id": work_order.pk})
    _work_started(work_order, at)
    for successor in task.successors.select_for_update().filter(status=Task.Status.PENDING).order_by("position"):
        if not _open_predecessors(successor):
            successor.status = Task.Status.READY
            successor.save(update_fields=["status"])
            _announce_ready(successor)
    if task.turns_up and task.undo_of_id is None and work_order.cancel_requested_at is None:
        _turn_up(work_order, at)
    if not work_order.tasks.filter(status__in=Task.OPEN).exists():
        _work_order_finish(work_order, at)
    return task


def _turn_up(work_order: WorkOrder, at: dt.datetime) -> None:
    """The turn-up task is done: the order line's change takes effect on the service."""
    reason = f"work order {work_order.number}"
    line = work_order.order_line
    if work_order.action == "add":
        inventory_services.service_activate(service=_service_of(work_order), at=at, reason=reason)
    elif work_order.action in ("modify", "move"):
        renews_term = line is not None and line.renews_term
        inventory_services.service_apply_change(
            service=_service_of(work_order), order_line=line, at=at, reason=reason, renews_term=renews_term
        )
    elif work_order.action == "delete":
        inventory_services.service_disconnect(service=_service_of(work_order), at=at, reason=reason)
    elif work_order.action == "suspend":
        inventory_services.service_suspend(service=_service_of(work_order), reason=f"{work_order.reason} ({reason})")
    elif work_order.action == "restore":
        inventory_services.service_resume(service=_service_of(work_order), reason=f"{work_order.reason} ({reason})")
    events.emit("work_order.turned_up", subject=work_order, data={"service_id": work_order.service_id})


def _work_order_finish(work_order: WorkOrder, at: dt.datetime) -> None:
    """No task is open: the work order is completed, or cancelled if its order was."""
    if work_order.cancel_requested_at is not None:
        work_order.check_transition(WorkOrder.Status.CANCELLED)
        work_order.status, work_order.completed_at = WorkOrder.Status.CANCELLED, at
        work_order.save(update_fields=["status", "completed_at"])
        events.emit("work_order.cancelled", subject=work_order)
        if work_order.action == "add" and work_order.service.activated_at is None:
            inventory_services.service_disconnect(service=work_order.service, at=at, reason="order cancelled")
        if work_order.order_line is not None:
            orders_services.order_line_cancelled(order_line=work_order.order_line, at=at)
        return
    work_order.check_transition(WorkOrder.Status.COMPLETED)
    work_order.status, work_order.completed_at = WorkOrder.Status.COMPLETED, at
    work_order.save(update_fields=["status", "completed_at"])
    events.emit("work_order.completed", subject=work_order)
    if work_order.order_line is not None:
        orders_services.order_line_complete(order_line=work_order.order_line, at=at)


@transaction.atomic
def task_block(*, task: Task, reason: str, blocked_by: Any) -> Task:
    """Stop work on a task for a reason (no access, waiting on a permit); its successors wait."""
    _, task = _lock(task)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the task is blocked.", field="reason", code="required")
    if task.status not in (Task.Status.READY, Task.Status.IN_PROGRESS):
        raise Conflict(
            f"A {task.get_status_display().lower()} task cannot be blocked.", field="status", code="invalid_transition"
        )
    task.status, task.blocked_reason = Task.Status.BLOCKED, reason[:200]
    task.save(update_fields=["status", "blocked_reason"])
    events.emit("task.blocked", subject=task, data={"reason": task.blocked_reason})
    return task


@transaction.atomic
def task_unblock(*, task: Task, unblocked_by: Any) -> Task:
    """Work can go on: back to in progress if it had started, else ready."""
    _, task = _lock(task)
    if task.status != Task.Status.BLOCKED:
        raise Conflict("The task is not blocked.", field="status", code="invalid_transition")
    task.status = Task.Status.IN_PROGRESS if task.started_at else Task.Status.READY
    task.blocked_reason = ""
    task.save(update_fields=["status", "blocked_reason"])
    events.emit("task.unblocked", subject=task)
    if task.status == Task.Status.READY:
        _announce_ready(task)
    return task


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
    """Give an open task to a person; a technician must have the skill and work at that time."""
    _, task = _lock(task)
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
    return task


@transaction.atomic
def task_assign_automatically(*, task: Task, assigned_by: Any) -> Task:
    """Give the task to the qualified technician who is free the earliest (then the least booked)."""
    work_order, task = _lock(task)
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
    _reforecast(work_order, clock.now())
    return task


@transaction.atomic
def task_reschedule(*, task: Task, not_before: dt.datetime | None, rescheduled_by: Any) -> Task:
    """Move a task that has not started to no earlier than `not_before`; successors and the
    forecast follow."""
    work_order, task = _lock(task)
    if task.status not in (Task.Status.PENDING, Task.Status.READY, Task.Status.BLOCKED):
        raise Conflict("Only a task that has not started can be rescheduled.", field="status")
    if not_before is not None and not_before.tzinfo is None:
        raise ValidationError("Give the date and time with its time zone.", field="not_before")
    task.not_before = not_before
    task.save(update_fields=["not_before"])
    events.emit("task.rescheduled", subject=task, data={"not_before": not_before.isoformat() if not_before else None})
    _reforecast(work_order, clock.now())
    return task


def _check_attachments(uploads: list[UploadedFile] | None) -> list[tuple[UploadedFile, str]]:
    """Each upload with its cleaned name, all checked before the first is stored (a refused
    second file leaves no first one on disk). Raises ValidationError (`attachments`)."""
    checks = [
        user_files.check_upload(upload, kind=user_files.ATTACHMENT, field="attachments") for upload in uploads or []
    ]
    return [(upload, checked.name) for upload, checked in zip(uploads or [], checks, strict=True)]


def _attach(task: Task, upload: UploadedFile, name: str, *, uploaded_by: Any, at: dt.datetime) -> TaskAttachment:
    return TaskAttachment.objects.create(task=task, file=upload, name=name, uploaded_by=uploaded_by, uploaded_at=at)


@transaction.atomic
def task_attach(*, task: Task, upload: UploadedFile, uploaded_by: Any) -> TaskAttachment:
    """Keep a photo or document with a task.

    Raises ValidationError (`attachments`) for a file too large or not a type attachments allow."""
    _, task = _lock(task)
    ((upload, name),) = _check_attachments([upload])
    return _attach(task, upload, name, uploaded_by=uploaded_by, at=clock.now())


# --- Appointments ---------------------------------------------------------------------------


@transaction.atomic
def appointment_book(*, task: Task, start: dt.datetime, booked_by: Any) -> Appointment:
    """Book the customer's visit for a task in one of its free slots; the task starts then."""
    work_order, task = _lock(task)
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
    _reforecast(work_order, now)
    return appointment


# --- Code tasks -----------------------------------------------------------------------------


def code_task_backoff(attempt: int) -> dt.timedelta:
    """The wait before the try after `attempt` failed tries: the base delay doubling per try,
    capped (30 s, 1 min, 2 min ... with the default settings)."""
    seconds = settings.HEADEND_CODE_TASK_BACKOFF * 2 ** max(attempt - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.HEADEND_CODE_TASK_MAX_DELAY))


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _abandon_running_attempts(task: Task, now: dt.datetime) -> None:
    CodeAttempt.objects.filter(task=task, outcome=CodeAttempt.Outcome.RUNNING).update(
        outcome=CodeAttempt.Outcome.ABANDONED, finished_at=now, error="The worker stopped before it finished."
    )


@transaction.atomic
def _claim(task_id: int) -> tuple[Task, CodeAttempt] | None:
    """Take a due code task for this worker: ready and due, or running under a lease that ran
    out (its worker died). Returns None when another worker holds it or it is not due."""
    # The locks in the order every task use case takes them (work order, then task), each in
    # one statement: the work order found through its task, the task with its last attempt.
    work_order = (
        WorkOrder.objects.select_related("order_line__order")
        .select_for_update(of=("self",))
        .filter(pk=models.Subquery(Task.objects.filter(pk=task_id, kind=Task.Kind.CODE).values("work_order_id")))
        .first()
    )
    if work_order is None:
        return None
    last_attempt = CodeAttempt.objects.filter(task=models.OuterRef("pk")).order_by("-number").values("number")[:1]
    task = (
        Task.objects.select_for_update()
        .annotate(last_attempt=models.Subquery(last_attempt))
        .filter(pk=task_id, work_order_id=work_order.pk)
        .order_by()  # the default ordering joins the work order, already locked
        .first()
    )
    if task is None:
        return None  # moved to another work order between the two statements (never happens)
    now = clock.now()
    if task.status == Task.Status.READY:
        if task.next_attempt_at is not None and task.next_attempt_at > now:
            return None
    elif task.status == Task.Status.IN_PROGRESS and task.lease_until is not None and task.lease_until <= now:
        _abandon_running_attempts(task, now)
    else:
        return None
    if work_order.status in (WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED):
        return None
    number = (getattr(task, "last_attempt", None) or 0) + 1
    task.status, task.started_at = Task.Status.IN_PROGRESS, task.started_at or now
    task.lease_until = now + dt.timedelta(seconds=settings.HEADEND_CODE_TASK_LEASE)
    task.next_attempt_at, task.attempts = None, task.attempts + 1
    task.save(update_fields=["status", "started_at", "lease_until", "next_attempt_at", "attempts"])
    attempt = CodeAttempt.objects.create(
        task=task, number=number, action=task.code_action, started_at=now, worker=_worker_name()
    )
    _work_started(work_order, now)
    task.work_order = work_order
    return task, attempt


def task_run_code(*, task_id: int) -> Task | None:
    """Run a due code task's action once, outside any transaction, and record the attempt.

    Success finishes the task (successors become ready; a turn-up task puts the service live).
    A retryable fault puts it back in the queue after a back-off, until the maximum of
    attempts; a permanent fault, or the last attempt, fails it and flags its work order.
    Safe to call any number of times, from any number of workers: only the worker that claims
    the task runs it, and a task not due is left alone. What it changes (the task, the service,
    the RADIUS subscriber...) is recorded in their history as done for the user who asked for
    the work."""
    with audit.acting_for(fulfillment_selectors.work_requester(task_id=task_id)):
        return _run_code_task(task_id)


def _run_code_task(task_id: int) -> Task | None:
    claimed = _claim(task_id)
    if claimed is None:
        return Task.objects.filter(pk=task_id).first()
    task, attempt = claimed
    # The claim read the task and its work order under their locks and wrote what it changed
    # in them; the service (which the claim may have moved to provisioning) is read afresh.
    task.work_order.service = Service.objects.select_related("product_version__product", "account", "location").get(
        pk=task.work_order.service_id
    )
    context = code_actions.ActionContext(task=task, params=dict(task.code_params or {}), attempt=attempt.number)
    started = time.monotonic()
    result: dict[str, Any] | None = None
    error, permanent = "", False
    if not code_actions.is_registered(task.code_action):
        error, permanent = f"Unknown code action {task.code_action!r}.", True
    else:
        try:
            result = code_actions.get(task.code_action)(context)
        except code_actions.PermanentError as exc:
            error, permanent = str(exc), True
        except Exception as exc:
            logger.warning("code task %s (%s) attempt %s failed: %s", task.pk, task.code_action, attempt.number, exc)
            error = str(exc) if isinstance(exc, code_actions.ActionError) else f"{type(exc).__name__}: {exc}"
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return _record_attempt(task, attempt, context, result=result, error=error, permanent=permanent, ms=elapsed_ms)


def _record_attempt(
    task: Task,
    attempt: CodeAttempt,
    context: code_actions.ActionContext,
    *,
    result: dict[str, Any] | None,
    error: str,
    permanent: bool,
    ms: int,
) -> Task:
    with transaction.atomic():
        work_order, task = _lock(task)
        now = clock.now()
        logged = {"finished_at": now, "duration_ms": ms, "exchanges": context.exchanges}
        if not error:
            outcome = CodeAttempt.Outcome.SUCCEEDED
        elif permanent or task.attempts >= settings.HEADEND_CODE_TASK_MAX_ATTEMPTS:
            outcome = CodeAttempt.Outcome.FAILED
        else:
            outcome = CodeAttempt.Outcome.RETRYING
        # The attempt is still running unless another worker took the task over (this one
        # outlived its lease) or a person settled it: its log is written in the same statement
        # that checks (the task's lock, held here, serialises every change of its attempts).
        still_running = task.status == Task.Status.IN_PROGRESS and bool(
            CodeAttempt.objects.filter(pk=attempt.pk, outcome=CodeAttempt.Outcome.RUNNING).update(
                outcome=outcome, error=error, result={} if error else result or {}, **logged
            )
        )
        if not still_running:
            # Keep the log, change nothing else.
            CodeAttempt.objects.filter(pk=attempt.pk).update(
                outcome=CodeAttempt.Outcome.ABANDONED,
                error=error or "Finished after another worker or a person took the task over.",
                **logged,
            )
            return task
        task.lease_until = None
        if not error:
            task.last_error = ""
            _finish(task, work_order, at=now, by=None, result=result or {}, also=["lease_until", "last_error"])
            _clear_flag_if_settled(work_order)
            _reforecast(work_order, now)
            return task
        if outcome == CodeAttempt.Outcome.FAILED:
            task.status, task.last_error = Task.Status.FAILED, error
            task.save(update_fields=["status", "last_error", "lease_until"])
            tries = "" if permanent else f" after {task.attempts} attempts"
            work_order.flagged_reason = f"{task.position}. {task.name} failed{tries}: {error}"[:300]
            work_order.save(update_fields=["flagged_reason"])
            events.emit("task.failed", subject=task, data={"error": error, "attempts": task.attempts})
            return task
        task.status, task.last_error = Task.Status.READY, error
        task.next_attempt_at = now + code_task_backoff(task.attempts)
        task.save(update_fields=["status", "last_error", "next_attempt_at", "lease_until"])
        events.emit(
            "task.retrying",
            subject=task,
            data={"error": error, "attempt": task.attempts, "next_attempt_at": task.next_attempt_at.isoformat()},
        )
        run_at = task.next_attempt_at
        transaction.on_commit(lambda: _queue_code_task(task.pk, run_after=run_at))
        return task


def _queue_code_task(task_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Hand the task to the worker; a backend that cannot defer leaves a later try to the sweep."""
    from headend.fulfillment.tasks import run_code_task

    if run_after is None:
        run_code_task.enqueue(task_id)
    elif run_code_task.get_backend().supports_defer:
        run_code_task.using(run_after=run_after).enqueue(task_id)


def code_tasks_sweep(*, at: dt.datetime | None = None) -> int:
    """Queue the code tasks that are due and that nobody runs: a retry whose back-off has
    passed, a task whose worker died (its lease ran out; the attempt is marked abandoned), a
    task queued by an earlier sweep that no worker took within a lease. The worker loop
    (`relay_outbox --follow`) calls it after each relay; returns how many it queued."""
    now = at or clock.now()
    lease = dt.timedelta(seconds=settings.HEADEND_CODE_TASK_LEASE)
    code_tasks = Task.objects.filter(kind=Task.Kind.CODE).exclude(
        work_order__status__in=[WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED]
    )
    due = models.Q(status=Task.Status.READY, next_attempt_at__lte=now)
    lost = models.Q(status=Task.Status.READY, next_attempt_at=None, lease_until__lte=now)
    dead = models.Q(status=Task.Status.IN_PROGRESS, lease_until__lte=now)
    queued = []
    for task_id in code_tasks.filter(due | lost | dead).values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            task = Task.objects.select_for_update().filter(pk=task_id).filter(due | lost | dead).first()
            if task is None:
                continue  # a worker took it meanwhile
            if task.status == Task.Status.IN_PROGRESS:
                _abandon_running_attempts(task, now)
            # Queued now; swept again only if no worker has taken it within a lease.
            task.status, task.next_attempt_at, task.lease_until = Task.Status.READY, None, now + lease
            task.save(update_fields=["status", "next_attempt_at", "lease_until"])
            queued.append(task_id)
            transaction.on_commit(functools.partial(_queue_code_task, task_id))
    return len(queued)


def _clear_flag_if_settled(work_order: WorkOrder) -> None:
    if work_order.flagged_reason and not work_order.tasks.filter(status=Task.Status.FAILED).exists():
        work_order.flagged_reason = ""
        work_order.save(update_fields=["flagged_reason"])


def _check_failed_code_task(task: Task) -> None:
    if task.kind != Task.Kind.CODE:
        raise Conflict("Only a code task is retried, skipped or completed by hand here.", field="kind")
    if task.status != Task.Status.FAILED:
        raise Conflict(
            f"{task.name!r} is {task.get_status_display().lower()}, not failed.", field="status", code="not_failed"
        )


@transaction.atomic
def task_retry(*, task: Task, retried_by: Any) -> Task:
    """Put a failed code task back in the worker's queue, with a fresh set of attempts."""
    work_order, task = _lock(task)
    task.check_transition(Task.Status.READY)
    task.status, task.last_error, task.attempts, task.next_attempt_at = Task.Status.READY, "", 0, None
    task.save(update_fields=["status", "last_error", "attempts", "next_attempt_at"])
    _clear_flag_if_settled(work_order)
    events.emit("task.retried", subject=task, data={"by": str(retried_by)})
    _announce_ready(task)
    return task


@transaction.atomic
def task_skip(*, task: Task, reason: str, skipped_by: Any) -> Task:
    """Go on without a failed code task (the network needs nothing more, or it was done
    another way): it counts as done, with the reason kept."""
    work_order, task = _lock(task)
    _check_failed_code_task(task)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the task is skipped.", field="reason", code="required")
    task.skipped_reason = reason[:200]
    task.save(update_fields=["skipped_reason"])
    now = clock.now()
    _finish(task, work_order, at=now, by=skipped_by, notes=f"Skipped: {reason}", result={"skipped": reason})
    _clear_flag_if_settled(work_order)
    _reforecast(work_order, now)
    return task


@transaction.atomic
def task_complete_by_hand(*, task: Task, notes: str, completed_by: Any) -> Task:
    """A person did what a failed code task could not (configured the router on site, entered
    the subscriber by hand): the task is done with their notes."""
    work_order, task = _lock(task)
    _check_failed_code_task(task)
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError("Say what was done by hand.", field="notes", code="required")
    now = clock.now()
    _finish(task, work_order, at=now, by=completed_by, notes=notes, result={"by_hand": True})
    _clear_flag_if_settled(work_order)
    _reforecast(work_order, now)
    return task


# --- Cancellation ---------------------------------------------------------------------------


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
        _announce_ready(task)
    if not undo_tasks:
        _work_order_finish(work_order, at)
    return work_order


# --- Board moves ----------------------------------------------------------------------------


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
        task_start(task=task, started_by=moved_by)
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
