"""Work orders made: the work of an order line, or of a service action asked for outside any
order (suspend, restore, disconnect), copied from its product's template for the action.

An order's lines get their work all at once (`work_orders_create`): the work orders, their
tasks, the tasks' dependencies and history, and the events are written a statement per table
however many lines there are; the single paths are that batch with one item."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
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
from headend.orders.hooks import WorkRequest

Templates = dict[tuple[int, str], Any]


@dataclass
class _Work:
    """A work order to make from `template`, and what its `work_order.created` event says. Its
    first tasks wait for `waits_for` (a task of work that exists already) or for the turn-up
    task of item `after` of the same batch."""

    work_order: WorkOrder
    template: Any
    event: dict[str, Any]
    waits_for: Task | None = None
    after: int | None = None


@transaction.atomic
def work_order_create(
    *,
    order_line: Any,
    service: Any,
    at: dt.datetime,
    templates: Templates | None = None,
    after: WorkOrder | None = None,
    requested_by: Any = None,
) -> WorkOrder:
    """The work for one order line, copied from its product's template for the line's action.
    With `after` (the work of the base service an add-on rides on), the work starts only once
    that work order has turned its service up. `requested_by` (who accepted the quote or placed
    the order) is named in the history of what the worker's code tasks change.

    A later template change never alters the work order. Raises Conflict (`no_template`)."""
    work = _line_work(order_line, service, {} if templates is None else templates, requested_by, at)
    work.waits_for = _turn_up_task(after) if after is not None else None
    return _make([work], at)[0]


@transaction.atomic
def work_orders_create(
    *, requests: Sequence[WorkRequest], at: dt.datetime, requested_by: Any = None, templates: Templates | None = None
) -> list[WorkOrder]:
    """The work of many order lines at once (an order's decomposition, which schedules the order
    once they exist), in the order of `requests`: each as `work_order_create` makes it; one whose
    request names `after` waits for the turn-up of that request's work.

    Raises Conflict (`no_template`) naming the first line whose product has no template."""
    templates = {} if templates is None else templates
    works = []
    for index, request in enumerate(requests):
        work = _line_work(request.order_line, request.service, templates, requested_by, at)
        if request.after is not None:
            if not 0 <= request.after < len(requests) or request.after == index:
                raise ValueError(f"Request {index} waits for request {request.after}, which is not another one.")
            work.after = request.after
        works.append(work)
    return _make(works, at)


def _template(product_id: int, action: str, templates: Templates) -> Any:
    """The product's template for the action (None if it has none), read once per batch."""
    key = (product_id, action)
    if key not in templates:
        templates[key] = catalog_selectors.template_for(product_id=product_id, action=action)
    return templates[key]


def _line_work(order_line: Any, service: Any, templates: Templates, requested_by: Any, at: dt.datetime) -> _Work:
    """The rules of an order line's work: the template of its product for the line's action
    (a move's, a modify's...), named for its site, asked for by `requested_by`."""
    product = order_line.product_version.product
    action = order_line.template_action
    if action is None:
        raise Conflict(f"Line {order_line.position} changes only the contract: it needs no work order.", field="action")
    template = _template(product.pk, action, templates)
    if template is None:
        raise Conflict(
            f"{product} has no work-order template for {action}; define one in the catalog before accepting.",
            field="product_version",
            code="no_template",
        )
    work_order = WorkOrder(
        order_line=order_line,
        service=service,
        action=action,
        created_at=at,
        name=f"{template.name}: {order_line.location.one_line}",
        requested_by=requested_by if getattr(requested_by, "pk", None) is not None else None,
    )
    return _Work(work_order, template, {"order_line_id": order_line.pk})


def _make(works: Sequence[_Work], at: dt.datetime) -> list[WorkOrder]:
    """Save the work orders with their history, copy their templates' tasks, and announce them:
    a `work_order.created` event each (the WorkOrderCreateEvent listeners receive), then a
    `task.ready` for each task that can start."""
    work_orders = bulk_create_with_history([work.work_order for work in works], WorkOrder)
    tasks = _copy_templates(works, at)
    events.emit_many("work_order.created", subjects=work_orders, data=[work.event for work in works])
    task_flow.announce_ready_many(
        [task for chunk in tasks for task in sorted(chunk, key=_position) if task.status == Task.Status.READY]
    )
    return work_orders


def _copy_template_tasks(
    work_order: WorkOrder, template: Any, at: dt.datetime, *, waits_for: Task | None = None
) -> list[Task]:
    """The template's tasks on the (saved) work order; with `waits_for`, its first tasks wait
    for that task (of another work order) too."""
    return _copy_templates([_Work(work_order, template, {}, waits_for=waits_for)], at)[0]


def _copy_templates(works: Sequence[_Work], at: dt.datetime) -> list[list[Task]]:
    """Each (saved) work order's tasks from its template, with their history and dependencies,
    in three inserts. A task waits (pending) when it depends on another; the rest are ready."""
    specs = [list(work.template.tasks.all()) for work in works]
    tasks = [
        [
            Task(
                work_order=work.work_order,
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
            )
            for spec in work_specs
        ]
        for work, work_specs in zip(works, specs, strict=True)
    ]
    waits = [work.waits_for if work.after is None else _turn_up_of(tasks[work.after]) for work in works]
    for work_specs, chunk, waits_for in zip(specs, tasks, waits, strict=True):
        for spec, task in zip(work_specs, chunk, strict=True):
            task.status = Task.Status.PENDING if spec.dependencies.all() or waits_for else Task.Status.READY
    created = bulk_create_with_history([task for chunk in tasks for task in chunk], Task, default_date=at)
    assert all(task.pk is not None for task in created), "the database returns the keys it gives"
    dependencies = []
    for work_specs, chunk, waits_for in zip(specs, tasks, waits, strict=True):
        by_spec = {spec.pk: task for spec, task in zip(work_specs, chunk, strict=True)}
        dependencies += [
            TaskDependency(task=by_spec[spec.pk], predecessor=by_spec[dep.predecessor_id], lag_minutes=dep.lag_minutes)
            for spec in work_specs
            for dep in spec.dependencies.all()
        ]
        if waits_for is not None:
            dependencies += [
                TaskDependency(task=by_spec[spec.pk], predecessor=waits_for)
                for spec in work_specs
                if not spec.dependencies.all()
            ]
    TaskDependency.objects.bulk_create(dependencies)
    return tasks


def _position(task: Task) -> int:
    return task.position


def _turn_up_of(tasks: Sequence[Task]) -> Task | None:
    """Of a work order's tasks, the open one that turns its service up: the first marked so,
    else the last (None once it is done)."""
    ordered = sorted(tasks, key=_position)
    task = next((task for task in ordered if task.turns_up), ordered[-1] if ordered else None)
    return task if task is not None and task.status not in (Task.Status.DONE, Task.Status.CANCELLED) else None


def _turn_up_task(work_order: WorkOrder) -> Task | None:
    """The open task that turns the work order's service up (None once it is done)."""
    return _turn_up_of(list(work_order.tasks.all()))


def _announce_ready_tasks(work_order: WorkOrder) -> None:
    task_flow.announce_ready_many(list(work_order.tasks.filter(status=Task.Status.READY).order_by("position")))


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
    work = WorkOrder(
        order_line=None,
        service=service,
        action=action,
        created_at=at,
        name=f"{template.name}: {service.location.one_line}",
        requested_by=requested_by,
        reason=reason[:200],
    )
    (work_order,) = _make([_Work(work, template, {"service_id": service.pk, "action": action})], at)
    forecast.work_order_forecast(work_order=work_order, at=at, baseline=True)
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
