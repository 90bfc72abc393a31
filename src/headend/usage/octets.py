"""Octet counters into bytes per day: plain values, no ORM.

A session's radacct row holds its totals so far (rlm_sql adds the Gigawords, so they are 64-bit).
What a new reading adds is its difference from the last one counted (`counter_delta`); the
difference is spread over the days between the two readings in proportion to the time in each
(`split_by_day`), the days being the provider's (midnight where the provider is).

Instants are whole microseconds since the Unix epoch (UTC) here, as the ingest reads them: a
million readings are compared and placed in days without building a datetime for each.
`LocalDays` answers "which day is this instant, where the provider is?" from a cache of
15-minute steps (every zone's offset is a multiple of 15 minutes, so no step holds a midnight)."""

import datetime as dt
from zoneinfo import ZoneInfo

COUNTER_32 = 2**32  # what Acct-Input-Octets holds without Acct-Input-Gigawords
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
STEP = 15 * 60 * 1_000_000  # microseconds
_DAY = dt.timedelta(days=1)


def micros(at: dt.datetime) -> int:
    """An aware instant as whole microseconds since the epoch."""
    return (at - EPOCH) // dt.timedelta(microseconds=1)


def instant(us: int) -> dt.datetime:
    """Whole microseconds since the epoch as an aware instant (UTC)."""
    return EPOCH + dt.timedelta(microseconds=us)


def counter_delta(before: int, after: int) -> int:
    """What a session's counter moved from the reading `before` to the reading `after`.

    A lower reading is a 32-bit counter that wrapped (a NAS that sends no Gigawords: both
    readings below 2**32), else a counter the NAS reset: then all of `after` is new."""
    if after >= before:
        return after - before
    if before < COUNTER_32:
        return after + COUNTER_32 - before
    return after


class LocalDays:
    """The provider's calendar days of instants (microseconds), and their midnights."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._days: dict[int, dt.date] = {}
        self._midnights: dict[dt.date, int] = {}

    def day(self, us: int) -> dt.date:
        step = us // STEP
        found = self._days.get(step)
        if found is None:
            found = self._days[step] = instant(step * STEP).astimezone(self.zone).date()
        return found

    def midnight_after(self, day: dt.date) -> int:
        """The instant the day after `day` begins where the provider is."""
        found = self._midnights.get(day)
        if found is None:
            found = self._midnights[day] = micros(dt.datetime.combine(day + _DAY, dt.time.min, tzinfo=self.zone))
        return found


def split_micros(
    start: int, end: int, input_octets: int, output_octets: int, days: LocalDays
) -> list[tuple[dt.date, int, int]]:
    """`split_by_day` of instants in microseconds."""
    last = days.day(end)
    day = days.day(start)
    if day >= last or start >= end:
        return [(last, input_octets, output_octets)]
    total = end - start
    parts = []
    done_in = done_out = 0
    while day < last:
        elapsed = days.midnight_after(day) - start
        upto_in, upto_out = input_octets * elapsed // total, output_octets * elapsed // total
        parts.append((day, upto_in - done_in, upto_out - done_out))
        day, done_in, done_out = day + _DAY, upto_in, upto_out
    parts.append((day, input_octets - done_in, output_octets - done_out))
    return [part for part in parts if part[1] or part[2]]


def split_by_day(
    start: dt.datetime, end: dt.datetime, input_octets: int, output_octets: int, zone: ZoneInfo
) -> list[tuple[dt.date, int, int]]:
    """The octets moved from `start` to `end` (aware instants), spread over the provider's days
    in proportion to the time in each: [(day, input, output)], oldest first. Each day gets the
    whole bytes up to its end minus those up to its start (rounded down), so the parts add up
    exactly (a day that gets nothing is left out); an empty or backward interval puts everything
    on the day of `end`."""
    return split_micros(micros(start), micros(end), input_octets, output_octets, LocalDays(zone))
