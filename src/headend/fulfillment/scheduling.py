"""When each task of an order is planned to start and finish on the provider's business calendar.

Plain values in, plain values out, no ORM: work orders' tasks become `TaskNode`s with planned
durations in working minutes and finish-to-start dependencies with a lag; `schedule()` returns
the planned start and finish of every task, the forecast go-live, each task's slack and the
critical path. Recomputing after a task finishes late, or is rescheduled, is another call.

Conventions the planners rely on:

- Working time is wall-clock in the provider's zone: 09:00-17:00 is 09:00-17:00 on both sides
  of a daylight-saving change. Every instant returned is an aware datetime in UTC.
- Work that ends exactly when a working day ends finishes at that day's end (Monday 17:00), and
  what follows starts at the next working day's start (Tuesday 09:00); both are the same moment
  of working time, so neither adds slack.
- A zero-minute task (a milestone) finishes when it starts; its start is moved into working time.
- `schedule()` plans in whole minutes: an instant given with seconds is rounded up to the next
  minute, because work cannot start before the instant it was given.

Crews (resource levelling): a task that needs a skill, or is assigned to a technician, is done
by one person, who does one thing at a time. Given the crews (`Crew`: a technician's skills,
own working calendar and daily capacity) and the time already booked for them (`Booking`:
other orders' planned tasks, visits), `schedule()` places each such task on the qualified
technician who can finish it first, in a contiguous stretch of their working time that no
booking or other task of theirs overlaps (a serial schedule-generation scheme: tasks are taken
as soon as all they wait on is placed, earliest possible start first, then work already assigned
to someone (a person's commitment comes before a tentative placement), then least slack in the
plan without crews, then the order given; the same input always gives the same plan). Tasks
with no skill and no technician (code tasks, office work), and skilled tasks no crew can do,
are not levelled: any number of them run at once, as without crews.
"""

import bisect
import datetime as dt
import heapq
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from headend.core.durations import say_working_minutes

_MINUTE_US = 60_000_000  # working time is counted in microseconds inside this module
_DAY = dt.timedelta(days=1)
_UTC = dt.UTC


class ScheduleCycleError(ValueError):
    """Tasks wait on each other in a loop, so none of them can ever start."""

    def __init__(self, cycle: Sequence[str]):
        self.cycle = tuple(cycle)
        super().__init__("Tasks depend on each other in a cycle: " + " -> ".join(self.cycle))


def _check_aware(name: str, at: dt.datetime | None) -> None:
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(f"{name} must be an aware datetime, got {at!r}")


def _wall_us(at: dt.datetime | dt.time) -> int:
    """Microseconds since local midnight on the wall clock."""
    return ((at.hour * 60 + at.minute) * 60 + at.second) * 1_000_000 + at.microsecond


@dataclass(frozen=True)
class BusinessCalendar:
    """When the provider's crews work: hours of a working day, working weekdays, and holidays."""

    zone: ZoneInfo
    day_start: dt.time = dt.time(9)
    # Eight hours: planners count a working day as 480 minutes, so 2,400 minutes is a week.
    day_end: dt.time = dt.time(17)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0, as `date.weekday()`
    holidays: frozenset[dt.date] = frozenset()  # dates in the provider's zone

    def __post_init__(self) -> None:
        for name in ("day_start", "day_end"):
            moment = getattr(self, name)
            if moment.second or moment.microsecond or moment.tzinfo is not None:
                raise ValueError(f"{name} must be a whole minute of local wall-clock time, got {moment!r}")
        if self.day_start >= self.day_end:
            raise ValueError("A working day must end after it starts.")
        # Callers pass sets, lists or ranges; keep the dataclass hashable and immutable.
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("weekdays must be a non-empty set of 0 (Monday) to 6 (Sunday).")

    @classmethod
    def for_zone(
        cls,
        zone: str,
        *,
        holidays: Iterable[dt.date] = (),
        day_start: dt.time = dt.time(9),
        day_end: dt.time = dt.time(17),
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
    ) -> "BusinessCalendar":
        """A Monday-to-Friday calendar in the named zone ("America/New_York") with the provider's holidays."""
        return cls(ZoneInfo(zone), day_start, day_end, frozenset(weekdays), frozenset(holidays))

    @property
    def working_minutes_per_day(self) -> int:
        """Length of one working day in minutes: the unit "1 d" of a working duration."""
        return (_wall_us(self.day_end) - _wall_us(self.day_start)) // _MINUTE_US

    def is_working_day(self, day: dt.date) -> bool:
        """Whether crews work on this local date."""
        return day.weekday() in self.weekdays and day not in self.holidays

    def next_working_instant(self, at: dt.datetime) -> dt.datetime:
        """`at` if crews are working then, else the start of the next working day's hours."""
        _check_aware("at", at)
        local = at.astimezone(self.zone)
        offset = _wall_us(local) - _wall_us(self.day_start)
        if self.is_working_day(local.date()) and 0 <= offset < _wall_us(self.day_end) - _wall_us(self.day_start):
            return at.astimezone(_UTC)  # exact: no round trip through the wall clock
        timeline = _Timeline(self, local.date())
        return timeline.instant(timeline.ordinal(at))

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The moment `minutes` of working time after `start`; zero minutes is `start` moved into working time.

        Work that ends exactly at the end of a working day finishes then, not at the next day's start."""
        _check_aware("start", start)
        if minutes < 0:
            raise ValueError(f"minutes must not be negative, got {minutes}")
        if minutes == 0:
            return self.next_working_instant(start)
        timeline = _Timeline(self, start.astimezone(self.zone).date())
        return timeline.instant(timeline.ordinal(start) + minutes * _MINUTE_US, finishing=True)

    def working_minutes_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Whole minutes of working time from `a` to `b`, negative when `b` is earlier (rounded toward zero)."""
        _check_aware("a", a)
        _check_aware("b", b)
        timeline = _Timeline(self, min(a.astimezone(self.zone).date(), b.astimezone(self.zone).date()))
        difference = timeline.ordinal(b) - timeline.ordinal(a)
        minutes = abs(difference) // _MINUTE_US
        return minutes if difference >= 0 else -minutes


class _Timeline:
    """Working time counted from the start of a calendar's first working day on or after `epoch`.

    An ordinal is the microseconds of working time before an instant; every instant outside
    working time has the ordinal of the next working instant. Working days are listed lazily,
    so arithmetic jumps whole days by index instead of walking the clock."""

    def __init__(self, calendar: BusinessCalendar, epoch: dt.date):
        self.calendar = calendar
        self.zone = calendar.zone
        self.start_us = _wall_us(calendar.day_start)
        self.day_us = _wall_us(calendar.day_end) - self.start_us
        self.days: list[dt.date] = []  # working days in order, from `epoch`
        self.index: dict[dt.date, int] = {}
        self.epoch = epoch
        self.scanned = epoch - _DAY  # last date looked at

    def _scan(self) -> None:
        # Terminates: at least one weekday works and holidays are finite.
        self.scanned += _DAY
        if self.calendar.is_working_day(self.scanned):
            self.index[self.scanned] = len(self.days)
            self.days.append(self.scanned)

    def _working_day(self, number: int) -> dt.date:
        while len(self.days) <= number:
            self._scan()
        return self.days[number]

    def _first_working_day_from(self, day: dt.date) -> int:
        """Number of the first working day on or after `day`."""
        if day < self.epoch:
            raise ValueError(f"{day} is before this timeline's epoch {self.epoch}")  # a bug, not input
        while self.scanned < day:
            self._scan()
        number = self.index.get(day)
        if number is not None:
            return number
        number = bisect.bisect_left(self.days, day)
        self._working_day(number)
        return number

    def ordinal(self, at: dt.datetime) -> int:
        """Microseconds of working time from the timeline's start until `at`."""
        local = at.astimezone(self.zone)
        day = local.date()
        number = self._first_working_day_from(day)
        if self.days[number] != day:
            return number * self.day_us
        offset = min(max(_wall_us(local) - self.start_us, 0), self.day_us)
        return number * self.day_us + offset

    def instant(self, ordinal: int, *, finishing: bool = False) -> dt.datetime:
        """The UTC instant at `ordinal`; `finishing` puts a day boundary at the earlier day's end."""
        number, offset = divmod(ordinal, self.day_us)
        if finishing and offset == 0 and number > 0:
            number, offset = number - 1, self.day_us
        day = self._working_day(number)
        # Build the wall-clock time field by field: adding a timedelta to an aware datetime
        # would count elapsed time across a DST change and land an hour off.
        minutes, micro = divmod(self.start_us + offset, _MINUTE_US)
        seconds, micro = divmod(micro, 1_000_000)
        wall = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, seconds, micro, tzinfo=self.zone)
        return wall.astimezone(_UTC)


@dataclass(frozen=True)
class Dependency:
    """The task waits until task `key` is finished, plus `lag_minutes` of working time (curing, permits)."""

    key: str
    lag_minutes: int = 0

    def __post_init__(self) -> None:
        if self.lag_minutes < 0:
            raise ValueError(f"Lag after {self.key!r} must not be negative, got {self.lag_minutes}")


@dataclass(frozen=True)
class TaskNode:
    """One task to plan: its planned working minutes, what it waits on, and what already happened.

    A done task has `actual_start` and `actual_finish`; a task in progress has only `actual_start`.
    `not_before` is an appointment or a manual reschedule: the task may not start earlier.
    `technician` (a crew key: the person it is assigned to) or else `skill` (any crew that has
    it) is who does the task; a technician who is not among the crews is someone the plan does
    not level (an office colleague). A `blocked` task does not progress: started, it cannot
    finish before now plus its whole duration, so each plan made while it is blocked moves
    its successors later."""

    key: str
    duration_minutes: int
    predecessors: tuple[Dependency, ...] = ()
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    not_before: dt.datetime | None = None
    skill: str | None = None
    technician: str | None = None
    blocked: bool = False

    def __post_init__(self) -> None:
        if self.duration_minutes < 0:
            raise ValueError(f"Task {self.key!r} duration must not be negative, got {self.duration_minutes}")
        object.__setattr__(self, "predecessors", tuple(self.predecessors))
        _check_aware(f"Task {self.key!r} actual_start", self.actual_start)
        _check_aware(f"Task {self.key!r} actual_finish", self.actual_finish)
        _check_aware(f"Task {self.key!r} not_before", self.not_before)
        if self.actual_finish is not None:
            if self.actual_start is None:
                raise ValueError(f"Task {self.key!r} has finished but never started.")
            if self.actual_finish < self.actual_start:
                raise ValueError(f"Task {self.key!r} finished before it started.")

    @property
    def done(self) -> bool:
        return self.actual_finish is not None

    @property
    def started(self) -> bool:
        return self.actual_start is not None


@dataclass(frozen=True)
class ScheduledTask:
    """A task's forecast: planned (or actual) start and finish, the latest it may start and finish
    without moving go-live, and its slack in working minutes."""

    key: str
    start: dt.datetime
    finish: dt.datetime
    late_start: dt.datetime
    late_finish: dt.datetime
    slack_minutes: int
    critical: bool
    crew: str | None = None  # the technician it is planned on, for a levelled task


@dataclass(frozen=True)
class Crew:
    """A technician work can be planned on: their skills, their own working calendar (hours,
    weekdays and the provider's holidays) and how many minutes a day they work.

    The daily capacity shortens their planned day: work is planned from `day_start` for
    `daily_capacity_minutes` (at most until `day_end`), so a 480-minute capacity in an
    08:00-17:00 day is planned 08:00-16:00 and the last hour is left for travel and breaks.
    A capacity of 0 takes the technician out of the plan."""

    key: str
    calendar: BusinessCalendar
    skills: frozenset[str] = frozenset()
    daily_capacity_minutes: int | None = None  # None: the whole working day

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", frozenset(self.skills))
        if self.daily_capacity_minutes is not None and self.daily_capacity_minutes < 0:
            raise ValueError(f"Crew {self.key!r} daily capacity must not be negative.")

    @property
    def planning_calendar(self) -> BusinessCalendar | None:
        """The calendar work is planned on: the working day cut to the daily capacity; None if
        the capacity is zero."""
        if self.daily_capacity_minutes is None:
            return self.calendar
        first = self.calendar.day_start.hour * 60 + self.calendar.day_start.minute
        last = min(self.calendar.day_end.hour * 60 + self.calendar.day_end.minute, first + self.daily_capacity_minutes)
        if last <= first:
            return None
        return replace(self.calendar, day_end=dt.time(last // 60, last % 60))


@dataclass(frozen=True)
class Booking:
    """Time a crew is already taken outside this plan: another order's planned task, a visit."""

    crew: str
    start: dt.datetime
    finish: dt.datetime

    def __post_init__(self) -> None:
        _check_aware("Booking start", self.start)
        _check_aware("Booking finish", self.finish)


class _Lane:
    """One crew's taken time, in whole minutes of their planning timeline: sorted, disjoint
    intervals [start, end)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def earliest(self, at: int, minutes: int) -> int:
        """The first minute from `at` where `minutes` of work fit without touching taken time."""
        k = bisect.bisect_right(self.ends, at)
        while k < len(self.starts) and self.starts[k] < at + minutes:
            at = max(at, self.ends[k])
            k += 1
        return at

    def reserve(self, start: int, end: int) -> None:
        if end <= start:
            return
        i = bisect.bisect_left(self.ends, start)  # the first interval touching or after `start`
        j = bisect.bisect_right(self.starts, end)  # past the last touching or before `end`
        if i < j:
            start, end = min(start, self.starts[i]), max(end, self.ends[j - 1])
        self.starts[i:j], self.ends[i:j] = [start], [end]


@dataclass(frozen=True)
class Schedule:
    """The forecast for an order: every task's dates, the go-live (`finish`) and the critical path."""

    tasks: Mapping[str, ScheduledTask]  # in the order the tasks were given
    finish: dt.datetime
    calendar: BusinessCalendar
    critical_chain: tuple[str, ...] = field(default=())

    def __getitem__(self, key: str) -> ScheduledTask:
        return self.tasks[key]

    def critical_path(self) -> list[str]:
        """The chain of critical tasks, each waiting on the one before, from its first task to go-live."""
        return list(self.critical_chain)

    def finish_of(self, keys: Iterable[str]) -> dt.datetime:
        """Forecast go-live of a group of tasks, such as one work order."""
        return max(self.tasks[key].finish for key in keys)


def _round_up_to_minute(at: dt.datetime) -> dt.datetime:
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + dt.timedelta(minutes=1)


def _topological_order(nodes: Sequence[TaskNode], position: Mapping[str, int]) -> list[int]:
    """Positions of `nodes` with every task after the tasks it waits on; raises ScheduleCycleError."""
    waiting_on = [len({position[d.key] for d in node.predecessors}) for node in nodes]
    successors: list[set[int]] = [set() for _ in nodes]
    for i, node in enumerate(nodes):
        for dependency in node.predecessors:
            successors[position[dependency.key]].add(i)
    ready = deque(i for i, count in enumerate(waiting_on) if count == 0)
    order: list[int] = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for j in sorted(successors[i]):  # sorted: the same order on every run
            waiting_on[j] -= 1
            if waiting_on[j] == 0:
                ready.append(j)
    if len(order) < len(nodes):
        raise ScheduleCycleError(_find_cycle(nodes, position, set(range(len(nodes))) - set(order)))
    return order


def _find_cycle(nodes: Sequence[TaskNode], position: Mapping[str, int], stuck: set[int]) -> list[str]:
    """One cycle among tasks that never became ready, in dependency order, from its first-listed task."""
    # Every stuck task waits on another stuck task, so walking back along those waits must loop.
    seen: dict[int, int] = {}
    walk: list[int] = []
    i = min(stuck)
    while i not in seen:
        seen[i] = len(walk)
        walk.append(i)
        i = next(position[d.key] for d in nodes[i].predecessors if position[d.key] in stuck)
    loop = walk[seen[i] :][::-1]  # walked backwards; each now waits on the one before it
    first = loop.index(min(loop))
    loop = loop[first:] + loop[:first]
    return [nodes[j].key for j in [*loop, loop[0]]]


def schedule(
    nodes: Sequence[TaskNode],
    *,
    start: dt.datetime,
    calendar: BusinessCalendar,
    now: dt.datetime | None = None,
    crews: Sequence[Crew] = (),
    booked: Iterable[Booking] = (),
) -> Schedule:
    """Plan every task as early as its predecessors, appointments, the calendar and its crew allow.

    A task not yet started starts at the latest of: `start`, each predecessor's finish plus lag,
    its `not_before`, and `now` (unstarted work cannot be planned in the past); it then takes
    its duration in working minutes. A done task keeps its actual start and finish. A task in
    progress keeps its actual start and is expected to take its planned duration from there, but
    not to finish before `now` (blocked: before `now` plus its duration). Started tasks ignore
    their predecessors, since what they waited on no longer holds them back.

    With `crews`, a task that needs a skill or is assigned to a crew is levelled (see the module
    docstring): it starts no earlier than above, on the crew's own calendar, when that crew is
    free of `booked` time and of the plan's other tasks; its working minutes are counted on
    the crew's calendar. A task in progress on a crew keeps the crew busy until it is expected
    to finish. `ScheduledTask.crew` says who each levelled task is planned on.

    Slack is the working time a task may slip without moving go-live, on the provider's
    calendar; a task not done with no slack is critical. On a levelled plan, slack is computed
    over the plan as levelled: each crew's tasks stay in the order they were placed, as if each
    waited on the one the crew does before it, so a task's slack is how far it may slip with
    every technician keeping their sequence (the critical path may run from one task to the
    next of the same technician). Done tasks are history: late dates equal actual ones, slack 0,
    not critical. The critical path is traced back from go-live; among equal choices it takes
    the task listed first in `nodes`.

    Raises ScheduleCycleError for circular dependencies and ValueError for an unknown
    predecessor, a repeated key or a naive datetime."""
    _check_aware("start", start)
    _check_aware("now", now)
    position: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.key in position:
            raise ValueError(f"Task {node.key!r} is listed twice.")
        position[node.key] = i
    for node in nodes:
        for dependency in node.predecessors:
            if dependency.key not in position:
                raise ValueError(f"Task {node.key!r} waits on unknown task {dependency.key!r}.")
    order = _topological_order(nodes, position)

    instants = [start, *([now] if now is not None else [])]
    for node in nodes:
        instants += [at for at in (node.actual_start, node.actual_finish, node.not_before) if at is not None]
    epoch = min(at.astimezone(calendar.zone).date() for at in instants)
    timeline = _Timeline(calendar, epoch)

    def minute(at: dt.datetime) -> int:
        # Whole minutes keep slack exact, so critical means exactly zero slack.
        return timeline.ordinal(_round_up_to_minute(at)) // _MINUTE_US

    def instant(ordinal_minutes: int, *, finishing: bool = False) -> dt.datetime:
        return timeline.instant(ordinal_minutes * _MINUTE_US, finishing=finishing)

    project_start = minute(start)
    now_minute = minute(now) if now is not None else None
    count = len(nodes)
    levelling = _Levelling(crews, booked, epoch)
    who = [levelling.candidates(node) for node in nodes]
    # Without crews every task goes as early as it can; with them, tasks are taken in priority
    # order, which needs the slack of the plan without crews.
    priority = [0] * count
    if any(who):
        free_start, free_finish = _forward(nodes, order, position, project_start, now_minute, minute)
        free_late = _backward(nodes, order, position, free_start, free_finish, {})
        priority = [free_late[i] - (free_finish[i] - free_start[i]) for i in range(count)]  # latest start

    early_start, early_finish = [0] * count, [0] * count
    placed: dict[int, tuple[dt.datetime, dt.datetime, str]] = {}  # levelled tasks: start, finish, crew
    for i in order:
        node = nodes[i]
        if node.actual_start is None:
            continue
        early_start[i] = minute(node.actual_start)
        if node.actual_finish is not None:
            early_finish[i] = minute(node.actual_finish)
            continue
        if who[i]:
            finish_at = levelling.hold(who[i][0], node, now)
            placed[i] = (node.actual_start.astimezone(_UTC), finish_at, who[i][0])
            early_finish[i] = minute(finish_at)
            continue
        expected = early_start[i] + node.duration_minutes
        if now_minute is not None:
            expected = max(expected, now_minute + (node.duration_minutes if node.blocked else 0))
        early_finish[i] = expected

    # Unstarted tasks, each once everything it waits on is planned (started tasks wait on nothing).
    waiting_on = [0 if node.started else len({position[d.key] for d in node.predecessors}) for node in nodes]
    successors: list[set[int]] = [set() for _ in nodes]
    for i, node in enumerate(nodes):
        if not node.started:
            for dependency in node.predecessors:
                successors[position[dependency.key]].add(i)
    heap: list[tuple[int, bool, int, int]] = []

    def release(i: int) -> None:
        node = nodes[i]
        begin = _earliest_start(node, position, early_finish, project_start, now_minute, minute)
        early_start[i] = begin
        heapq.heappush(heap, (begin, node.technician is None, priority[i], i))

    def done(i: int) -> None:
        for j in sorted(successors[i]):
            waiting_on[j] -= 1
            if waiting_on[j] == 0:
                release(j)

    for i in [i for i in order if waiting_on[i] == 0 and not nodes[i].started]:
        release(i)  # waits on nothing; the others are released once, by the last task they wait on
    for i in order:
        if nodes[i].started:
            done(i)
    while heap:
        begin, _, _, i = heapq.heappop(heap)
        node = nodes[i]
        if who[i]:
            placed[i] = levelling.place(who[i], node.duration_minutes, instant(begin))
            early_start[i], early_finish[i] = minute(placed[i][0]), minute(placed[i][1])
        else:
            early_finish[i] = begin + node.duration_minutes
        done(i)

    # Each crew's tasks in the order it does them: the next waits on the one before.
    crew_next: dict[int, int] = {}
    by_crew: dict[str, list[tuple[dt.datetime, int]]] = {}
    for i, (start_at, _, planned_on) in placed.items():
        by_crew.setdefault(planned_on, []).append((start_at, i))
    for sequence in by_crew.values():
        sequence.sort()
        for (_, a), (_, b) in itertools.pairwise(sequence):
            if not nodes[b].started:
                crew_next[a] = b
    late_finish = _backward(nodes, order, position, early_start, early_finish, crew_next)

    tasks: dict[str, ScheduledTask] = {}
    for i, node in enumerate(nodes):
        length = early_finish[i] - early_start[i]
        crew = placed[i][2] if i in placed else None
        if i in placed:
            start_at, finish_at = placed[i][0], placed[i][1]
        else:
            start_at = node.actual_start.astimezone(_UTC) if node.actual_start else instant(early_start[i])
            finish_at = (
                node.actual_finish.astimezone(_UTC)
                if node.actual_finish
                else instant(early_finish[i], finishing=length > 0)
            )
        if node.done:
            tasks[node.key] = ScheduledTask(node.key, start_at, finish_at, start_at, finish_at, 0, critical=False)
            continue
        slack = late_finish[i] - early_finish[i]
        late_start_at = instant(late_finish[i] - length)
        late_finish_at = instant(late_finish[i], finishing=length > 0)
        tasks[node.key] = ScheduledTask(
            node.key, start_at, finish_at, late_start_at, late_finish_at, slack, critical=slack == 0, crew=crew
        )

    finish = max((task.finish for task in tasks.values()), default=instant(project_start))
    crew_before = {b: a for a, b in crew_next.items()}
    chain = _critical_chain(nodes, position, early_start, early_finish, tasks, crew_before)
    return Schedule(tasks=tasks, finish=finish, calendar=calendar, critical_chain=chain)


def _forward(
    nodes: Sequence[TaskNode],
    order: Sequence[int],
    position: Mapping[str, int],
    project_start: int,
    now_minute: int | None,
    minute: Callable[[dt.datetime], int],
) -> tuple[list[int], list[int]]:
    """Early starts and finishes without crews (any number of tasks at once)."""
    count = len(nodes)
    early_start, early_finish = [0] * count, [0] * count
    for i in order:
        node = nodes[i]
        if node.actual_start is not None:
            early_start[i] = minute(node.actual_start)
            if node.actual_finish is not None:
                early_finish[i] = minute(node.actual_finish)
            else:
                expected = early_start[i] + node.duration_minutes
                if now_minute is not None:
                    expected = max(expected, now_minute + (node.duration_minutes if node.blocked else 0))
                early_finish[i] = expected
            continue
        begin = _earliest_start(node, position, early_finish, project_start, now_minute, minute)
        early_start[i] = begin
        early_finish[i] = begin + node.duration_minutes
    return early_start, early_finish


def _earliest_start(
    node: TaskNode,
    position: Mapping[str, int],
    early_finish: Sequence[int],
    project_start: int,
    now_minute: int | None,
    minute: Callable[[dt.datetime], int],
) -> int:
    """The earliest minute an unstarted task may start: the order's start, each predecessor's
    finish plus lag, its not-before, and now (unstarted work is not planned in the past)."""
    begin = project_start
    for dependency in node.predecessors:
        begin = max(begin, early_finish[position[dependency.key]] + dependency.lag_minutes)
    if node.not_before is not None:
        begin = max(begin, minute(node.not_before))
    if now_minute is not None:
        begin = max(begin, now_minute)
    return begin


def _backward(
    nodes: Sequence[TaskNode],
    order: Sequence[int],
    position: Mapping[str, int],
    early_start: Sequence[int],
    early_finish: Sequence[int],
    crew_next: Mapping[int, int],
) -> list[int]:
    """Late finishes: as late as each task may finish without moving go-live, given what waits
    on it and (`crew_next`) the task its crew does next."""
    go_live = max(early_finish, default=0)
    late_finish = [go_live] * len(nodes)
    for i in _backward_order(nodes, order, position, crew_next):
        node = nodes[i]
        if i in crew_next:
            j = crew_next[i]
            late_finish[i] = min(late_finish[i], late_finish[j] - (early_finish[j] - early_start[j]))
        if node.started:
            continue  # a started task no longer waits, so it cannot hold its predecessors to a date
        late_start = late_finish[i] - (early_finish[i] - early_start[i])
        for dependency in node.predecessors:
            j = position[dependency.key]
            late_finish[j] = min(late_finish[j], late_start - dependency.lag_minutes)
    return late_finish


def _backward_order(
    nodes: Sequence[TaskNode], order: Sequence[int], position: Mapping[str, int], crew_next: Mapping[int, int]
) -> list[int]:
    """Tasks with every one that waits on them (or follows them on their crew) first."""
    if not crew_next:
        return list(reversed(order))
    # Kahn's algorithm backwards: a task is ready once all its successors are.
    successors: list[set[int]] = [set() for _ in nodes]
    for i, node in enumerate(nodes):
        if not node.started:
            for dependency in node.predecessors:
                successors[position[dependency.key]].add(i)
    for a, b in crew_next.items():
        successors[a].add(b)
    remaining = [len(s) for s in successors]
    predecessors: list[set[int]] = [set() for _ in nodes]
    for a, following in enumerate(successors):
        for b in following:
            predecessors[b].add(a)
    rank = {i: n for n, i in enumerate(order)}
    ready = deque(sorted((i for i in range(len(nodes)) if remaining[i] == 0), key=lambda i: -rank[i]))
    result: list[int] = []
    while ready:
        i = ready.popleft()
        result.append(i)
        for j in sorted(predecessors[i], key=lambda j: -rank[j]):
            remaining[j] -= 1
            if remaining[j] == 0:
                ready.append(j)
    return result  # complete: crews only link a task to one that starts after it finishes


class _Levelling:
    """The crews' timelines and taken time while a plan is made."""

    def __init__(self, crews: Sequence[Crew], booked: Iterable[Booking], epoch: dt.date):
        self.crews: dict[str, tuple[BusinessCalendar, frozenset[str]]] = {}
        for crew in crews:
            planning = crew.planning_calendar
            if planning is not None:
                self.crews[crew.key] = (planning, crew.skills)
        self.timelines = {key: _Timeline(planning, epoch) for key, (planning, _) in self.crews.items()}
        self.lanes = {key: _Lane() for key in self.crews}
        self.by_skill: dict[str, list[str]] = {}
        for key in sorted(self.crews):
            for skill in self.crews[key][1]:
                self.by_skill.setdefault(skill, []).append(key)
        for booking in booked:
            if booking.crew in self.crews and booking.finish > booking.start:
                first = dt.datetime.combine(epoch, dt.time.min, tzinfo=self.crews[booking.crew][0].zone)
                if booking.finish <= first:
                    continue
                self.lanes[booking.crew].reserve(
                    self.minute(booking.crew, max(booking.start, first)), self.minute(booking.crew, booking.finish)
                )

    def minute(self, crew: str, at: dt.datetime) -> int:
        return self.timelines[crew].ordinal(_round_up_to_minute(at)) // _MINUTE_US

    def candidates(self, node: TaskNode) -> list[str]:
        """Who may do the task: its technician, else every crew with its skill; none when it is
        not levelled (no skill, a technician outside the crews, no time to take)."""
        if node.duration_minutes == 0 or node.done:
            return []
        if node.technician is not None:
            return [node.technician] if node.technician in self.crews else []
        return list(self.by_skill.get(node.skill, ())) if node.skill is not None else []

    def _instant(self, crew: str, ordinal: int, *, finishing: bool = False) -> dt.datetime:
        return self.timelines[crew].instant(ordinal * _MINUTE_US, finishing=finishing)

    def hold(self, crew: str, node: TaskNode, now: dt.datetime | None) -> dt.datetime:
        """A task in progress on `crew`: busy from its start until it is expected to finish
        (never before now; blocked, never before now plus its duration). Its finish."""
        assert node.actual_start is not None
        begin = self.minute(crew, node.actual_start)
        end = begin + node.duration_minutes
        if now is not None:
            end = max(end, self.minute(crew, now) + (node.duration_minutes if node.blocked else 0))
        self.lanes[crew].reserve(begin, end)
        return self._instant(crew, end, finishing=end > begin)

    def place(self, crews: Sequence[str], minutes: int, earliest: dt.datetime) -> tuple[dt.datetime, dt.datetime, str]:
        """Put the work on the crew who can finish it first (then start it first, then by key)
        from `earliest`, and keep that time taken. Start, finish and crew."""
        best: tuple[dt.datetime, dt.datetime, str, int] | None = None
        for crew in crews:
            begin = self.lanes[crew].earliest(self.minute(crew, earliest), minutes)
            start_at = self._instant(crew, begin)
            finish_at = self._instant(crew, begin + minutes, finishing=True)
            if best is None or (finish_at, start_at, crew) < best[:3]:
                best = (finish_at, start_at, crew, begin)
        assert best is not None
        finish_at, start_at, crew, begin = best
        self.lanes[crew].reserve(begin, begin + minutes)
        return start_at, finish_at, crew


def _critical_chain(
    nodes: Sequence[TaskNode],
    position: Mapping[str, int],
    early_start: Sequence[int],
    early_finish: Sequence[int],
    tasks: Mapping[str, ScheduledTask],
    crew_before: Mapping[int, int],
) -> tuple[str, ...]:
    """Critical tasks traced back from go-live along the dependencies (or the crew's previous
    task) that set each one's start."""
    go_live = max(early_finish, default=0)
    ends = [i for i, node in enumerate(nodes) if tasks[node.key].critical and early_finish[i] == go_live]
    if not ends:
        return ()  # everything left is done, or what is left has slack behind a done task
    # A milestone right after the last task finishes at the same moment of working time; the
    # path ends at the task nothing else waits on.
    waited_on = {position[d.key] for i in ends if not nodes[i].started for d in nodes[i].predecessors}
    waited_on |= {crew_before[i] for i in ends if i in crew_before}
    chain = [next(i for i in ends if i not in waited_on)]
    while not nodes[chain[-1]].started:
        current = chain[-1]
        driving = [
            position[d.key]
            for d in nodes[current].predecessors
            if tasks[d.key].critical and early_finish[position[d.key]] + d.lag_minutes == early_start[current]
        ]
        before = crew_before.get(current)
        if before is not None and tasks[nodes[before].key].critical and early_finish[before] == early_start[current]:
            driving.append(before)
        if not driving:
            break  # started at the order's start, an appointment or now
        chain.append(min(driving))
    return tuple(nodes[i].key for i in reversed(chain))


def slip_minutes(baseline: Schedule, current: Schedule, key: str | None = None) -> int:
    """Working minutes go-live moved from the baseline to the current forecast, positive when later.

    With `key`, how far that one task's finish moved. Counted on the current calendar."""
    before = baseline.finish if key is None else baseline[key].finish
    after = current.finish if key is None else current[key].finish
    return current.calendar.working_minutes_between(before, after)


def format_working_duration(minutes: int, calendar: BusinessCalendar) -> str:
    """Working time as staff say it, in working days, hours and minutes: "2 d 3 h", "-45 min"."""
    return say_working_minutes(minutes, calendar.working_minutes_per_day)
