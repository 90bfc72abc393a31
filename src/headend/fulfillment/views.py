import datetime as dt

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core import clock
from headend.core.errors import DomainError, ValidationError
from headend.core.pagination import paginate
from headend.core.permissions import FULFIL, has_role, role_required, staff_required
from headend.fulfillment import selectors, services
from headend.fulfillment.models import WorkOrder


@staff_required
def work_order_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    work_orders = selectors.work_order_list(
        user=request.user, status=status if status in WorkOrder.Status.values else ""
    )
    context = {"status": status, "statuses": WorkOrder.Status.choices, **paginate(request, work_orders)}
    return render(request, "fulfillment/work_order_list.html", context)


@staff_required
def work_order_detail_view(request: HttpRequest, work_order_id: int) -> HttpResponse:
    work_order = selectors.work_order_get_for(user=request.user, work_order_id=work_order_id)
    can_fulfil = has_role(request.user, *FULFIL)
    tasks = list(work_order.tasks.all())
    slots = {
        task.pk: selectors.appointment_slots(task=task)
        for task in tasks
        if can_fulfil and task.needs_appointment and task.status in ("pending", "ready", "blocked")
    }
    context = {
        "work_order": work_order,
        "tasks": tasks,
        "can_fulfil": can_fulfil,
        "slots": slots,
        "appointments": {a.task_id: a for a in selectors.appointment_for(task_ids=[t.pk for t in tasks])},
        "assignees": selectors.assignable_users() if can_fulfil else [],
        "slip": selectors.slip_label(planned=work_order.planned_finish, forecast=work_order.forecast_finish),
    }
    return render(request, "fulfillment/work_order_detail.html", context)


@staff_required
def my_tasks_view(request: HttpRequest) -> HttpResponse:
    tasks = selectors.task_list_open(user=request.user)
    return render(
        request, "fulfillment/task_queue.html", {"tasks": tasks, "can_fulfil": has_role(request.user, *FULFIL)}
    )


@staff_required
def my_work_view(request: HttpRequest) -> HttpResponse:
    """Each person's tasks for today and this week."""
    context = {
        **selectors.my_work(user=request.user),
        "can_fulfil": has_role(request.user, *FULFIL),
        "assignees": [],
        "slots": {},
        "appointments": {},
    }
    return render(request, "fulfillment/my_work.html", context)


@staff_required
def attachment_view(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A task's photo or document, to staff who may see the task."""
    attachment = selectors.attachment_get_for(user=request.user, attachment_id=attachment_id)
    return FileResponse(attachment.file.open("rb"), filename=attachment.name)


def _local_instant(value: str, *, field: str) -> dt.datetime | None:
    """A `datetime-local` form value, read in the provider's time zone."""
    if not value:
        return None
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("Give a date and time.", field=field) from exc
    return naive.replace(tzinfo=clock.provider_zone()) if naive.tzinfo is None else naive


@require_POST
@role_required(*FULFIL)
def task_action_view(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """One step of a task's workflow from the work-order page or the task queue."""
    task = selectors.task_get_for(user=request.user, task_id=task_id)
    post, user = request.POST, request.user
    try:
        if action == "complete":
            services.task_complete(
                task=task,
                completed_by=user,
                notes=post.get("notes", ""),
                checklist=post.getlist("checklist"),
                attachments=request.FILES.getlist("attachments"),
            )
            messages.success(request, f"Done: {task.name}.")
        elif action == "start":
            services.task_start(task=task, started_by=user)
            messages.success(request, f"Started: {task.name}.")
        elif action == "block":
            services.task_block(task=task, reason=post.get("reason", ""), blocked_by=user)
            messages.warning(request, f"Blocked: {task.name}.")
        elif action == "unblock":
            services.task_unblock(task=task, unblocked_by=user)
            messages.success(request, f"Unblocked: {task.name}.")
        elif action == "assign":
            if post.get("assignee") == "auto":
                task = services.task_assign_automatically(task=task, assigned_by=user)
                messages.success(request, f"{task.name} assigned to {task.assignee}.")
            else:
                assignee = selectors.assignable_user_get(user_id=post.get("assignee"))
                services.task_assign(task=task, assignee=assignee, assigned_by=user)
                messages.success(request, f"{task.name} assigned to {assignee or 'nobody'}.")
        elif action == "reschedule":
            not_before = _local_instant(post.get("not_before", ""), field="not_before")
            services.task_reschedule(task=task, not_before=not_before, rescheduled_by=user)
            messages.success(request, f"Rescheduled: {task.name}.")
        elif action == "book":
            start = _local_instant(post.get("start", ""), field="start")
            if start is None:
                raise ValidationError("Pick a slot.", field="start")
            appointment = services.appointment_book(task=task, start=start, booked_by=user)
            messages.success(request, f"Booked {appointment.start.astimezone(clock.provider_zone()):%a %b %-d %H:%M}.")
        elif action == "retry":
            services.task_retry(task=task, retried_by=user)
            messages.success(request, f"Queued again: {task.name}.")
        else:
            messages.error(request, "Unknown action.")
    except DomainError as exc:
        messages.error(request, exc.message)
    if post.get("next", "") == "queue":
        return redirect("fulfillment:my_tasks")
    if post.get("next", "") == "my-work":
        return redirect("fulfillment:my_work")
    return redirect(task.work_order)
