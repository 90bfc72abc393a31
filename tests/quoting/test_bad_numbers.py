"""Numbers no column holds, typed into the quote builder: a message on the page, nothing changed,
never a 500 (NaN, Infinity, 1e999999, 99999999999, a digit that is not ASCII)."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from headend.quoting.models import QuoteLine
from tests.factories import make_account, make_change_catalog, make_live_service, make_quote, make_user

pytestmark = pytest.mark.django_db

NOT_AMOUNTS = ["NaN", "Infinity", "-Infinity", "1e999999", "99999999999", "²", "12.345"]


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales"))
    return client


def errors(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request) if message.level_tag == "error"]


def prices(quote) -> list[tuple[Decimal, Decimal]]:
    return list(quote.lines.order_by("position").values_list("discount_percent", "mrc_amount"))


@pytest.mark.parametrize("value", NOT_AMOUNTS)
def test_a_line_discount_no_percent_holds_is_refused_on_the_page(sales_client, value):
    quote = make_quote(lines=1)
    line = quote.lines.get()
    before = prices(quote)

    response = sales_client.post(
        reverse("quoting:quote_line_discount", args=[quote.pk, line.pk]), {"discount_percent": value}
    )

    assert response.status_code == 302
    assert len(errors(response)) == 1
    assert prices(quote) == before


@pytest.mark.parametrize("value", NOT_AMOUNTS)
def test_a_bulk_discount_no_percent_holds_is_refused_on_the_page(sales_client, value):
    quote = make_quote(lines=2)
    before = prices(quote)

    response = sales_client.post(
        reverse("quoting:quote_lines_update", args=[quote.pk]),
        {"lines": list(quote.lines.values_list("pk", flat=True)), "discount_percent": value},
    )

    assert response.status_code == 302
    assert len(errors(response)) == 1
    assert prices(quote) == before


@pytest.mark.parametrize("value", [*NOT_AMOUNTS, "-5"])
def test_a_negotiated_price_no_column_holds_is_refused_on_the_page(sales_client, value):
    catalog = make_change_catalog()
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=0)

    response = sales_client.post(
        reverse("quoting:quote_line_change", args=[quote.pk]),
        {"service": service.pk, "action": "re_rate", "negotiated_mrc_amount": value},
    )

    assert response.status_code == 302
    assert [message.split(":")[0] for message in errors(response)] == ["negotiated_mrc_amount"]
    assert QuoteLine.objects.filter(quote=quote).count() == 0


@pytest.mark.parametrize("term", ["²"])
def test_a_re_term_in_other_than_ascii_digits_is_refused_on_the_page(sales_client, term):
    catalog = make_change_catalog()
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quote = make_quote(account=account, lines=0)

    response = sales_client.post(
        reverse("quoting:quote_line_change", args=[quote.pk]),
        {"service": service.pk, "action": "re_term", "term_months": term},
    )

    assert response.status_code == 302
    assert [message.split(":")[0] for message in errors(response)] == ["term_months"]
    assert QuoteLine.objects.filter(quote=quote).count() == 0


@pytest.mark.parametrize(("field", "value"), [("term_months", "²"), ("lines", "²")])
def test_a_bulk_term_or_line_in_other_than_ascii_digits_is_refused_on_the_page(sales_client, field, value):
    quote = make_quote(lines=2)
    posted = {"lines": list(quote.lines.values_list("pk", flat=True)), "term_months": "24"} | {field: value}

    response = sales_client.post(reverse("quoting:quote_lines_update", args=[quote.pk]), posted)

    assert response.status_code == 302
    assert len(errors(response)) == 1
    assert list(quote.lines.values_list("term_months", flat=True)) == [12, 12]
