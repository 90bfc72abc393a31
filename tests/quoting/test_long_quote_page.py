"""The quote page of a long quote (issue 10): its lines come a page at a time, each site's lines
together, while the totals stay those of the whole quote and the line forms keep working."""

import re

import pytest
from django.urls import reverse

from headend.quoting.models import QuoteLine
from tests.factories import make_location, make_long_quote, make_user

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales"))
    return client


def positions(html: str) -> list[int]:
    """The line numbers listed, in order (the select-line checkboxes carry them)."""
    return [int(n) for n in re.findall(r'aria-label="Select line (\d+)"', html)]


def test_quote_detail_of_a_10000_line_quote_is_under_1_mb_with_the_whole_quote_totals(sales_client):
    quote = make_long_quote(10_000)

    response = sales_client.get(quote.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) <= MB
    assert positions(html) == list(range(1, 101))
    assert "Lines 1\u2013100 of 10000" in html
    assert "$4,750,000.00" in html  # the whole quote's MRR: 10,000 x 475.00
    assert "$171,000,000.00" in html  # and its contract value


def test_quote_detail_next_page_over_htmx_is_the_lines_partial(sales_client):
    quote = make_long_quote(250)

    response = sales_client.get(f"{quote.get_absolute_url()}?page=3", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="lines">')
    assert positions(html) == list(range(201, 251))
    assert "Lines 201\u2013250 of 250" in html
    assert 'hx-get="?page=2"' in html


def test_quote_detail_filter_over_htmx_finds_a_site_on_any_page_and_swaps_only_the_lines(sales_client):
    quote = make_long_quote(250)

    response = sales_client.get(quote.get_absolute_url(), {"q": "Site 237"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="lines">')
    assert positions(html) == [237]


def test_quote_detail_pages_keep_a_sites_lines_together(sales_client):
    quote = make_long_quote(150)
    first_site = QuoteLine.objects.get(quote=quote, position=1).location
    QuoteLine.objects.filter(quote=quote, position=150).update(location=first_site)

    first = sales_client.get(quote.get_absolute_url()).content.decode()
    second = sales_client.get(quote.get_absolute_url(), {"page": 2}).content.decode()

    assert positions(first) == [1, 150, *range(2, 100)]
    assert positions(second) == list(range(100, 150))


def test_quote_line_remove_over_htmx_keeps_the_page_it_was_on(sales_client):
    quote = make_long_quote(250)
    line = QuoteLine.objects.get(quote=quote, position=120)

    response = sales_client.post(
        reverse("quoting:quote_line_remove", args=[quote.pk, line.pk]) + "?page=2", HTTP_HX_REQUEST="true"
    )

    listed = positions(response.content.decode())
    assert not QuoteLine.objects.filter(pk=line.pk).exists()
    assert listed[0] == 101
    assert 120 not in listed


def test_quote_line_add_on_a_long_quote_shows_the_page_of_the_new_line(sales_client):
    quote = make_long_quote(250)
    location = make_location(quote.account, name="Harbor office")
    version = QuoteLine.objects.filter(quote=quote).first().product_version

    response = sales_client.post(
        reverse("quoting:quote_line_add", args=[quote.pk]),
        {"location": location.pk, "product_version": version.pk, "term_months": 36, "quantity": 1},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert QuoteLine.objects.filter(quote=quote).count() == 251
    assert positions(html) == list(range(201, 252))
    assert "Harbor office" in html


def test_quote_line_form_of_an_account_with_thousands_of_sites_offers_the_sites_the_filter_finds(sales_client):
    quote = make_long_quote(1_000)

    unfiltered = sales_client.get(quote.get_absolute_url()).content.decode()
    filtered = sales_client.get(quote.get_absolute_url(), {"q": "Site 987"}).content.decode()

    menu = re.search(r'<select name="location".*?</select>', unfiltered, re.S)
    assert menu is not None
    assert menu.group(0).count("<option") == 201  # the blank choice and 200 sites
    assert "The menu offers 200 of the account's 1000 sites" in unfiltered
    assert re.search(r'<option value="\d+">Site 987: 987 Court St', filtered)
