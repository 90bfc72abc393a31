"""Residential sales in a minute: one person, one address with coverage, one plan, signed online."""

import datetime as dt
import re

import h3
import pytest
from django.core import mail
from playwright.sync_api import expect

from headend.contracts.models import TermsVersion
from headend.network import services as network_services
from headend.orders.models import Order
from headend.quoting.models import Quote
from tests.contracts.conftest import link_from_outbox
from tests.factories import make_product, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAT, LNG = 44.7151, -67.4614  # Machias, Maine


def choose(page, label, text):
    select = page.get_by_label(label)
    select.select_option(value=select.locator("option", has_text=text).get_attribute("value"))


def test_a_resident_is_signed_up_at_one_address_and_signs_online(page, live_server):
    TermsVersion.objects.get_or_create(
        label="Standard terms v1", defaults={"effective_date": dt.date(2024, 1, 1), "body": "1. Service."}
    )
    network_services.coverage_area_create(
        name="Machias FTTH",
        technology="fiber",
        max_down_mbps=1000,
        max_up_mbps=1000,
        created_by=None,
        cells=h3.latlng_to_cell(LAT, LNG, 8),
    )
    make_product(
        customer_type="residential",
        code="home-1g",
        download_mbps=1000,
        upload_mbps=1000,
        prices={0: ("75.00", "99.00"), 12: ("70.00", "0.00")},
    )
    make_product(customer_type="residential", code="home-2g", download_mbps=2000, upload_mbps=2000)
    make_user("sales", username="sam", first_name="Sam")

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="New account").click()
    page.get_by_role("radio", name="Residential").check()
    page.get_by_label("First name (residential)").fill("Grace")
    page.get_by_label("Last name (residential)").fill("Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="+ add").nth(1).click()
    page.get_by_label("Street address").fill("18 Elm Street")
    page.get_by_label("City").fill("Machias")
    page.get_by_label("ZIP code").fill("04654")
    page.get_by_label("Latitude").fill(str(LAT))
    page.get_by_label("Longitude").fill(str(LNG))
    page.get_by_role("button", name="Add location").click()

    # The location page says what can be sold there, and why not the 2 Gig.
    page.get_by_role("link", name="Service address").click()
    panel = page.locator("section.serviceability")
    expect(panel.get_by_test_id("reach-words")).to_contain_text("On our network")
    expect(panel.locator("table").first).to_contain_text("Fiber")
    page.get_by_role("link", name="Grace Hopper").click()

    page.get_by_role("button", name="New quote").click()
    page.get_by_role("button", name="Create quote").click()
    choose(page, "Location", "18 ELM ST")
    choose(page, "Product", "1 Gbps")
    page.locator("#id_term_months").select_option(label="12 months")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_test_id("quote-mrr")).to_have_text("$70.00")
    choose(page, "Product", "2 Gbps")
    page.get_by_role("button", name="Add line").click()
    expect(page.locator("#lines .error").first).to_contain_text("1000 Mbps")  # refused: the location has 1000 Mbps
    expect(page.get_by_test_id("quote-mrr")).to_have_text("$70.00")
    page.get_by_test_id("preview-and-present").click()
    page.get_by_role("link", name="Choose recipients and send →").click()
    expect(page.get_by_label(re.compile("Account holder"))).to_be_checked()  # Grace herself
    page.get_by_test_id("send-quote").click()
    expect(page.get_by_test_id("signing-links")).to_contain_text("grace@example.com")

    quote = Quote.objects.get(account__name="Grace Hopper")
    assert quote.status == "presented"
    assert mail.outbox, "presenting emails the signing link"
    page.goto(live_server.url + link_from_outbox())
    form = page.locator("form", has=page.get_by_role("button", name="Accept and sign"))
    form.get_by_label("Your full name").fill("Grace Hopper")
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Accept and sign").click()

    expect(page.get_by_role("heading", name="Thank you, Grace Hopper")).to_be_visible()
    assert Order.objects.filter(quote=quote).count() == 1
    assert Quote.objects.get(pk=quote.pk).status == "accepted"
