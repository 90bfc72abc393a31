"""Acceptance walks of the portal sign-up in Chromium: a resident at a covered address on a phone
(390 px) orders the zero-touch Fiber 300 after reading its broadband label, confirms their email, finds it
active on the dashboard and upgrades to Fiber 1 Gig with billing's preview shown first; a small business
orders a plan with an installation visit. Nothing is typed by staff; the worker turns the
zero-touch service up."""

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from headend.catalog import services as catalog_services
from headend.catalog.models import ProductVersion
from headend.fulfillment.models import Appointment, Technician
from headend.inventory.models import Service
from headend.portal.models import PortalLogin
from headend.quoting.models import Quote
from tests.factories import make_user
from tests.portal.test_signup import LAT, LNG, WITH_VISIT, ZERO_TOUCH, coverage, plan, terms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("test-results")


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


def upgradable(version: ProductVersion, to: ProductVersion) -> None:
    """An upgrade path from `version` to `to`, done by the worker alone (the target's modify work,
    one code task)."""
    catalog_services.product_relate(product=version.product, target=to.product, kind="upgrade")
    catalog_services.template_define(product=to.product, action="modify", name="Change plan", tasks=ZERO_TOUCH)


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
    SHOTS.mkdir(parents=True, exist_ok=True)
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

    # The link the sign-up emailed lands on the dashboard (signed in), the service active.
    body = [message.body for message in mail.outbox if message.subject == "Headend Fiber: confirm your email"][-1]
    page.goto(live_server.url + re.search(r"/portal/verify/[^\s/]+/", body).group(0))
    expect(page.get_by_role("heading", name="Hello Grace")).to_be_visible()
    card = page.locator(".acct-services li", has_text="Fiber 300")
    expect(card).to_contain_text("Active")
    assert fits_the_width(page)

    # An upgrade with billing's preview shown before confirming; the service page then shows it.
    upgradable(fiber300, plan("res-fiber-1g", "Fiber 1 Gig", speed=1000, prices={12: ("80.00", "0.00")}))
    card.get_by_role("link", name="Fiber 300").click()
    page.get_by_role("button", name="Change plan").click()
    page.get_by_label(re.compile(r"Fiber 1 Gig")).check()
    page.get_by_role("button", name="Review the price").click()
    expect(page.get_by_role("heading", name="Upgrade to Fiber 1 Gig")).to_be_visible()
    expect(page.locator(".change-summary")).to_contain_text("$80.00")
    expect(page.get_by_role("heading", name=re.compile("On your next invoice"))).to_be_visible()
    expect(page.get_by_test_id("effect")).to_have_text(re.compile(r"\$\d+\.\d\d"))
    assert fits_the_width(page)
    page.screenshot(path=str(SHOTS / "change-plan-review-390.png"), full_page=True)
    page.get_by_role("button", name="Confirm and order").click()
    expect(page.get_by_text("Your change to Fiber 1 Gig: order")).to_be_visible()
    for _ in range(5):
        run_worker()
    page.goto(f"{live_server.url}/portal/services/{service.pk}/")
    expect(page.get_by_role("heading", name="Fiber 1 Gig")).to_be_visible()
    expect(page.locator(".acct-facts")).to_contain_text("$80.00")


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
