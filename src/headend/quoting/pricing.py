"""Quote pricing as plain functions of plain values: no ORM, exact to the cent.

Each line is rounded once (half-up); quote totals are sums of rounded lines. A line is priced on
its own by quoting/line_pricing.py (the line rules: tiers, discounts, floor, promotions,
installation, change deltas, ETF, move), re-exported here with the catalog's rules
(catalog/pricing_rules.py); this module prices the quote. quoting/services.py prices every quote
line through `price_quote_line` (and `price_quote` when a quote discount is spread):

- The quote discount (percent of, or amount off, the monthly charges it applies to) is worked
  out once for the quote and spread over the lines in proportion to their monthly charges by the
  largest-remainder method: every share is rounded down to the cent, and the cents left over go
  one each to the lines that lost the most in the rounding (ties: the larger line, then the
  earlier). The shares sum exactly to the quote discount and no share is more than its line.
  (Putting the whole remainder on the largest line can push that line below zero: 0.02 over four
  equal lines is 0.01 each half-up, a remainder of -0.02.) It applies to lines priced from the
  catalog now: add, add-on, upgrade, downgrade, replace, re-term; not to a re-rate (the price is
  negotiated), a move (the price stays) or a cancel.
"""

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal

from headend.catalog.pricing_rules import (
    NO_ETF,
    EtfKind,
    EtfRule,
    MrcOffKind,
    PromotionOffer,
    TermPrice,
    Tier,
    VersionPricing,
    promotion_applies,
    term_price,
    tier_for,
    unit_mrc,
)
from headend.core.money import CENT, ZERO
from headend.quoting.line_pricing import (
    CATALOG_PRICED,
    HUNDRED,
    INSTALLED,
    NEW_SERVICE,
    Action,
    CurrentService,
    Discount,
    DiscountKind,
    LineRequest,
    PricedLine,
    best_promotion,
    committed_months,
    discount_amount,
    etf_amount,
    finish_line,
    months_remaining,
    price_cut_percent,
    price_quote_line,
)


@dataclass(frozen=True, slots=True)
class PricedTotals:
    """Sums of rounded lines."""

    mrr_before_amount: Decimal
    mrr_amount: Decimal  # new monthly recurring
    mrr_change_amount: Decimal
    one_time_amount: Decimal  # installation + move fees + ETFs
    contract_value_amount: Decimal  # the lines' totals over their terms
    discount_amount: Decimal  # line and quote discounts, per month
    needs_approval: bool
    contract_value_change_amount: Decimal = ZERO  # against what the customer pays today


@dataclass(frozen=True, slots=True)
class PricedQuote:
    lines: tuple[PricedLine, ...]
    totals: PricedTotals
    discount: Discount | None
    discount_amount: Decimal  # the quote discount per month (= the sum of the lines' shares)
    # The lines before the quote discount: re-pricing one line re-uses the others.
    undiscounted: tuple[PricedLine, ...]


__all__ = [  # with the line engine and the catalog's values and lookups, for callers that take all from here
    "CATALOG_PRICED",
    "HUNDRED",
    "INSTALLED",
    "NEW_SERVICE",
    "NO_ETF",
    "Action",
    "CurrentService",
    "Discount",
    "DiscountKind",
    "EtfKind",
    "EtfRule",
    "LineRequest",
    "MrcOffKind",
    "PricedLine",
    "PricedQuote",
    "PricedTotals",
    "PromotionOffer",
    "TermPrice",
    "Tier",
    "VersionPricing",
    "best_promotion",
    "committed_months",
    "discount_amount",
    "etf_amount",
    "finish_line",
    "monthly_after",
    "months_remaining",
    "price_cut_percent",
    "price_quote",
    "price_quote_line",
    "priced_totals",
    "promotion_applies",
    "reprice_line",
    "spread",
    "term_price",
    "tier_for",
    "unit_mrc",
]


def spread(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split a cent-exact `amount` (not above the sum of `weights`) in proportion to `weights`:
    shares to the cent that sum exactly to `amount`, by the largest remainder (see the module)."""
    weight_total = sum(weights, ZERO)
    if amount == 0 or weight_total == 0:
        return [ZERO] * len(weights)
    shares: list[Decimal] = []
    dropped: list[tuple[Decimal, Decimal, int]] = []
    for index, weight in enumerate(weights):
        exact = amount * weight / weight_total
        share = exact.quantize(CENT, rounding=ROUND_FLOOR)
        shares.append(share)
        dropped.append((exact - share, weight, -index))
    cents_left = int((amount - sum(shares, ZERO)) / CENT)
    for _, _, negative_index in heapq.nlargest(cents_left, dropped):
        shares[-negative_index] += CENT
    return shares


# Quotes.


def priced_totals(lines: Iterable[PricedLine]) -> PricedTotals:
    """New and former monthly recurring, one-time charges and contract value: sums of rounded lines."""
    before = after = once = value = change = discounts = ZERO
    approval = False
    for line in lines:
        before += line.mrc_before_amount
        after += line.mrc_amount
        once += line.nrc_amount + line.move_fee_amount + line.etf_amount
        value += line.contract_value_amount
        change += line.contract_value_change_amount
        discounts += line.line_discount_amount + line.quote_discount_amount
        approval = approval or line.needs_approval
    return PricedTotals(before, after, after - before, once, value, discounts, approval, change)


def monthly_after(*, today_amount: Decimal, mrr_before_amount: Decimal, mrr_amount: Decimal) -> Decimal:
    """What the customer pays a month at the quote's sites once it is done: every service there
    today (`today_amount`), less the monthly charges of the services the quote changes or cancels
    (`mrr_before_amount`), plus the monthly charges of its lines (`mrr_amount`: new services and
    the changed ones at their new price; a cancel adds nothing)."""
    return today_amount - mrr_before_amount + mrr_amount


def price_quote(requests: Iterable[LineRequest], *, discount: Discount | None = None) -> PricedQuote:
    """Price every line, spread the quote discount over them, and total the quote."""
    return _with_quote_discount(tuple(price_quote_line(request) for request in requests), discount)


def reprice_line(quote: PricedQuote, index: int, request: LineRequest) -> PricedQuote:
    """The quote with line `index` priced anew from `request`; the other lines are re-used (only
    their share of a quote discount moves)."""
    undiscounted = list(quote.undiscounted)
    undiscounted[index] = price_quote_line(request)
    if quote.discount is None:
        lines = list(quote.lines)
        lines[index] = undiscounted[index]
        return replace(quote, lines=tuple(lines), totals=priced_totals(lines), undiscounted=tuple(undiscounted))
    return _with_quote_discount(tuple(undiscounted), quote.discount, previous=quote)


def _with_quote_discount(
    undiscounted: tuple[PricedLine, ...], discount: Discount | None, previous: PricedQuote | None = None
) -> PricedQuote:
    if discount is None:
        return PricedQuote(undiscounted, priced_totals(undiscounted), None, ZERO, undiscounted)
    weights = [line.mrc_amount if line.quote_discountable else ZERO for line in undiscounted]
    amount = discount_amount(sum(weights, ZERO), discount, field="quote_discount")
    shares = spread(amount, weights)
    lines = []
    for index, (line, share) in enumerate(zip(undiscounted, shares, strict=True)):
        if share == 0:
            lines.append(line)
        elif (
            previous is not None
            and previous.undiscounted[index] is line
            and previous.lines[index].quote_discount_amount == share
        ):
            lines.append(previous.lines[index])
        else:
            lines.append(finish_line(line, share))
    return PricedQuote(tuple(lines), priced_totals(lines), discount, amount, undiscounted)
