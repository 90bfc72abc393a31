"""A customer signs a presented quote in a browser, from the link in the email they received."""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from headend.contracts.models import Signature, TermsVersion
from headend.orders.models import Order
from headend.quoting.models import Quote
from tests.contracts.conftest import link_from_outbox, make_offer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path("test-results")


def test_the_customer_signs_the_quote_from_the_emailed_link(page, live_server):
    # A transactional test starts without the data migration's rows: the terms come back here.
    TermsVersion.objects.get_or_create(
        label="Standard terms v1", defaults={"effective_date": dt.date(2024, 1, 1), "body": "1. Service."}
    )
    quote = make_offer()  # presenting it relays the outbox after commit: document, link, email

    page.goto(live_server.url + link_from_outbox())

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Quote {quote.number}")
    expect(page.get_by_test_id("sign-mrr")).to_have_text("$670.00")
    expect(page.get_by_role("link", name=re.compile(r"Read the full quote \(PDF"))).to_be_visible()
    form = page.locator("form", has=page.get_by_role("button", name="Accept and sign"))
    form.get_by_role("button", name="Accept and sign").click()
    expect(form.get_by_text("Type your full name.")).to_be_visible()
    form.get_by_label("Your full name").fill("Jo Boatwright")
    consent = form.get_by_label(f"I accept quote {quote.number} and the Standard terms v1.")
    consent.check()
    expect(consent).to_be_checked()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "sign-quote.png"), full_page=True)
    form.screenshot(path=str(RESULTS / "sign-quote-form.png"))
    form.get_by_role("button", name="Accept and sign").click()

    expect(page.get_by_role("heading", name="Thank you, Jo Boatwright")).to_be_visible()
    order = Order.objects.get(quote=quote)
    expect(page.get_by_test_id("sign-outcome")).to_contain_text(order.number)
    expect(page.get_by_role("link", name="Download your signed copy (PDF)")).to_be_visible()
    page.screenshot(path=str(RESULTS / "sign-quote-done.png"), full_page=True)
    quote = Quote.objects.get(pk=quote.pk)
    assert (quote.status, quote.accepted_by_name) == ("accepted", "Jo Boatwright")
    assert Signature.objects.get(quote=quote).ip_address == "127.0.0.1"
