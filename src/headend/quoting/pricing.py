"""Quote pricing as plain functions of plain values: no ORM, exact to the cent.

Each line is rounded once (half-up); quote totals are sums of rounded lines."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from headend.core.money import ZERO, line_amount, total


@dataclass(frozen=True)
class LinePrice:
    mrc_amount: Decimal
    nrc_amount: Decimal
    contract_value_amount: Decimal


@dataclass(frozen=True)
class QuoteTotals:
    mrr_amount: Decimal
    one_time_amount: Decimal
    contract_value_amount: Decimal


def committed_months(term_months: int) -> int:
    """Months of revenue a term commits: month-to-month commits one month."""
    return max(term_months, 1)


def price_line(*, mrc_unit: Decimal, nrc_unit: Decimal, quantity: int, term_months: int) -> LinePrice:
    """Monthly and one-time amounts for `quantity` units on a term, and its contract value."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    mrc = line_amount(mrc_unit, quantity)
    nrc = line_amount(nrc_unit, quantity)
    return LinePrice(mrc, nrc, mrc * committed_months(term_months) + nrc)


def quote_totals(lines: Iterable[LinePrice]) -> QuoteTotals:
    lines = list(lines)
    if not lines:
        return QuoteTotals(ZERO, ZERO, ZERO)
    return QuoteTotals(
        total(line.mrc_amount for line in lines),
        total(line.nrc_amount for line in lines),
        total(line.contract_value_amount for line in lines),
    )
