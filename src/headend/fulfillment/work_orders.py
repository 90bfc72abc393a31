"""Work orders made: the work of an order line, or of a service action asked for outside any
order (suspend, restore, disconnect), copied from its product's template for the action."""

import datetime as dt
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import WorkAction
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import require
from headend.fulfillment import forecast, task_flow
from headend.fulfillment.models import Task, TaskDependency, WorkOrder
from headend.inventory import services as inventory_services
from headend.inventory.models import Service


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
                equipment=list(spec.equipment or []),
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
        task_flow.announce_ready(task)


@transaction.atomic
def service_action_request(*, service: Service, action: str, reason: str, requested_by: Any) -> WorkOrder:
    """Suspend, restore or disconnect a live service outside an order (non-payment, a customer's
    request): a work order from the product's template for that action, whose code tasks
    change the network and whose turn-up task changes the service's status.

    A disconnect takes the service's add-ons with it (a work order each): an add-on never
    outlives the service it rides on. Refused while another work order on the service is open
    (one change at a time). `requested_by` None is the system (the worker, an order)."""
    if requested_by is not None:
        require(requested_by, "service.action")
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
    if action == WorkAction.DELETE:
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
    forecast.work_order_forecast(work_order=work_order, at=at, baseline=True)
    _announce_ready_tasks(work_order)
    if action == WorkAction.DELETE:
        for addon in Service.objects.filter(
            base_service=service, status__in=[Service.Status.ACTIVE, Service.Status.SUSPENDED]
        ).order_by("pk"):
            service_action_request(
                service=addon,
                action=WorkAction.DELETE,
                reason=f"{reason} (rides on {service.number})",
                requested_by=requested_by,
            )
    work_order.refresh_from_db()
    return work_order
