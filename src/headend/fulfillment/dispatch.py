"""The dispatch calendar's reads: technicians by day (a day or a week), with their booked visits
and the open tasks assigned to them or forecast on them, each day's load against their daily
capacity, and the skilled work nobody has been given yet.

Times are in the provider's zone; days are the technician's (their weekdays, but the provider's
holidays). A task's block on a day is the part of its forecast window inside the technician's
planned day, as the forecast levels work on them: from the start of their day for their daily
capacity (scheduling.Crew). Its load there is those minutes, never more in all than the task's
planned minutes; a booked visit's load is its task's minutes, at most the visit's window."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models
from django.urls import reverse

from headend.core import clock
from headend.fulfillment import scheduling
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.dispatching import MOVABLE, move_stamp
from headend.fulfillment.models import Appointment, Holiday, Task, Technician, WorkOrder

VIEWS = ("week", "day")
UNASSIGNED_LIMIT = 50
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_RELATED = (
    "work_order__order_line__location",
    "work_order__service__location",
    "work_order__location",
    "skill",
)


def hours_label(minutes: int) -> str:
    """Minutes as a dispatcher counts a day's work: "6 h", "6 h 30 min", "45 min", "0 h"."""
    hours, rest = divmod(max(minutes, 0), 60)
    if not rest:
        return f"{hours} h"
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def weekdays_label(weekdays: str) -> str:
    """A technician's working weekdays ("01234") as "Mon-Fri", or "Mon, Wed, Fri"."""
    days = sorted({int(day) for day in weekdays if day.isdigit() and int(day) < 7})
    if not days:
        return "no days"
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAY_NAMES[days[0]]}-{WEEKDAY_NAMES[days[-1]]}"
    return ", ".join(WEEKDAY_NAMES[day] for day in days)


@dataclass(frozen=True)
class Choice:
    """A technician in a block's "Move…" list; `note` says why a move there will be refused."""

    id: int
    name: str
    note: str = ""


@dataclass(frozen=True)
class Block:
    """A visit or a task on one technician's day (or, without `day`, in the unassigned list)."""

    key: str  # unique on the page: ids of its form's fields
    task: Task
    kind: str  # "visit" (a booked customer window) or "task"
    start: dt.datetime | None  # local, clipped to the day; None: not forecast yet
    end: dt.datetime | None
    minutes: int  # its load on the day
    forecast_only: bool  # placed on the technician by the forecast, not assigned yet
    movable: bool
    stamp: str
    start_day: dt.date  # where the task starts now: the "Move…" form's date
    technician_id: int | None
    choices: tuple[Choice, ...]
    warning: str = ""  # a visit booked before its work can start

    @property
    def number(self) -> str:
        return self.task.work_order.number

    @property
    def duration(self) -> str:
        return hours_label(self.minutes)

    @property
    def town(self) -> str:
        site = self.task.work_order.site
        return site.city.title() if site is not None else ""

    @property
    def href(self) -> str:
        return f"{self.task.work_order.get_absolute_url()}#task-{self.task.pk}"

    @property
    def move_url(self) -> str:
        return reverse("fulfillment:dispatch_move", args=[self.task.pk])

    @property
    def blocked(self) -> bool:
        return self.task.status == Task.Status.BLOCKED


@dataclass(frozen=True)
class Cell:
    day: dt.date
    works: bool  # the technician works that day and it is no holiday
    off_reason: str  # "Day off", "Holiday: Thanksgiving"
    blocks: tuple[Block, ...]
    load_minutes: int
    capacity_minutes: int

    @property
    def over(self) -> bool:
        return self.load_minutes > self.capacity_minutes

    @property
    def load_label(self) -> str:
        return f"{hours_label(self.load_minutes)} of {hours_label(self.capacity_minutes)}"


@dataclass(frozen=True)
class Row:
    technician: Technician
    skills: tuple[str, ...]
    hours: str  # "07:00-16:00, Mon-Fri"
    capacity: str  # "8 h a day"
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Day:
    date: dt.date
    is_today: bool
    holiday: str
    working: bool  # on the provider's business calendar


@dataclass(frozen=True)
class DispatchGrid:
    view: str
    anchor: dt.date
    days: tuple[Day, ...]
    rows: tuple[Row, ...]
    unassigned: tuple[Block, ...]
    unassigned_more: int
    skill: str
    previous: dt.date
    next: dt.date
    today: dt.date

    @property
    def title(self) -> str:
        if self.view == "day":
            return f"{self.anchor:%A %B %-d, %Y}"
        first, last = self.days[0].date, self.days[-1].date
        return f"{first:%a %b %-d} to {last:%a %b %-d, %Y}"


def _worked_weekdays(calendar: scheduling.BusinessCalendar, technicians: list[Technician]) -> set[int]:
    """The weekdays the provider or any technician works."""
    return set(calendar.weekdays) | {int(day) for tech in technicians for day in tech.weekdays if day.isdigit()}


def _period(view: str, anchor: dt.date, worked: set[int]) -> list[dt.date]:
    """The days shown: the anchor (day view), or the days of its week that someone works."""
    if view == "day":
        return [anchor]
    monday = anchor - dt.timedelta(days=anchor.weekday())
    return [monday + dt.timedelta(days=n) for n in range(7) if n in worked]


def _step(view: str, anchor: dt.date, direction: int, worked: set[int]) -> dt.date:
    """The previous or next page: a week, or the nearest day someone works."""
    if view == "week":
        return anchor + dt.timedelta(days=7 * direction)
    day = anchor + dt.timedelta(days=direction)
    for _ in range(6):
        if day.weekday() in worked:
            break
        day += dt.timedelta(days=direction)
    return day


def _planned_day(day: dt.date, technician: Technician, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The part of a technician's day the forecast plans work in: from the start of their day,
    their daily capacity long, no later than the end of their day (scheduling.Crew)."""
    start = dt.datetime.combine(day, technician.day_start, tzinfo=zone)
    end = dt.datetime.combine(day, technician.day_end, tzinfo=zone)
    return start, min(end, start + dt.timedelta(minutes=technician.daily_capacity_minutes))


def _works(technician: Technician, day: dt.date, holidays: Collection[dt.date]) -> bool:
    return technician.works_on(day) and day not in holidays


def _task_span(task: Task) -> tuple[dt.datetime, dt.datetime] | None:
    start = task.forecast_start or task.not_before
    if start is None:
        return None
    finish = task.forecast_finish if task.forecast_start is not None else None
    if finish is None or finish < start:
        finish = start + dt.timedelta(minutes=task.planned_minutes)
    return start, finish


def _task_days(
    task: Task, technician: Technician, calendar: scheduling.BusinessCalendar
) -> list[tuple[dt.date, dt.datetime, dt.datetime, int]]:
    """(day, local start, local end, minutes) of a task's forecast window on each day it covers."""
    span = _task_span(task)
    if span is None:
        return []
    zone = calendar.zone
    start, finish = span[0].astimezone(zone), span[1].astimezone(zone)
    remaining = task.planned_minutes
    pieces = []
    day = start.date()
    while day <= finish.date():
        if _works(technician, day, calendar.holidays) or day == start.date():
            open_at, close_at = _planned_day(day, technician, zone)
            piece_start, piece_end = max(start, open_at), min(finish, close_at)
            if piece_end > piece_start or (day == start.date() and piece_end == piece_start):
                minutes = min(int((piece_end - piece_start).total_seconds() // 60), remaining)
                remaining -= minutes
                pieces.append((day, piece_start, piece_end, minutes))
        day += dt.timedelta(days=1)
    if not pieces:  # outside the planned day (a time fixed by hand): shown where it starts
        end = min(finish, dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
        pieces.append((start.date(), start, end, min(int((end - start).total_seconds() // 60), remaining)))
    return pieces


class _Choices:
    """Each skill's "Move…" list: every active technician, with a note on those without it."""

    def __init__(self, technicians: list[Technician]):
        self.technicians = technicians
        self.by_skill: dict[int | None, tuple[Choice, ...]] = {}

    def __call__(self, task: Task) -> tuple[Choice, ...]:
        if task.skill_id not in self.by_skill:
            self.by_skill[task.skill_id] = tuple(
                Choice(
                    tech.pk,
                    str(tech),
                    ""
                    if not task.skill_id or any(s.pk == task.skill_id for s in tech.skills.all())
                    else f"lacks {task.skill}",
                )
                for tech in self.technicians
            )
        return self.by_skill[task.skill_id]


Blocks = dict[tuple[int, dt.date], list[Block]]  # (technician id, day) -> its blocks


def _visit_blocks(visits: list[Appointment], blocks: Blocks, zone: ZoneInfo, choices: _Choices) -> None:
    for visit in visits:
        task = visit.task
        start, end = visit.start.astimezone(zone), visit.end.astimezone(zone)
        warning = ""
        if task.forecast_start is not None and task.forecast_start >= visit.end:
            # What it waits on finishes later: the customer would wait for nothing.
            warning = f"Can start {task.forecast_start.astimezone(zone):%a %b %-d %H:%M} at the earliest"
        blocks.setdefault((visit.technician_id, start.date()), []).append(
            Block(
                key=f"v{visit.pk}",
                task=task,
                kind="visit",
                start=start,
                end=end,
                minutes=min(task.planned_minutes, int((visit.end - visit.start).total_seconds() // 60)),
                forecast_only=False,
                movable=task.status in MOVABLE,
                stamp=move_stamp(task, visit),
                start_day=start.date(),
                technician_id=visit.technician_id,
                choices=choices(task),
                warning=warning,
            )
        )


def _task_blocks(
    tasks: list[Task],
    technicians: list[Technician],
    dates: list[dt.date],
    blocks: Blocks,
    calendar: scheduling.BusinessCalendar,
    choices: _Choices,
) -> None:
    by_user = {tech.user_id: tech for tech in technicians}
    by_id = {tech.pk: tech for tech in technicians}
    for task in tasks:
        if task.assignee_id is not None:
            tech = by_user[task.assignee_id]
        elif task.forecast_technician_id is not None:
            tech = by_id[task.forecast_technician_id]
        else:
            continue
        pieces = _task_days(task, tech, calendar)
        for day, start, end, minutes in pieces:
            if dates[0] <= day <= dates[-1]:
                blocks.setdefault((tech.pk, day), []).append(
                    Block(
                        key=f"t{task.pk}-{day:%Y%m%d}",
                        task=task,
                        kind="task",
                        start=start,
                        end=end,
                        minutes=minutes,
                        forecast_only=task.assignee_id is None,
                        movable=task.status in MOVABLE,
                        stamp=move_stamp(task, None),
                        start_day=pieces[0][0],
                        technician_id=tech.pk,
                        choices=choices(task),
                    )
                )


def _row(tech: Technician, dates: list[dt.date], blocks: Blocks, holidays: dict[dt.date, str]) -> Row:
    cells = []
    for day in dates:
        day_blocks = tuple(sorted(blocks.get((tech.pk, day), []), key=lambda b: (b.start, b.task.pk)))
        works = _works(tech, day, holidays)
        cells.append(
            Cell(
                day=day,
                works=works,
                off_reason=f"Holiday: {holidays[day]}" if day in holidays else ("" if works else "Day off"),
                blocks=day_blocks,
                load_minutes=sum(b.minutes for b in day_blocks),
                capacity_minutes=tech.daily_capacity_minutes if works else 0,
            )
        )
    return Row(
        technician=tech,
        skills=tuple(s.name for s in tech.skills.all()),
        hours=f"{tech.day_start:%H:%M}-{tech.day_end:%H:%M}, {weekdays_label(tech.weekdays)}",
        capacity=f"{hours_label(tech.daily_capacity_minutes)} a day",
        cells=tuple(cells),
    )


def _unassigned(
    scope: models.QuerySet[WorkOrder], skill: str, zone: ZoneInfo, today: dt.date, choices: _Choices
) -> tuple[list[Block], int]:
    """The open manual tasks that need a skill and have nobody, soonest first; and how many more."""
    tasks = Task.objects.filter(
        work_order__in=scope, kind=Task.Kind.MANUAL, status__in=Task.OPEN, assignee__isnull=True, skill__isnull=False
    )
    if skill:
        tasks = tasks.filter(skill__code=skill)
    total = tasks.count()
    shown = []
    for task in tasks.select_related(*_RELATED, "work_order").order_by(
        models.F("forecast_start").asc(nulls_last=True), "pk"
    )[:UNASSIGNED_LIMIT]:
        span = _task_span(task)
        start, end = (span[0].astimezone(zone), span[1].astimezone(zone)) if span else (None, None)
        shown.append(
            Block(
                key=f"u{task.pk}",
                task=task,
                kind="task",
                start=start,
                end=end,
                minutes=task.planned_minutes,
                forecast_only=False,
                movable=task.status in MOVABLE,
                stamp=move_stamp(task, None),
                start_day=max(start.date(), today) if start is not None else today,
                technician_id=None,
                choices=choices(task),
            )
        )
    return shown, max(total - UNASSIGNED_LIMIT, 0)


def dispatch_grid(*, user: Any, view: str, anchor: dt.date, skill: str = "") -> DispatchGrid:
    """The dispatch calendar for `anchor`'s day or week: a row per active technician (those with
    `skill`, when given) and the unassigned skilled tasks, of the work orders `user` may see."""
    calendar = fulfillment_selectors.provider_calendar()
    zone, today = calendar.zone, clock.today()
    everyone = list(
        Technician.objects.filter(active=True, user__is_active=True)
        .select_related("user")
        .prefetch_related("skills")
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    technicians = [t for t in everyone if not skill or any(s.code == skill for s in t.skills.all())]
    worked = _worked_weekdays(calendar, everyone)
    dates = _period(view, anchor, worked)
    holidays = dict(Holiday.objects.filter(date__range=(dates[0], dates[-1])).values_list("date", "name"))
    period_start = dt.datetime.combine(dates[0], dt.time.min, tzinfo=zone)
    period_end = dt.datetime.combine(dates[-1] + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    scope = fulfillment_selectors.work_order_scope(user=user)
    choices = _Choices(everyone)

    visits = list(
        Appointment.objects.filter(
            status=Appointment.Status.BOOKED,
            technician__in=technicians,
            start__lt=period_end,
            end__gt=period_start,
            task__work_order__in=scope,
        )
        .exclude(task__status=Task.Status.CANCELLED)
        .select_related(*(f"task__{name}" for name in _RELATED), "task__work_order")
    )
    # Assigned work is its assignee's; work nobody has yet, the technician the forecast placed it
    # on. A task with a booked visit is drawn as its visit.
    placed = models.Q(assignee__in=[t.user_id for t in technicians]) | models.Q(
        assignee__isnull=True, forecast_technician__in=technicians
    )
    in_period = models.Q(forecast_start__lt=period_end, forecast_finish__gte=period_start) | models.Q(
        forecast_start__isnull=True, not_before__lt=period_end, not_before__gte=period_start
    )
    tasks = list(
        Task.objects.filter(placed, in_period, work_order__in=scope, kind=Task.Kind.MANUAL, status__in=Task.OPEN)
        .exclude(appointments__status=Appointment.Status.BOOKED)
        .select_related(*_RELATED, "work_order")
    )
    blocks: Blocks = {}
    _visit_blocks(visits, blocks, zone, choices)
    _task_blocks(tasks, technicians, dates, blocks, calendar, choices)
    unassigned, more = _unassigned(scope, skill, zone, today, choices)
    return DispatchGrid(
        view=view,
        anchor=anchor,
        days=tuple(
            Day(date=day, is_today=day == today, holiday=holidays.get(day, ""), working=calendar.is_working_day(day))
            for day in dates
        ),
        rows=tuple(_row(tech, dates, blocks, holidays) for tech in technicians),
        unassigned=tuple(unassigned),
        unassigned_more=more,
        skill=skill,
        previous=_step(view, anchor, -1, worked),
        next=_step(view, anchor, 1, worked),
        today=today,
    )
