import datetime as dt

import pytest

from headend.catalog import services as catalog_services
from headend.contracts import services
from headend.quoting import services as quoting_services
from tests.contracts.conftest import pdf_text, read
from tests.factories import make_account, make_location, make_product

pytestmark = pytest.mark.django_db


def test_the_quote_document_shows_a_lines_promotion_and_the_quote_discount():
    version = make_product(prices={12: ("100.00", "99.00")})
    catalog_services.promotion_create(
        product=version.product,
        code="half-3",
        name="Half price for 3 months",
        valid_from=dt.date(2026, 1, 1),
        mrc_off_kind="percent",
        mrc_off_value="50",
        mrc_off_months=3,
        waives_installation=True,
    )
    account = make_account()
    quote = quoting_services.quote_create(account=account)
    quoting_services.quote_line_add(
        quote=quote, location=make_location(account), product_version=version, term_months=12
    )
    quote = quoting_services.quote_discount_set(quote=quote, percent="10")

    text = pdf_text(read(services.quote_document_render(quote=quote)))

    assert "Half price for 3 months: $45.00 a month for the first 3 months; installation waived" in text
    assert "First 3 months 50% off; installation waived" in text
    assert "Includes a quote discount of 10%" in text
    assert "$945.00" in text  # contract value: 3 x 45 + 9 x 90
