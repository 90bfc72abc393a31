"""Contract value has one meaning on every line: the line's total over its term (monthly charge x
months committed + one-time charges), with its change against what the customer pays today beside
it; the quote totals are the sums of those. The PDF's monthly today counts every service at the
quote's sites, and monthly after = today - the changed services' charges + the lines' charges."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.core import clock
from headend.quoting import services
from headend.quoting.pricing import (
    CurrentService,
    EtfRule,
    LineRequest,
    TermPrice,
    VersionPricing,
    monthly_after,
    price_quote,
    price_quote_line,
)
from tests.factories import make_account, make_change_catalog, make_live_service, make_location, make_quote

D = Decimal
FIBER = VersionPricing(
    prices=(TermPrice(12, D("100.00"), D("99.00")), TermPrice(24, D("90.00"), D("0.00"))),
    etf=EtfRule(kind="percent_of_remaining", percent=D(50)),
)
GIG = VersionPricing(prices=(TermPrice(12, D("130.00"), D("99.00")), TermPrice(24, D("120.00"), D("0.00"))))
TERM_END = dt.date(2026, 12, 31)
JULY = dt.date(2026, 7, 1)  # six months of the term left


def current(**overrides) -> CurrentService:
    values = {"pricing": FIBER, "mrc_amount": D("100.00"), "term_months": 12, "term_end_date": TERM_END}
    return CurrentService(**{**values, **overrides})


def test_a_new_line_is_its_total_over_the_term_and_all_of_it_is_change():
    priced = price_quote_line(LineRequest(pricing=FIBER, term_months=12, quantity=2))

    assert priced.contract_value_amount == D("2598.00")  # 2 x 100.00 x 12 + 2 x 99.00 installation
    assert priced.contract_value_change_amount == D("2598.00")


def test_an_upgrade_is_the_new_total_over_the_months_left_with_the_change_beside_it():
    priced = price_quote_line(LineRequest(action="upgrade", pricing=GIG, current=current(), on=JULY))

    assert priced.contract_value_amount == D("780.00")  # 130.00 x 6 months left
    assert priced.contract_value_change_amount == D("180.00")  # 780.00 - 100.00 x 6


def test_an_upgrade_on_a_new_term_is_the_new_total_over_that_term():
    priced = price_quote_line(LineRequest(action="upgrade", pricing=GIG, term_months=24, current=current(), on=JULY))

    assert priced.contract_value_amount == D("2880.00")  # 120.00 x 24
    assert priced.contract_value_change_amount == D("2280.00")  # 2880.00 - 100.00 x 6


def test_a_re_term_is_the_new_term_total_less_the_months_it_releases():
    priced = price_quote_line(LineRequest(action="re_term", term_months=24, current=current(), on=JULY))

    assert priced.contract_value_amount == D("2160.00")  # 90.00 x 24
    assert priced.contract_value_change_amount == D("1560.00")  # 2160.00 - 100.00 x 6


def test_a_cancel_is_its_fee_and_the_change_is_what_it_gives_up():
    priced = price_quote_line(LineRequest(action="cancel", current=current(), on=JULY))

    assert priced.contract_value_amount == D("300.00")  # the ETF: 50% x 100.00 x 6
    assert priced.contract_value_change_amount == D("-300.00")  # 300.00 - 600.00


def test_quote_totals_sum_both_meanings():
    quote = price_quote(
        [
            LineRequest(pricing=FIBER, term_months=12),
            LineRequest(action="upgrade", pricing=GIG, current=current(), on=JULY),
            LineRequest(action="re_term", term_months=24, current=current(), on=JULY),
        ]
    )

    assert quote.totals.contract_value_amount == D("1299.00") + D("780.00") + D("2160.00")
    assert quote.totals.contract_value_change_amount == D("1299.00") + D("180.00") + D("1560.00")


def test_monthly_after_is_today_less_the_changed_plus_the_lines():
    assert monthly_after(today_amount=D("250.00"), mrr_before_amount=D("100.00"), mrr_amount=D("195.00")) == D("345.00")


@pytest.mark.django_db
def test_stored_lines_and_quote_carry_value_and_change():
    catalog = make_change_catalog()
    account = make_account()
    service = make_live_service(account, catalog["gig"])  # 100.00 a month, 12 months from 2 March 2026
    quote = make_quote(account=account, lines=0)
    new_site = make_location(account)

    with clock.frozen(dt.datetime(2026, 9, 2, 15, tzinfo=dt.UTC)):  # 6 months left
        upgrade = services.quote_line_change(
            quote=quote, service=service, action="upgrade", product_version=catalog["two_gig"]
        )
        added = services.quote_line_add(quote=quote, location=new_site, product_version=catalog["gig"], term_months=12)

    assert (upgrade.contract_value_amount, upgrade.contract_value_change_amount) == (D("900.00"), D("300.00"))
    assert (added.contract_value_amount, added.contract_value_change_amount) == (D("1200.00"), D("1200.00"))
    quote.refresh_from_db()
    assert (quote.contract_value_amount, quote.contract_value_change_amount) == (D("2100.00"), D("1500.00"))


@pytest.mark.django_db
def test_monthly_today_counts_every_service_at_the_quotes_sites():
    catalog = make_change_catalog()
    account = make_account()
    changed = make_live_service(account, catalog["gig"])  # 100.00
    beside = make_live_service(account, catalog["gig"])
    beside.location = changed.location  # a second service at the same site, not on the quote
    beside.save(update_fields=["location"])
    elsewhere = make_live_service(account, catalog["two_gig"])  # 150.00 at a site the quote leaves alone
    quote = make_quote(account=account, lines=0)

    services.quote_line_change(quote=quote, service=changed, action="upgrade", product_version=catalog["two_gig"])
    services.quote_line_add(quote=quote, location=changed.location, product_version=catalog["gig"], term_months=12)

    quote.refresh_from_db()
    assert elsewhere.location_id != changed.location_id
    assert quote.mrr_today_amount == D("200.00")  # both services at the site, not the one elsewhere
    assert (quote.mrr_before_amount, quote.mrr_amount) == (D("100.00"), D("250.00"))
    assert quote.mrr_after_amount == D("350.00")  # 200.00 - 100.00 + 150.00 + 100.00
