"""The dashboard in Debian's Chromium at a desk's width and a phone's (390 px): a customer with
services signs in and sees them; nothing is wider than the phone's screen. Screenshots go to
/tmp/portal-shots/ for the README."""

from pathlib import Path

import pytest
from django.urls import reverse

from headend.catalog.services import TaskSpec
from tests.factories import make_billing_account, make_live_service, make_overdue, make_product, make_quote
from tests.portal.conftest import PASSWORD, make_portal_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/portal-shots")


def customer_with_services():
    login = make_portal_login()
    account = login.account
    make_billing_account(account)
    fiber = make_product(code="fiber-300", tasks=[TaskSpec("Install")], prices={12: ("65.00", "0.00")})
    wifi = make_product(code="static-ip", tasks=[TaskSpec("Install")], prices={12: ("15.00", "0.00")})
    make_live_service(account, fiber)
    make_live_service(account, wifi)
    make_quote(account=account, status="presented")
    make_quote(account=account, status="accepted")  # an order under way
    make_overdue(account, "80.00", days=10)
    return login


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_the_dashboard_fits_the_screen(page, live_server, width, height):
    login = customer_with_services()
    page.set_viewport_size({"width": width, "height": height})

    page.goto(live_server.url + reverse("portal:login"))
    page.get_by_label("Email").fill(login.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", name="Your services").wait_for()
    assert page.get_by_role("link", name="Fiber").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dashboard-{width}.png"), full_page=True)
