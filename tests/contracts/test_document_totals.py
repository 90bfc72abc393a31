"""The quote document's totals: monthly recurring today counts every service the customer pays
for at the quote's sites, monthly after = today - the changed services + the lines, and contract
value means one thing everywhere: the total over the term, with the change against today beside
it for change lines."""

import re
from decimal import Decimal

import pytest

from headend.contracts import documents, services
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote
from tests.contracts.conftest import pdf_text, read
from tests.factories import make_account, make_change_catalog, make_live_service, make_location, make_quote

pytestmark = pytest.mark.django_db


def totals(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-total="([a-z-]+)">([^<]+)<', html))


@pytest.fixture
def change_quote():
    """At one site: a service upgraded (100.00 -> 150.00) and one left as it is (100.00); a new
    100.00 line there too; elsewhere a service the quote does not touch (150.00)."""
    catalog = make_change_catalog()
    account = make_account()
    upgraded = make_live_service(account, catalog["gig"])
    kept = make_live_service(account, catalog["gig"])
    kept.location = upgraded.location
    kept.save(update_fields=["location"])
    make_live_service(account, catalog["two_gig"])
    quote = make_quote(account=account, lines=0)
    quoting_services.quote_line_change(
        quote=quote, service=upgraded, action="upgrade", product_version=catalog["two_gig"]
    )
    quoting_services.quote_line_add(
        quote=quote, location=upgraded.location, product_version=catalog["gig"], term_months=12
    )
    quote.refresh_from_db()
    return quote


def render(quote: Quote) -> str:
    quote = Quote.objects.select_related("account", "created_by").get(pk=quote.pk)
    return documents.render_html(documents.context(quote=quote, lines=documents.lines_of(quote), terms=None))


def test_monthly_today_counts_every_service_at_the_sites_and_after_follows(change_quote):
    shown = totals(render(change_quote))

    assert shown["mrr-today"] == "$200.00"  # both services at the site, not the one elsewhere
    assert shown["mrr-after"] == "$350.00"  # 200.00 - 100.00 + 150.00 + 100.00
    assert shown["mrr-change"] == "+$150.00"
    assert shown["mrr"] == "$250.00"


def test_contract_value_is_the_total_over_the_term_with_the_change_beside_it(change_quote):
    html = render(change_quote)

    shown = totals(html)
    assert shown["tcv"] == "$3,000.00"  # 150.00 x 12 + 100.00 x 12
    assert shown["tcv-change"] == "+$1,800.00"  # (150.00 - 100.00) x 12 + 100.00 x 12
    upgrade = change_quote.lines.get(action="upgrade")
    assert (upgrade.contract_value_amount, upgrade.contract_value_change_amount) == (
        Decimal("1800.00"),
        Decimal("600.00"),
    )
    assert f'data-line-change="{upgrade.position}">+$600.00 vs today<' in html


def test_a_new_services_quote_at_a_new_site_shows_no_today(change_quote):
    quote = make_quote(account=make_account(), lines=0)
    quoting_services.quote_line_add(
        quote=quote,
        location=make_location(quote.account),
        product_version=change_quote.lines.get(action="add").product_version,
        term_months=12,
    )

    shown = totals(render(quote))

    assert set(shown) == {"mrr", "one-time", "tcv"}
    assert (shown["mrr"], shown["tcv"]) == ("$100.00", "$1,200.00")


def test_a_quote_priced_before_today_was_kept_counts_the_changed_services(change_quote):
    Quote.objects.filter(pk=change_quote.pk).update(mrr_today_amount=None)

    shown = totals(render(change_quote))

    assert (shown["mrr-today"], shown["mrr-after"]) == ("$100.00", "$250.00")


def test_the_pdf_carries_the_same_totals(change_quote):
    text = pdf_text(read(services.quote_document_render(quote=change_quote)))

    assert "Monthly recurring today, every service at these sites $200.00" in text
    assert "Monthly recurring after this quote $350.00" in text
    assert "Total contract value $3,000.00" in text
    assert "+$600.00 vs today" in text
