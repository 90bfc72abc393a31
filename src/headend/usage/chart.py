"""Where each bar, tick and line of a service's usage chart goes: plain values in, SVG user units
(pixels) out, no ORM; the template (usage/panels/service_usage.html) only draws what it gets.

One bar per day of the cycle, as tall as the usage so far that day ends with: the part used
before the day in a light tone, the day's own usage in a dark one, so the bars climb to the cap,
a horizontal line. Days still to come have no bar. The scale reaches the cap or the usage,
whichever is higher, with a little room above."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 28  # room for the GB labels and the days
GB = 10**9
STEPS_GB = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


@dataclass(frozen=True)
class Bar:
    day: dt.date
    x: float
    width: float
    before_y: float
    before_height: float
    day_y: float
    day_height: float
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Label]
    cap_y: float | None
    cap_label: str


def gb(octets: int) -> str:
    return f"{octets / GB:,.1f} GB"


def _step(top_gb: float) -> int:
    """A round step giving at most 5 ticks up to `top_gb`."""
    for step in STEPS_GB:
        if top_gb / step <= 5:
            return step
    return STEPS_GB[-1]


def usage_chart(days: Sequence[tuple[dt.date, int]], cap_octets: int | None, today: dt.date) -> Chart:
    """The chart of a cycle's `days` ((day, octets), every day of the cycle in order) against the
    cap (None: no cap line); days after `today` are not drawn."""
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    plot_height = bottom - TOP
    total = sum(octets for day, octets in days if day <= today)
    top_octets = max(cap_octets or 0, total, GB) * 1.1
    scale = plot_height / top_octets
    slot = (right - LEFT) / max(len(days), 1)
    width = max(slot * 0.7, 1.0)
    bars, labels, running = [], [], 0
    for index, (day, octets) in enumerate(days):
        x = LEFT + index * slot + (slot - width) / 2
        if index == 0 or day.day == 1 or index % 5 == 0:
            labels.append(Label(x=round(x + width / 2, 1), text=f"{day:%b %-d}"))
        if day > today:
            continue
        before_height, day_height = running * scale, octets * scale
        running += octets
        bars.append(
            Bar(
                day=day,
                x=round(x, 1),
                width=round(width, 1),
                before_y=round(bottom - before_height, 1),
                before_height=round(before_height, 1),
                day_y=round(bottom - before_height - day_height, 1),
                day_height=round(day_height, 1),
                title=f"{day:%a %b %-d}: {gb(octets)} that day, {gb(running)} so far",
            )
        )
    step = _step(top_octets / GB)
    ticks = []
    value = 0
    while value * GB <= top_octets:
        ticks.append(Tick(y=round(bottom - value * GB * scale, 1), label=f"{value:,} GB"))
        value += step
    cap_y = round(bottom - cap_octets * scale, 1) if cap_octets else None
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=right,
        top=TOP,
        bottom=bottom,
        bars=bars,
        ticks=ticks,
        labels=labels,
        cap_y=cap_y,
        cap_label=f"Cap {gb(cap_octets)}" if cap_octets else "",
    )
