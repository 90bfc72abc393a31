"""Acceptance walks of the portal sign-up in Chromium: a resident at a covered address on a phone
(390 px) orders the zero-touch Fiber 300 after reading its broadband label, and a small business
orders a plan with an installation visit. Nothing is typed by staff; the worker turns the
zero-touch service up."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from headend.catalog.models import ProductVersion
from headend.fulfillment.models import Appointment, Technician
from headend.inventory.models import Service
from headend.portal.models import PortalLogin
from headend.quoting.models import Quote
from tests.factories import make_user
from tests.portal.test_signup import LAT, LNG, WITH_VISIT, coverage, plan, terms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def label(version: ProductVersion, **facts) -> None:
    values = {
        "typical_download_mbps": 310,
        "typical_upload_mbps": 305,
        "typical_latency_ms": 9,
        "data_policy": "Unlimited data: no cap, no overage charge.",
        "fcc_label_id": "F0031415926RESFIBER300V1",
        **facts,
    }
    ProductVersion.objects.filter(pk=version.pk).update(**values)


def fits_the_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def address(page: Page, live_server, kind: str) -> None:
    page.goto(f"{live_server.url}/portal/signup/")
    page.get_by_role("radio", name=kind).check()
    page.get_by_label("Street address").fill("18 Elm Street")
    page.get_by_label("City").fill("Machias")
    page.get_by_label("State").fill("ME")
    page.get_by_label("ZIP code").fill("04654")
    page.get_by_text("Map position (optional)").click()
    page.get_by_label("Latitude").fill(LAT)
    page.get_by_label("Longitude").fill(LNG)
    page.get_by_label("Longitude").press("Enter")  # the keyboard submits the form


def test_a_resident_signs_up_on_a_phone_and_fiber_300_goes_live(page: Page, live_server, run_worker):
    coverage()
    terms()
    fiber300 = plan("res-fiber-300", "Fiber 300")
    label(fiber300)
    page.set_viewport_size(PHONE)

    address(page, live_server, "Home")

    expect(page.get_by_role("heading", name="Plans at your address")).to_be_visible()
    expect(page.get_by_text("18 ELM ST, MACHIAS, ME 04654")).to_be_visible()
    assert fits_the_width(page)
    page.get_by_text("Broadband facts", exact=True).click()
    facts = page.locator(".plan-facts .broadband-label")
    expect(facts).to_contain_text("Typical download speed")
    expect(facts).to_contain_text("310 Mbps")
    expect(facts).to_contain_text("F0031415926RESFIBER300V1")
    assert fits_the_width(page)  # the label too
    page.get_by_role("link", name="Broadband facts for Fiber 300 (page)").click()
    expect(page.get_by_role("heading", name="Fiber 300")).to_be_visible()
    expect(page.locator(".broadband-label")).to_contain_text("9 ms")
    assert fits_the_width(page)
    page.go_back()
    page.get_by_label(re.compile(r"12 months: \$50\.00/month")).check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Add to Fiber 300")).to_be_visible()
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Phone").fill("(207) 555-0134")
    page.get_by_label("Choose a password").fill("wide-harbor-47")
    assert fits_the_width(page)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Our terms")).to_be_visible()
    expect(page.get_by_label("Your full name")).to_have_value("Grace Hopper")
    page.get_by_role("link", name="Back").click()  # Back keeps what was typed
    expect(page.get_by_label("Email")).to_have_value("grace@example.com")
    page.get_by_label("Choose a password").fill("wide-harbor-47")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Accept and continue").click()

    expect(page.get_by_role("heading", name="Check and confirm")).to_be_visible()
    expect(page.get_by_text("Billing will send your first invoice by email.")).to_be_visible()
    assert fits_the_width(page)
    page.get_by_role("button", name="Place my order").click()

    expect(page.get_by_role("heading", name="Thank you, Grace")).to_be_visible()
    expect(page.get_by_text("We sent a link to grace@example.com")).to_be_visible()
    expect(page.get_by_text("No visit is needed")).to_be_visible()
    assert fits_the_width(page)
    login = PortalLogin.objects.get(email="grace@example.com")
    quote = Quote.objects.get(account=login.account)
    assert (quote.status, quote.accepted_by_name) == ("accepted", "Grace Hopper")
    sent = {message.subject: message.to for message in mail.outbox}
    assert sent["Headend Fiber: confirm your email"] == ["grace@example.com"]
    for _ in range(5):
        run_worker()
    service = Service.objects.get(account=login.account)
    assert (service.status, service.product_version_id) == ("active", fiber300.pk)
    # TODO(#15): assert the dashboard shows the service active once the dashboard page lands.


def test_a_small_business_signs_up_and_books_the_installation(page: Page, live_server):
    coverage()
    terms()
    dia = plan(
        "biz-dia-1g",
        "Dedicated Internet 1 Gbps",
        customer_type="business",
        speed=1000,
        tasks=WITH_VISIT,
        prices={12: ("650.00", "1500.00"), 36: ("475.00", "0.00")},
    )
    label(dia, fcc_label_id="F0031415926BIZDIA1GV1", typical_download_mbps=990, typical_upload_mbps=990)
    Technician.objects.create(user=make_user("provisioning", first_name="Ines", last_name="Ortiz"))

    address(page, live_server, "Business")

    expect(page.get_by_role("heading", name="Plans at your address")).to_be_visible()
    page.get_by_label(re.compile(r"36 months: \$475\.00/month")).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # no add-ons

    expect(page.get_by_role("heading", name="Your business")).to_be_visible()
    page.get_by_label("Company legal name").fill("Cobscook Seafood LLC")
    page.get_by_label("Tax ID (EIN)").fill("12-34567")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Email").fill("ops@cobscook.example")
    page.get_by_label("Choose a password").fill("wide-harbor-47")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("An EIN has nine digits")).to_be_visible()  # a clear message on the form
    page.get_by_label("Tax ID (EIN)").fill("12-3456789")
    page.get_by_label("Choose a password").fill("wide-harbor-47")
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Accept and continue").click()

    expect(page.get_by_role("heading", name="Book your installation")).to_be_visible()
    first = page.get_by_role("radio").first
    when = first.evaluate("radio => radio.labels[0].textContent.trim()")
    first.check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text(when)).to_be_visible()
    page.get_by_role("button", name="Place my order").click()

    expect(page.get_by_role("heading", name="Thank you, Ada")).to_be_visible()
    expect(page.get_by_test_id("appointment")).to_have_text(when)
    login = PortalLogin.objects.get(email="ops@cobscook.example")
    account = login.account
    assert (account.kind, account.legal_name, account.tax_id) == ("business", "Cobscook Seafood LLC", "12-3456789")
    appointment = Appointment.objects.get(task__work_order__service__account=account)
    assert appointment.status == "booked"
    assert Quote.objects.get(account=account).status == "accepted"
