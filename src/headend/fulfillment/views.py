from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from headend.core.errors import DomainError
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
    context = {"work_order": work_order, "can_fulfil": has_role(request.user, *FULFIL)}
    return render(request, "fulfillment/work_order_detail.html", context)


@staff_required
def my_tasks_view(request: HttpRequest) -> HttpResponse:
    tasks = selectors.task_list_open(user=request.user)
    return render(
        request, "fulfillment/task_queue.html", {"tasks": tasks, "can_fulfil": has_role(request.user, *FULFIL)}
    )


@require_POST
@role_required(*FULFIL)
def task_action_view(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    task = selectors.task_get_for(user=request.user, task_id=task_id)
    try:
        if action == "complete":
            services.task_complete(task=task, completed_by=request.user, notes=request.POST.get("notes", ""))
            messages.success(request, f"Done: {task.name}.")
        elif action == "start":
            services.task_start(task=task, started_by=request.user)
            messages.success(request, f"Started: {task.name}.")
        elif action == "retry":
            services.task_retry(task=task, retried_by=request.user)
            messages.success(request, f"Queued again: {task.name}.")
        else:
            messages.error(request, "Unknown action.")
    except DomainError as exc:
        messages.error(request, exc.message)
    next_url = request.POST.get("next", "")
    if next_url == "queue":
        return redirect("fulfillment:my_tasks")
    return redirect(task.work_order)
