"""Reads for the work-order board (a column per status, filtered by region, product, assignee
and lateness) and for the cards fulfillment draws on inventory's service board."""

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from headend.core.boards import BOARD_COLUMN_LIMIT, BOARD_RECENT_DAYS, BoardChoices, BoardColumn, BoardFilters
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.permissions import Role
from headend.fulfillment import scheduling, selectors
from headend.fulfillment.models import Task, WorkOrder
from headend.fulfillment.selectors import provider_calendar, work_order_scope
from headend.fulfillment.view_models import WorkOrderCard

WORK_ORDER_OPEN = (WorkOrder.Status.PENDING, WorkOrder.Status.IN_PROGRESS)


def work_order_late_q(at: dt.datetime) -> models.Q:
    """Open work orders late at `at`: their go-live forecast (never earlier than `at`) passes
    their committed finish by more than HEADEND_LATE_GRACE_MINUTES of working time. A fresh
    order is never late: its commitment is at least its first plan."""
    return selectors.work_order_late_q(at)


def _work_order_card(work_order: WorkOrder, at: dt.datetime, calendar: scheduling.BusinessCalendar) -> WorkOrderCard:
    planned, forecast = work_order.planned_finish, work_order.forecast_finish
    late = 0
    if work_order.status in WORK_ORDER_OPEN:
        committed = work_order.committed_finish or planned
        late = selectors.late_minutes(committed=committed, forecast=forecast, at=at, calendar=calendar)
    slip = ""
    if planned is not None and forecast is not None and forecast > planned:
        minutes = calendar.working_minutes_between(planned, forecast)
        slip = scheduling.format_working_duration(minutes, calendar) if minutes > 0 else ""
    names: dict[int, str] = {}
    for task in getattr(work_order, "assigned_tasks", ()):
        names.setdefault(task.assignee_id, task.assignee.get_full_name() or task.assignee.get_username())
    blocked = tuple(task.blocked_reason or "no reason given" for task in getattr(work_order, "blocked_tasks", ()))
    late_by = scheduling.format_working_duration(late, calendar) if late else ""
    return WorkOrderCard(work_order, tuple(names.values()), late_by, slip, blocked)


def _with_board_rows(work_orders: models.QuerySet[WorkOrder]) -> models.QuerySet[WorkOrder]:
    return work_orders.select_related(
        "service__account",
        "service__location",
        "service__product_version__product",
        "order_line__location",
        "order_line__product_version__product",
        "order_line__order",
        "location__account",
    ).prefetch_related(
        models.Prefetch(
            "tasks",
            queryset=Task.objects.filter(assignee__isnull=False).select_related("assignee").order_by("position"),
            to_attr="assigned_tasks",
        ),
        models.Prefetch(
            "tasks",
            queryset=Task.objects.filter(status=Task.Status.BLOCKED).order_by("position"),
            to_attr="blocked_tasks",
        ),
    )


def work_order_board(*, user: Any, filters: BoardFilters, at: dt.datetime) -> list[BoardColumn]:
    """The work-order board: a column per status, soonest go-live first; completed and cancelled
    work orders only if they ended in the last 30 days."""
    since = at - dt.timedelta(days=BOARD_RECENT_DAYS)
    work_orders = work_order_scope(user=user).filter(
        models.Q(status__in=WORK_ORDER_OPEN) | models.Q(completed_at__gte=since)
    )
    if filters.region:
        work_orders = work_orders.filter(
            models.Q(order_line__location__city__iexact=filters.region)
            | models.Q(order_line=None, service__location__city__iexact=filters.region)
            | models.Q(order_line=None, service=None, location__city__iexact=filters.region)
        )
    if filters.product_id:
        work_orders = work_orders.filter(
            models.Q(order_line__product_version__product_id=filters.product_id)
            | models.Q(order_line=None, service__product_version__product_id=filters.product_id)
        )
    if filters.assignee_id:
        work_orders = work_orders.filter(
            pk__in=Task.objects.filter(assignee_id=filters.assignee_id).values("work_order_id")
        )
    if filters.overdue:
        work_orders = work_orders.filter(work_order_late_q(at))
    calendar = provider_calendar()
    columns = []
    for status, label in WorkOrder.Status.choices:
        in_column = work_orders.filter(status=status)
        if status in WORK_ORDER_OPEN:
            in_column = in_column.order_by(models.F("forecast_finish").asc(nulls_last=True), "pk")
        else:
            in_column = in_column.order_by("-completed_at", "-pk")
        cards = tuple(
            _work_order_card(work_order, at, calendar)
            for work_order in _with_board_rows(in_column)[:BOARD_COLUMN_LIMIT]
        )
        total = len(cards) if len(cards) < BOARD_COLUMN_LIMIT else in_column.count()
        columns.append(BoardColumn(status, label, cards, total, recent_only=status not in WORK_ORDER_OPEN))
    return columns


def work_order_board_card(*, user: Any, work_order_id: Any, at: dt.datetime) -> WorkOrderCard:
    """One card of the work-order board, as it is now (after a move). Raises NotFound."""
    work_order = _with_board_rows(work_order_scope(user=user).filter(pk=parse_id(work_order_id))).first()
    if work_order is None:
        raise NotFound("No such work order.", field="id")
    return _work_order_card(work_order, at, provider_calendar())


def board_assignees(*, user: Any) -> list[tuple[int, str]]:
    """People a board can be filtered by: whoever has a task of a visible work order, technicians
    and provisioning staff."""
    assigned = Task.objects.filter(work_order__in=work_order_scope(user=user), assignee__isnull=False).values(
        "assignee_id"
    )
    people = (
        get_user_model()
        .objects.filter(
            models.Q(pk__in=assigned) | models.Q(technician__isnull=False) | models.Q(groups__name=Role.PROVISIONING),
            is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    return [(person.pk, person.get_full_name() or person.get_username()) for person in people]


def work_order_board_choices(*, user: Any) -> BoardChoices:
    """The regions, products and people the work-order board can be filtered by."""
    scoped = work_order_scope(user=user)
    regions: dict[str, str] = {}
    cities = {
        *scoped.values_list("service__location__city", flat=True),
        *scoped.values_list("location__city", flat=True),
    }
    for city in sorted(city for city in cities if city):
        if city:
            regions.setdefault(city.casefold(), city.title())  # addresses are kept in capitals
    products = (
        scoped.filter(service__isnull=False)  # a survey sells nothing yet
        .values_list("service__product_version__product_id", "service__product_version__product__name")
        .distinct()
    )
    return BoardChoices(
        regions=sorted(regions.values(), key=str.casefold),
        products=sorted(set(products), key=lambda product: product[1].casefold()),
        assignees=board_assignees(user=user),
    )


def service_ids_in_work(*, user: Any, assignee_id: int = 0, overdue: bool = False, at: dt.datetime) -> set[int]:
    """Services with a work order that has a task assigned to `assignee_id` (any status), and
    (`overdue`) an open work order that is late (`work_order_late_q`); for the service board's
    filters."""
    work_orders = work_order_scope(user=user)
    if assignee_id:
        work_orders = work_orders.filter(pk__in=Task.objects.filter(assignee_id=assignee_id).values("work_order_id"))
    if overdue:
        work_orders = work_orders.filter(work_order_late_q(at))
    return set(work_orders.values_list("service_id", flat=True))


def open_work_by_service(*, service_ids: Collection[int], at: dt.datetime) -> dict[int, WorkOrderCard]:
    """The open work order of each service (the newest, if several), as a board card."""
    work_orders = _with_board_rows(
        WorkOrder.objects.filter(service_id__in=list(service_ids), status__in=WORK_ORDER_OPEN).order_by(
            "service_id", "-created_at", "-pk"
        )
    )
    calendar = provider_calendar()
    cards: dict[int, WorkOrderCard] = {}
    for work_order in work_orders:
        if work_order.service_id is not None and work_order.service_id not in cards:
            cards[work_order.service_id] = _work_order_card(work_order, at, calendar)
    return cards
