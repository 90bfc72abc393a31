"""Data usage from RADIUS accounting: radacct's sessions into bytes per service per day.

`radacct_ingest()` reads the radacct rows updated since its cursor (radacct.py), a batch at a
time; each batch is one transaction of Headend's database that

1. takes the cursor row (an UPDATE first: a second ingest waits for it, on PostgreSQL by the row
   lock, on SQLite by the database's write lock; throttling.py takes it too),
2. reads the batch's session marks (the totals last counted of each session; a session with a
   higher radacct id than any marked has none) and, for usernames the run has not seen, the
   subscriber holding each (provisioning's records),
3. counts what each row adds to its mark (`tally`): the difference of its totals (a 32-bit
   counter that wrapped, a counter reset: octets.counter_delta), spread over the provider's days
   between the two readings in proportion to the time (a session over midnight is split),
4. writes the marks (new ones by COPY on PostgreSQL) and adds the bytes to the days (bulk.py: on
   PostgreSQL a COPY and one INSERT ... SELECT, elsewhere multi-row upserts of 2,000 rows),
5. checks the caps of the services whose usage moved (caps.py),
6. moves the cursor forward (never back).

Reading a row again adds nothing: its totals are its mark's. A reading older than the mark (read
by a second ingest before the first counted a newer one) is skipped. So the ingest is safe to run
again and from two workers at once; the lock only keeps their batches from interleaving.

A batch is BATCH rows on PostgreSQL (100,000: a backlog of a million rows is ten transactions of
a few seconds), SMALL_BATCH elsewhere. Each run starts HEADEND_USAGE_LOOKBACK_MINUTES (default
60) before where the last one stopped: acctupdatetime is the NAS's Event-Timestamp, so an update
that arrives late may carry an instant the cursor has passed; the marks make reading those
minutes again free of double counting."""

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from headend.core import clock
from headend.provisioning.models import Subscriber
from headend.usage import bulk, caps, radacct
from headend.usage.models import DailyUsage, IngestCursor, SessionMark
from headend.usage.octets import LocalDays, counter_delta, instant, micros, split_micros

logger = logging.getLogger(__name__)

CURSOR = "radacct"
BATCH = 100_000  # radacct rows per transaction on PostgreSQL
SMALL_BATCH = 5_000  # elsewhere (SQLite takes at most 32,766 parameters a statement)
WRITE_ROWS = bulk.WRITE_ROWS
MARK_KEEP = dt.timedelta(days=7)  # stopped sessions' marks are kept this long past the cursor

# A session's mark as `tally` reads it: service id, input and output totals, seen until (us), stopped.
Mark = tuple[int | None, int, int, int, bool]
# A mark to write: radacct id, service id, input, output, seen until (us), stopped.
MarkRow = tuple[int, int | None, int, int, int, bool]
MARK_COLUMNS = ["radacct_id", "service_id", "input_octets", "output_octets", "seen_until_us", "stopped"]
DAY_COLUMNS = ["service_id", "day", "input_octets", "output_octets"]
Days = dict[tuple[int, dt.date], list[int]]


def lookback() -> dt.timedelta:
    return dt.timedelta(minutes=settings.HEADEND_USAGE_LOOKBACK_MINUTES)


@dataclass
class Tally:
    """What one batch of readings adds: the marks to write, the bytes per (service, day), the
    sessions that moved, and the readings of usernames no subscriber holds."""

    marks: list[MarkRow] = field(default_factory=list)
    days: Days = field(default_factory=dict)
    counted: int = 0
    unmatched: int = 0


def tally(
    readings: Iterable[radacct.Reading],
    marks: Mapping[int, Mark],
    service_of: Mapping[str, int | None],
    local: LocalDays,
) -> Tally:
    """Count a batch of radacct readings against the sessions' marks (pure: no database)."""
    result = Tally()
    days, marks_out, day_of = result.days, result.marks, local.day
    for radacct_id, username, started, updated, stopped, octets_in, octets_out in readings:
        mark = marks.get(radacct_id)
        if mark is None:
            service_id = service_of.get(username)
            before_in = before_out = 0
            since = started or updated
        else:
            service_id, before_in, before_out, since, was_stopped = mark
            if (octets_in, octets_out) == (before_in, before_out) and was_stopped == stopped:
                continue  # read before: nothing new
            if updated < since or (updated == since and (octets_in < before_in or octets_out < before_out)):
                continue  # an older reading than the one counted
            if service_id is None:
                service_id = service_of.get(username)
        moved_in = octets_in - before_in if octets_in >= before_in else counter_delta(before_in, octets_in)
        moved_out = octets_out - before_out if octets_out >= before_out else counter_delta(before_out, octets_out)
        if service_id is None:
            result.unmatched += 1
        elif moved_in or moved_out:
            result.counted += 1
            last = day_of(updated)
            if since >= updated or day_of(since) == last:  # most readings: one day, no split
                parts: Iterable[tuple[dt.date, int, int]] = ((last, moved_in, moved_out),)
            else:
                parts = split_micros(since, updated, moved_in, moved_out, local)
            for day, part_in, part_out in parts:
                key = (service_id, day)
                found = days.get(key)
                if found is None:
                    days[key] = [part_in, part_out]
                else:
                    found[0] += part_in
                    found[1] += part_out
        marks_out.append((radacct_id, service_id, octets_in, octets_out, updated, stopped))
    return result


@dataclass
class IngestResult:
    rows_read: int = 0
    sessions_counted: int = 0
    unmatched: int = 0
    days_written: int = 0
    batches: int = 0
    octets: int = 0
    cap_changes: int = 0


def radacct_ingest(
    *,
    at: dt.datetime | None = None,
    batch: int | None = None,
    max_rows: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> IngestResult:
    """Count what radacct gained since the last run (module docstring); return the figures.

    Raises provisioning's RadiusUnavailable when FreeRADIUS's database cannot be read."""
    at = at or clock.now()
    local = LocalDays(clock.provider_zone())
    cursor_row, _ = IngestCursor.objects.get_or_create(name=CURSOR)
    since, after_id = cursor_row.updated_until, cursor_row.last_radacct_id
    back = lookback()
    if since is not None and back:
        since, after_id = since - back, 0
    result = IngestResult()
    known = caps.Plans()
    holders: dict[str, int | None] = {}  # username -> service, read once per run
    batch = batch or (BATCH if connection.vendor == "postgresql" else SMALL_BATCH)
    for rows in radacct.readings(since=since, after_id=after_id, batch=batch):
        if max_rows is not None and result.rows_read >= max_rows:
            break
        if max_rows is not None:
            rows = rows[: max_rows - result.rows_read]
        _ingest_batch(rows, local=local, known=known, holders=holders, at=at, result=result)
        if should_stop():
            break
    return result


@transaction.atomic
def _ingest_batch(
    rows: list[radacct.Reading],
    *,
    local: LocalDays,
    known: caps.Plans,
    holders: dict[str, int | None],
    at: dt.datetime,
    result: IngestResult,
) -> None:
    IngestCursor.objects.filter(name=CURSOR).update(claimed_at=at)  # the lock, before any read
    cursor_row = IngestCursor.objects.select_for_update().get(name=CURSOR)
    # A session with a higher radacct id than any marked has no mark: not looked up (a backlog).
    highest = SessionMark.objects.aggregate(top=Max("radacct_id"))["top"] or 0
    marks = _marks([row[0] for row in rows if row[0] <= highest])
    wanted = {row[1] for row in rows if (mark := marks.get(row[0])) is None or mark[0] is None}
    holders |= _service_of(wanted - holders.keys())
    counted = tally(rows, marks, holders, local)
    _write_marks(counted.marks, known=marks)
    _add_days(counted.days)
    added = {key: octets[0] + octets[1] for key, octets in counted.days.items()}
    result.cap_changes += caps.caps_check(added=added, at=at, known=known)
    last_id, last_at = rows[-1][0], instant(rows[-1][3])
    if cursor_row.updated_until is None or (last_at, last_id) > (cursor_row.updated_until, cursor_row.last_radacct_id):
        cursor_row.updated_until, cursor_row.last_radacct_id = last_at, last_id
    cursor_row.rows_read += len(rows)
    cursor_row.sessions_counted += counted.counted
    cursor_row.save(update_fields=["updated_until", "last_radacct_id", "rows_read", "sessions_counted"])
    result.rows_read += len(rows)
    result.sessions_counted += counted.counted
    result.unmatched += counted.unmatched
    result.days_written += len(counted.days)
    result.octets += sum(octets[0] + octets[1] for octets in counted.days.values())
    result.batches += 1


def _marks(radacct_ids: list[int]) -> dict[int, Mark]:
    """The marks of these sessions, in one statement (one array parameter on PostgreSQL)."""
    marks = SessionMark.objects.values_list(
        "radacct_id", "service_id", "input_octets", "output_octets", "seen_until_us", "stopped"
    )
    if connection.vendor == "postgresql":
        found = marks.filter(radacct_id__in=bulk.ids_in(radacct_ids))
        return {radacct_id: tuple(mark) for radacct_id, *mark in found}  # type: ignore[misc]
    result: dict[int, Mark] = {}
    for start in range(0, len(radacct_ids), WRITE_ROWS):
        for radacct_id, *mark in marks.filter(radacct_id__in=radacct_ids[start : start + WRITE_ROWS]):
            result[radacct_id] = tuple(mark)  # type: ignore[assignment]
    return result


def _service_of(usernames: set[str]) -> dict[str, int | None]:
    """The service of each username: the subscriber holding it now, else the last one that did,
    else None."""
    if not usernames:
        return {}
    service_of: dict[str, int | None] = dict.fromkeys(usernames)
    holders = (
        Subscriber.objects.filter(username__in=bulk.texts_in(usernames))
        .order_by("updated_at", "pk")
        .values_list("username", "service_id", "state")
    )
    live: set[str] = set()
    for username, service_id, state in holders:
        if state != Subscriber.State.REMOVED:
            service_of[username] = service_id
            live.add(username)
        elif username not in live:
            service_of[username] = service_id  # the latest removed one, unless a live one holds it
    return service_of


def _write_marks(rows: list[MarkRow], *, known: Mapping[int, Mark]) -> None:
    """New sessions' marks inserted (COPY on PostgreSQL), the others' updated."""
    table = SessionMark._meta.db_table
    bulk.insert(table, MARK_COLUMNS, [row for row in rows if row[0] not in known])
    update = ", ".join(f"{name} = excluded.{name}" for name in MARK_COLUMNS[1:])
    bulk.upsert(table, MARK_COLUMNS, [row for row in rows if row[0] in known], "radacct_id", update)


def _add_days(days: Days) -> None:
    table = DailyUsage._meta.db_table
    rows = [(service_id, day, octets[0], octets[1]) for (service_id, day), octets in days.items()]
    update = (
        f"input_octets = {table}.input_octets + excluded.input_octets, "
        f"output_octets = {table}.output_octets + excluded.output_octets"
    )
    bulk.upsert(table, DAY_COLUMNS, rows, "service_id, day", update)


@transaction.atomic
def marks_prune(*, at: dt.datetime | None = None) -> int:
    """Once a day: forget the marks of sessions stopped well before the cursor (MARK_KEEP past
    the look-back), whose rows are not read again. Returns how many were deleted."""
    today = clock.local_date(at or clock.now())
    cursor_row = IngestCursor.objects.select_for_update().filter(name=CURSOR).first()
    if cursor_row is None or cursor_row.updated_until is None or cursor_row.pruned_on == today:
        return 0
    before = micros(cursor_row.updated_until - lookback() - MARK_KEEP)
    deleted, _ = SessionMark.objects.filter(stopped=True, seen_until_us__lt=before).delete()
    cursor_row.pruned_on = today
    cursor_row.save(update_fields=["pruned_on"])
    return deleted
