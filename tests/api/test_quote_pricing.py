"""A catalog promotion and the quote discount in TMF648 quotes and TMF622 orders."""

from decimal import Decimal

import pytest

from headend.orders.models import Order
from headend.quoting import services as quoting_services
from tests.api.client import body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_account, make_half_price_promotion, make_location, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoted_quote():
    version = make_product(prices={12: ("100.00", "99.00")})
    make_half_price_promotion(version.product)
    account = make_account()
    quote = quoting_services.quote_create(account=account)
    quoting_services.quote_line_add(
        quote=quote, location=make_location(account), product_version=version, term_months=12
    )
    return quote


def test_a_quote_item_lists_its_promotion_and_the_quote_its_discount(sales_api, promoted_quote):
    quoting_services.quote_discount_set(quote=promoted_quote, percent="10")

    quote = body(sales_api.get(f"/quoteManagement/v4/quote/{promoted_quote.pk}"))

    assert_valid(quote, api="648", definition="Quote")
    monthly = quote["quoteItem"][0]["quoteItemPrice"][0]
    assert monthly["price"]["dutyFreeAmount"]["value"] == 90.0
    share, promotion, waiver = monthly["priceAlteration"]
    assert (share["name"], share["price"]["dutyFreeAmount"]["value"]) == ("Quote discount", 10.0)
    assert (promotion["name"], promotion["applicationDuration"]) == ("Half price for 3 months", 3)
    assert promotion["price"]["dutyFreeAmount"]["value"] == 45.0  # 90 a month -> 45 for 3 months
    assert (waiver["priceType"], Decimal(str(waiver["price"]["percentage"]))) == ("oneTime", Decimal(100))
    [discount] = quote["quoteTotalPrice"][0]["priceAlteration"]
    assert (discount["name"], Decimal(str(discount["price"]["percentage"]))) == ("Quote discount", Decimal(10))


def test_an_order_item_carries_the_promotion(sales_api, promoted_quote):
    quoting_services.quote_present(quote=promoted_quote)
    quoting_services.quote_accept(quote=promoted_quote, accepted_by_name="Pat Customer")
    order = Order.objects.get(quote=promoted_quote)

    got = body(sales_api.get(f"/productOrderingManagement/v4/productOrder/{order.pk}"))

    assert_valid(got, api="622", definition="ProductOrder")
    monthly = got["productOrderItem"][0]["itemPrice"][0]
    promotion, _waiver = monthly["priceAlteration"]
    assert (promotion["applicationDuration"], promotion["price"]["dutyFreeAmount"]["value"]) == (3, 50.0)
