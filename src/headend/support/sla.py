"""SLA clocks: response and resolution targets counted on the provider's business calendar (or
round the clock), stopped while the case waits on the customer.

Pure functions of a calendar and instants; support/cases.py keeps each case's figures (the
targets when it opened, the minutes it was paused) and asks here for due instants and states."""

import datetime as dt
from dataclasses import dataclass

from headend.fulfillment.scheduling import BusinessCalendar

# Targets when no SLA policy row says otherwise, in working minutes (a working day is 9 h by
# default: 540 min); business P1 runs round the clock.
DEFAULT_TARGETS: dict[tuple[str, str], tuple[int, int, bool]] = {
    ("p1", "business"): (30, 240, True),
    ("p2", "business"): (60, 480, False),
    ("p3", "business"): (240, 2 * 540, False),
    ("p4", "business"): (480, 5 * 540, False),
    ("p1", "residential"): (60, 480, True),
    ("p2", "residential"): (240, 540, False),
    ("p3", "residential"): (480, 3 * 540, False),
    ("p4", "residential"): (540, 5 * 540, False),
}
DEFAULT_WARN_PERCENT = 75


@dataclass(frozen=True)
class Targets:
    response_minutes: int
    resolution_minutes: int
    round_the_clock: bool
    warn_percent: int = DEFAULT_WARN_PERCENT


def default_targets(priority: str, customer_type: str) -> Targets:
    response, resolution, round_the_clock = DEFAULT_TARGETS[(priority, customer_type)]
    return Targets(response, resolution, round_the_clock)


def due_at(
    calendar: BusinessCalendar,
    *,
    start: dt.datetime,
    minutes: int,
    paused_minutes: int = 0,
    round_the_clock: bool = False,
) -> dt.datetime:
    """When a target of `minutes` started at `start` falls due, after `paused_minutes` waiting
    on the customer (minutes of the same kind: working ones, or every minute round the clock)."""
    if minutes <= 0:
        raise ValueError(f"An SLA target is a positive number of minutes, got {minutes}.")
    total = minutes + paused_minutes
    if round_the_clock:
        return start + dt.timedelta(minutes=total)
    return calendar.add_working_minutes(start, total)


def minutes_between(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime, *, round_the_clock: bool = False
) -> int:
    """Minutes from `start` to `end` that an SLA clock counts."""
    if round_the_clock:
        return int((end - start).total_seconds() // 60)
    return calendar.working_minutes_between(start, end)


@dataclass(frozen=True)
class Clock:
    """One SLA clock now: `state` is running, warning (most of the time used), breached, met, or
    paused (waiting on the customer); `minutes_left` is negative once breached."""

    state: str
    due_at: dt.datetime
    minutes_left: int
    target_minutes: int

    @property
    def is_breached(self) -> bool:
        return self.state == "breached"


def clock(
    calendar: BusinessCalendar,
    *,
    started_at: dt.datetime,
    minutes: int,
    now: dt.datetime,
    paused_minutes: int = 0,
    paused_since: dt.datetime | None = None,
    stopped_at: dt.datetime | None = None,
    round_the_clock: bool = False,
    warn_percent: int = DEFAULT_WARN_PERCENT,
) -> Clock:
    """The state of a clock of `minutes` started at `started_at`: stopped at `stopped_at` (the
    first response, the resolution), or paused since `paused_since`, or running at `now`."""
    due = due_at(
        calendar, start=started_at, minutes=minutes, paused_minutes=paused_minutes, round_the_clock=round_the_clock
    )
    reading = stopped_at or paused_since or now
    left = minutes_between(calendar, reading, due, round_the_clock=round_the_clock)
    if reading > due and left == 0:
        left = -1  # late by less than a counted minute (after hours): late all the same
    if stopped_at is not None:
        state = "met" if stopped_at <= due else "breached"
    elif left < 0 or reading > due:
        state = "breached"
    elif paused_since is not None:
        state = "paused"
    elif (minutes - left) * 100 >= minutes * warn_percent:
        state = "warning"
    else:
        state = "running"
    return Clock(state=state, due_at=due, minutes_left=left, target_minutes=minutes)
