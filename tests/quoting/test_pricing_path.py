"""One pricing path: every quote line, whatever made it, is priced by the engine (term prices,
volume tiers, line and quote discounts, promotions, floors), and the totals are sums of lines."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services as catalog_services
from headend.core.errors import Conflict, ValidationError
from headend.orders.models import Order
from headend.quoting import services
from headend.quoting.models import Quote
from tests.factories import make_account, make_half_price_promotion, make_location, make_product

pytestmark = pytest.mark.django_db

D = Decimal
VOICE_PRICES = {0: ("25.00", "25.00"), 12: ("20.00", "10.00")}
VOICE_TIERS = {12: [(1, 4, "20.00"), (5, 9, "18.00"), (10, None, "15.00")]}


def voice():
    return make_product(kind="voice", prices=VOICE_PRICES, tiers=VOICE_TIERS)


def add(quote, version, *, term=12, quantity=1, location=None):
    return services.quote_line_add(
        quote=quote,
        location=location or make_location(quote.account),
        product_version=version,
        term_months=term,
        quantity=quantity,
    )


def half_off(version, **overrides):
    return make_half_price_promotion(version.product, **overrides)


def totals_are_sums(quote: Quote) -> None:
    quote.refresh_from_db()
    lines = list(quote.lines.all())
    assert quote.mrr_amount == sum((line.mrc_amount for line in lines), D("0.00"))
    assert quote.contract_value_amount == sum((line.contract_value_amount for line in lines), D("0.00"))
    assert quote.one_time_amount == sum((line.nrc_amount + line.etf_amount for line in lines), D("0.00"))


# --- Tiers ------------------------------------------------------------------------------------


def test_a_new_line_takes_the_volume_tier_of_its_whole_quantity():
    quote = services.quote_create(account=make_account())

    line = add(quote, voice(), quantity=12)

    assert (line.mrc_unit_amount, line.mrc_amount, line.nrc_amount) == (D("15.00"), D("180.00"), D("120.00"))
    assert line.contract_value_amount == D("2280.00")  # 180 x 12 + 120
    totals_are_sums(quote)


def test_a_tiered_line_keeps_its_tier_price_through_edit_zero_discount_revision_and_accept():
    quote = services.quote_create(account=make_account())
    line = add(quote, voice(), quantity=12)

    line = services.quote_line_discount(line=line, percent="10")
    assert line.mrc_amount == D("162.00")
    line = services.quote_line_discount(line=line, percent="0")
    assert (line.mrc_unit_amount, line.mrc_amount) == (D("15.00"), D("180.00"))
    [line] = services.quote_lines_update(quote=quote, line_ids=[line.pk], term_months=0)
    assert line.mrc_amount == D("300.00")  # no tiers month-to-month: 12 x 25
    [line] = services.quote_lines_update(quote=quote, line_ids=[line.pk], term_months=12, discount_percent="0")
    assert line.mrc_amount == D("180.00")

    services.quote_present(quote=quote)
    revision = services.quote_revise(quote=quote)
    [copy] = revision.lines.all()
    assert (copy.mrc_unit_amount, copy.mrc_amount) == (D("15.00"), D("180.00"))
    services.quote_present(quote=revision)
    services.quote_accept(quote=revision, accepted_by_name="Pat Customer")

    order_line = Order.objects.get(quote=revision).lines.get()
    assert (order_line.mrc_amount, order_line.quantity) == (D("180.00"), 12)


def test_a_csv_site_import_prices_with_the_tiers():
    version = voice()
    quote = services.quote_create(account=make_account())
    csv = (
        f'site_name,address,product,term,quantity\nPier,"12 Water St, Eastport, ME 04631",{version.product.code},12,6\n'
    ).encode()

    rows = services.quote_sites_import(quote=quote, data=csv)

    assert all(row.valid for row in rows), [row.errors for row in rows]
    assert quote.lines.get().mrc_amount == D("108.00")  # 6 x 18


# --- Promotions -------------------------------------------------------------------------------


def test_a_new_line_takes_the_catalogs_promotion_and_counts_its_months():
    version = make_product(prices={12: ("100.00", "99.00")})
    promotion = half_off(version)
    quote = services.quote_create(account=make_account())

    line = add(quote, version)

    assert (line.promotion, line.promo_mrc_amount, line.promo_months) == (promotion, D("50.00"), 3)
    assert (line.mrc_amount, line.nrc_amount) == (D("100.00"), D("0.00"))  # installation waived
    assert line.contract_value_amount == D("1050.00")  # 3 x 50 + 9 x 100
    totals_are_sums(quote)


def test_the_best_promotion_on_sale_that_day_and_term_is_taken():
    version = make_product(prices={12: ("100.00", "0.00"), 24: ("90.00", "0.00")})
    half_off(version, waives_installation=False)
    better = half_off(version, code="free-6", name="Free for 6 months", mrc_off_value="100", mrc_off_months=6)
    half_off(
        version, code="later", name="Later", valid_from=dt.date(2026, 6, 1), mrc_off_value="100", mrc_off_months=12
    )
    half_off(version, code="two-years", name="Two years only", terms=[24], mrc_off_value="100", mrc_off_months=12)
    quote = services.quote_create(account=make_account())

    line = add(quote, version)

    assert (line.promotion, line.promo_mrc_amount, line.promo_months) == (better, D("0.00"), 6)


def test_without_a_promotion_a_line_has_none():
    quote = services.quote_create(account=make_account())

    line = add(quote, make_product())

    assert (line.promotion, line.promo_mrc_amount, line.promo_months) == (None, None, 0)


def test_a_promotion_stays_on_the_quote_through_a_discount_and_a_revision_after_it_ends():
    version = make_product(prices={12: ("100.00", "0.00")})
    promotion = half_off(version, valid_to=dt.date(2026, 3, 2))
    quote = services.quote_create(account=make_account())
    line = add(quote, version)
    line = services.quote_line_discount(line=line, percent="10")
    assert (line.mrc_amount, line.promo_mrc_amount) == (D("90.00"), D("45.00"))
    services.quote_present(quote=quote)
    catalog_services.promotion_end(promotion=promotion, on=dt.date(2026, 3, 2))

    from headend.core import clock

    with clock.frozen(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)):
        revision = services.quote_revise(quote=quote)

    copy = revision.lines.get()
    assert (copy.promotion, copy.promo_mrc_amount, copy.promo_months) == (promotion, D("45.00"), 3)


def test_a_promotion_is_carried_to_the_order_line():
    version = make_product(prices={12: ("100.00", "99.00")})
    promotion = half_off(version)
    quote = services.quote_create(account=make_account())
    add(quote, version)
    services.quote_present(quote=quote)

    services.quote_accept(quote=quote, accepted_by_name="Pat Customer")

    order_line = Order.objects.get(quote=quote).lines.get()
    assert (order_line.promotion, order_line.promo_mrc_amount, order_line.promo_months) == (promotion, D("50.00"), 3)
    assert (order_line.mrc_amount, order_line.nrc_amount) == (D("100.00"), D("0.00"))


# --- The quote discount -----------------------------------------------------------------------


def test_the_quote_discount_is_spread_over_the_lines_and_totals_stay_sums_of_rounded_lines():
    version = make_product(prices={12: ("33.33", "0.00")})
    quote = services.quote_create(account=make_account())
    for _ in range(3):
        add(quote, version)

    quote = services.quote_discount_set(quote=quote, percent="10")

    shares = sorted(quote.lines.values_list("quote_discount_amount", flat=True))
    assert shares == [D("3.33"), D("3.33"), D("3.34")]  # 10% of 99.99 = 10.00
    assert quote.discount_percent == D("10.00")
    assert quote.mrr_amount == D("89.99")
    totals_are_sums(quote)


def test_the_quote_discount_follows_lines_added_and_removed_and_comes_off_at_zero():
    version = make_product(prices={12: ("100.00", "0.00")})
    quote = services.quote_create(account=make_account())
    first = add(quote, version)
    services.quote_discount_set(quote=quote, percent="10")

    second = add(quote, version)
    quote.refresh_from_db()
    assert quote.mrr_amount == D("180.00")
    services.quote_line_remove(line=second)
    quote.refresh_from_db()
    assert quote.mrr_amount == D("90.00")

    services.quote_discount_set(quote=quote, percent="0")
    first.refresh_from_db()
    assert (first.mrc_amount, first.quote_discount_amount) == (D("100.00"), D("0.00"))
    totals_are_sums(quote)


def test_the_quote_discount_is_copied_to_a_revision_and_the_approvals_see_it():
    version = make_product(prices={12: ("100.00", "0.00")})
    quote = services.quote_create(account=make_account())
    add(quote, version)
    quote = services.quote_discount_set(quote=quote, percent="15")
    assert services.quote_facts(quote).quote_discount_percent == D("15.00")
    assert services.quote_facts(quote).max_line_discount_percent == D("15.00")
    services.quote_present(quote=quote)

    revision = services.quote_revise(quote=quote)

    assert (revision.discount_percent, revision.mrr_amount) == (D("15.00"), D("85.00"))


@pytest.mark.parametrize("percent", ["-1", "100.5", "ten"])
def test_a_bad_quote_discount_is_refused_and_nothing_is_written(percent):
    quote = services.quote_create(account=make_account())
    add(quote, make_product())

    with pytest.raises(ValidationError) as refused:
        services.quote_discount_set(quote=quote, percent=percent)

    assert refused.value.field == "discount_percent"
    quote.refresh_from_db()
    assert quote.discount_percent == D("0")


def test_only_a_draft_takes_a_quote_discount():
    quote = services.quote_create(account=make_account())
    add(quote, make_product())
    services.quote_present(quote=quote)

    with pytest.raises(Conflict):
        services.quote_discount_set(quote=quote, percent="5")


# --- The quote page ---------------------------------------------------------------------------


def test_the_quote_page_sets_the_quote_discount_and_shows_the_promotion(client):
    from django.urls import reverse

    from tests.factories import make_user

    version = make_product(prices={12: ("100.00", "0.00")})
    half_off(version)
    quote = services.quote_create(account=make_account())
    add(quote, version)
    client.force_login(make_user("sales"))

    response = client.post(reverse("quoting:quote_discount", args=[quote.pk]), {"discount_percent": "10"})

    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.discount_percent, quote.mrr_amount) == (D("10.00"), D("90.00"))
    page = client.get(quote.get_absolute_url()).content.decode()
    assert "Half price for 3 months: $45.00/mo for the first 3 months" in page
    assert 'id="quote-discount"' in page


@pytest.mark.parametrize("role", ["support", "provisioning"])
def test_only_sales_set_a_quote_discount(client, role):
    from django.urls import reverse

    from tests.factories import make_user

    quote = services.quote_create(account=make_account())
    add(quote, make_product())
    client.force_login(make_user(role))

    response = client.post(reverse("quoting:quote_discount", args=[quote.pk]), {"discount_percent": "10"})

    assert response.status_code == 403
    quote.refresh_from_db()
    assert quote.discount_percent == D("0")
