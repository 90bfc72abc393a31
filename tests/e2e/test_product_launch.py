"""Issue 17's measure of a product rollout in the staff UI (never the admin): a product manager
launches Fiber 500 from a copy of Fiber 300 with a new price and a promotion, effective today,
and a sales rep quotes it the same day. The test counts the page loads and the form
submissions of the whole walk, prints them and holds them under a small ceiling."""

import re

import pytest
from playwright.sync_api import expect

from headend.catalog.models import Product
from headend.quoting.models import QuoteLine
from tests.factories import make_account, make_location, make_product, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The ceilings, what the walk takes today: 12 page loads (the product manager's 7: log-in, home,
# catalog, Fiber 300, the copy form, the draft's preview, the product after publishing; the
# rep's 5: log-in, home, the account, the new-quote form, the quote) and 6 form submissions (two
# log-ins, the copy, publish, the quote, its line). Re-pricing the preview and adding the line
# swap in place (HTMX). A change that makes the rollout longer fails here.
MAX_PAGE_LOADS = 12
MAX_SUBMISSIONS = 6


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")


def test_a_product_manager_launches_fiber_500_and_a_rep_quotes_it(page, live_server):
    fiber_300 = make_product(
        code="res-fiber-300",
        customer_type="residential",
        prices={0: ("55.00", "99.00"), 12: ("50.00", "0.00"), 24: ("45.00", "0.00")},
        download_mbps=300,
        upload_mbps=300,
        floor_mrc="36.00",
    )
    Product.objects.filter(pk=fiber_300.product_id).update(name="Fiber 300")
    account = make_account("residential", first_name="Ada", last_name="Quoddy")
    make_location(account, name="Home")
    make_user("product_manager", username="parker", first_name="Parker")
    make_user("sales", username="sam", first_name="Sam")
    loads, submissions = [], []
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    page.on("request", lambda request: submissions.append(request.url) if request.method == "POST" else None)

    # The product manager: Fiber 300's page, a copy with a new price and a promotion, publish.
    log_in(page, live_server, "parker")
    page.get_by_role("link", name="Catalog").click()
    page.get_by_role("link", name="Fiber 300").click()
    page.get_by_role("button", name="New product from a copy").click()
    page.get_by_label("Product name").fill("Fiber 500")
    page.get_by_label("Product code").fill("res-fiber-500")
    page.get_by_label("Download (Mbps)").fill("500")
    page.get_by_label("Upload (Mbps)").fill("500")
    page.get_by_label("12 months: monthly").fill("60.00")
    page.get_by_label("24 months: monthly").fill("55.00")
    page.get_by_label("Promotion name").fill("Fiber 500 launch")
    page.get_by_label("Promotion code").fill("f500-launch")
    page.get_by_label("Monthly discount").select_option("percent")
    page.get_by_label("Percent or amount off").fill("50")
    page.get_by_label("For the first (months)").fill("3")
    page.get_by_role("button", name="Create product draft").click()
    expect(page.get_by_test_id("preview-mrc")).to_have_text("$55.00")  # the first term offered: month-to-month
    page.get_by_label("Term").select_option(label="12 months")
    page.get_by_role("button", name="Price it").click()
    expect(page.get_by_test_id("preview-mrc")).to_have_text("$60.00")
    expect(page.get_by_test_id("preview-promo")).to_contain_text("$30.00 for 3 months")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash").first).to_contain_text("is published")
    page.context.clear_cookies()

    # The rep, the same day: a quote for the customer with Fiber 500 on 12 months.
    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}{account.get_absolute_url()}")
    page.get_by_role("button", name="New quote").click()
    page.get_by_label("Name").fill("Ada's upgrade")
    page.get_by_role("button", name="Create quote").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quote Q-")
    site = page.locator("select[name=location]:visible")
    site.select_option(value=site.locator("option", has_text="Home").get_attribute("value"))
    product = page.locator("select[name=product_version]:visible")
    product.select_option(value=product.locator("option", has_text="Fiber 500").get_attribute("value"))
    page.locator("select[name=term_months]:visible").select_option(label="12 months")
    page.get_by_role("button", name="Add line", exact=True).click()
    expect(page.get_by_test_id("quote-mrr")).to_have_text("$60.00")

    line = QuoteLine.objects.get(quote__account=account)
    assert (line.product_version.product.name, line.product_version.status) == ("Fiber 500", "published")
    assert line.promotion is not None
    assert line.promotion.code == "f500-launch"
    assert not re.search(r"\bv\d+\b", page.locator("#lines, table").first.inner_text())
    print(f"\nProduct launch to first quote: {len(loads)} page loads, {len(submissions)} form submissions")
    assert len(loads) <= MAX_PAGE_LOADS, loads
    assert len(submissions) <= MAX_SUBMISSIONS, submissions
