"""Reads of work orders and tasks."""

from collections.abc import Collection
from typing import Any

from django.db import models

from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.fulfillment.models import Task, WorkOrder


def _scoped(user: Any) -> models.QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(service__account__in=account_scope(user=user))


def work_order_list(
    *,
    user: Any,
    status: str = "",
    account_id: Any = None,
    order_id: Any = None,
    statuses: Collection[str] | None = None,
    detailed: bool = False,
) -> models.QuerySet[WorkOrder]:
    """Work orders `user` may see; `statuses` keeps those in any of several (an empty one matches none);
    `detailed` also loads each work order's tasks and their dependencies."""
    work_orders = _scoped(user).select_related(
        "service__account", "service__location", "service__product_version__product", "order_line__order"
    )
    if status:
        work_orders = work_orders.filter(status=status)
    if statuses is not None:
        work_orders = work_orders.filter(status__in=list(statuses))
    if detailed:
        work_orders = work_orders.prefetch_related(
            models.Prefetch("tasks", queryset=Task.objects.prefetch_related("depends_on").order_by("position"))
        )
    if account_id not in (None, ""):
        work_orders = work_orders.filter(service__account_id=parse_id(account_id))
    if order_id not in (None, ""):
        work_orders = work_orders.filter(order_line__order_id=parse_id(order_id))
    return work_orders.order_by("-created_at", "-id")


def work_order_get_for(*, user: Any, work_order_id: Any) -> WorkOrder:
    work_order = (
        _scoped(user)
        .filter(pk=parse_id(work_order_id))
        .select_related(
            "service__account", "service__location", "service__product_version__product", "order_line__order"
        )
        .prefetch_related(
            models.Prefetch(
                "tasks",
                queryset=Task.objects.select_related("assignee", "completed_by")
                .prefetch_related("depends_on")
                .order_by("position"),
            )
        )
        .first()
    )
    if work_order is None:
        raise NotFound("No such work order.", field="id")
    return work_order


def task_get_for(*, user: Any, task_id: Any) -> Task:
    task = (
        Task.objects.filter(pk=parse_id(task_id), work_order__service__account__in=account_scope(user=user))
        .select_related("work_order")
        .first()
    )
    if task is None:
        raise NotFound("No such task.", field="id")
    return task


def task_list_open(*, user: Any, role: str = "") -> models.QuerySet[Task]:
    tasks = Task.objects.filter(
        work_order__service__account__in=account_scope(user=user),
        status__in=[Task.Status.READY, Task.Status.IN_PROGRESS, Task.Status.FAILED],
    ).select_related("work_order__service__account", "work_order__service__location", "assignee")
    if role:
        tasks = tasks.filter(role=role)
    return tasks.order_by("work_order__created_at", "position")
