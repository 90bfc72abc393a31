"""The forecast writer: the open tasks of an order (or of a work order outside any order)
planned on the provider's business calendar, the plan written to the tasks, their work orders
and the order's go-live. Every change to a task reschedules its order's forecast."""

import datetime as dt
from typing import Any, cast

from django.db import connections, models, router

from headend.fulfillment import scheduling
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import Task, WorkOrder
from headend.orders import services as orders_services


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


def reforecast(work_order: WorkOrder, at: dt.datetime) -> None:
    if work_order.order_line is None:
        work_order_forecast(work_order=work_order, at=at)
    else:
        order_forecast(order=work_order.order_line.order, at=at)
