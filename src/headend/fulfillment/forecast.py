"""The forecast writer: the open tasks of an order (or of a work order outside any order)
planned on the provider's business calendar, the plan written to the tasks, their work orders
and the order's go-live. Every change to a task reschedules its order's forecast.

The plan is levelled (scheduling.py): a person's task (one that needs a skill, or is assigned
to a technician) is planned on a technician's own calendar, around what other open orders'
forecasts and booked visits already hold them to, first come, first served: an order planned
again never moves another order's tasks, it fits around them. Each levelled task records the
technician it is planned on (`Task.forecast_technician`), which is what the next order's plan
sees as taken.

An add-on's work waits for its base service's turn-up: in the same order through a task
dependency (made at decomposition), in another open order as a `not_before` of its first
tasks from that order's forecast; a base that is already live holds nothing.

The first plan (the baseline) also sets the work order's committed finish: the later of its
planned finish and the provider's delivery target (HEADEND_DELIVERY_TARGET_WORKING_DAYS
working days from the order). The order has no customer's requested date yet; when it has
one, that date is the commitment."""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction

from headend.catalog.models import WorkAction
from headend.core import bulk, clock, events
from headend.fulfillment import scheduling
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import Appointment, Task, TaskDependency, Technician, WorkOrder
from headend.orders import services as orders_services
from headend.orders.models import Order

WORK_ORDER_OPEN = (WorkOrder.Status.PENDING, WorkOrder.Status.IN_PROGRESS)
# The task columns a plan reads (status, durations, actuals, who) and writes (the forecast).
PLAN_FIELDS = (
    "work_order_id",
    "position",
    "kind",
    "status",
    "planned_minutes",
    "not_before",
    "started_at",
    "completed_at",
    "skill_id",
    "assignee_id",
    "forecast_start",
    "forecast_finish",
    "slack_minutes",
    "critical",
    "forecast_technician_id",
    "planned_start",
    "planned_finish",
)


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
    tasks = _plan_tasks(task_rows)
    dependencies = _dependencies(task_rows, {task.pk for task in tasks})
    calendar = fulfillment_selectors.provider_calendar()
    work_orders = _plan_work_orders({task.work_order_id for task in tasks})
    waits = _base_turn_ups(work_orders, task_rows)
    crews, technician_of = _crews(calendar) if any(_by_a_person(task) for task in tasks) else ([], {})
    booked = _booked(crews, task_rows, at) if crews else []
    planned = _plan(
        tasks, dependencies, work_orders, waits, start=start, at=at, calendar=calendar, baseline=baseline,
        crews=crews, technician_of=technician_of, booked=booked,
    )  # fmt: skip
    fields, wo_fields = _written(baseline)
    # Only what moved is written: after a slip that is the slipped chain, not the whole order.
    bulk.update_columns(Task, planned.tasks, fields)
    bulk.update_columns(WorkOrder, planned.work_orders, wo_fields)
    return planned.schedule


def _plan_tasks(task_rows: models.QuerySet[Task]) -> list[Task]:
    # Only what the plan reads and writes: a large order's tasks carry JSON (checklists,
    # parameters, results) that costs more to load than the plan does to make.
    return list(
        task_rows.exclude(status=Task.Status.CANCELLED).only(*PLAN_FIELDS).order_by("work_order_id", "position")
    )


def _dependencies(task_rows: models.QuerySet[Task], live: set[int]) -> dict[int, list[scheduling.Dependency]]:
    dependencies: dict[int, list[scheduling.Dependency]] = {}
    for task_id, predecessor_id, lag_minutes in (
        TaskDependency.objects.filter(task__in=task_rows.values("pk"))
        .order_by("pk")
        .values_list("task_id", "predecessor_id", "lag_minutes")
    ):
        if predecessor_id in live:
            dependencies.setdefault(task_id, []).append(scheduling.Dependency(str(predecessor_id), lag_minutes))
    return dependencies


def _plan_work_orders(ids: set[int]) -> list[WorkOrder]:
    return list(
        WorkOrder.objects.filter(pk__in=ids)
        .only("pk", "action", "service_id", "forecast_finish", "planned_finish", "committed_finish")
        .annotate(base_service_id=models.F("service__base_service_id"), order_id=models.F("order_line__order_id"))
    )


def _written(baseline: bool) -> tuple[list[str], list[str]]:
    """The task columns and the work-order columns a plan writes."""
    fields = ["forecast_start", "forecast_finish", "slack_minutes", "critical", "forecast_technician_id"]
    wo_fields = ["forecast_finish"]
    if baseline:
        fields += ["planned_start", "planned_finish"]
        wo_fields += ["planned_finish", "committed_finish"]
    return fields, wo_fields


@dataclass
class _Planned:
    """A plan made and set on the rows it covers: the tasks and work orders whose columns moved."""

    schedule: scheduling.Schedule
    tasks: list[Task]
    work_orders: list[WorkOrder]


def _plan(
    tasks: Sequence[Task],
    dependencies: dict[int, list[scheduling.Dependency]],
    work_orders: Sequence[WorkOrder],
    waits: dict[int, dt.datetime],
    *,
    start: dt.datetime,
    at: dt.datetime,
    calendar: scheduling.BusinessCalendar,
    baseline: bool,
    crews: list[scheduling.Crew],
    technician_of: dict[int, str],
    booked: list[scheduling.Booking],
) -> _Planned:
    """Plan these tasks (one order's, or one work order's) and set the forecast on them and on
    their work orders; no statement."""
    nodes = []
    for task in tasks:
        predecessors = tuple(dependencies.get(task.pk, ()))
        not_before = task.not_before
        turn_up = waits.get(task.work_order_id)
        if turn_up is not None and not predecessors:
            not_before = max(not_before, turn_up) if not_before is not None else turn_up
        person = _by_a_person(task)
        nodes.append(
            scheduling.TaskNode(
                key=str(task.pk),
                duration_minutes=task.planned_minutes,
                predecessors=predecessors,
                actual_start=task.started_at if task.status != Task.Status.PENDING else None,
                actual_finish=task.completed_at if task.status == Task.Status.DONE else None,
                not_before=not_before,
                skill=str(task.skill_id) if person and task.skill_id else None,
                technician=(technician_of.get(task.assignee_id) or f"user:{task.assignee_id}")
                if person and task.assignee_id
                else None,
                blocked=task.status == Task.Status.BLOCKED,
            )
        )
    plan = scheduling.schedule(nodes, start=start, calendar=calendar, now=at, crews=crews, booked=booked)
    fields, wo_fields = _written(baseline)
    changed = []
    for task in tasks:
        planned = plan[str(task.pk)]
        before = tuple(getattr(task, field) for field in fields)
        task.forecast_start, task.forecast_finish = planned.start, planned.finish
        task.slack_minutes, task.critical = planned.slack_minutes, planned.critical
        task.forecast_technician_id = int(planned.crew) if planned.crew is not None else None
        if baseline:
            task.planned_start, task.planned_finish = planned.start, planned.finish
        if tuple(getattr(task, field) for field in fields) != before:
            changed.append(task)
    by_work_order: dict[int, list[str]] = {}
    for task in tasks:
        by_work_order.setdefault(task.work_order_id, []).append(str(task.pk))
    target = delivery_target(start, calendar)
    moved = []
    for work_order in work_orders:
        finish = plan.finish_of(by_work_order[work_order.pk])
        before = tuple(getattr(work_order, field) for field in wo_fields)
        work_order.forecast_finish = finish
        if baseline:
            work_order.planned_finish = finish
            work_order.committed_finish = work_order.committed_finish or max(finish, target)
        if tuple(getattr(work_order, field) for field in wo_fields) != before:
            moved.append(work_order)
    return _Planned(plan, changed, moved)


def delivery_target(start: dt.datetime, calendar: scheduling.BusinessCalendar) -> dt.datetime:
    """The provider's delivery target for work ordered at `start`: its SLA, in working days."""
    days = settings.HEADEND_DELIVERY_TARGET_WORKING_DAYS
    return calendar.add_working_minutes(start, days * calendar.working_minutes_per_day)


def _by_a_person(task: Task) -> bool:
    """Work a technician does by hand (code tasks run on the worker, milestones take no time,
    approvals are an approver's)."""
    return task.kind == Task.Kind.MANUAL and task.status not in (Task.Status.DONE, Task.Status.CANCELLED)


def _crews(calendar: scheduling.BusinessCalendar) -> tuple[list[scheduling.Crew], dict[int, str]]:
    """Active technicians as crews on their own hours with the provider's holidays, and the
    crew key of each technician's user."""
    crews, of_user = [], {}
    for technician in Technician.objects.filter(active=True, user__is_active=True).prefetch_related("skills"):
        weekdays = frozenset(int(day) for day in technician.weekdays if day in "0123456")
        if not weekdays:
            continue
        own = scheduling.BusinessCalendar(
            calendar.zone,
            technician.day_start.replace(second=0, microsecond=0),
            technician.day_end.replace(second=0, microsecond=0),
            weekdays,
            calendar.holidays,
        )
        key = str(technician.pk)
        skills = frozenset(str(skill.pk) for skill in technician.skills.all())
        crews.append(scheduling.Crew(key, own, skills, technician.daily_capacity_minutes))
        of_user[technician.user_id] = key
    return crews, of_user


def _booked(
    crews: list[scheduling.Crew], task_rows: models.QuerySet[Task], at: dt.datetime
) -> list[scheduling.Booking]:
    """What technicians are already held to outside this plan: other open work's levelled
    tasks as last forecast, and booked visits (two queries, however many there are)."""
    keys = {int(crew.key) for crew in crews}
    mine = task_rows.values("pk")
    booked = []
    others = (
        Task.objects.filter(status__in=Task.OPEN, forecast_start__isnull=False, forecast_finish__gt=at)
        .filter(models.Q(forecast_technician_id__in=keys) | models.Q(assignee__technician__id__in=keys))
        .exclude(pk__in=mine)
        .values_list("forecast_technician_id", "assignee__technician__id", "forecast_start", "forecast_finish")
    )
    for planned_on, assignee, begin, finish in others:
        technician = planned_on or assignee
        if technician in keys and begin is not None and finish is not None:
            booked.append(scheduling.Booking(str(technician), begin, finish))
    visits = (
        Appointment.objects.filter(status=Appointment.Status.BOOKED, end__gt=at, technician_id__in=keys)
        .exclude(task__in=mine)
        .values_list("technician_id", "start", "end")
    )
    booked += [scheduling.Booking(str(technician), begin, end) for technician, begin, end in visits]
    return booked


def _base_turn_ups(
    work_orders: Sequence[WorkOrder], task_rows: models.QuerySet[Task], *, own_order: bool = False
) -> dict[int, dt.datetime]:
    """For each add-on's installation whose base service is still being installed by another
    open order: when that base's turn-up is forecast to finish (its first tasks wait for it).

    The plan's own tasks (`task_rows`) are not another order's; with `own_order` (several orders
    planned together, `work_orders` annotated with their `order_id`), neither are the tasks of
    the add-on's own order."""
    base_of = {
        work_order.pk: work_order.base_service_id  # type: ignore[attr-defined]
        for work_order in work_orders
        if work_order.action == WorkAction.ADD and work_order.base_service_id is not None  # type: ignore[attr-defined]
    }
    if not base_of:
        return {}
    turn_ups = Task.objects.filter(
        turns_up=True,
        status__in=Task.OPEN,
        forecast_finish__isnull=False,
        work_order__service_id__in=set(base_of.values()),
        work_order__action=WorkAction.ADD,
        work_order__status__in=WORK_ORDER_OPEN,
    )
    if not own_order:
        turn_ups = turn_ups.exclude(pk__in=task_rows.values("pk"))
    order_of = {work_order.pk: getattr(work_order, "order_id", None) for work_order in work_orders}
    finish_of: dict[tuple[int, Any], dt.datetime] = {}
    rows = turn_ups.values_list("work_order__service_id", "forecast_finish", "work_order__order_line__order_id")
    for service_id, finish, order_id in rows:
        if finish is not None and service_id is not None:
            finish_of[(service_id, order_id)] = max(finish, finish_of.get((service_id, order_id), finish))
    waits = {}
    for pk, base in base_of.items():
        finishes = [
            finish
            for (service_id, order_id), finish in finish_of.items()
            if service_id == base and not (own_order and order_id is not None and order_id == order_of[pk])
        ]
        if finishes:
            waits[pk] = max(finishes)
    return waits


def reforecast(work_order: WorkOrder, at: dt.datetime) -> None:
    if work_order.order_line is None:
        work_order_forecast(work_order=work_order, at=at)
    else:
        order_forecast(order=work_order.order_line.order, at=at)


def reforecast_many(work_orders: Sequence[WorkOrder], at: dt.datetime) -> None:
    """`reforecast` for each order (or work order outside an order) of `work_orders`, as a
    worker's batch of code tasks leaves them: the orders whose open work needs nobody (code
    tasks, milestones) are planned together, each on its own, in a few statements whatever
    their number; an order with a person's work is planned alone, around the technicians' other
    work (`order_forecast`), as is a work order outside an order."""
    alone = [work_order for work_order in work_orders if work_order.order_line is None]
    orders = {work_order.order_line.order_id for work_order in work_orders if work_order.order_line is not None}
    for work_order in alone:
        work_order_forecast(work_order=work_order, at=at)
    if not orders:
        return
    task_rows = Task.objects.filter(work_order__order_line__order_id__in=orders)
    tasks = _plan_tasks(task_rows)
    work_orders_now = _plan_work_orders({task.work_order_id for task in tasks})
    order_of = {work_order.pk: work_order.order_id for work_order in work_orders_now}  # type: ignore[attr-defined]
    by_a_person = {order_of[task.work_order_id] for task in tasks if _by_a_person(task)}
    for order in Order.objects.filter(pk__in=by_a_person).order_by("pk"):
        order_forecast(order=order, at=at)
    together = orders - by_a_person
    if not together:
        return
    started = dict(Order.objects.filter(pk__in=together).values_list("pk", "created_at"))
    dependencies = _dependencies(task_rows, {task.pk for task in tasks})
    calendar = fulfillment_selectors.provider_calendar()
    waits = _base_turn_ups(work_orders_now, task_rows, own_order=True)
    tasks_of: dict[int, list[Task]] = {}
    for task in tasks:
        tasks_of.setdefault(order_of[task.work_order_id], []).append(task)
    work_orders_of: dict[int, list[WorkOrder]] = {}
    for work_order in work_orders_now:
        work_orders_of.setdefault(order_of[work_order.pk], []).append(work_order)
    changed: list[Task] = []
    moved: list[WorkOrder] = []
    go_lives: dict[int, dt.datetime | None] = {}
    for order_id in sorted(together):
        planned = _plan(
            tasks_of.get(order_id, []), dependencies, work_orders_of.get(order_id, []), waits,
            start=started[order_id], at=at, calendar=calendar, baseline=False, crews=[], technician_of={}, booked=[],
        )  # fmt: skip
        changed += planned.tasks
        moved += planned.work_orders
        go_lives[order_id] = planned.schedule.finish if planned.schedule.tasks else None
    fields, wo_fields = _written(False)
    bulk.update_columns(Task, changed, fields)
    bulk.update_columns(WorkOrder, moved, wo_fields)
    orders_services.orders_set_forecast_many(go_lives=go_lives)


def reforecast_blocked(*, at: dt.datetime, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Plan again every order (and work order outside an order) with a blocked task: a blocked
    task does not progress, so each day it stays blocked it holds its successors a day later.
    One transaction per order; returns how many were planned."""
    blocked = Task.objects.filter(status=Task.Status.BLOCKED, work_order__status__in=WORK_ORDER_OPEN)
    order_ids = sorted(
        set(blocked.exclude(work_order__order_line=None).values_list("work_order__order_line__order_id", flat=True))
    )
    work_order_ids = sorted(set(blocked.filter(work_order__order_line=None).values_list("work_order_id", flat=True)))
    planned = 0
    for order in Order.objects.filter(pk__in=order_ids).order_by("pk"):
        if should_stop():
            return planned
        with transaction.atomic():
            order_forecast(order=order, at=at)
        planned += 1
    for work_order in WorkOrder.objects.filter(pk__in=work_order_ids).order_by("pk"):
        if should_stop():
            return planned
        with transaction.atomic():
            work_order_forecast(work_order=work_order, at=at)
        planned += 1
    return planned


class DailyReforecast:
    """The worker loop's daily pass (`relay_outbox --follow`): once a day, at the first turn of
    the provider's day, orders with a blocked task are planned again (`reforecast_blocked`), so
    a block nobody touches still moves the forecast."""

    def __init__(self) -> None:
        self.done_for: dt.date | None = None

    def __call__(self, should_stop: Callable[[], bool]) -> int:
        today = clock.today()
        if self.done_for == today:
            return 0
        self.done_for = today
        return reforecast_blocked(at=clock.now(), should_stop=should_stop)


daily_reforecast = events.follow_up(DailyReforecast())
