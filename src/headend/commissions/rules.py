"""The commission rules as plain functions of plain values: no ORM, exact to the cent.

- A trigger (booking, turn-up) pays `rate` % of the MRR, or `rate` itself (a fixed amount), or
  nothing; the whole is rounded once, half-up to the cent.
- The whole is split between the credited reps by their shares (summing to 100 %) with the
  largest-remainder method (quoting's `spread`): the reps' amounts sum exactly to the whole.
- The recurring share is paid for the calendar months a service was live, the month it turned
  up first: month k of N is the (k-1)-th month after the turn-up month.
- A departure claws back when the customer asked to disconnect before `months` months after
  turn-up (on the same day of the month or later is outside)."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from headend.core.money import ZERO, round_cents
from headend.core.periods import add_months
from headend.quoting.pricing import spread

HUNDRED = Decimal(100)


def trigger_amount(*, basis: str, rate: Decimal, mrr: Decimal) -> Decimal:
    """What a trigger pays on a sale whose MRR is `mrr`: `rate` % of it ("percent"), `rate`
    ("fixed"), or nothing ("none")."""
    if basis == "percent":
        return round_cents(mrr * rate / HUNDRED)
    if basis == "fixed":
        return rate
    return ZERO


def split(amount: Decimal, shares: Sequence[Decimal]) -> list[Decimal]:
    """`amount` (to the cent, not negative) divided by `shares` (percent, summing to 100): to the
    cent, summing exactly to `amount`, the left-over cents to the largest remainders."""
    if amount == 0:
        return [ZERO] * len(shares)
    return spread(amount, list(shares))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month_start(month), 1) - dt.timedelta(days=1)


def recurring_month(*, turned_up_on: dt.date, month: dt.date) -> int:
    """Which month of the recurring share `month` is for a service turned up on `turned_up_on`:
    1 for the turn-up month, 2 for the next; 0 or less before it."""
    return (month.year - turned_up_on.year) * 12 + month.month - turned_up_on.month + 1


def earns_recurring(*, turned_up_on: dt.date, disconnected_on: dt.date | None, month: dt.date, months: int) -> bool:
    """Whether a service turned up on `turned_up_on` earns the recurring share for `month`: one
    of its first `months` months, and not disconnected before the month began."""
    index = recurring_month(turned_up_on=turned_up_on, month=month_start(month))
    if index < 1 or index > months:
        return False
    return disconnected_on is None or disconnected_on >= month_start(month)


def claws_back(*, turned_up_on: dt.date | None, asked_on: dt.date, months: int) -> bool:
    """Whether a departure the customer asked for on `asked_on` claws back what the sale earned:
    always when the service never turned up (booked, never a customer); within `months` months of
    turn-up otherwise; never when `months` is 0."""
    if months <= 0:
        return False
    if turned_up_on is None:
        return True
    return asked_on < add_months(turned_up_on, months)
