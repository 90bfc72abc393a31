"""The task workflow: a person starts, completes, blocks, unblocks and reschedules a task and
attaches photos to it.

A task can start only when every task it depends on is done. Finishing a task carries the work
on: its successors become ready, the task marked "turns up" puts the service live (or applies
the change, or disconnects it), and the work order completes when all its tasks are done. The
steps the other use cases share (`lock`, `finish`, `work_started`, `announce_ready`,
`work_order_finish`) are here."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction

from headend.catalog.models import WorkAction
from headend.core import bulk, clock, events, user_files
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import forecast
from headend.fulfillment.models import Appointment, Task, TaskAttachment, TaskDependency, WorkOrder
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.orders import services as orders_services


def outcome_task(work_order: WorkOrder) -> Task:
    """The task of a survey work order that records its outcome: the one marked as turning the
    work up, else the last."""
    task = work_order.tasks.filter(turns_up=True).order_by("-position").first()
    return task or work_order.tasks.order_by("-position")[0]


def announce_ready(task: Task) -> None:
    announce_ready_many([task])


def announce_ready_many(tasks: Sequence[Task]) -> None:
    """A `task.ready` event for each task (the code-task queue and the WorkOrder listeners
    follow them), in one insert."""
    events.emit_many(
        "task.ready",
        subjects=list(tasks),
        data=[{"work_order_id": task.work_order_id, "kind": task.kind} for task in tasks],
    )


def lock(task: Task) -> tuple[WorkOrder, Task]:
    """Lock the work order, then the task: one order of locks for every task use case."""
    work_order = (
        WorkOrder.objects.select_related("order_line__order").select_for_update(of=("self",)).get(pk=task.work_order_id)
    )
    return work_order, Task.objects.select_for_update().get(pk=task.pk)


def lock_many(task_ids: Sequence[int]) -> tuple[dict[int, WorkOrder], dict[int, Task]]:
    """`lock` for many tasks: their work orders, then the tasks, each in key order and in one
    statement (two batches never wait on each other in a circle). By key."""
    work_orders = {
        work_order.pk: work_order
        for work_order in WorkOrder.objects.select_related("order_line__order")
        .select_for_update(of=("self",))
        .filter(pk__in=Task.objects.filter(pk__in=task_ids).values("work_order_id"))
        .order_by("pk")
    }
    tasks = {task.pk: task for task in Task.objects.select_for_update().filter(pk__in=task_ids).order_by("pk")}
    return work_orders, tasks


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
    assert work_order.service_id is not None, "a survey's work changes no service"
    if WorkOrder.service.is_cached(work_order) and work_order.service is not None:
        return work_order.service
    return Service(pk=work_order.service_id)


def work_started(work_order: WorkOrder, at: dt.datetime) -> None:
    """The first work on a work order moves it, its service, order line and order forward."""
    works_started([work_order], at)


def works_started(work_orders: Sequence[WorkOrder], at: dt.datetime) -> None:
    """`work_started` for many work orders at once, a statement per table."""
    starting = list({wo.pk: wo for wo in work_orders if wo.status == WorkOrder.Status.PENDING}.values())
    if not starting:
        return
    for work_order in starting:
        work_order.status, work_order.started_at = WorkOrder.Status.IN_PROGRESS, at
    bulk.update_columns(WorkOrder, starting, ["status", "started_at"], history=True)
    adds = [_service_of(work_order) for work_order in starting if work_order.action == WorkAction.ADD]
    if adds:
        inventory_services.services_start_provisioning(services=adds, at=at)
    lines = [work_order.order_line for work_order in starting if work_order.order_line is not None]
    if lines:
        orders_services.order_lines_start(order_lines=lines, at=at)
    events.emit_many("work_order.started", subjects=list(starting), data=[{} for _ in starting])


@transaction.atomic
def task_start(*, task: Task, started_by: Any) -> Task:
    """A technician starts a ready task."""
    work_order, task = lock(task)
    _check_can_work(task, work_order)
    _check_by_hand(task)
    now = clock.now()
    task.check_transition(Task.Status.IN_PROGRESS)
    task.status, task.started_at = Task.Status.IN_PROGRESS, now
    if task.assignee_id is None:
        task.assignee = started_by
    task.save(update_fields=["status", "started_at", "assignee"])
    work_started(work_order, now)
    events.emit("task.started", subject=task)
    forecast.reforecast(work_order, now)
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
        named = ", ".join(f"“{item}”" for item in missing)
        raise ValidationError(
            f"Tick every checklist item first; not ticked: {named}.", field="checklist", code="checklist_open"
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
    appointment, it needs `early_reason` (kept in the notes). The one way a person completes a
    task, from the staff pages and the API alike: every checklist item must be ticked
    (`checklist`, the items ticked; None: those ticked before), and all of it is written or
    none (the files are stored last, once every check has passed).

    Raises Conflict if a predecessor is still open or the task is already done, ValidationError
    (`checklist`) naming the items not ticked, (`early_reason`) for an early completion without
    a reason, (`attachments`) for a file too large or of a type attachments do not allow
    (core/user_files.py)."""
    work_order, task = lock(task)
    _check_can_work(task, work_order)
    _check_by_hand(task)
    task.check_transition(Task.Status.DONE)
    if work_order.is_survey and task.pk == outcome_task(work_order).pk:
        raise Conflict(
            "This task ends the site survey: record its outcome (can the site be built?) instead.",
            field="outcome",
            code="survey_outcome_needed",
        )
    task.checklist = _check_checklist(task, checklist)
    now = clock.now()
    notes = _check_early(task, now, notes=notes, reason=early_reason)
    uploads = _check_attachments(attachments)
    finish(task, work_order, at=now, by=completed_by, notes=notes)
    for upload, name in uploads:
        _attach(task, upload, name, uploaded_by=completed_by, at=now)
    forecast.reforecast(work_order, now)
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


FINISHED_FIELDS = [
    "status",
    "completed_at",
    "completed_by",
    "started_at",
    "notes",
    "result",
    "checklist",
    "blocked_reason",
]


@dataclass
class Finished:
    """A task to mark done (`finish_many`), its locked work order, and what it ends with."""

    task: Task
    work_order: WorkOrder
    notes: str = ""
    result: dict | None = None


def finish(
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
    finish_many([Finished(task, work_order, notes, result)], at=at, by=by, also=also)
    return task


def finish_many(
    finished: Sequence[Finished], *, at: dt.datetime, by: Any, also: Sequence[str] | None = None
) -> list[Task]:
    """`finish` for many tasks (the worker's batch), a statement per table however many: each
    task done (Conflict, before any write, if one cannot be), its successors ready once nothing
    else holds them, each turn-up task's service turned up, each work order with no open task
    completed. Returns the successors made ready."""
    tasks = [item.task for item in finished]
    for item in finished:
        task = item.task
        task.check_transition(Task.Status.DONE)
        task.status, task.completed_at, task.completed_by = Task.Status.DONE, at, by
        task.started_at = task.started_at or at
        task.notes = (item.notes or "").strip() or task.notes
        task.blocked_reason = ""
        if item.result is not None:
            task.result = item.result
    bulk.update_columns(Task, tasks, [*FINISHED_FIELDS, *(also or [])], history=True)
    events.emit_many(
        "task.completed", subjects=list(tasks), data=[{"work_order_id": item.work_order.pk} for item in finished]
    )
    work_orders = list({item.work_order.pk: item.work_order for item in finished}.values())
    works_started(work_orders, at)
    ready = _successors_ready(tasks)
    turning = [
        item.work_order
        for item in finished
        if item.task.turns_up and item.task.undo_of_id is None and item.work_order.cancel_requested_at is None
    ]
    _turn_up_many(list({work_order.pk: work_order for work_order in turning}.values()), at)
    still_open = set(
        Task.objects.filter(work_order_id__in=[wo.pk for wo in work_orders], status__in=Task.OPEN).values_list(
            "work_order_id", flat=True
        )
    )
    work_orders_finish([work_order for work_order in work_orders if work_order.pk not in still_open], at)
    return ready


def _successors_ready(tasks: Sequence[Task]) -> list[Task]:
    """The tasks waiting on these that nothing else holds now become ready (one read, locked);
    returns them."""
    waiting = TaskDependency.objects.filter(task=models.OuterRef("pk")).exclude(
        predecessor__status__in=(Task.Status.DONE, Task.Status.CANCELLED)
    )
    # The successors' keys first (the predecessor index), then those tasks by key: as one
    # statement, PostgreSQL would scan every pending task of every order for the few that follow.
    following = set(
        TaskDependency.objects.filter(predecessor__in=[task.pk for task in tasks]).values_list("task_id", flat=True)
    )
    if not following:
        return []
    successors = list(
        Task.objects.select_for_update()
        .filter(status=Task.Status.PENDING, pk__in=sorted(following))
        .annotate(waiting=models.Exists(waiting))
        .order_by("work_order_id", "position")
    )
    ready: list[Task] = [successor for successor in successors if not successor.waiting]
    for successor in ready:
        successor.status = Task.Status.READY
    bulk.update_columns(Task, ready, ["status"], history=True)
    if ready:
        announce_ready_many(ready)
    return ready


def _turn_up(work_order: WorkOrder, at: dt.datetime) -> None:
    """The turn-up task is done: the order line's change takes effect on the service (a survey
    changes no service: its outcome is `surveys`')."""
    _turn_up_many([work_order], at)


def _turn_up_many(work_orders: Sequence[WorkOrder], at: dt.datetime) -> None:
    """`_turn_up` for many work orders: the services of `add` work turned up together."""
    turning = [work_order for work_order in work_orders if work_order.service_id is not None]
    if not turning:
        return
    adds = [work_order for work_order in turning if work_order.action == WorkAction.ADD]
    if adds:
        services = [_service_of(work_order) for work_order in adds]
        inventory_services.services_activate(
            services=services,
            at=at,
            reasons={service.pk: f"work order {wo.number}" for wo, service in zip(adds, services, strict=True)},
        )
    for work_order in turning:
        reason = f"work order {work_order.number}"
        line = work_order.order_line
        if work_order.action in (WorkAction.MODIFY, WorkAction.MOVE):
            renews_term = line is not None and line.renews_term
            inventory_services.service_apply_change(
                service=_service_of(work_order), order_line=line, at=at, reason=reason, renews_term=renews_term
            )
        elif work_order.action == WorkAction.DELETE:
            inventory_services.service_disconnect(service=_service_of(work_order), at=at, reason=reason)
        elif work_order.action == WorkAction.SUSPEND:
            inventory_services.service_suspend(
                service=_service_of(work_order), reason=f"{work_order.reason} ({reason})"
            )
        elif work_order.action == WorkAction.RESTORE:
            inventory_services.service_resume(service=_service_of(work_order), reason=f"{work_order.reason} ({reason})")
    events.emit_many(
        "work_order.turned_up", subjects=list(turning), data=[{"service_id": wo.service_id} for wo in turning]
    )


def work_order_finish(work_order: WorkOrder, at: dt.datetime) -> None:
    """No task is open: the work order is completed, or cancelled if its order was."""
    work_orders_finish([work_order], at)


def work_orders_finish(work_orders: Sequence[WorkOrder], at: dt.datetime) -> None:
    """`work_order_finish` for many work orders: those completing written together."""
    completing = []
    for work_order in work_orders:
        if work_order.cancel_requested_at is not None:
            _work_order_cancelled(work_order, at)
            continue
        work_order.check_transition(WorkOrder.Status.COMPLETED)
        completing.append(work_order)
    if not completing:
        return
    for work_order in completing:
        work_order.status, work_order.completed_at = WorkOrder.Status.COMPLETED, at
    bulk.update_columns(WorkOrder, completing, ["status", "completed_at"], history=True)
    events.emit_many("work_order.completed", subjects=list(completing), data=[{} for _ in completing])
    lines = [work_order.order_line for work_order in completing if work_order.order_line is not None]
    if lines:
        orders_services.order_lines_complete(order_lines=lines, at=at)


def _work_order_cancelled(work_order: WorkOrder, at: dt.datetime) -> None:
    """The last task of a cancelled order's work is done: the work order is cancelled, and a
    service it never turned up is cancelled with it."""
    work_order.check_transition(WorkOrder.Status.CANCELLED)
    work_order.status, work_order.completed_at = WorkOrder.Status.CANCELLED, at
    work_order.save(update_fields=["status", "completed_at"])
    events.emit("work_order.cancelled", subject=work_order)
    service = work_order.service
    if work_order.action == WorkAction.ADD and service is not None and service.activated_at is None:
        inventory_services.service_disconnect(service=service, at=at, reason="order cancelled")
    if work_order.order_line is not None:
        orders_services.order_line_cancelled(order_line=work_order.order_line, at=at)


@transaction.atomic
def task_block(*, task: Task, reason: str, blocked_by: Any) -> Task:
    """Stop work on a task for a reason (no access, waiting on a permit); its successors wait.
    The forecast follows: a blocked task cannot finish before now plus its planned duration
    (and the worker plans it again each day it stays blocked: forecast.DailyReforecast)."""
    work_order, task = lock(task)
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
    forecast.reforecast(work_order, clock.now())
    return task


@transaction.atomic
def task_unblock(*, task: Task, unblocked_by: Any) -> Task:
    """Work can go on: back to in progress if it had started, else ready; the forecast follows."""
    work_order, task = lock(task)
    if task.status != Task.Status.BLOCKED:
        raise Conflict("The task is not blocked.", field="status", code="invalid_transition")
    task.status = Task.Status.IN_PROGRESS if task.started_at else Task.Status.READY
    task.blocked_reason = ""
    task.save(update_fields=["status", "blocked_reason"])
    events.emit("task.unblocked", subject=task)
    if task.status == Task.Status.READY:
        announce_ready(task)
    forecast.reforecast(work_order, clock.now())
    return task


@transaction.atomic
def task_reschedule(*, task: Task, not_before: dt.datetime | None, rescheduled_by: Any) -> Task:
    """Move a task that has not started to no earlier than `not_before`; successors and the
    forecast follow."""
    work_order, task = lock(task)
    if task.status not in (Task.Status.PENDING, Task.Status.READY, Task.Status.BLOCKED):
        raise Conflict("Only a task that has not started can be rescheduled.", field="status")
    if not_before is not None and not_before.tzinfo is None:
        raise ValidationError("Give the date and time with its time zone.", field="not_before")
    task.not_before = not_before
    task.save(update_fields=["not_before"])
    events.emit("task.rescheduled", subject=task, data={"not_before": not_before.isoformat() if not_before else None})
    forecast.reforecast(work_order, clock.now())
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
    _, task = lock(task)
    ((upload, name),) = _check_attachments([upload])
    return _attach(task, upload, name, uploaded_by=uploaded_by, at=clock.now())
