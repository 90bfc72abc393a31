"""Where each bar, arrow and tick of a Gantt chart goes, for an order's or a work order's tasks.

Plain values in, plain values out, no ORM: the view turns work orders and tasks into
`GanttGroup`s of `GanttTask`s; `chart()` lays them out in SVG user units (pixels) and the
template only draws what it gets.

- Time runs left to right on a linear scale chosen from the time span: a short schedule is
  drawn by the hour, a long one by the day, and the chart scrolls sideways past `width`.
- Days and hours are the provider's wall clock, so day ticks sit on local midnights and a
  daylight-saving day is an hour narrower or wider than the others.
- One row per task (after its work order's header row when there are several work orders):
  the forecast bar, the planned (baseline) bar as a thin line under it, the actual bar for a
  done task instead of its forecast, a diamond for a milestone.
- Arrows run finish-to-start from the end of the predecessor's bar to the start of the successor's.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from headend.fulfillment.scheduling import BusinessCalendar, format_working_duration

ROW_HEIGHT = 26
BAR_TOP, BAR_HEIGHT = 5, 12  # forecast and actual bars, from the row's top
PLANNED_TOP, PLANNED_HEIGHT = 19, 3  # the baseline, a thin bar under the forecast
DIAMOND = 7  # half the width of a milestone's diamond
AXIS_HEIGHT = 54  # months or days, then days or hours, then the "Now" flag
LABEL_WIDTH = 300
LABEL_CHARS = 38  # what the labels column fits of a task name; a work order's bold label fits 4 fewer
WIDTH = 840  # what a laptop shows beside the labels; longer schedules scroll
MIN_DAY_PX = 30  # a day never narrower: a 90-day order is 2,700 px wide
MAX_HOUR_PX = 140  # an hour never wider: a 15-minute task is 35 px
MIN_BAR = 3  # a short task stays visible
HOUR_STEPS = (1, 2, 3, 4, 6, 12)
MIN_HOUR_LABEL_GAP = 44
ARROW_GAP = 6
DAILY_FROM = dt.timedelta(days=3)  # spans from this long are drawn day by day
TODAY_REACH = dt.timedelta(days=7)  # today is drawn if the schedule is at most this far away
_HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class GanttTask:
    """One task to draw; `status` is the task's status value (done, ready, ...)."""

    key: str
    name: str
    status: str
    forecast_start: dt.datetime | None
    forecast_finish: dt.datetime | None
    planned_start: dt.datetime | None = None
    planned_finish: dt.datetime | None = None
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    critical: bool = False
    milestone: bool = False
    predecessors: tuple[str, ...] = ()
    slack_minutes: int = 0
    status_label: str = ""
    href: str = ""

    @property
    def done(self) -> bool:
        return self.status == "done" and self.actual_start is not None and self.actual_finish is not None


@dataclass(frozen=True)
class GanttGroup:
    """A work order: its header row's label and link, and its tasks in order."""

    key: str
    label: str
    tasks: tuple[GanttTask, ...]
    status: str = ""
    href: str = ""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Row:
    """One line of the chart: a work order's header (`kind` "group") or a task."""

    kind: str
    key: str
    y: float  # top of the row
    label: str  # shortened to fit the labels column
    title: str  # the full label and dates, as a tooltip
    status: str
    href: str = ""
    critical: bool = False
    milestone: bool = False
    forecast: Bar | None = None
    planned: Bar | None = None
    actual: Bar | None = None
    summary: Bar | None = None
    diamond: str = ""  # polygon points of a milestone
    planned_diamond: str = ""

    @property
    def text_y(self) -> float:
        return self.y + 17

    @property
    def mid_y(self) -> float:
        return self.y + ROW_HEIGHT / 2


@dataclass(frozen=True)
class Arrow:
    """Finish-to-start: from the end of `source`'s bar to the start of `target`'s."""

    source: str
    target: str
    path: str  # SVG path data
    critical: bool


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str
    anchor: str = "middle"  # SVG text-anchor


@dataclass(frozen=True)
class Band:
    """Time nobody works (a weekend, a holiday, a night), shaded."""

    x: float
    width: float


@dataclass(frozen=True)
class Marker:
    """A vertical line across the chart: today, planned or forecast go-live."""

    kind: str
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    start: dt.datetime
    end: dt.datetime
    hour_px: float
    width: float
    height: float
    rows: tuple[Row, ...]
    arrows: tuple[Arrow, ...]
    day_ticks: tuple[float, ...]  # local midnights
    hour_ticks: tuple[float, ...]
    top_labels: tuple[AxisLabel, ...]  # months, or days when drawn by the hour
    bottom_labels: tuple[AxisLabel, ...]  # days, or hours
    bands: tuple[Band, ...]
    markers: tuple[Marker, ...]
    today_x: float | None
    daily: bool
    axis_height: int = AXIS_HEIGHT
    label_width: int = LABEL_WIDTH
    row_height: int = ROW_HEIGHT


def _r(value: float) -> float:
    return round(value, 1)


def _n(value: float) -> str:
    """A coordinate for SVG path data: 12, 12.5."""
    return f"{round(value, 1):.1f}".removesuffix(".0")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _local_midnight(day: dt.date, calendar: BusinessCalendar) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=calendar.zone).astimezone(dt.UTC)


def _local_at(day: dt.date, time: dt.time, calendar: BusinessCalendar) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=calendar.zone).astimezone(dt.UTC)


def _floor_hour(at: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    local = at.astimezone(calendar.zone)
    return local.replace(minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def _ceil_hour(at: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    floor = _floor_hour(at, calendar)
    return floor if floor == at else floor + _HOUR


def _span(
    tasks: Sequence[GanttTask], extra: Sequence[dt.datetime], now: dt.datetime, calendar: BusinessCalendar
) -> tuple[dt.datetime, dt.datetime, bool]:
    """The instants the chart covers and whether it is drawn by the day."""
    instants = [
        at
        for task in tasks
        for at in (
            task.forecast_start,
            task.forecast_finish,
            task.planned_start,
            task.planned_finish,
            task.actual_start,
            task.actual_finish,
        )
        if at is not None
    ] + list(extra)
    first, last = (min(instants), max(instants)) if instants else (now, now)
    if first - TODAY_REACH <= now <= last + TODAY_REACH:
        first, last = min(first, now), max(last, now)
    if last - first < DAILY_FROM:
        return _floor_hour(first, calendar) - _HOUR, _ceil_hour(last, calendar) + _HOUR, False
    first_day = first.astimezone(calendar.zone).date()
    last_local = last.astimezone(calendar.zone)
    end_day = last_local.date() if last_local.time() == dt.time(0) else last_local.date() + dt.timedelta(days=1)
    return _local_midnight(first_day, calendar), _local_midnight(end_day, calendar), True


def _days(start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar) -> list[dt.date]:
    """Local dates the chart touches, in order."""
    day, last = start.astimezone(calendar.zone).date(), end.astimezone(calendar.zone).date()
    days = []
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=1)
    return days


def chart(
    groups: Sequence[GanttGroup],
    *,
    now: dt.datetime,
    calendar: BusinessCalendar,
    planned_go_live: dt.datetime | None = None,
    forecast_go_live: dt.datetime | None = None,
    headers: bool = True,
    width: float = WIDTH,
) -> Chart:
    """Lay out the tasks of `groups` (with a header row per group when `headers`), the date axis
    in the calendar's zone, a line for `now` when the schedule is near it and the go-live lines."""
    tasks = [task for group in groups for task in group.tasks]
    go_lives = [at for at in (planned_go_live, forecast_go_live) if at is not None]
    start, end, daily = _span(tasks, go_lives, now, calendar)
    hours = (end - start) / _HOUR
    hour_px = min(max(width / hours, MIN_DAY_PX / 24), MAX_HOUR_PX)

    def x(at: dt.datetime) -> float:
        return _r((at - start) / _HOUR * hour_px)

    def bar(begin: dt.datetime | None, finish: dt.datetime | None, top: float, height: float) -> Bar | None:
        if begin is None or finish is None:
            return None
        left = x(begin)
        return Bar(left, top, _r(max(x(finish) - left, MIN_BAR)), height)

    def diamond(at: dt.datetime | None, mid: float, size: float = DIAMOND) -> str:
        if at is None:
            return ""
        cx = x(at)
        return " ".join(
            f"{_n(px)},{_n(py)}" for px, py in ((cx, mid - size), (cx + size, mid), (cx, mid + size), (cx - size, mid))
        )

    def when(at: dt.datetime | None) -> str:
        return at.astimezone(calendar.zone).strftime("%a %b %-d %H:%M") if at else "?"

    rows: list[Row] = []
    ends: dict[str, tuple[float, float, float, bool, bool]] = {}  # key -> start x, end x, middle y, critical, milestone
    for group in groups:
        if headers:
            shown = [
                (task.actual_start, task.actual_finish) if task.done else (task.forecast_start, task.forecast_finish)
                for task in group.tasks
            ]
            begins = [begin for begin, _ in shown if begin is not None]
            finishes = [finish for _, finish in shown if finish is not None]
            y = len(rows) * ROW_HEIGHT
            summary = bar(min(begins), max(finishes), y + 8, 8) if begins and finishes else None
            rows.append(
                Row(
                    kind="group",
                    key=group.key,
                    y=y,
                    label=_shorten(group.label, LABEL_CHARS - 4),
                    title=group.label,
                    status=group.status,
                    href=group.href,
                    summary=summary,
                )
            )
        for task in group.tasks:
            y = len(rows) * ROW_HEIGHT
            mid = y + ROW_HEIGHT / 2
            label = _shorten(task.name, LABEL_CHARS)
            lines = [f"{task.name} · {task.status_label or task.status}"]
            if task.done:
                lines.append(f"Done {when(task.actual_start)} → {when(task.actual_finish)}")
            elif task.forecast_start:
                lines.append(f"Forecast {when(task.forecast_start)} → {when(task.forecast_finish)}")
            if task.planned_start:
                lines.append(f"Planned {when(task.planned_start)} → {when(task.planned_finish)}")
            if not task.done:
                slack = format_working_duration(task.slack_minutes, calendar)
                lines.append("Critical: no slack" if task.critical else f"Slack {slack}")
            begin, finish = (
                (task.actual_start, task.actual_finish) if task.done else (task.forecast_start, task.forecast_finish)
            )
            critical = task.critical
            forecast = actual = planned = None
            points = planned_points = ""
            if task.milestone:
                points, planned_points = diamond(finish, mid), diamond(task.planned_finish, mid, DIAMOND - 2)
                if finish is not None:
                    ends[task.key] = (x(finish) - DIAMOND, x(finish) + DIAMOND, mid, critical, True)
            else:
                planned = bar(task.planned_start, task.planned_finish, y + PLANNED_TOP, PLANNED_HEIGHT)
                drawn = bar(begin, finish, y + BAR_TOP, BAR_HEIGHT)
                actual, forecast = (drawn, None) if task.done else (None, drawn)
                if drawn is not None:
                    ends[task.key] = (drawn.x, _r(drawn.x + drawn.width), mid, critical, False)
            row = Row(
                kind="task",
                key=task.key,
                y=y,
                label=label,
                title="\n".join(lines),
                status=task.status,
                href=task.href,
                critical=critical,
                milestone=task.milestone,
                forecast=forecast,
                planned=planned,
                actual=actual,
                diamond=points,
                planned_diamond=planned_points,
            )
            rows.append(row)

    arrows = []
    for task in tasks:
        if task.key not in ends:
            continue
        x2, _, y2, critical, milestone = ends[task.key]
        for key in task.predecessors:
            if key not in ends:
                continue  # cancelled, or not on this chart
            _, x1, y1, source_critical, _ = ends[key]
            if milestone and x1 <= x2 + DIAMOND < x1 + 2 * ARROW_GAP:
                # A milestone right at the predecessor's end: straight down (or up) onto its tip.
                tip = y2 - DIAMOND if y2 > y1 else y2 + DIAMOND
                path = f"M{_n(x1)},{_n(y1)} H{_n(x2 + DIAMOND)} V{_n(tip)}"
            else:
                path = _arrow_path(x1, y1, x2, y2)
            arrows.append(Arrow(key, task.key, path, critical and source_critical))

    chart_width = _r(hours * hour_px)
    days = _days(start, end, calendar)
    midnights = [(day, _local_midnight(day, calendar)) for day in days]
    day_ticks = tuple(x(at) for _, at in midnights if start <= at <= end)
    day_px = 24 * hour_px
    top_labels: list[AxisLabel] = []
    bottom_labels: list[AxisLabel] = []
    hour_ticks: list[float] = []
    for day, midnight in midnights:
        left = max(midnight, start)
        right = min(_local_midnight(day + dt.timedelta(days=1), calendar), end)
        if right <= left:
            continue
        if daily:
            text = day.strftime("%a %-d") if day_px >= 44 else day.strftime("%-d")
            bottom_labels.append(AxisLabel(_r((x(left) + x(right)) / 2), text))
            if day.day == 1 or day == days[0]:
                top_labels.append(AxisLabel(_r(x(left) + 4), day.strftime("%B %Y"), "start"))
        elif x(right) - x(left) >= 120:
            top_labels.append(AxisLabel(_r(x(left) + 4), day.strftime("%a %b %-d, %Y"), "start"))
    if not daily:
        step = next((s for s in HOUR_STEPS if s * hour_px >= MIN_HOUR_LABEL_GAP), 24)
        at = _ceil_hour(start, calendar)
        while at <= end:
            local = at.astimezone(calendar.zone)
            if local.hour % step == 0:
                hour_ticks.append(x(at))
                if local.hour and MIN_HOUR_LABEL_GAP / 2 <= x(at) <= hours * hour_px - MIN_HOUR_LABEL_GAP / 2:
                    bottom_labels.append(AxisLabel(x(at), local.strftime("%H:%M")))
            at += _HOUR

    bands: list[Band] = []
    for day, midnight in midnights:
        next_midnight = _local_midnight(day + dt.timedelta(days=1), calendar)
        if not calendar.is_working_day(day):
            spans = [(midnight, next_midnight)]
        elif not daily:
            spans = [
                (midnight, _local_at(day, calendar.day_start, calendar)),
                (_local_at(day, calendar.day_end, calendar), next_midnight),
            ]
        else:
            spans = []
        for left, right in spans:
            left, right = max(left, start), min(right, end)
            if right <= left:
                continue
            if bands and bands[-1].x + bands[-1].width == x(left):  # a weekend is one band
                bands[-1] = Band(bands[-1].x, _r(x(right) - bands[-1].x))
            else:
                bands.append(Band(x(left), _r(x(right) - x(left))))

    today_x = x(now) if start <= now <= end else None
    markers = []
    if planned_go_live is not None:
        markers.append(Marker("planned", x(planned_go_live), f"Planned go-live {when(planned_go_live)}"))
    if forecast_go_live is not None:
        markers.append(Marker("forecast", x(forecast_go_live), f"Forecast go-live {when(forecast_go_live)}"))
    if today_x is not None:
        markers.append(Marker("today", today_x, f"Now {when(now)}"))

    return Chart(
        start=start,
        end=end,
        hour_px=hour_px,
        width=chart_width,
        height=len(rows) * ROW_HEIGHT,
        rows=tuple(rows),
        arrows=tuple(arrows),
        day_ticks=day_ticks,
        hour_ticks=tuple(hour_ticks),
        top_labels=tuple(top_labels),
        bottom_labels=tuple(bottom_labels),
        bands=tuple(bands),
        markers=tuple(markers),
        today_x=today_x,
        daily=daily,
    )


def _arrow_path(x1: float, y1: float, x2: float, y2: float) -> str:
    """Out of the predecessor's end, down (or up) to the successor's row, into its start; when
    the successor starts too close behind (or before) that end, the line doubles back between
    the two rows."""
    if x2 - x1 >= 2 * ARROW_GAP:
        return f"M{_n(x1)},{_n(y1)} H{_n(x1 + ARROW_GAP)} V{_n(y2)} H{_n(x2)}"
    between = y2 - ROW_HEIGHT / 2 if y2 > y1 else y2 + ROW_HEIGHT / 2
    return f"M{_n(x1)},{_n(y1)} H{_n(x1 + ARROW_GAP)} V{_n(between)} H{_n(x2 - ARROW_GAP)} V{_n(y2)} H{_n(x2)}"


def go_live_slip(planned: dt.datetime | None, forecast: dt.datetime | None, calendar: BusinessCalendar) -> str:
    """How far the forecast go-live is from the planned one, in working time: "1 d 2 h late",
    "30 min early", "on plan"; "" without both dates."""
    if planned is None or forecast is None:
        return ""
    minutes = calendar.working_minutes_between(planned, forecast)
    if minutes == 0:
        return "on plan"
    duration = format_working_duration(abs(minutes), calendar)
    return f"{duration} late" if minutes > 0 else f"{duration} early"
