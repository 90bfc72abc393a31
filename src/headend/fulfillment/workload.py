"""What the home pages of the people who deliver read (web/views.py): for provisioning, the work
orders due today, the late ones and the stuck ones; for a technician, the day's visits with where,
when and whom to call. Reads only, each a bounded number of queries whatever the numbers."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.functions import Coalesce

from headend.core import clock
from headend.fulfillment import scheduling, selectors
from headend.fulfillment.models import Task, Technician, WorkOrder

OPEN = selectors.WORK_ORDER_OPEN
# The promise a work order is held to: the committed finish (the customer's date or the
# delivery target), else, for work from before there was one, its baseline plan (as
# selectors.work_order_late_q measures it).
PROMISED = Coalesce("committed_finish", "planned_finish")
# What a technician has on a day: not yet done, and not the worker's (code tasks).
TO_DO = (Task.Status.PENDING, Task.Status.READY, Task.Status.IN_PROGRESS, Task.Status.BLOCKED)
# Where a task's work happens and whom to call there (WorkOrder.site and .account, read in one query).
_SITE = (
    "order_line__location__site_contact",
    "order_line__location__account",
    "service__location__site_contact",
    "service__account",
    "service__product_version__product",
    "location__site_contact",
    "location__account",
)


def is_technician(*, user: Any) -> bool:
    """Whether `user` has an active technician profile (read once a request, kept on the user)."""
    cached = getattr(user, "_headend_technician", None)
    if cached is None:
        user_id = getattr(user, "pk", None)
        cached = user_id is not None and Technician.objects.filter(user_id=user_id, active=True).exists()
        user._headend_technician = cached
    return bool(cached)


def _day(at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The provider's calendar day of `at`, as the instants it starts and ends."""
    zone = clock.provider_zone()
    start = dt.datetime.combine(clock.local_date(at), dt.time.min, tzinfo=zone)
    return start, start + dt.timedelta(days=1)


# --- Provisioning: due, late and stuck work -----------------------------------------------------


@dataclass(frozen=True)
class WorkRow:
    """A work order on the home page, with the date it was promised for and how late it runs."""

    work_order: WorkOrder
    promised: dt.datetime | None
    late_by: str  # "2 d 3 h" of working time past the promise, "" when not late


@dataclass(frozen=True)
class Shortlist:
    """The first rows of a list and how many there are in all (the link to the rest says so)."""

    rows: list[WorkRow]
    count: int


@dataclass(frozen=True)
class DeliveryWork:
    due_today: Shortlist
    late: Shortlist
    stuck: Shortlist


def _rows(
    work_orders: models.QuerySet[WorkOrder], at: dt.datetime, calendar: scheduling.BusinessCalendar, limit: int
) -> Shortlist:
    """The first `limit` work orders with how late each is, and the count of all: two queries
    at most (one when they are fewer than `limit`)."""
    found = list(work_orders[:limit])
    count = len(found) if len(found) < limit else work_orders.count()
    rows = []
    for work_order in found:
        promised = getattr(work_order, "promised", None)
        minutes = selectors.late_minutes(
            committed=promised, forecast=work_order.forecast_finish, at=at, calendar=calendar
        )
        rows.append(
            WorkRow(work_order, promised, scheduling.format_working_duration(minutes, calendar) if minutes else "")
        )
    return Shortlist(rows, count)


def delivery_work(*, user: Any, at: dt.datetime, limit: int = 8) -> DeliveryWork:
    """The open work orders `user` may see that are promised for today, that are late (their
    forecast past the promise and its grace: selectors.work_order_late_q), and that are stuck:
    what selectors.work_orders_needing_attention lists for a blocked task or a flag (a code task
    failed), late or not; those only late are in the late list already."""
    start, end = _day(at)
    calendar = selectors.provider_calendar()
    # The site each row shows (WorkOrder.site: an order line's location first).
    open_work = (
        selectors.work_order_list(user=user, statuses=OPEN, at=at)
        .select_related("order_line__location")
        .annotate(promised=PROMISED)
    )
    due = open_work.filter(promised__gte=start, promised__lt=end).order_by("promised", "pk")
    late = open_work.filter(models.Q(is_late=True)).order_by("promised", "pk")
    stuck = (
        selectors.work_orders_needing_attention(user=user, at=at)
        .select_related("order_line__location")
        .annotate(promised=PROMISED)
        .filter(~models.Q(flagged_reason="") | models.Q(has_blocked_task=True))
    )
    return DeliveryWork(
        due_today=_rows(due, at, calendar, limit),
        late=_rows(late, at, calendar, limit),
        stuck=_rows(stuck, at, calendar, limit),
    )
