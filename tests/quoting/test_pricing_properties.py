"""Properties of the pure pricing engine over generated catalogs, services, lines and discounts."""

import datetime as dt
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from headend.core.errors import ValidationError
from headend.core.money import CENT, line_amount
from headend.quoting.pricing import (
    Action,
    CurrentService,
    Discount,
    EtfRule,
    LineRequest,
    PricedLine,
    PromotionOffer,
    TermPrice,
    Tier,
    VersionPricing,
    price_quote,
    price_quote_line,
    reprice_line,
    spread,
)

TERMS = [0, 12, 24, 36]
TODAY = dt.date(2026, 3, 2)


def cents(low: int = 0, high: int = 500_000) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n) / 100)


@st.composite
def version_pricings(draw) -> VersionPricing:
    terms = draw(st.lists(st.sampled_from(TERMS), min_size=1, max_size=4, unique=True))
    prices = tuple(TermPrice(term, draw(cents()), draw(cents(0, 100_000))) for term in terms)
    tiers: list[Tier] = []
    if draw(st.booleans()):
        term, low = terms[0], 1
        for _ in range(draw(st.integers(1, 3))):
            high = low + draw(st.integers(0, 8))
            tiers.append(Tier(term, low, high, draw(cents())))
            low = high + 1
    floor = draw(st.none() | cents())
    etf = draw(
        st.sampled_from(
            [
                EtfRule(),
                EtfRule(kind="percent_of_remaining", percent=Decimal(50), on_downgrade=True),
                EtfRule(kind="flat", amount=Decimal("200.00"), on_replace=True),
                EtfRule(kind="per_remaining_month", amount=Decimal("19.99"), cap_amount=Decimal("100.00")),
            ]
        )
    )
    return VersionPricing(
        prices=prices,
        tiers=tuple(tiers),
        floor_mrc_amount=floor,
        etf=etf,
        move_fee_amount=draw(cents(0, 20_000)),
        installation_waivable=draw(st.booleans()),
    )


discounts = (
    st.none()
    | st.builds(Discount, st.just("percent"), st.integers(0, 10_000).map(lambda n: Decimal(n) / 100))
    | st.builds(Discount, st.just("amount"), cents(0, 5_000))
)
promotions = st.none() | st.builds(
    PromotionOffer,
    code=st.just("promo"),
    mrc_off_kind=st.sampled_from(["none", "percent", "amount"]),
    mrc_off_value=cents(1, 10_000),
    months=st.integers(1, 12),
    waives_installation=st.booleans(),
)


@st.composite
def line_requests(draw) -> LineRequest:
    pricing = draw(version_pricings())
    term = draw(st.sampled_from([price.term_months for price in pricing.prices]))
    quantity = draw(st.integers(1, 20))
    action = draw(st.sampled_from(list(Action)))
    current = None
    if action not in (Action.ADD, Action.ADD_ON):
        end = draw(st.none() | st.dates(TODAY - dt.timedelta(days=60), TODAY + dt.timedelta(days=1100)))
        current = CurrentService(
            pricing=draw(version_pricings()),
            mrc_amount=draw(cents()),
            term_months=draw(st.sampled_from(TERMS)) if end is not None else 0,
            term_end_date=end,
            quantity=quantity,
        )
        if action in (Action.RE_TERM, Action.RE_RATE, Action.MOVE, Action.CANCEL):
            pricing = current.pricing
            term = draw(st.sampled_from([price.term_months for price in pricing.prices]))
    percent_or_amount = draw(discounts)
    if action == Action.CANCEL:
        percent_or_amount = None
    return LineRequest(
        action=action,
        pricing=pricing,
        term_months=term if action != Action.MOVE else None,
        quantity=quantity,
        current=current,
        on=TODAY,
        discount=percent_or_amount,
        negotiated_mrc_amount=draw(cents()),
        promotion=None if action == Action.CANCEL else draw(promotions),
        waive_installation=draw(st.booleans()),
    )


def priced_or_skip(requests: list[LineRequest], discount: Discount | None = None):
    try:
        return price_quote(requests, discount=discount)
    except ValidationError:
        assume(False)  # a re-term or move to a term the version is not sold on
        raise


quote_discounts = (
    st.none()
    | st.builds(Discount, st.just("percent"), st.integers(0, 10_000).map(lambda n: Decimal(n) / 100))
    | st.builds(Discount, st.just("amount"), cents(0, 10_000))
)


def is_cents(amount: Decimal) -> bool:
    return amount == amount.quantize(CENT)


@given(st.lists(line_requests(), min_size=1, max_size=8), quote_discounts)
def test_totals_are_sums_of_rounded_lines(requests, discount):
    quote = priced_or_skip(requests, discount)

    lines, totals = quote.lines, quote.totals
    assert totals.mrr_amount == sum((line.mrc_amount for line in lines), Decimal(0))
    assert totals.mrr_before_amount == sum((line.mrc_before_amount for line in lines), Decimal(0))
    assert totals.mrr_change_amount == totals.mrr_amount - totals.mrr_before_amount
    assert totals.one_time_amount == sum((line.one_time_amount for line in lines), Decimal(0))
    assert totals.contract_value_amount == sum((line.contract_value_amount for line in lines), Decimal(0))
    assert totals.contract_value_change_amount == sum((line.contract_value_change_amount for line in lines), Decimal(0))
    assert totals.needs_approval == any(line.needs_approval for line in lines)
    for line in lines:
        amounts = [line.mrc_amount, line.promo_mrc_amount, line.nrc_amount, line.etf_amount, line.contract_value_amount]
        assert all(is_cents(amount) for amount in [*amounts, line.contract_value_change_amount])
        # Contract value: what the line charges over its term, never negative.
        assert line.contract_value_amount >= 0


@given(st.lists(line_requests(), min_size=1, max_size=8), quote_discounts)
def test_no_discount_takes_a_line_below_its_floor_without_approval(requests, discount):
    quote = priced_or_skip(requests, discount)

    for line in quote.lines:
        assert line.mrc_amount == line.list_mrc_amount - line.line_discount_amount - line.quote_discount_amount
        if line.floor_amount is not None and line.mrc_amount < line.floor_amount:
            assert line.needs_approval
            assert any("below the floor" in reason for reason in line.reasons)


@given(st.lists(line_requests(), min_size=1, max_size=8), quote_discounts)
def test_discounts_never_make_amounts_negative(requests, discount):
    quote = priced_or_skip(requests, discount)

    for line in quote.lines:
        assert line.line_discount_amount >= 0
        assert line.quote_discount_amount >= 0
        assert line.mrc_amount >= 0
        assert 0 <= line.promo_mrc_amount <= line.mrc_amount
        assert line.nrc_amount >= 0
        assert line.one_time_amount >= 0
        if line.action in (Action.ADD, Action.ADD_ON):
            assert line.contract_value_amount >= 0


@given(
    st.lists(cents(0, 10_000_000), min_size=1, max_size=40),
    st.integers(0, 10_000).map(lambda n: Decimal(n) / 10_000),
)
def test_quote_discount_spread_sums_exactly_to_the_quote_discount(weights, fraction):
    amount = line_amount(sum(weights, Decimal(0)), 1, fraction)

    shares = spread(amount, weights)

    assert sum(shares, Decimal(0)) == (amount if sum(weights, Decimal(0)) else 0)
    assert all(0 <= share <= weight and is_cents(share) for share, weight in zip(shares, weights, strict=True))


@given(st.lists(line_requests(), min_size=1, max_size=8), quote_discounts)
def test_quote_discount_shares_sum_to_the_quote_discount(requests, discount):
    quote = priced_or_skip(requests, discount)

    assert sum((line.quote_discount_amount for line in quote.lines), Decimal(0)) == quote.discount_amount


@st.composite
def unchanged(draw) -> tuple[LineRequest, VersionPricing]:
    """A change line that changes nothing: same version, term, quantity and price as today."""
    pricing = draw(version_pricings())
    term = draw(st.sampled_from([price.term_months for price in pricing.prices]))
    quantity = draw(st.integers(1, 20))
    unit = next(price.mrc_amount for price in pricing.prices if price.term_months == term)
    tier = next(
        (
            t
            for t in pricing.tiers
            if t.term_months == term and t.min_quantity <= quantity and (t.max_quantity or quantity) >= quantity
        ),
        None,
    )
    unit = tier.mrc_amount if tier else unit
    end = draw(st.none() | st.dates(TODAY - dt.timedelta(days=60), TODAY + dt.timedelta(days=1100)))
    current = CurrentService(pricing, line_amount(unit, quantity), term, end, quantity)
    action = draw(st.sampled_from([Action.UPGRADE, Action.RE_RATE, Action.MOVE]))
    if action == Action.MOVE:
        current = CurrentService(
            VersionPricing(pricing.prices, pricing.tiers, pricing.floor_mrc_amount, pricing.etf),
            current.mrc_amount,
            term,
            end,
            quantity,
        )
    request = LineRequest(
        action=action, pricing=pricing, current=current, on=TODAY, negotiated_mrc_amount=unit, quantity=quantity
    )
    return request, pricing


@given(unchanged())
def test_a_change_line_with_no_change_prices_to_zero_delta(case):
    request, _ = case

    priced: PricedLine = price_quote_line(request)

    assert priced.mrc_change_amount == 0
    assert priced.one_time_amount == 0
    assert priced.contract_value_change_amount == 0


@given(st.lists(line_requests(), min_size=2, max_size=8), line_requests(), st.data(), quote_discounts)
def test_repricing_one_line_equals_pricing_the_whole_quote(requests, new, data, discount):
    quote = priced_or_skip(requests, discount)
    index = data.draw(st.integers(0, len(requests) - 1))
    changed = [*requests[:index], new, *requests[index + 1 :]]
    try:
        expected = price_quote(changed, discount=discount)
    except ValidationError:
        assume(False)
        raise

    assert reprice_line(quote, index, new) == expected
