"""Reads of work orders and tasks."""

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce

from headend.catalog import selectors as catalog_selectors
from headend.core import clock
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.fulfillment import scheduling
from headend.fulfillment.models import (
    Appointment,
    CodeAttempt,
    Holiday,
    Task,
    TaskAttachment,
    Technician,
    WorkOrder,
)
from headend.fulfillment.view_models import PreviewRow, Slot
from headend.inventory.models import Service


def work_requester(*, task_id: int) -> Any:
    """The user who asked for the work a task is part of (accepted the quote, placed the order,
    asked for the suspension), or None: the worker acts on their behalf."""
    task = Task.objects.select_related("work_order__requested_by").filter(pk=task_id).first()
    return task.work_order.requested_by if task is not None else None


def _in_scope(user: Any, prefix: str = "") -> models.Q:
    """Work of the accounts `user` may see: its service's account, or (a survey) its site's."""
    scope = account_scope(user=user)
    return models.Q(**{f"{prefix}service__account__in": scope}) | models.Q(
        **{f"{prefix}service__isnull": True, f"{prefix}location__account__in": scope}
    )


def work_order_scope(*, user: Any) -> models.QuerySet[WorkOrder]:
    return WorkOrder.objects.filter(_in_scope(user))


def work_order_list(
    *,
    user: Any,
    status: str = "",
    account_id: Any = None,
    order_id: Any = None,
    statuses: Collection[str] | None = None,
    detailed: bool = False,
    flagged: bool = False,
    at: dt.datetime | None = None,
) -> models.QuerySet[WorkOrder]:
    """Work orders `user` may see; `statuses` keeps those in any of several (an empty one matches none);
    `detailed` also loads each work order's tasks and their dependencies; `flagged` keeps those
    a person must look at: a code task failed, or (open) a task is blocked or it is late at `at`
    (now if not given). Each row says `has_blocked_task` and `is_late`, for its badges."""
    at = at or clock.now()
    late = work_order_late_q(at)
    work_orders = (
        work_order_scope(user=user)
        .select_related(
            "service__account",
            "service__location",
            "service__product_version__product",
            "order_line__order",
            "location__account",
        )
        .annotate(
            has_blocked_task=models.Exists(
                Task.objects.filter(work_order=models.OuterRef("pk"), status=Task.Status.BLOCKED)
            ),
            is_late=models.Case(models.When(late, then=True), default=False, output_field=models.BooleanField()),
        )
    )
    if status:
        work_orders = work_orders.filter(status=status)
    if flagged:
        work_orders = work_orders.filter(_needs_attention_q(late))
    if statuses is not None:
        work_orders = work_orders.filter(status__in=list(statuses))
    if detailed:
        work_orders = work_orders.prefetch_related(
            models.Prefetch("tasks", queryset=Task.objects.prefetch_related("depends_on").order_by("position"))
        )
    if account_id not in (None, ""):
        account = parse_id(account_id)
        work_orders = work_orders.filter(
            models.Q(service__account_id=account) | models.Q(service__isnull=True, location__account_id=account)
        )
    if order_id not in (None, ""):
        work_orders = work_orders.filter(order_line__order_id=parse_id(order_id))
    return work_orders.order_by("-created_at", "-id")


WORK_ORDER_OPEN = (WorkOrder.Status.PENDING, WorkOrder.Status.IN_PROGRESS)


def late_minutes(
    *,
    committed: dt.datetime | None,
    forecast: dt.datetime | None,
    at: dt.datetime,
    calendar: scheduling.BusinessCalendar,
) -> int:
    """How late an open work order is, in working minutes past its committed finish: 0 unless
    its go-live forecast (at least `at`: open work cannot finish in the past) passes the
    committed finish by more than HEADEND_LATE_GRACE_MINUTES of working time."""
    if committed is None:
        return 0
    expected = max(forecast or at, at)
    if expected <= calendar.add_working_minutes(committed, settings.HEADEND_LATE_GRACE_MINUTES):
        return 0
    return max(calendar.working_minutes_between(committed, expected), 1)


def work_order_late_q(at: dt.datetime) -> models.Q:
    """Open work orders late at `at` (`late_minutes`). A work order from before commitments were
    recorded is measured against its planned finish. The grace is working time, which SQL
    cannot add, so the candidates (forecast or `at` past the commitment: few) are read and the
    grace applied here: one query, two when there are candidates."""
    promised = Coalesce("committed_finish", "planned_finish")
    candidates = list(
        WorkOrder.objects.filter(status__in=WORK_ORDER_OPEN)
        .annotate(promised=promised)
        .filter(models.Q(promised__lt=at) | models.Q(forecast_finish__gt=models.F("promised")))
        .values_list("pk", "promised", "forecast_finish")
    )
    if not candidates:
        return models.Q(pk__in=[])
    calendar = provider_calendar()
    return models.Q(
        pk__in=[
            pk
            for pk, committed, forecast in candidates
            if late_minutes(committed=committed, forecast=forecast, at=at, calendar=calendar)
        ]
    )


def _needs_attention_q(late: models.Q) -> models.Q:
    blocked = models.Exists(Task.objects.filter(work_order=models.OuterRef("pk"), status=Task.Status.BLOCKED))
    return ~models.Q(flagged_reason="") | (models.Q(status__in=WORK_ORDER_OPEN) & (models.Q(blocked) | late))


def work_orders_needing_attention(*, user: Any, at: dt.datetime) -> models.QuerySet[WorkOrder]:
    """Open work orders `user` may see that a person must look at: flagged (a code task failed),
    with a blocked task, or late (`work_order_late_q`); the earliest promised first. Each says
    `has_blocked_task` and `is_late`, and has its `blocked_tasks` loaded."""
    return (
        work_order_list(user=user, statuses=WORK_ORDER_OPEN, flagged=True, at=at)
        .prefetch_related(
            models.Prefetch(
                "tasks",
                queryset=Task.objects.filter(status=Task.Status.BLOCKED).order_by("position"),
                to_attr="blocked_tasks",
            )
        )
        .order_by(models.F("committed_finish").asc(nulls_last=True), "forecast_finish", "pk")
    )


def work_order_get_for(*, user: Any, work_order_id: Any) -> WorkOrder:
    work_order = (
        work_order_scope(user=user)
        .filter(pk=parse_id(work_order_id))
        .select_related(
            "service__account",
            "service__location",
            "service__product_version__product",
            "order_line__order",
            "location__account",
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
        Task.objects.filter(_in_scope(user, "work_order__"), pk=parse_id(task_id)).select_related("work_order").first()
    )
    if task is None:
        raise NotFound("No such task.", field="id")
    return task


def task_list_open(*, user: Any, role: str = "") -> models.QuerySet[Task]:
    tasks = Task.objects.filter(
        _in_scope(user, "work_order__"),
        status__in=[Task.Status.READY, Task.Status.IN_PROGRESS, Task.Status.FAILED],
    ).select_related(
        "work_order__service__account", "work_order__service__location", "work_order__location__account", "assignee"
    )
    if role:
        tasks = tasks.filter(role=role)
    return tasks.order_by("work_order__created_at", "position")


def provider_calendar() -> scheduling.BusinessCalendar:
    """The provider's business calendar: working hours and weekdays from settings, holidays
    from the Holiday table."""
    return scheduling.BusinessCalendar.for_zone(
        settings.HEADEND_TIME_ZONE,
        holidays=Holiday.objects.values_list("date", flat=True),
        day_start=dt.time.fromisoformat(settings.HEADEND_WORKDAY_START),
        day_end=dt.time.fromisoformat(settings.HEADEND_WORKDAY_END),
        weekdays=tuple(int(day) for day in settings.HEADEND_WORKDAYS),
    )


def _booked_minutes(technician: Technician, day: dt.date) -> int:
    """Minutes of open tasks planned to start for a technician on a day (their load); a task
    longer than a day fills that day."""
    zone = clock.provider_zone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = start + dt.timedelta(days=1)
    tasks = Task.objects.filter(
        assignee_id=technician.user_id, status__in=Task.OPEN, forecast_start__gte=start, forecast_start__lt=end
    )
    capacity = technician.daily_capacity_minutes
    return sum(min(minutes, capacity) for minutes in tasks.values_list("planned_minutes", flat=True))


def qualified_technicians(*, task: Task) -> list[Technician]:
    technicians = Technician.objects.filter(active=True, user__is_active=True).select_related("user")
    if task.skill_id:
        technicians = technicians.filter(skills=task.skill_id)
    return list(technicians.order_by("user__username"))


def earliest_free_technician(*, task: Task, horizon_days: int = 60) -> tuple[Technician, dt.datetime] | None:
    """The qualified technician who can take the task the earliest, from its forecast start, with
    the start instant: the first working day with room in their daily capacity; ties go to the
    least booked, then by name."""
    zone = clock.provider_zone()
    earliest = max(filter(None, [task.forecast_start, task.not_before, clock.now()]))
    first_day = earliest.astimezone(zone).date()
    best: tuple[tuple[dt.date, int, str], Technician, dt.datetime] | None = None
    for technician in qualified_technicians(task=task):
        for offset in range(horizon_days):
            day = first_day + dt.timedelta(days=offset)
            if not technician.works_on(day):
                continue
            booked = _booked_minutes(technician, day)
            if (
                booked + min(task.planned_minutes, technician.daily_capacity_minutes)
                > technician.daily_capacity_minutes
            ):
                continue
            start = dt.datetime.combine(day, technician.day_start, tzinfo=zone)
            start = max(start, earliest.astimezone(zone)) if offset == 0 else start
            if start.time() >= technician.day_end:
                continue
            rank = (day, booked, technician.user.get_username())
            if best is None or rank < best[0]:
                best = (rank, technician, start.astimezone(dt.UTC))
            break
    return None if best is None else (best[1], best[2])


APPOINTMENT_WINDOWS = ((dt.time(8), dt.time(12)), (dt.time(12), dt.time(17)))


def appointment_slots(*, task: Task, days: int = 10) -> list[Slot]:
    """Free visit windows for a task over the next working days: morning and afternoon, each
    with the first qualified technician who works then, has no other visit in the window and
    room in the day (the task's own booking does not count against it)."""
    earliest = max(filter(None, [task.forecast_start, clock.now()]))
    return visit_slots(
        skill_id=task.skill_id, planned_minutes=task.planned_minutes, earliest=earliest, task_id=task.pk, days=days
    )


def visit_slots(
    *, skill_id: int | None, planned_minutes: int, earliest: dt.datetime, task_id: int | None = None, days: int = 10
) -> list[Slot]:
    """Free visit windows for work of a skill and length not yet a task (a sign-up's
    installation), or for task `task_id`: see appointment_slots."""
    zone = clock.provider_zone()
    calendar = provider_calendar()
    day = earliest.astimezone(zone).date()
    technicians = qualified_technicians(task=Task(skill_id=skill_id))
    slots: list[Slot] = []
    checked = 0
    while checked < days:
        if calendar.is_working_day(day):
            checked += 1
            for window_start, window_end in APPOINTMENT_WINDOWS:
                start = dt.datetime.combine(day, window_start, tzinfo=zone)
                end = dt.datetime.combine(day, window_end, tzinfo=zone)
                if start < earliest:
                    continue
                for technician in technicians:
                    if (
                        not technician.works_on(day)
                        or window_start < technician.day_start
                        or window_end > technician.day_end
                    ):
                        continue
                    busy = Appointment.objects.filter(
                        technician=technician, status=Appointment.Status.BOOKED, start__lt=end, end__gt=start
                    )
                    if task_id is not None:
                        busy = busy.exclude(task_id=task_id)
                    if (
                        busy.exists()
                        or _booked_minutes(technician, day) + min(planned_minutes, technician.daily_capacity_minutes)
                        > technician.daily_capacity_minutes
                    ):
                        continue
                    slots.append(Slot(start.astimezone(dt.UTC), end.astimezone(dt.UTC), technician))
                    break
        day += dt.timedelta(days=1)
    return slots


def appointment_for(*, task_ids: Collection[int]) -> list[Appointment]:
    return list(
        Appointment.objects.filter(task_id__in=task_ids, status=Appointment.Status.BOOKED)
        .select_related("technician__user", "task")
        .order_by("start")
    )


def assignable_users() -> list[Any]:
    """Staff who can take tasks: technicians and the provisioning team."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    return list(
        users.filter(models.Q(technician__active=True) | models.Q(groups__name="provisioning"))
        .distinct()
        .order_by("username")
    )


def assignable_user_get(*, user_id: Any) -> Any:
    """The user a task is given to; '' means nobody; NotFound for anyone else."""
    if user_id in (None, ""):
        return None
    user = next((u for u in assignable_users() if u.pk == parse_id(user_id)), None)
    if user is None:
        raise NotFound("No such technician.", field="assignee")
    return user


def slip_label(*, planned: dt.datetime | None, forecast: dt.datetime | None) -> str:
    """'2 d 3 h behind' / 'on plan' / '1 h ahead' of the first plan in working time, for an order
    or work order: a move against the plan, not lateness (that is against the promise)."""
    if planned is None or forecast is None:
        return ""
    calendar = provider_calendar()
    minutes = calendar.working_minutes_between(planned, forecast)
    if minutes == 0:
        return "on plan"
    text = scheduling.format_working_duration(abs(minutes), calendar)
    return f"{text} behind" if minutes > 0 else f"{text} ahead"


def promise_label(*, work_order: WorkOrder, at: dt.datetime) -> tuple[str, bool]:
    """How an open work order stands against the date promised (its committed finish, else its
    first plan): ("Late by 2 d 3 h", True), ("On time, 1 d 2 h to spare", False); a finished
    or unplanned one has no label. Late only past the grace (HEADEND_LATE_GRACE_MINUTES)."""
    committed = work_order.committed_finish or work_order.planned_finish
    if work_order.status not in WORK_ORDER_OPEN or committed is None or work_order.forecast_finish is None:
        return "", False
    calendar = provider_calendar()
    late = late_minutes(committed=committed, forecast=work_order.forecast_finish, at=at, calendar=calendar)
    if late:
        return f"Late by {scheduling.format_working_duration(late, calendar)}", True
    spare = calendar.working_minutes_between(max(work_order.forecast_finish, at), committed)
    if spare <= 0:
        return "On time (within the grace)", False
    return f"On time, {scheduling.format_working_duration(spare, calendar)} to spare", False


def my_work(*, user: Any, days: int = 7) -> dict[str, list[Task]]:
    """A person's open tasks: today's (forecast to start today or earlier) and the rest of the week."""
    zone = clock.provider_zone()
    today = clock.today()
    end_of_today = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    end_of_week = end_of_today + dt.timedelta(days=days - 1)
    tasks = list(
        Task.objects.filter(assignee_id=user.pk, status__in=Task.OPEN)
        .exclude(status=Task.Status.PENDING, forecast_start__gte=end_of_week)
        .select_related("work_order__service__account", "work_order__service__location", "skill")
        .order_by("forecast_start", "pk")
    )
    today_tasks = [t for t in tasks if t.forecast_start is None or t.forecast_start < end_of_today]
    week_tasks = [t for t in tasks if t.forecast_start is not None and end_of_today <= t.forecast_start < end_of_week]
    return {"today": today_tasks, "week": week_tasks}


def attachment_get_for(*, user: Any, attachment_id: Any) -> TaskAttachment:
    """A task's attachment if `user` may see its work order (the same scope as the work order's
    own page); NotFound otherwise, so foreign ids reveal nothing."""
    attachment = (
        TaskAttachment.objects.filter(pk=parse_id(attachment_id), task__work_order__in=work_order_scope(user=user))
        .select_related("task")
        .first()
    )
    if attachment is None:
        raise NotFound("No such attachment.", field="id")
    return attachment


def task_ids_for_order(*, order_id: int) -> list[int]:
    return list(Task.objects.filter(work_order__order_line__order_id=order_id).values_list("pk", flat=True))


def work_order_list_scheduled(
    *, user: Any, order_id: Any = None, statuses: Collection[str] | None = None
) -> models.QuerySet[WorkOrder]:
    """`work_order_list(detailed=True)` with each task's schedule loaded as well: its assignee,
    skill, lagged dependencies and appointments."""
    return work_order_list(user=user, order_id=order_id, statuses=statuses, detailed=True).prefetch_related(
        "tasks__assignee", "tasks__skill", "tasks__dependencies", "tasks__appointments"
    )


def work_order_get_scheduled(*, user: Any, work_order_id: Any) -> WorkOrder:
    """`work_order_get_for` with each task's skill, lagged dependencies and appointments loaded."""
    work_order = work_order_get_for(user=user, work_order_id=work_order_id)
    models.prefetch_related_objects(list(work_order.tasks.all()), "skill", "dependencies", "appointments")
    return work_order


def template_preview(*, tasks: list[Any], start: dt.datetime) -> tuple[list[PreviewRow], dt.datetime]:
    """How a template's tasks (catalog TaskSpecs) would be scheduled for an order placed at
    `start`, on the provider's calendar: rows in template order and the go-live."""
    names = {spec.name.strip(): str(position) for position, spec in enumerate(tasks, start=1)}
    nodes = [
        scheduling.TaskNode(
            key=str(position),
            duration_minutes=spec.planned_minutes,
            predecessors=tuple(scheduling.Dependency(names[name], lag) for name, lag in spec.dependencies()),
        )
        for position, spec in enumerate(tasks, start=1)
    ]
    plan = scheduling.schedule(nodes, start=start, calendar=provider_calendar())
    rows = [
        PreviewRow(
            position,
            spec.name,
            plan[str(position)].start,
            plan[str(position)].finish,
            plan[str(position)].critical,
            plan[str(position)].slack_minutes,
        )
        for position, spec in enumerate(tasks, start=1)
    ]
    return rows, plan.finish


def appointments_for_service(*, service_id: int) -> list[Appointment]:
    return list(
        Appointment.objects.filter(task__work_order__service_id=service_id, status=Appointment.Status.BOOKED)
        .select_related("technician__user", "task__work_order")
        .order_by("start")
    )


def task_history(*, work_order_id: int, limit: int = 100) -> list[Any]:
    """Every recorded step of a work order's tasks, newest first: who, when, which state."""
    history = Task.history.model.objects.filter(work_order_id=work_order_id)
    return list(history.select_related("history_user", "assignee").order_by("-history_date", "-history_id")[:limit])


def code_attempts_by_task(*, work_order_id: int) -> dict[int, list[CodeAttempt]]:
    """Each code task's attempts, oldest first, for the work-order page's attempt log."""
    attempts: dict[int, list[CodeAttempt]] = {}
    for attempt in CodeAttempt.objects.filter(task__work_order_id=work_order_id).order_by("task_id", "number"):
        attempts.setdefault(attempt.task_id, []).append(attempt)
    return attempts


def service_actions_available(*, service: Any) -> list[tuple[str, str]]:
    """The actions (value, label) staff may ask for on this service now: its status allows
    them, its product has a template for them, and no other work order on it is open."""
    if WorkOrder.objects.filter(service=service).exclude(status__in=["completed", "cancelled"]).exists():
        return []
    defined = catalog_selectors.template_actions(product_id=service.product_version.product_id)
    return [
        (action, verb.capitalize())
        for action, (statuses, verb, _) in Service.ACTIONS.items()
        if service.status in statuses and action in defined
    ]
