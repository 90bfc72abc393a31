"""One customer from a new account to an active, billable service, through the staff UI."""

import re

import pytest
from playwright.sync_api import expect

from headend.inventory.models import Service
from tests.factories import make_product, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")


def select_containing(page, label, text):
    select = page.get_by_label(label)
    value = select.locator("option", has_text=text).get_attribute("value")
    select.select_option(value=value)


def test_staff_walk_from_new_account_to_active_service(page, live_server):
    make_product(
        customer_type="business", code="biz-dia-1g", prices={12: ("650.00", "1500.00"), 36: ("475.00", "0.00")}
    )
    make_user("sales", "provisioning", username="dana", first_name="Dana")
    log_in(page, live_server, "dana")

    # A new business account with two sites.
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("button", name="New account").click()
    page.get_by_label("Legal name (business)").fill("Passamaquoddy Boatworks LLC")
    page.get_by_label("Tax ID (EIN)").fill("12-3456789")
    page.get_by_label("Phone").fill("not a phone")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Not a phone number")).to_be_visible()
    page.get_by_label("Phone").fill("207 555 0188")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Passamaquoddy Boatworks LLC")).to_be_visible()
    for site, street in [("Boatyard", "40 Water Street"), ("Office", "2 Key Street")]:
        page.get_by_role("link", name="+ add").nth(1).click()
        page.get_by_label("Site name").fill(site)
        page.get_by_label("Street address").fill(street)
        page.get_by_label("City").fill("Eastport")
        page.get_by_label("ZIP code").fill("04631")
        page.get_by_role("button", name="Add location").click()
    expect(page.get_by_role("link", name="Boatyard")).to_be_visible()
    page.get_by_role("link", name="+ add").first.click()  # the contact who receives the quote
    page.get_by_label("First name").fill("Jo")
    page.get_by_label("Last name").fill("Boatwright")
    page.get_by_label("Email").fill("jo@boatworks.example")
    page.get_by_role("button", name="Add contact").click()

    # A quote with two lines; totals update in place.
    page.get_by_role("button", name="New quote").click()
    page.get_by_label("Name").fill("Boatworks fiber")
    page.get_by_role("button", name="Create quote").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quote Q-")
    select_containing(page, "Location", "Boatyard")
    page.get_by_label("Product").select_option(index=1)
    page.locator("#id_term_months").select_option(label="36 months")
    page.get_by_label("Quantity").fill("0")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_text("Quantity must be at least 1.")).to_be_visible()
    page.get_by_label("Quantity").fill("1")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_test_id("quote-mrr")).to_have_text("$475.00")
    select_containing(page, "Location", "Office")
    page.get_by_label("Product").select_option(index=1)
    page.locator("#id_term_months").select_option(label="12 months")
    page.get_by_role("button", name="Add line").click()
    expect(page.get_by_test_id("quote-mrr")).to_have_text("$1,125.00")
    expect(page.get_by_test_id("quote-tcv")).to_have_text("$26,400.00")  # 475*36 + 650*12 + 1500

    # Preview, send to the contact, then record the customer's signature: the order is created.
    page.get_by_test_id("preview-and-present").click()
    page.get_by_role("link", name="Choose recipients and send →").click()
    expect(page.get_by_label(re.compile("Jo Boatwright"))).to_be_checked()  # the primary contact
    page.get_by_test_id("send-quote").click()
    page.get_by_placeholder("Full name of the signer").fill("Jo Boatwright")
    page.get_by_role("button", name="Accept quote").click()
    expect(page.get_by_text("the order is created")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^O-\d+")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acknowledged")

    # Work each work order's checklist to the end.
    for index in range(2):
        page.get_by_role("link", name=re.compile(r"^W-\d+")).nth(index).click()
        for _ in range(3):
            # One Complete per task: it opens the task's form (checklist, notes, photos) in its row.
            row = page.locator("li[data-status=ready]").first
            row.get_by_role("button", name="Complete", exact=True).click()
            row.get_by_test_id("complete-form").get_by_role("button", name=re.compile("^Complete ")).click()
            expect(page.locator(".flash").first).to_contain_text("Done")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")
        expect(page.get_by_text("billable from")).to_be_visible()
        page.get_by_role("link", name=re.compile(r"^O-\d+")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")
    services = Service.objects.filter(account__name="Passamaquoddy Boatworks LLC")
    assert [s.status for s in services] == ["active", "active"]
    assert all(s.billable_from is not None for s in services)
    page.get_by_role("link", name=re.compile(r"^S-\d+")).first.click()
    expect(page.get_by_text("Billable from", exact=True)).to_be_visible()
    page.screenshot(path="test-results/staff-ui-service.png", full_page=True)
