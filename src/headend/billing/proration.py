"""Proration and effective dates: what each day of a service costs and what an invoice must add
or take back. Plain values in, plain values out, no ORM.

The model:

- A bill cycle is a month starting on the billing account's bill day (1-28): the period of
  1 March runs to 31 March, that of 15 January to 14 February. Proration counts the days of
  that period (28, 29, 30 or 31).
- A service's price is a list of `Rate`s, each from an effective date (a local date in the
  provider's zone) on. A change that happens later cancels changes made earlier but dated
  after its own date (a downgrade waiting for the next period, then an upgrade today).
- Each day costs the rate in effect at the end of that day: a change at 23:30 counts for its
  day, a change and its revert on the same day cost nothing, the turn-up day is charged and
  the disconnection day is not (billable until the start of that day).
- With daily proration, a period's charge for a rate is `mrc x days / period days`, rounded
  half-up to the cent; with none, the whole period is charged at the rate of its first billable
  day (a service that starts mid-period pays that period in full, later changes wait for the
  next period).
- What has been billed for a period is kept as bits (`days_added`, `days_removed`: bit i is the
  period's day i) per rate (`Component`): so a bill run bills exactly the difference between
  what the rates say and what was billed. For a component whose billed days go from `n1` to
  `n2`, the line is `round(mrc x n2 / P) - round(mrc x n1 / P)`: a period charged once in full
  costs exactly its price, and credits never take back more than was charged.
- Effective dates: upgrades, moves, suspension, restore and disconnection on the day they
  happen; downgrades and price revisions from the next period (unless asked for at once).
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from headend.core.periods import add_months

CENT = Decimal("0.01")
DAILY = "daily"
NONE = "none"


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, order=True)
class Period:
    """One bill cycle: `start` to the day before `end`."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def day(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=index)

    def index(self, day: dt.date) -> int:
        return (day - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day < self.end


def period_containing(day: dt.date, bill_day: int) -> Period:
    """The bill cycle `day` falls in, for cycles starting on `bill_day` (1-28)."""
    if not 1 <= bill_day <= 28:
        raise ValueError("bill_day must be 1 to 28")
    start = day.replace(day=bill_day)
    if day.day < bill_day:
        start = add_months(start, -1)
    return Period(start, add_months(start, 1))


def next_bill_date(day: dt.date, bill_day: int) -> dt.date:
    """The first bill date on or after `day`."""
    period = period_containing(day, bill_day)
    return period.start if period.start == day else period.end


def periods(first_day: dt.date, end: dt.date, bill_day: int) -> list[Period]:
    """The cycles from the one holding `first_day` to the last one starting before `end`."""
    found = []
    period = period_containing(first_day, bill_day)
    while period.start < end:
        found.append(period)
        period = Period(period.end, add_months(period.end, 1))
    return found


@dataclass(frozen=True)
class Component:
    """What a line charges for: a monthly amount under a label (a revert to a price and label
    billed before nets against it)."""

    mrc: Decimal
    label: str


PRICE = ("active", "promotion")  # what the service costs; later changes supersede pending ones
SUSPENDED, RESTORED = "suspended", "restored"  # what it costs while suspended, laid over the price


@dataclass(frozen=True)
class Rate:
    """From `effective` on, the service costs `mrc` a month. `order` is when the change was made
    (any sortable value: the instant, then a row id). Kinds "active" and "promotion" set the
    price; "suspended" lays its own `mrc` (0, or a hold rate) over the price until "restored"."""

    effective: dt.date
    mrc: Decimal
    label: str
    order: tuple = ()
    kind: str = "active"
    cause: str = ""

    @property
    def component(self) -> Component:
        return Component(self.mrc, self.label)


def timeline(changes: Iterable[Rate]) -> list[Rate]:
    """The rates that hold, by effective date. Prices are taken in the order they were made and
    each cancels the prices made before it that are dated after it (a downgrade waiting for the
    next period, then an upgrade today); suspensions and restores are kept as they are."""
    kept: list[Rate] = []
    statuses: list[Rate] = []
    for change in sorted(changes, key=lambda rate: rate.order):
        if change.kind not in PRICE:
            statuses.append(change)
            continue
        kept = [rate for rate in kept if rate.effective <= change.effective]
        kept.append(change)
    return sorted([*kept, *statuses], key=lambda rate: (rate.effective, rate.order))


def rate_on(day: dt.date, rates: Sequence[Rate]) -> Rate | None:
    """The rate in effect on `day` (of a `timeline`): the price, or the suspension laid over it;
    None before the first price."""
    price = status = None
    for rate in rates:
        if rate.effective > day:
            break
        if rate.kind in PRICE:
            price = rate
        else:
            status = rate
    if price is not None and status is not None and status.kind == SUSPENDED:
        return status
    return price


def _billable(day: dt.date, billable_from: dt.date | None, billable_until: dt.date | None) -> bool:
    return billable_from is not None and day >= billable_from and (billable_until is None or day < billable_until)


def expected(
    rates: Sequence[Rate],
    period: Period,
    *,
    proration: str,
    billable_from: dt.date | None,
    billable_until: dt.date | None = None,
) -> dict[Component, int]:
    """Which days of `period` each component should charge (bits), from a `timeline`."""
    days = [index for index in range(period.days) if _billable(period.day(index), billable_from, billable_until)]
    if not days:
        return {}
    if proration == NONE:
        rate = rate_on(period.day(days[0]), rates)
        if rate is None or rate.mrc == 0:
            return {}
        return {rate.component: (1 << period.days) - 1}
    found: dict[Component, int] = {}
    for index in days:
        rate = rate_on(period.day(index), rates)
        if rate is not None and rate.mrc != 0:
            found[rate.component] = found.get(rate.component, 0) | (1 << index)
    return found


@dataclass(frozen=True)
class Billed:
    """A recurring line already on an invoice (or a draft) for one period."""

    component: Component
    added: int
    removed: int = 0


def billed_days(lines: Iterable[Billed]) -> dict[Component, int]:
    """Which days of the period each component has been charged for, after all its lines."""
    found: dict[Component, int] = {}
    for line in lines:
        days = found.get(line.component, 0)
        found[line.component] = (days | line.added) & ~line.removed
    return {component: days for component, days in found.items() if days}


def amount_for(mrc: Decimal, days: int, period_days: int) -> Decimal:
    """A component's whole charge for `days` days of a `period_days`-day period."""
    return _round(mrc * days / period_days)


@dataclass(frozen=True)
class Charge:
    """A recurring line to bill: the days of `period` it adds and takes back for `component`."""

    period: Period
    component: Component
    added: int
    removed: int
    amount: Decimal
    cause: str = ""

    @property
    def days(self) -> int:
        return self.added.bit_count() - self.removed.bit_count()

    @property
    def fraction(self) -> Decimal:
        return (Decimal(self.days) / Decimal(self.period.days)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)

    @property
    def is_credit(self) -> bool:
        return self.amount < 0 or (self.amount == 0 and self.days < 0)

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        """The first day it touches and the day after the last."""
        bits = self.added | self.removed
        first = (bits & -bits).bit_length() - 1
        return self.period.day(first), self.period.day(bits.bit_length())


def true_up(
    expected_days: Mapping[Component, int],
    billed: Mapping[Component, int],
    period: Period,
    *,
    causes: Mapping[Component, str] | None = None,
) -> list[Charge]:
    """The lines that bring what was billed for `period` to what should be: per component, a
    charge for days it should now cover, a credit for days it no longer should (credits first)."""
    causes = causes or {}
    charges = []
    for component in set(expected_days) | set(billed):
        should, did = expected_days.get(component, 0), billed.get(component, 0)
        if should == did:
            continue
        amount = amount_for(component.mrc, should.bit_count(), period.days) - amount_for(
            component.mrc, did.bit_count(), period.days
        )
        charges.append(Charge(period, component, should & ~did, did & ~should, amount, causes.get(component, "")))
    return sorted(charges, key=lambda charge: (not charge.is_credit, charge.span, charge.component.label))


def rate_period(
    rates: Sequence[Rate],
    billed_lines: Iterable[Billed],
    period: Period,
    *,
    proration: str,
    billable_from: dt.date | None,
    billable_until: dt.date | None = None,
) -> list[Charge]:
    """What one period of one service must add to its invoices now."""
    should = expected(rates, period, proration=proration, billable_from=billable_from, billable_until=billable_until)
    causes = {rate.component: rate.cause for rate in rates}
    return true_up(should, billed_days(billed_lines), period, causes=causes)


def horizon(bill_date: dt.date, *, in_advance: bool) -> dt.date:
    """The first day a bill dated `bill_date` does not bill: the end of the period it opens when
    charged in advance, the bill date itself when in arrears."""
    return add_months(bill_date, 1) if in_advance else bill_date


# Effective dates -------------------------------------------------------------------------------

UPGRADE = "upgrade"
DOWNGRADE = "downgrade"
REVISION = "revision"
SAME_DAY = "same_day"  # turn-up, move, suspension, restore, disconnection


def change_kind(before: Decimal, after: Decimal) -> str:
    """A price change is an upgrade when it costs more, a downgrade when it costs less."""
    if after > before:
        return UPGRADE
    if after < before:
        return DOWNGRADE
    return SAME_DAY


def effective_date(kind: str, day: dt.date, *, bill_day: int, immediate: bool = False) -> dt.date:
    """The first day a change made on `day` is billed at: its own day for upgrades and the
    service's events, the next period for downgrades and price revisions (unless `immediate`)."""
    if kind in (DOWNGRADE, REVISION) and not immediate:
        period = period_containing(day, bill_day)
        return day if day == period.start else period.end
    return day
