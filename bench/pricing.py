"""Price a 1,000-line quote (adds and change lines, line and quote discounts, promotions, volume
tiers, ETFs and move fees) with the pure engine, then re-price one line and recompute the totals,
against a bare baseline: plain Decimal multiplications and sums for the same lines. Pure: no database."""

import datetime as dt
import statistics
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from headend.quoting.pricing import (
    CurrentService,
    Discount,
    EtfRule,
    LineRequest,
    PromotionOffer,
    TermPrice,
    Tier,
    VersionPricing,
    price_quote,
    reprice_line,
)

LINES = 1000
RUNS = 7
GOAL_FULL_SECONDS = 0.100  # price a 1,000-line quote within 100 ms
GOAL_REPRICE_SECONDS = 0.020  # re-price one line of it and recompute the totals within 20 ms
CENT = Decimal("0.01")
ON = dt.date(2026, 7, 1)

FIBER_1G = VersionPricing(
    prices=(
        TermPrice(0, Decimal("110.00"), Decimal("199.00")),
        TermPrice(12, Decimal("100.00"), Decimal("99.00")),
        TermPrice(24, Decimal("90.00"), Decimal("0.00")),
        TermPrice(36, Decimal("80.00"), Decimal("0.00")),
    ),
    floor_mrc_amount=Decimal("70.00"),
    etf=EtfRule(kind="percent_of_remaining", percent=Decimal(50), cap_amount=Decimal("600.00"), on_downgrade=True),
    move_fee_amount=Decimal("75.00"),
)
FIBER_2G = VersionPricing(
    prices=(TermPrice(12, Decimal("130.00"), Decimal("99.00")), TermPrice(24, Decimal("120.00"), Decimal("0.00"))),
    floor_mrc_amount=Decimal("100.00"),
)
VOICE = VersionPricing(
    prices=(TermPrice(12, Decimal("25.00"), Decimal("10.00")),),
    tiers=(
        Tier(12, 1, 4, Decimal("20.00")),
        Tier(12, 5, 9, Decimal("18.00")),
        Tier(12, 10, None, Decimal("15.00")),
    ),
    installation_waivable=True,
)
HALF_OFF_3 = PromotionOffer("half-3", mrc_off_kind="percent", mrc_off_value=Decimal(50), months=3)
CURRENT = CurrentService(
    pricing=FIBER_1G, mrc_amount=Decimal("100.00"), term_months=12, term_end_date=dt.date(2026, 12, 31)
)


def quote_lines() -> list[LineRequest]:
    """Per 10 lines: 6 adds (a discount, a promotion, voice tiers, a waiver) and 4 changes."""
    patterns = [
        LineRequest(pricing=FIBER_1G, term_months=36),
        LineRequest(pricing=FIBER_1G, term_months=24, discount=Discount("percent", Decimal(10))),
        LineRequest(pricing=FIBER_1G, term_months=12, promotion=HALF_OFF_3),
        LineRequest(pricing=VOICE, term_months=12, quantity=12),
        LineRequest(pricing=VOICE, term_months=12, quantity=3, waive_installation=True),
        LineRequest(pricing=FIBER_2G, term_months=12, discount=Discount("amount", Decimal(35))),  # below floor
        LineRequest(action="upgrade", pricing=FIBER_2G, current=CURRENT, on=ON),
        LineRequest(action="re_term", term_months=36, current=CURRENT, on=ON),
        LineRequest(action="move", current=CURRENT, on=ON),
        LineRequest(action="cancel", current=CURRENT, on=ON),
    ]
    return [patterns[n % len(patterns)] for n in range(LINES)]


def baseline_rows(requests: list[LineRequest]) -> list[tuple[Decimal, int, Decimal, int]]:
    """The same lines as bare numbers: unit monthly, quantity, one-time, months."""
    rows = []
    for request in requests:
        pricing = request.pricing or FIBER_1G
        price = pricing.prices[-1]
        rows.append((price.mrc_amount, request.quantity or 1, price.nrc_amount, request.term_months or 12))
    return rows


def baseline_price(rows: list[tuple[Decimal, int, Decimal, int]]) -> tuple[Decimal, Decimal, Decimal]:
    """Baseline: round unit x quantity for monthly and one-time, their contract value, three sums."""
    mrr = once = value = Decimal(0)
    for unit, quantity, nrc, months in rows:
        mrc = (unit * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        one_time = (nrc * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        mrr, once, value = mrr + mrc, once + one_time, value + mrc * months + one_time
    return mrr, once, value


def baseline_reprice(rows: list[tuple[Decimal, int, Decimal, int]], amounts: list[Decimal], index: int) -> Decimal:
    """Baseline: one line multiplied and rounded anew, then the monthly amounts summed."""
    unit, quantity, _, _ = rows[index]
    amounts = amounts.copy()
    amounts[index] = (unit * (quantity + 1)).quantize(CENT, rounding=ROUND_HALF_UP)
    return sum(amounts, Decimal(0))


def median_seconds(run: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


FULL = "price 1,000 lines (quote discount spread, totals)"
REPRICE = "re-price one line and recompute totals"
REPRICE_AMOUNT = "re-price one line, amount quote discount (every share moves)"
REPRICE_PLAIN = "re-price one line, no quote discount"


def main() -> None:
    requests = quote_lines()
    discount = Discount("percent", Decimal(5))
    quote = price_quote(requests, discount=discount)
    plain_quote = price_quote(requests)
    amount_quote = price_quote(requests, discount=Discount("amount", Decimal("2500.00")))
    index = LINES // 2
    new = LineRequest(pricing=VOICE, term_months=12, quantity=10, discount=Discount("percent", Decimal(15)))
    # Re-pricing one line must give what pricing the whole quote again gives.
    assert reprice_line(quote, index, new) == price_quote(
        [*requests[:index], new, *requests[index + 1 :]], discount=discount
    )

    rows = baseline_rows(requests)
    amounts = [(unit * quantity).quantize(CENT, rounding=ROUND_HALF_UP) for unit, quantity, _, _ in rows]
    results = {
        FULL: median_seconds(lambda: price_quote(requests, discount=discount)),
        REPRICE: median_seconds(lambda: reprice_line(quote, index, new)),
        REPRICE_AMOUNT: median_seconds(lambda: reprice_line(amount_quote, index, new)),
        REPRICE_PLAIN: median_seconds(lambda: reprice_line(plain_quote, index, new)),
    }
    full_baseline = median_seconds(lambda: baseline_price(rows))
    reprice_baseline = median_seconds(lambda: baseline_reprice(rows, amounts, index))
    results["baseline: Decimal multiply and sum, 1,000 lines"] = full_baseline
    results["baseline: one line multiplied, 1,000 amounts summed"] = reprice_baseline

    totals = quote.totals
    flagged = sum(1 for line in quote.lines if line.needs_approval)
    print(f"\nBenchmark: price a {LINES:,}-line quote (adds and changes; pure), median of {RUNS} runs")
    print(
        f"new MRR {totals.mrr_amount:,}, change {totals.mrr_change_amount:+,}, one-time {totals.one_time_amount:,}, "
        f"contract value {totals.contract_value_amount:,}; quote discount {quote.discount_amount:,}/month; "
        f"{flagged} lines need approval"
    )
    for name, seconds in results.items():
        print(f"  {name:<62} {seconds:9.6f} s")
    print(f"  ratio price 1,000 lines / baseline: {results[FULL] / full_baseline:.1f}x")
    print(f"  ratio re-price one line / baseline: {results[REPRICE] / reprice_baseline:.1f}x")
    for name in (REPRICE_AMOUNT, REPRICE_PLAIN):
        print(f"  ratio {name} / baseline: {results[name] / reprice_baseline:.1f}x")
    met_full = "met" if results[FULL] <= GOAL_FULL_SECONDS else "MISSED"
    met_reprice = "met" if max(results[REPRICE], results[REPRICE_AMOUNT]) <= GOAL_REPRICE_SECONDS else "MISSED"
    print(
        f"  goal: price within {GOAL_FULL_SECONDS * 1000:.0f} ms: {met_full}; "
        f"re-price within {GOAL_REPRICE_SECONDS * 1000:.0f} ms: {met_reprice}"
    )


if __name__ == "__main__":
    main()
