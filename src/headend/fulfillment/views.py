import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from headend.core import clock, user_files
from headend.core.boards import BoardFilters
from headend.core.errors import DomainError, ValidationError
from headend.core.http import HtmxHttpRequest
from headend.core.pagination import paginate
from headend.core.permissions import may, permission_required, require, staff_required
from headend.fulfillment import boards, field_work, gantt, selectors, services, work_history
from headend.fulfillment.forms import MyWorkForm, TaskCompleteForm
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory import selectors as inventory_selectors
from headend.orders import selectors as orders_selectors


@staff_required
def work_order_list_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    flagged = request.GET.get("flagged") == "1"
    work_orders = selectors.work_order_list(
        user=request.user, status=status if status in WorkOrder.Status.values else "", flagged=flagged
    )
    context = {
        "status": status,
        "flagged": flagged,
        "statuses": WorkOrder.Status.choices,
        "flagged_count": selectors.work_order_list(user=request.user, flagged=True).count(),
        **paginate(request, work_orders),
    }
    return render(request, "fulfillment/work_order_list.html", context)


@staff_required
def work_order_detail_view(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The work order as the technician uses it: the site sheet (address, who meets them, how
    to get in, a map, what to bring, the visit booked), the tasks with one Complete each, and
    the history in words."""
    work_order = selectors.work_order_get_for(user=request.user, work_order_id=work_order_id)
    can_fulfil = may(request.user, "work_order.move")
    tasks = list(work_order.tasks.all())
    slots = {
        task.pk: selectors.appointment_slots(task=task)
        for task in tasks
        if can_fulfil and task.needs_appointment and task.status in ("pending", "ready", "blocked")
    }
    context = {
        "work_order": work_order,
        "tasks": tasks,
        "site": field_work.site_sheet(work_order=work_order, tasks=tasks),
        "can_fulfil": can_fulfil,
        # What code tasks received (their results and the attempt log's exchanges) is for those
        # who may edit templates: answers of outside systems can hold anything.
        "can_see_exchanges": may(request.user, "template.edit"),
        "slots": slots,
        "appointments": {a.task_id: a for a in selectors.appointment_for(task_ids=[t.pk for t in tasks])},
        "assignees": selectors.assignable_users() if can_fulfil else [],
        "slip": selectors.slip_label(planned=work_order.planned_finish, forecast=work_order.forecast_finish),
        "promise": selectors.promise_label(work_order=work_order, at=clock.now()),
        "history": work_history.work_order_history(work_order=work_order),
        "code_attempts": selectors.code_attempts_by_task(work_order_id=work_order.pk),
        "max_attempts": settings.HEADEND_CODE_TASK_MAX_ATTEMPTS,
    }
    return render(request, "fulfillment/work_order_detail.html", context)


@staff_required
def my_tasks_view(request: HttpRequest) -> HttpResponse:
    tasks = selectors.task_list_open(user=request.user)
    context = {
        "tasks": tasks,
        "can_fulfil": may(request.user, "work_order.move"),
        "can_see_exchanges": may(request.user, "template.edit"),
    }
    return render(request, "fulfillment/task_queue.html", context)


@staff_required
def my_work_view(request: HttpRequest) -> HttpResponse:
    """Each person's visits and tasks, by day, for the days asked for (`from`, `to`; today and
    the next seven by default): wrong dates are a field error, not a failure."""
    form = MyWorkForm(request.GET)
    days_range = form.range()
    days = field_work.my_work(user=request.user, first=days_range[0], last=days_range[1]) if days_range else []
    first, last = days_range or MyWorkForm.default_range()
    context = {
        "form": form,
        "days": days,
        "first": first,
        "last": last,
        "presets": [
            {"label": label, "from": start, "to": end, "current": days_range == (start, end)}
            for label, start, end in MyWorkForm.presets()
        ],
    }
    return render(request, "fulfillment/my_work.html", context)


def _next_url(request: HttpRequest, task: Task) -> str:
    """Where a task's form returns: My work or the task queue when it came from there, else
    the task on its work order."""
    back = request.POST.get("next", "") or request.GET.get("next", "")
    if back == "queue":
        return reverse("fulfillment:my_tasks")
    if back == "my-work":
        return reverse("fulfillment:my_work")
    return f"{task.work_order.get_absolute_url()}#task-{task.pk}"


@staff_required
def task_complete_view(request: HtmxHttpRequest, task_id: int) -> HttpResponse:
    """The one way a person completes a task: its checklist (every item ticked), notes, photos
    and documents, in one use case. Opened from the task's Complete (into the task's row with
    htmx, as a page without JavaScript); a refusal comes back on the field at fault."""
    task = selectors.task_get_for(user=request.user, task_id=task_id)
    require(request.user, "task.work", named=task.role)
    posted = request.method == "POST"
    now = clock.now()
    visit_ahead = any(visit.start > now for visit in selectors.appointment_for(task_ids=[task.pk]))
    form = TaskCompleteForm(
        request.POST if posted else None, request.FILES if posted else None, task=task, visit_ahead=visit_ahead
    )
    if posted and form.is_valid():
        try:
            services.task_complete(
                task=task,
                completed_by=request.user,
                notes=form.cleaned_data["notes"],
                checklist=form.cleaned_data.get("checklist", []),
                attachments=form.cleaned_data["attachments"],
                early_reason=form.cleaned_data.get("early_reason", ""),
            )
        except DomainError as exc:
            form.add_use_case_error(exc)
        else:
            messages.success(request, f"Done: {task.name}.")
            return redirect(_next_url(request, task))
    context = {
        "task": task,
        "work_order": task.work_order,
        "form": form,
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
        "back": _next_url(request, task),
    }
    template = "fulfillment/task_complete.html"
    if request.htmx and request.method == "GET":
        template += "#complete-form"
    return render(request, template, context)


@staff_required
def attachment_view(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A task's photo or document, as a download, to staff who may see its work order."""
    attachment = selectors.attachment_get_for(user=request.user, attachment_id=attachment_id)
    return user_files.download_response(
        attachment.file.open("rb"), filename=attachment.name, kind=user_files.ATTACHMENT
    )


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
@staff_required
def task_action_view(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """One step of a task's workflow from the work-order page or the task queue, for those
    core/permissions lets work it ("task.work": provisioning, and the role the task names)."""
    task = selectors.task_get_for(user=request.user, task_id=task_id)
    require(request.user, "task.work", named=task.role)
    post, user = request.POST, request.user
    try:
        # Completing is its own page (task_complete_view), which the route "tasks/<id>/complete/" reaches.
        if action == "start":
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
        elif action == "skip":
            services.task_skip(task=task, reason=post.get("reason", ""), skipped_by=user)
            messages.success(request, f"Skipped: {task.name}.")
        elif action == "complete_by_hand":
            services.task_complete_by_hand(task=task, notes=post.get("notes", ""), completed_by=user)
            messages.success(request, f"Completed by hand: {task.name}.")
        else:
            messages.error(request, "Unknown action.")
    except DomainError as exc:
        messages.error(request, exc.message)
    if post.get("next", "") == "queue":
        return redirect("fulfillment:my_tasks")
    if post.get("next", "") == "my-work":
        return redirect("fulfillment:my_work")
    return redirect(task.work_order)


# --- Board and Gantt charts -------------------------------------------------------------------


def _work_order_board_page(request: HttpRequest, params: Any, *, status: int = 200, error: str = "") -> HttpResponse:
    filters = BoardFilters.from_query(params)
    context = {
        "columns": boards.work_order_board(user=request.user, filters=filters, at=clock.now()),
        "choices": boards.work_order_board_choices(user=request.user),
        "filters": filters,
        "filter_pairs": filters.query_pairs(),
        "statuses": WorkOrder.Status.choices,
        "can_move": may(request.user, "work_order.move"),
        "error": error,
    }
    return render(request, "fulfillment/work_order_board.html", context, status=status)


@staff_required
def work_order_board_view(request: HttpRequest) -> HttpResponse:
    return _work_order_board_page(request, request.GET)


@require_POST
@permission_required("work_order.move")
def work_order_move_view(request: HtmxHttpRequest, work_order_id: int) -> HttpResponse:
    """A card dropped in another column (the board's script) or its "Move to" form. A refused
    move answers 409 with the reason: as text to the script, on the board without JavaScript."""
    work_order = selectors.work_order_get_for(user=request.user, work_order_id=work_order_id)
    try:
        work_order = services.work_order_move(
            work_order=work_order, to=request.POST.get("to", ""), moved_by=request.user
        )
    except DomainError as exc:
        if request.htmx:
            return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
        return _work_order_board_page(request, request.POST, status=409, error=exc.message)
    filters = BoardFilters.from_query(request.POST)
    if not request.htmx:
        messages.success(request, f"{work_order.number} is {work_order.get_status_display().lower()}.")
        query = urlencode(filters.query_pairs())
        return redirect(f"{reverse('fulfillment:board')}{'?' if query else ''}{query}")
    context = {
        "card": boards.work_order_board_card(user=request.user, work_order_id=work_order.pk, at=clock.now()),
        "filter_pairs": filters.query_pairs(),
        "statuses": WorkOrder.Status.choices,
        "can_move": True,
    }
    return render(request, "fulfillment/work_order_board.html#card", context)


def _gantt_group(work_order: WorkOrder) -> gantt.GanttGroup:
    """A work order and its tasks (but cancelled ones, which the forecast leaves out) for the chart;
    its header row leads to its own chart, a task's row to the task on the work-order page."""
    url, location = work_order.get_absolute_url(), work_order.site
    tasks = [task for task in work_order.tasks.all() if task.status != task.Status.CANCELLED]
    return gantt.GanttGroup(
        key=f"wo-{work_order.pk}",
        label=f"{work_order.number} · {location.name or location.street}, {location.city.title()}",
        status=work_order.status,
        href=reverse("fulfillment:work_order_gantt", args=[work_order.pk]),
        tasks=tuple(
            gantt.GanttTask(
                key=str(task.pk),
                name=f"{task.position}. {task.name}",
                status=task.status,
                status_label=task.get_status_display(),
                forecast_start=task.forecast_start,
                forecast_finish=task.forecast_finish,
                planned_start=task.planned_start,
                planned_finish=task.planned_finish,
                actual_start=task.started_at,
                actual_finish=task.completed_at,
                critical=task.critical,
                milestone=task.kind == task.Kind.MILESTONE or task.planned_minutes == 0,
                predecessors=tuple(str(dep.pk) for dep in task.depends_on.all()),
                slack_minutes=task.slack_minutes,
                href=f"{url}#task-{task.pk}",
            )
            for task in tasks
        ),
    )


@staff_required
def order_gantt_view(request: HttpRequest, order_id: int) -> HttpResponse:
    """Every task of an order on one chart, a header row per work order."""
    order = orders_selectors.order_get_for(user=request.user, order_id=order_id)
    work_orders = sorted(
        selectors.work_order_list(user=request.user, order_id=order.pk, detailed=True).select_related(
            "order_line__location"
        ),
        key=lambda work_order: work_order.order_line.position if work_order.order_line else 0,
    )
    calendar = selectors.provider_calendar()
    planned, forecast = order.planned_go_live, order.forecast_go_live
    chart = gantt.chart(
        [_gantt_group(work_order) for work_order in work_orders],
        now=clock.now(),
        calendar=calendar,
        planned_go_live=planned,
        forecast_go_live=forecast,
    )
    context = {
        "order": order,
        "chart": chart,
        "planned": planned,
        "forecast": forecast,
        "slip": gantt.go_live_slip(planned, forecast, calendar),
    }
    return render(request, "fulfillment/order_gantt.html", context)


@staff_required
def work_order_gantt_view(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """One work order's tasks on a chart."""
    work_order = selectors.work_order_get_for(user=request.user, work_order_id=work_order_id)
    calendar = selectors.provider_calendar()
    planned, forecast = work_order.planned_finish, work_order.forecast_finish
    chart = gantt.chart(
        [_gantt_group(work_order)],
        now=clock.now(),
        calendar=calendar,
        planned_go_live=planned,
        forecast_go_live=forecast,
        headers=False,
    )
    context = {
        "work_order": work_order,
        "chart": chart,
        "planned": planned,
        "forecast": forecast,
        "slip": gantt.go_live_slip(planned, forecast, calendar),
    }
    return render(request, "fulfillment/work_order_gantt.html", context)


# --- A service's actions (the service page's panel, panels.py) -----------------------------


@require_POST
@permission_required("service.action")
def service_action_view(request: HttpRequest, service_id: int) -> HttpResponse:
    """Suspend, restore or disconnect: a work order whose code tasks change the network."""
    service = inventory_selectors.service_get_for(user=request.user, service_id=service_id)
    try:
        work_order = services.service_action_request(
            service=service,
            action=request.POST.get("action", ""),
            reason=request.POST.get("reason", ""),
            requested_by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(service)
    messages.success(request, f"{work_order.number} is under way: {work_order.name}.")
    return redirect(service)
