"""The portal's home page: the customer's services, open orders with forecast and visit, quotes
waiting, balance and next invoice, an overdue notice; never another account's records."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.billing import views as billing_views
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Technician, WorkOrder
from headend.orders.models import Order
from headend.quoting.models import Quote
from tests.conftest import relay_and_run_tasks
from tests.factories import make_billing_account, make_live_service, make_overdue, make_product, make_quote, make_user
from tests.module_records import fresh, kept_for_the_module
from tests.portal.conftest import make_portal_login, portal_client

pytestmark = pytest.mark.django_db


def live_service(account, code: str, monthly: str):
    version = make_product(code=code, tasks=[TaskSpec("Install")], prices={12: (monthly, "0.00")})
    return make_live_service(account, version)


def order_with_visit(account):
    """An accepted quote whose install is booked with the customer: an open order."""
    version = make_product(tasks=[TaskSpec("Install", needs_appointment=True)])
    order = Order.objects.get(quote=make_quote(account=account, version=version, status="accepted"))
    Technician.objects.create(user=make_user("provisioning"))
    task = order.lines.get().work_order.tasks.get()
    slot = fulfillment_selectors.appointment_slots(task=task)[0]
    return order, fulfillment_services.appointment_book(task=task, start=slot.start, booked_by=None)


@pytest.fixture(scope="module")
def shared_filled(django_db_setup, django_db_blocker):
    """Built once for the module's tests on a worker (tests/module_records.py)."""
    with kept_for_the_module(django_db_blocker):
        yield fill(make_portal_login(), make_portal_login())


@pytest.fixture
def filled(shared_filled):
    """The customer's account with a live service, an open order with a visit, a quote waiting
    and one past its last day, and an overdue invoice; the other account with its own. Each
    login's portal client is `customer` and `other_customer`."""
    records = fresh(shared_filled)
    return {
        **records,
        "customer": portal_client(records["login"]),
        "other_customer": portal_client(records["other_login"]),
    }


def fill(customer_login, other_login) -> dict:
    account = customer_login.account
    payer = make_billing_account(account)
    service = live_service(account, "fiber-home-300", "65.00")
    order, visit = order_with_visit(account)
    waiting = make_quote(account=account, status="presented")
    lapsed = make_quote(account=account, status="presented")
    Quote.objects.filter(pk=lapsed.pk).update(valid_until=clock.today() - dt.timedelta(days=1))
    make_overdue(account, "80.00", days=10)
    other = other_login.account
    make_billing_account(other)
    live_service(other, "rival-gig", "999.00")
    theirs = make_quote(account=other, status="presented")
    make_overdue(other, "444.00", days=40)
    relay_and_run_tasks()  # billing follows the services' turn-up: their charges
    return {
        "login": customer_login,
        "other_login": other_login,
        "payer": payer,
        "service": service,
        "order": order,
        "visit": visit,
        "waiting": waiting,
        "lapsed": lapsed,
        "theirs": theirs,
    }


def local(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(clock.provider_zone())


def test_dashboard_shows_the_customers_services_orders_quotes_and_bills(filled):
    html = filled["customer"].get(reverse("portal:dashboard")).content.decode()

    service = filled["service"]
    assert service.product_version.product.name in html
    assert reverse("portal:service", args=[service.pk]) in html
    assert "$65.00 a month" in html
    assert "Active" in html
    assert "No known outage" in html
    work_order = WorkOrder.objects.get(order_line__order=filled["order"])
    assert f"Order {filled['order'].number}" in html
    assert f"Ready by {local(work_order.forecast_finish):%a %b %-d, %Y}" in html
    assert f"Visit booked: {local(filled['visit'].start):%a %b %-d, %-I:%M %p}" in html
    assert f"Quote {filled['waiting'].number}" in html
    assert filled["lapsed"].number not in html
    assert "A bill is overdue:</strong> $80.00, 10 days late." in html
    next_total = billing_views.preview(filled["payer"]).total
    assert next_total > Decimal("0")
    assert f'<div class="figure">{"$"}{next_total:,.2f}</div>' in html
    assert '<div class="label">Balance</div><div class="figure">$80.00</div>' in html


def test_dashboard_never_shows_another_accounts_records(filled):
    html = filled["customer"].get(reverse("portal:dashboard")).content.decode()

    assert "rival-gig" not in html
    assert "999.00" not in html
    assert filled["theirs"].number not in html
    assert "444.00" not in html


def test_the_other_customer_sees_only_theirs(filled):
    html = filled["other_customer"].get(reverse("portal:dashboard")).content.decode()

    assert "$999.00 a month" in html
    assert filled["service"].product_version.product.name not in html
    assert filled["waiting"].number not in html
    assert "$444.00" in html


def test_a_technical_login_sees_services_but_no_money_owed(filled):
    technical = make_portal_login(filled["login"].account, role="technical")

    html = portal_client(technical).get(reverse("portal:dashboard")).content.decode()

    assert filled["service"].product_version.product.name in html
    assert "Your bills" not in html
    assert "$80.00" not in html


def test_a_billing_login_sees_the_bills(filled):
    billing = make_portal_login(filled["login"].account, role="billing")

    html = portal_client(billing).get(reverse("portal:dashboard")).content.decode()

    assert "Your bills" in html
    assert "A bill is overdue:</strong> $80.00" in html


def test_an_empty_account_gets_a_plain_dashboard(customer):
    html = customer.get(reverse("portal:dashboard")).content.decode()

    assert "No services yet." in html
    assert "Orders under way" not in html
    assert "A bill is overdue" not in html
    assert '<div class="label">Balance</div><div class="figure">$0.00</div>' in html
