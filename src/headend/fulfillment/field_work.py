"""What a technician reads in the field: a work order's site sheet (where, who lets them in,
how to get in, what to bring, when the customer expects them) and their work for a range of
days, appointments and assigned tasks grouped by day."""

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from headend.core import clock
from headend.core.errors import ValidationError
from headend.fulfillment.models import Appointment, Task, WorkOrder
from headend.fulfillment.selectors import work_order_scope

# My work shows at most this many days at a time (a quarter): enough to plan, small enough to read.
MAX_RANGE_DAYS = 92


@dataclass(frozen=True)
class Equipment:
    """One thing to bring, and the open tasks that need it ("2. Splice at cabinet")."""

    name: str
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class SiteSheet:
    """The top of the technician's work order."""

    location: Any  # crm Location
    contact: Any  # crm Contact or None: who meets the technician
    customer_phone: str  # the account's phone (E.164), for when no site contact is named
    access_notes: str
    map_url: str  # OpenStreetMap at the site's coordinates; "" when it is not placed yet
    geo_uri: str  # geo:lat,lon, which a phone opens in its own maps app
    equipment: tuple[Equipment, ...]
    visits: tuple[Appointment, ...]  # booked visits of the open tasks, soonest first


def map_links(location: Any) -> tuple[str, str]:
    """(OpenStreetMap URL, geo: URI) for a location's coordinates, or ("", "") when it has none."""
    if location is None or location.latitude is None or location.longitude is None:
        return "", ""
    lat, lon = f"{location.latitude:.6f}", f"{location.longitude:.6f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}", f"geo:{lat},{lon}"


def equipment_to_bring(tasks: list[Task]) -> tuple[Equipment, ...]:
    """Everything the open tasks need, each thing once (spelled as first seen, compared without
    case), in task order, with the tasks that need it."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for task in sorted(tasks, key=lambda task: task.position):
        if not task.is_open:
            continue
        for item in task.equipment or []:
            name = str(item).strip()
            if not name:
                continue
            _, needed_by = grouped.setdefault(name.casefold(), (name, []))
            label = f"{task.position}. {task.name}"
            if label not in needed_by:
                needed_by.append(label)
    return tuple(Equipment(name, tuple(needed_by)) for name, needed_by in grouped.values())


def site_sheet(*, work_order: WorkOrder, tasks: list[Task]) -> SiteSheet:
    """The site sheet of a work order whose `tasks` are loaded (the work-order page's)."""
    location = work_order.site
    models.prefetch_related_objects([location], "site_contact", "account")
    map_url, geo_uri = map_links(location)
    open_ids = [task.pk for task in tasks if task.is_open]
    visits = (
        Appointment.objects.filter(task_id__in=open_ids, status=Appointment.Status.BOOKED)
        .select_related("technician__user", "task")
        .order_by("start")
    )
    return SiteSheet(
        location=location,
        contact=location.site_contact,
        customer_phone=location.account.phone,
        access_notes=location.access_notes,
        map_url=map_url,
        geo_uri=geo_uri,
        equipment=equipment_to_bring(tasks),
        visits=tuple(visits),
    )


# --- My work ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    """A visit or an assigned task on a day of My work."""

    task: Task
    appointment: Appointment | None
    start: dt.datetime | None  # the visit's window, else the task's forecast
    end: dt.datetime | None
    carried_over: bool  # planned before the range, still open: shown on its first day
    site: Any  # crm Location
    contact: Any  # crm Contact or None
    phone: str  # the site contact's phone, else the customer's (E.164)


@dataclass
class WorkDay:
    day: dt.date
    items: list[WorkItem] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == clock.today()


def check_range(first: dt.date, last: dt.date) -> None:
    """Raise ValidationError (`to`) for a range that ends before it starts or is too long."""
    if last < first:
        raise ValidationError("The last day is before the first.", field="to", code="range_reversed")
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise ValidationError(
            f"Show at most {MAX_RANGE_DAYS} days at a time; this range has {days}.", field="to", code="range_too_long"
        )


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.provider_zone())


def my_work(*, user: Any, first: dt.date, last: dt.date) -> list[WorkDay]:
    """`user`'s open work from `first` to `last` (dates where the provider is), by day: the
    visits booked with them and the tasks given to them, at the visit's window or the task's
    forecast start. Open work planned before `first` is carried over onto `first` when the
    range starts today or earlier (it is still to do); days without work are left out.

    Raises ValidationError (`to`) for a reversed range or one of more than MAX_RANGE_DAYS."""
    check_range(first, last)
    start, end = _local_midnight(first), _local_midnight(last + dt.timedelta(days=1))
    today = clock.today()
    carry = first <= today <= last
    scope = work_order_scope(user=user)
    related = (
        "work_order__order_line__location__site_contact",
        "work_order__order_line__location__account",
        "work_order__service__location__site_contact",
        "work_order__service__location__account",
        "work_order__location__site_contact",
        "work_order__location__account",
        "work_order__service__account",
        "skill",
    )
    visits = list(
        Appointment.objects.filter(
            technician__user=user,
            status=Appointment.Status.BOOKED,
            start__lt=end,
            end__gt=start,
            task__status__in=Task.OPEN,
            task__work_order__in=scope,
        ).select_related(*(f"task__{name}" for name in related), "technician__user")
    )
    when = models.Q(forecast_start__gte=start, forecast_start__lt=end)
    if carry:
        when |= models.Q(forecast_start__lt=start) | models.Q(forecast_start__isnull=True)
    tasks = list(
        Task.objects.filter(when, assignee=user, status__in=Task.OPEN, work_order__in=scope)
        .exclude(pk__in=[visit.task_id for visit in visits])
        .select_related(*related)
    )
    # A task given to this person whose visit is booked with another technician still shows its window.
    others = {
        visit.task_id: visit
        for visit in Appointment.objects.filter(
            task_id__in=[task.pk for task in tasks], status=Appointment.Status.BOOKED
        ).select_related("technician__user")
    }
    items = [_item(visit.task, visit) for visit in visits] + [_item(task, others.get(task.pk)) for task in tasks]
    days: dict[dt.date, WorkDay] = {}
    for item in items:
        if item.start is None or item.start < start:
            day, item = first, dataclasses.replace(item, carried_over=True)
        elif item.start >= end:
            continue  # a task due in the range whose visit is booked after it
        else:
            day = clock.local_date(item.start)
        days.setdefault(day, WorkDay(day)).items.append(item)
    for work_day in days.values():
        work_day.items.sort(key=lambda item: (item.start or start, item.task.pk))
    return [days[day] for day in sorted(days)]


def _item(task: Task, appointment: Appointment | None) -> WorkItem:
    site = task.work_order.site
    contact = site.site_contact if site is not None else None
    phone = (contact.phone if contact is not None else "") or (site.account.phone if site is not None else "")
    start, end = (appointment.start, appointment.end) if appointment else (task.forecast_start, task.forecast_finish)
    return WorkItem(
        task=task,
        appointment=appointment,
        start=start,
        end=end,
        carried_over=False,
        site=site,
        contact=contact,
        phone=phone,
    )
