"""Voice call rating: which rate of the rate table a call takes and what it costs. Plain values in,
plain values out, no ORM (billing/cdrs.py reads the tables and writes the calls).

The rules:

- Numbers are compared as dialled internationally, digits only, without the `+` (`dialled`):
  `+44 20 7946 0000` and `011442079460000` are `442079460000`; a ten-digit North American number
  gets its country code 1 (`2075550134` is `12075550134`); short codes stay as they are (`911`).
- A rate (`Tariff`) prices the numbers starting with its `prefix` from its `effective_from` day
  on. A call takes the rate of the longest prefix of its number that has a rate in effect on the
  call's day, the latest such effective date winning; a longer prefix not yet in effect leaves
  the call to a shorter one.
- Time-of-day bands: a prefix may have several rates at one effective date, each for a `Band` of
  the week (`mon-fri 08:00-19:00`); a call's start time, where the provider is, picks the band; a
  rate without a band takes the times no band names. Rate decks are checked so that the bands of
  a prefix never overlap and, with or without a band-less rate, cover the whole week.
- Billed seconds (`billed_seconds`): nothing for a call of no seconds; else at least `minimum`,
  then whole `increment`s: 60/6 bills 10 s as 60, 61 s as 66, 125 s as 126.
- Included minutes (`Allowance`) are used by the calls of a service's bill cycle in call order,
  second by second, only by rates that count towards them (`in_bundle`); what a call bills
  beyond them is charged.
- A call costs its rate per minute times its charged seconds over 60, rounded once, half-up to
  the cent (`call_amount`, core.money). An invoice's usage line is the sum of its calls' amounts,
  so the call detail adds up to the line."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from headend.core.money import round_cents

DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
WHOLE_WEEK = (1 << WEEK_MINUTES) - 1
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SIXTY = Decimal(60)


class BadBand(ValueError):
    """A band that cannot be read; the message says how to write one."""


@dataclass(frozen=True)
class Band:
    """Some minutes of the week: `text` as the rate deck wrote it, `minutes` a bit per minute of
    the week (bit 0: Monday 00:00)."""

    text: str
    minutes: int

    def covers(self, minute_of_week: int) -> bool:
        return bool(self.minutes >> minute_of_week & 1)


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise BadBand(f"{part.strip()!r} is not a day or a range of days (mon, tue, ... sun; mon-fri).")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days.extend(DAYS.index(day) for day in (DAYS * 2)[start : start + (end - start) % 7 + 1])
    return days


def _clock(text: str) -> int:
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise BadBand(f"{text!r} is not a time of day (HH:MM).")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > DAY_MINUTES:
        raise BadBand(f"{text!r} is not a time of day (00:00 to 24:00).")
    return value


def parse_band(text: str) -> Band:
    """`mon-fri 08:00-19:00`, `sat,sun`, `19:00-07:00` (past midnight: the evening and the next
    morning of each day named), days alone or hours alone (every day). Raises BadBand."""
    words = text.strip().lower().split()
    if not words or len(words) > 2:
        raise BadBand("Write a band as days and hours, such as mon-fri 08:00-19:00, sat,sun or 19:00-07:00.")
    hours = words[-1] if ":" in words[-1] else ""
    days_text = words[0] if words[0] != hours else ""
    if len(words) == 2 and not hours:
        raise BadBand(f"{words[1]!r} is not a span of hours (08:00-19:00).")
    if len(words) == 2 and not days_text:
        raise BadBand("Write a band as days, then hours: mon-fri 08:00-19:00.")
    days = _days(days_text) if days_text else list(range(7))
    if hours:
        start_text, sep, end_text = hours.partition("-")
        if not sep:
            raise BadBand(f"{hours!r} is not a span of hours (08:00-19:00).")
        start, end = _clock(start_text), _clock(end_text)
        if start == end:
            raise BadBand(f"{hours!r} is an empty span of hours.")
        spans = [(start, end)] if start < end else [(start, DAY_MINUTES), (0, end)]
    else:
        spans = [(0, DAY_MINUTES)]
    minutes = 0
    for day in set(days):
        for start, end in spans:
            minutes |= ((1 << (end - start)) - 1) << (day * DAY_MINUTES + start)
    return Band(text=" ".join(words), minutes=minutes)


def minute_text(minute_of_week: int) -> str:
    """`Sat 00:00`: a minute of the week as people read it."""
    day, minute = divmod(minute_of_week, DAY_MINUTES)
    return f"{DAYS[day].title()} {minute // 60:02d}:{minute % 60:02d}"


def first_minute(minutes: int) -> int:
    """The first minute of the week a set of minutes holds (-1 for none)."""
    return (minutes & -minutes).bit_length() - 1


@dataclass(frozen=True, slots=True)
class Tariff:
    """One rate of the rate table: the numbers starting with `prefix` cost `rate` a minute from
    `effective_from`, billed `minimum` then `increment` seconds, in `band` (None: the times no
    band of the prefix names). `key` is the stored rate's id."""

    prefix: str
    description: str
    rate: Decimal
    minimum: int
    increment: int
    effective_from: dt.date
    band: Band | None = None
    in_bundle: bool = True
    key: int = 0


class RateTable:
    """The rate table, indexed for `find`: a dict from prefix to its rates by effective date."""

    def __init__(self, tariffs: Iterable[Tariff]):
        grouped: dict[str, dict[dt.date, list[Tariff]]] = {}
        for tariff in tariffs:
            grouped.setdefault(tariff.prefix, {}).setdefault(tariff.effective_from, []).append(tariff)
        # Newest date first; in each date the banded rates before the band-less one.
        self._by_prefix = {
            prefix: [
                (day, sorted(rows, key=lambda row: row.band is None))
                for day, rows in sorted(by_day.items(), reverse=True)
            ]
            for prefix, by_day in grouped.items()
        }
        self._longest = max((len(prefix) for prefix in self._by_prefix), default=0)

    def __len__(self) -> int:
        return len(self._by_prefix)

    def find(self, number: str, at: dt.datetime) -> Tariff | None:
        """The rate of a call to `number` (as `dialled`) started at `at`, a time where the provider
        is: the longest prefix with a rate in effect that day, the band of that time. None: no rate."""
        day = at.date()
        by_prefix = self._by_prefix
        for length in range(min(len(number), self._longest), 0, -1):
            dated = by_prefix.get(number[:length])
            if dated is None:
                continue
            for effective, rows in dated:
                if effective <= day:
                    return _in_band(rows, at)
        return None


def _in_band(rows: list[Tariff], at: dt.datetime) -> Tariff | None:
    if len(rows) == 1 and rows[0].band is None:
        return rows[0]
    minute = at.weekday() * DAY_MINUTES + at.hour * 60 + at.minute
    for row in rows:
        if row.band is None or row.band.covers(minute):
            return row
    return None


def dialled(number: str) -> str:
    """A number as dialled internationally: digits only, no `+` (see the module's rules)."""
    text = number.strip()
    digits = "".join(ch for ch in text if ch.isdigit()) if not text.isdigit() else text
    if text.startswith("+"):
        return digits
    if digits.startswith("011"):
        return digits[3:]
    if len(digits) == 10 and digits[0] in "23456789":
        return "1" + digits
    return digits


def billed_seconds(seconds: int, minimum: int, increment: int) -> int:
    """The seconds a call of `seconds` bills: none for none, else at least `minimum`, then whole
    `increment`s (60/6: 10 -> 60, 61 -> 66, 125 -> 126; 0/1: every second)."""
    if seconds <= 0:
        return 0
    if seconds <= minimum:
        return minimum
    step = max(increment, 1)
    return minimum + -(-(seconds - minimum) // step) * step


def call_amount(rate: Decimal, seconds: int) -> Decimal:
    """What `seconds` cost at `rate` a minute: rounded once, here, half-up to the cent."""
    return round_cents(rate * seconds / SIXTY)


class Allowance:
    """The included seconds left of a service's bill cycle, used by its calls in call order."""

    def __init__(self, seconds: int):
        self.left = max(seconds, 0)

    def use(self, seconds: int) -> int:
        """Take up to `seconds` from what is left; return how many were included."""
        included = min(self.left, seconds)
        self.left -= included
        return included
