"""One rule per test for the pure pricing engine: tiers, discounts, floor, promotions, waivers,
change lines as deltas, ETF, quote discount spread, totals and re-pricing."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from headend.core.errors import ValidationError
from headend.quoting.pricing import (
    CurrentService,
    Discount,
    EtfRule,
    LineRequest,
    PromotionOffer,
    TermPrice,
    Tier,
    VersionPricing,
    best_promotion,
    etf_amount,
    months_remaining,
    price_quote,
    price_quote_line,
    reprice_line,
    spread,
    term_price,
    unit_mrc,
)

D = Decimal
FIBER = VersionPricing(
    prices=(
        TermPrice(0, D("110.00"), D("199.00")),
        TermPrice(12, D("100.00"), D("99.00")),
        TermPrice(24, D("90.00"), D(0)),
    ),
    floor_mrc_amount=D("80.00"),
    etf=EtfRule(kind="percent_of_remaining", percent=D(50)),
    move_fee_amount=D("75.00"),
)
VOICE = VersionPricing(
    prices=(TermPrice(12, D("25.00"), D("10.00")),),
    tiers=(
        Tier(12, 1, 4, D("20.00")),
        Tier(12, 5, 9, D("18.00")),
        Tier(12, 10, None, D("15.00")),
    ),
)
TERM_END = dt.date(2026, 12, 31)  # a 12-month term that began on 1 January 2026
JULY = dt.date(2026, 7, 1)  # six months left


def service(pricing: VersionPricing = FIBER, **overrides) -> CurrentService:
    values = {"pricing": pricing, "mrc_amount": D("100.00"), "term_months": 12, "term_end_date": TERM_END}
    values.update(overrides)
    return CurrentService(**values)


def add(**overrides) -> LineRequest:
    return LineRequest(**{"pricing": FIBER, "term_months": 12, **overrides})


def change(action: str, **overrides) -> LineRequest:
    return LineRequest(**{"action": action, "current": service(), "on": JULY, **overrides})


# Term prices and volume tiers.


def test_term_price_for_a_term_not_offered_names_the_term():
    with pytest.raises(ValidationError) as error:
        term_price(FIBER.prices, 36)

    assert (error.value.field, error.value.code) == ("term_months", "term_not_offered")


@pytest.mark.parametrize(
    ("quantity", "unit", "line"),
    [
        (1, "20.00", "20.00"),
        (4, "20.00", "80.00"),
        (5, "18.00", "90.00"),
        (9, "18.00", "162.00"),
        (10, "15.00", "150.00"),
    ],
)
def test_volume_tier_of_the_whole_quantity_prices_every_unit(quantity, unit, line):
    priced = price_quote_line(LineRequest(pricing=VOICE, term_months=12, quantity=quantity))

    assert unit_mrc(VOICE, term_months=12, quantity=quantity) == D(unit)
    assert priced.list_mrc_amount == D(line)


def test_quantity_outside_every_tier_pays_the_list_price():
    pricing = replace(VOICE, tiers=(Tier(12, 5, None, D("18.00")),))

    assert unit_mrc(pricing, term_months=12, quantity=4) == D("25.00")
    assert unit_mrc(pricing, term_months=12, quantity=5) == D("18.00")


# Line discounts and the floor.


@pytest.mark.parametrize(
    ("discount", "mrc"), [(Discount("percent", D("12.5")), "87.50"), (Discount("amount", D(15)), "85.00")]
)
def test_line_discount_percent_or_amount_off_the_monthly_charge(discount, mrc):
    priced = price_quote_line(add(discount=discount))

    assert (priced.list_mrc_amount, priced.mrc_amount) == (D("100.00"), D(mrc))
    assert priced.line_discount_amount == D("100.00") - D(mrc)


@pytest.mark.parametrize(
    ("discount", "code"),
    [
        (Discount("percent", D("100.01")), "discount_above_100"),
        (Discount("amount", D("100.01")), "discount_above_price"),
        (Discount("percent", D(-1)), "invalid_discount"),
        (Discount("bogus", D(1)), "invalid_choice"),
    ],
)
def test_impossible_line_discount_is_refused(discount, code):
    with pytest.raises(ValidationError) as error:
        price_quote_line(add(discount=discount))

    assert (error.value.field, error.value.code) == ("discount", code)


def test_discount_to_the_floor_needs_no_approval():
    priced = price_quote_line(add(discount=Discount("percent", D(20))))

    assert (priced.mrc_amount, priced.needs_approval, priced.reasons) == (D("80.00"), False, ())


def test_discount_a_cent_below_the_floor_is_kept_and_needs_approval():
    priced = price_quote_line(add(discount=Discount("amount", D("20.01"))))

    assert priced.mrc_amount == D("79.99")
    assert priced.needs_approval is True
    assert priced.reasons == ("Monthly charge 79.99 is below the floor of 80.00.",)


def test_floor_is_per_unit_times_quantity():
    priced = price_quote_line(add(quantity=3, discount=Discount("amount", D("60.00"))))

    assert (priced.floor_amount, priced.mrc_amount, priced.needs_approval) == (D("240.00"), D("240.00"), False)


# Promotions.


HALF_OFF_3 = PromotionOffer("half-3", mrc_off_kind="percent", mrc_off_value=D(50), months=3)


def test_promotion_first_3_months_half_off_inside_a_12_month_term():
    priced = price_quote_line(add(promotion=HALF_OFF_3))

    assert (priced.mrc_amount, priced.promo_mrc_amount, priced.promo_months) == (D("100.00"), D("50.00"), 3)
    assert priced.contract_value_amount == D("50.00") * 3 + D("100.00") * 9 + D("99.00")


def test_promotion_months_are_capped_at_the_committed_months():
    priced = price_quote_line(add(term_months=0, promotion=HALF_OFF_3))

    assert (priced.promo_months, priced.contract_value_amount) == (1, D("55.00") + D("199.00"))


def test_promotion_applies_after_the_line_discount_and_is_not_held_to_the_floor():
    priced = price_quote_line(add(discount=Discount("percent", D(20)), promotion=HALF_OFF_3))

    assert (priced.mrc_amount, priced.promo_mrc_amount, priced.needs_approval) == (D("80.00"), D("40.00"), False)


def test_amount_off_promotion_is_per_unit_and_never_below_zero():
    offer = PromotionOffer("voice-free", mrc_off_kind="amount", mrc_off_value=D("30.00"), months=2)

    priced = price_quote_line(LineRequest(pricing=VOICE, term_months=12, quantity=2, promotion=offer))

    assert (priced.mrc_amount, priced.promo_mrc_amount) == (D("40.00"), D("0.00"))


def test_promotion_for_another_term_is_refused():
    with pytest.raises(ValidationError) as error:
        price_quote_line(add(term_months=12, promotion=replace(HALF_OFF_3, terms=(24, 36))))

    assert (error.value.field, error.value.code) == ("promotion", "promotion_not_eligible")


def test_promotion_ended_before_the_day_is_refused():
    ended = replace(HALF_OFF_3, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 6, 30))

    assert price_quote_line(add(promotion=ended, on=dt.date(2026, 6, 30))).promo_months == 3
    with pytest.raises(ValidationError):
        price_quote_line(add(promotion=ended, on=JULY))


def test_best_promotion_saves_the_customer_most():
    quarter = PromotionOffer("quarter-6", mrc_off_kind="percent", mrc_off_value=D(25), months=6)
    install = PromotionOffer("free-install", waives_installation=True)

    best = best_promotion(
        [HALF_OFF_3, quarter, install], mrc_amount=D("100.00"), nrc_amount=D("99.00"), quantity=1, months=12
    )

    assert best == HALF_OFF_3  # 150 off, quarter-6 also 150 (first wins), installation 99


# Installation waivers.


def test_waived_installation_is_zero_and_flagged_and_needs_approval_when_not_waivable():
    priced = price_quote_line(add(waive_installation=True))

    assert (priced.nrc_amount, priced.installation_waived, priced.needs_approval) == (D("0.00"), True, True)
    assert priced.reasons == ("Installation of 99.00 waived; this product's installation is not waivable.",)


def test_waivable_installation_or_a_promotion_waiver_needs_no_approval():
    waivable = price_quote_line(add(pricing=replace(FIBER, installation_waivable=True), waive_installation=True))
    promoted = price_quote_line(add(promotion=PromotionOffer("free-install", waives_installation=True)))

    assert (waivable.nrc_amount, waivable.installation_waived, waivable.needs_approval) == (D(0), True, False)
    assert (promoted.nrc_amount, promoted.installation_waived, promoted.needs_approval) == (D(0), True, False)


# Change lines.


def test_change_line_needs_the_service_and_the_day():
    with pytest.raises(ValidationError) as no_service:
        price_quote_line(LineRequest(action="upgrade", pricing=FIBER, on=JULY))
    with pytest.raises(ValidationError) as no_day:
        price_quote_line(LineRequest(action="upgrade", pricing=FIBER, current=service()))

    assert (no_service.value.field, no_day.value.field) == ("service", "on")


@pytest.mark.parametrize(
    ("on", "months"),
    [
        (dt.date(2026, 1, 1), 12),
        (dt.date(2026, 1, 15), 12),  # a started month counts
        (JULY, 6),
        (dt.date(2026, 12, 1), 1),
        (TERM_END, 1),  # the last day of the term
        (dt.date(2027, 1, 1), 0),  # the day after
    ],
)
def test_months_remaining_in_the_term(on, months):
    assert months_remaining(TERM_END, on) == months


def test_month_to_month_has_no_months_remaining():
    assert months_remaining(None, JULY) == 0


def test_upgrade_keeps_the_term_and_prices_the_delta():
    gig = VersionPricing(prices=(TermPrice(12, D("130.00"), D("99.00")),))

    priced = price_quote_line(change("upgrade", pricing=gig))

    assert (priced.mrc_before_amount, priced.mrc_amount, priced.mrc_change_amount) == (D(100), D(130), D(30))
    assert (priced.committed_months, priced.released_months) == (6, 6)
    assert (priced.one_time_amount, priced.etf_amount) == (D(0), D(0))
    assert priced.contract_value_amount == D("780.00")  # 130 a month for the 6 months left
    assert priced.contract_value_change_amount == D("180.00")  # 30 more a month for the 6 months left


def test_re_term_starts_a_new_term_of_the_requested_length():
    priced = price_quote_line(change("re_term", term_months=24))

    assert (priced.mrc_amount, priced.committed_months, priced.released_months) == (D(90), 24, 6)
    assert priced.contract_value_amount == D("90.00") * 24
    assert priced.contract_value_change_amount == D("90.00") * 24 - D("100.00") * 6


def test_re_term_at_the_same_length_renews_the_term():
    priced = price_quote_line(change("re_term", term_months=12))

    assert (priced.mrc_change_amount, priced.committed_months, priced.released_months) == (D(0), 12, 6)
    assert (priced.contract_value_amount, priced.contract_value_change_amount) == (D("1200.00"), D("600.00"))


def test_re_rate_to_a_negotiated_price_below_the_floor_needs_approval():
    priced = price_quote_line(change("re_rate", negotiated_mrc_amount=D("75.00")))

    assert (priced.mrc_amount, priced.mrc_change_amount, priced.needs_approval) == (D(75), D(-25), True)
    assert (priced.contract_value_amount, priced.contract_value_change_amount) == (D("450.00"), D("-150.00"))


def test_move_keeps_the_price_and_term_and_charges_the_move_fee():
    priced = price_quote_line(change("move"))

    assert (priced.mrc_amount, priced.mrc_change_amount, priced.move_fee_amount) == (D(100), D(0), D("75.00"))
    assert (priced.nrc_amount, priced.etf_amount, priced.one_time_amount) == (D(0), D(0), D("75.00"))
    assert (priced.contract_value_amount, priced.contract_value_change_amount) == (D("675.00"), D("75.00"))


def test_add_on_to_a_service_is_a_new_service_with_installation():
    wifi = VersionPricing(prices=(TermPrice(12, D("12.00"), D("49.00")),))

    priced = price_quote_line(change("add_on", pricing=wifi, term_months=12))

    assert (priced.mrc_before_amount, priced.mrc_amount, priced.nrc_amount) == (D(0), D(12), D(49))
    assert priced.contract_value_amount == D("12.00") * 12 + D("49.00")


def test_cancel_inside_the_term_charges_the_etf():
    priced = price_quote_line(change("cancel"))

    assert (priced.mrc_amount, priced.mrc_change_amount, priced.etf_amount) == (D(0), D(-100), D("300.00"))
    assert priced.contract_value_amount == D("300.00")  # the fee is all the customer pays from here
    assert priced.contract_value_change_amount == D("-600.00") + D("300.00")


@pytest.mark.parametrize(("on", "etf"), [(TERM_END, "50.00"), (dt.date(2027, 1, 1), "0.00")])
def test_cancel_etf_on_the_last_day_of_the_term_and_the_day_after(on, etf):
    priced = price_quote_line(change("cancel", on=on))

    assert priced.etf_amount == D(etf)


def test_cancel_of_a_month_to_month_service_has_no_etf():
    current = service(term_months=0, term_end_date=None, mrc_amount=D("110.00"))

    priced = price_quote_line(change("cancel", current=current))

    assert (priced.etf_amount, priced.contract_value_amount, priced.contract_value_change_amount) == (
        D(0),
        D(0),
        D("-110.00"),
    )


@pytest.mark.parametrize(
    ("rule", "months", "fee"),
    [
        (EtfRule(kind="percent_of_remaining", percent=D(50)), 6, "300.00"),
        (EtfRule(kind="percent_of_remaining", percent=D(50), cap_amount=D(250)), 6, "250.00"),
        (EtfRule(kind="flat", amount=D(200)), 1, "200.00"),
        (EtfRule(kind="flat", amount=D(200)), 0, "0.00"),
        (EtfRule(kind="per_remaining_month", amount=D(20)), 6, "120.00"),
        (EtfRule(kind="per_remaining_month", amount=D(20), cap_amount=D(100)), 6, "100.00"),
        (EtfRule(), 6, "0.00"),
    ],
)
def test_etf_rules(rule, months, fee):
    assert etf_amount(rule, mrc_amount=D("100.00"), months_left=months) == D(fee)


def test_downgrade_and_replace_pay_an_etf_only_when_the_version_says_so():
    slower = VersionPricing(prices=(TermPrice(12, D("70.00"), D("0.00")),))
    strict = replace(FIBER, etf=replace(FIBER.etf, on_downgrade=True, on_replace=True))

    lenient_down = price_quote_line(change("downgrade", pricing=slower))
    strict_down = price_quote_line(change("downgrade", pricing=slower, current=service(pricing=strict)))
    strict_replace = price_quote_line(change("replace", pricing=slower, current=service(pricing=strict)))
    strict_up = price_quote_line(change("upgrade", pricing=FIBER, current=service(pricing=strict)))

    assert [line.etf_amount for line in (lenient_down, strict_down, strict_replace, strict_up)] == [
        D(0),
        D("300.00"),
        D("300.00"),
        D(0),
    ]


def test_cancel_cannot_be_discounted():
    with pytest.raises(ValidationError) as error:
        price_quote_line(change("cancel", discount=Discount("percent", D(10))))

    assert error.value.field == "discount"


# Quote discount and totals.


def test_quote_discount_is_spread_by_monthly_charge():
    slow = VersionPricing(prices=(TermPrice(12, D("50.00"), D(0)),))

    quote = price_quote([add(), add(pricing=slow), add(pricing=slow)], discount=Discount("percent", D(10)))

    assert [line.quote_discount_amount for line in quote.lines] == [D("10.00"), D("5.00"), D("5.00")]
    assert quote.discount_amount == D("20.00")
    assert [line.mrc_amount for line in quote.lines] == [D("90.00"), D("45.00"), D("45.00")]


def test_quote_discount_cents_left_by_rounding_go_to_the_lines_that_lost_most():
    shares = spread(D("0.02"), [D("10.00")] * 4)
    uneven = spread(D("1.00"), [D("10.00"), D("20.00"), D("30.00")])

    assert shares == [D("0.01"), D("0.01"), D(0), D(0)]
    assert uneven == [D("0.17"), D("0.33"), D("0.50")]


def test_quote_discount_skips_moves_re_rates_and_cancels():
    requests = [add(), change("move"), change("re_rate", negotiated_mrc_amount=D(95)), change("cancel")]

    quote = price_quote(requests, discount=Discount("amount", D("10.00")))

    assert [line.quote_discount_amount for line in quote.lines] == [D("10.00"), D(0), D(0), D(0)]


def test_quote_discount_above_what_it_applies_to_is_refused():
    with pytest.raises(ValidationError) as error:
        price_quote([add(), change("move")], discount=Discount("amount", D("100.01")))

    assert (error.value.field, error.value.code) == ("quote_discount", "discount_above_price")


def test_quote_discount_below_the_floor_needs_approval():
    quote = price_quote([add()], discount=Discount("percent", D(25)))

    assert (quote.lines[0].mrc_amount, quote.totals.needs_approval) == (D(75), True)


def test_quote_totals_of_adds_and_changes():
    gig = VersionPricing(prices=(TermPrice(12, D("130.00"), D("99.00")),))

    quote = price_quote([add(), change("upgrade", pricing=gig), change("move"), change("cancel")])

    totals = quote.totals
    assert (totals.mrr_before_amount, totals.mrr_amount, totals.mrr_change_amount) == (D(300), D(330), D(30))
    assert totals.one_time_amount == D("99.00") + D("75.00") + D("300.00")
    assert totals.contract_value_amount == D("1299.00") + D("780.00") + D("675.00") + D("300.00")
    assert totals.contract_value_amount == sum((line.contract_value_amount for line in quote.lines), D(0))
    assert totals.contract_value_change_amount == D("1299.00") + D("180.00") + D("75.00") + D("-300.00")


@pytest.mark.parametrize("discount", [None, Discount("percent", D("7.5"))])
def test_repricing_one_line_equals_pricing_the_quote_again(discount):
    requests = [add(), add(quantity=2), change("move"), add(promotion=HALF_OFF_3)]
    quote = price_quote(requests, discount=discount)
    new = add(quantity=3, discount=Discount("amount", D(20)))

    repriced = reprice_line(quote, 1, new)

    assert repriced == price_quote([requests[0], new, *requests[2:]], discount=discount)


# Price cuts: how far below the catalog price a line is, whatever cut it (issue 11).


@pytest.mark.parametrize(
    ("request_", "cut"),
    [
        (add(), "0"),
        (add(discount=Discount("percent", D(15))), "15.00"),
        (add(discount=Discount("amount", D("12.50"))), "12.50"),
        (change("re_rate", negotiated_mrc_amount=D(0)), "100.00"),
        (change("re_rate", negotiated_mrc_amount=D("95.00")), "5.00"),
        (change("re_rate", negotiated_mrc_amount=D("120.00")), "0"),
        (change("re_rate", negotiated_mrc_amount=D("33.33")), "66.67"),
        (change("move"), "0"),
        (change("move", discount=Discount("percent", D(20))), "20.00"),
        (change("cancel"), "0"),
        (change("re_term", term_months=24), "0"),
    ],
    ids=[
        "list",
        "percent",
        "amount",
        "re-rate to zero",
        "re-rate 95",
        "re-rate above",
        "re-rate rounds up",
        "move",
        "discounted move",
        "cancel",
        "re-term",
    ],
)
def test_a_line_below_the_catalog_price_is_a_price_cut_whatever_cut_it(request_, cut):
    assert price_quote_line(request_).price_cut_percent == D(cut)


def test_a_re_rate_on_a_term_no_longer_sold_is_cut_from_todays_price():
    priced = price_quote_line(change("re_rate", current=service(term_months=36), negotiated_mrc_amount=D("60.00")))

    assert (priced.catalog_mrc_amount, priced.price_cut_percent) == (D("100.00"), D("40.00"))


def test_a_promotion_alone_is_no_price_cut_but_stacked_on_a_discount_it_counts():
    half_off = PromotionOffer("HALF", mrc_off_kind="percent", mrc_off_value=D(50), months=3)

    alone = price_quote_line(add(promotion=half_off))
    stacked = price_quote_line(add(promotion=half_off, discount=Discount("percent", D(10))))

    assert alone.price_cut_percent == 0
    assert (stacked.mrc_amount, stacked.promo_mrc_amount, stacked.price_cut_percent) == (D(90), D(45), D("55.00"))


def test_the_quote_discount_share_is_part_of_a_lines_price_cut():
    priced = price_quote([add(), add()], discount=Discount("percent", D(10)))

    assert [line.price_cut_percent for line in priced.lines] == [D("10.00"), D("10.00")]
