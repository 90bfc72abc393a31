"""The home page by role (web/home.py): each role lands on what it acts on, a user with several
roles gets each panel in a set order, and the page reads a bounded number of queries."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.permissions import Role
from headend.crm import services as crm_services
from headend.crm.models import Contact
from headend.fulfillment.models import Appointment, Task, Technician, WorkOrder
from headend.orders.models import Order
from headend.payments.payments import payment_record
from headend.quoting.models import Quote
from headend.support import cases
from tests.conftest import FROZEN_AT
from tests.factories import (
    make_account,
    make_billing_account,
    make_live_service,
    make_location,
    make_overdue,
    make_product,
    make_quote,
    make_user,
)

pytestmark = pytest.mark.django_db

NY = dt.timezone(dt.timedelta(hours=-5))  # EST on Mon 2 March 2026; the frozen clock is 10:00 there
TODAY = dt.date(2026, 3, 2)


def local(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=NY)


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, start: str, end: str = "</section>") -> str:
    """The HTML from the element with id `start` to the next `end`."""
    at = html.index(f'id="{start}"')
    return html[at : html.index(end, at + 1)]


def stage_row(label: str, count: int, amount: str) -> str:
    """A stage of the pipeline as the page draws it: its opportunities and expected MRR."""
    return f'{label}</a></td><td class="num">{count}</td><td class="num"><div>{amount}</div>'


def panels(html: str) -> list[str]:
    return re.findall(r'<section id="([a-z-]+)" class="home-panel"', html)


# --- Data ------------------------------------------------------------------------------------------


def quote_by(seller, *, status: str = "draft", submitted: bool = False) -> Quote:
    quote = make_quote(status=status)
    Quote.objects.filter(pk=quote.pk).update(created_by=seller, submitted_at=clock.now() if submitted else None)
    quote.refresh_from_db()
    return quote


def opportunity_of(owner, stage: str, amount: str):
    return crm_services.opportunity_create(
        account=make_account(), name=f"{stage} deal", close_date=TODAY, owner=owner, amount=amount, stage=stage
    )


def work_order(**values) -> WorkOrder:
    """An order's work order (not started), its dates then set as the test needs."""
    order = Order.objects.get(quote=make_quote(status="accepted"))
    found = order.lines.get().work_order
    WorkOrder.objects.filter(pk=found.pk).update(**values)
    found.refresh_from_db()
    return found


def technician_day(user):
    """A technician's visit booked today, a task assigned for this afternoon, one for tomorrow."""
    technician = Technician.objects.create(user=user)
    account = make_account()
    location = make_location(account)
    location.access_notes = "Key at the harbour office"
    location.site_contact = Contact.objects.create(
        account=account, first_name="Lee", last_name="Harbour", phone="+12075550199", created_at=clock.now()
    )
    location.save()
    booked = work_order().tasks.order_by("position").first()
    from headend.orders.models import OrderLine

    OrderLine.objects.filter(work_order=booked.work_order).update(location=location)
    Appointment.objects.create(
        task=booked, technician=technician, start=local(2, 13), end=local(2, 15), booked_at=clock.now()
    )
    afternoon = work_order().tasks.order_by("position").first()
    Task.objects.filter(pk=afternoon.pk).update(assignee=user, status="ready", forecast_start=local(2, 16))
    tomorrow = work_order().tasks.order_by("position").first()
    Task.objects.filter(pk=tomorrow.pk).update(assignee=user, status="ready", forecast_start=local(3, 9))
    return booked, afternoon, tomorrow


def open_case(agent, **values):
    service = make_live_service(make_account(), make_product(tasks=[TaskSpec("Install")]))
    return cases.case_open(
        **{"account": service.account, "service": service, "type": "no_service", "channel": "phone"}
        | {"subject": "No light on the ONT", "by": agent}
        | values
    )


# --- Sales ---------------------------------------------------------------------------------------


def test_sales_land_on_their_quotes_waiting_and_their_pipeline(client):
    seller, other = make_user("sales"), make_user("sales")
    presented = quote_by(seller, status="presented")
    awaiting = quote_by(seller, submitted=True)
    draft = quote_by(seller)
    theirs = quote_by(other, status="presented")
    opportunity_of(seller, "proposal", "400.00")
    opportunity_of(seller, "proposal", "600.00")
    opportunity_of(seller, "negotiation", "250.00")
    opportunity_of(other, "proposal", "9000.00")

    html = home(client, seller)

    assert panels(html) == ["selling"]
    assert "Your quotes" in html
    assert presented.number in section(html, "selling", "Waiting on approval")
    assert awaiting.number in section(html, "selling", "Drafts")
    assert draft.number in section(html, "selling", "Your pipeline")
    assert theirs.number not in html
    pipeline = section(html, "selling")
    assert stage_row("Proposal", 2, "$1,000.00") in pipeline
    assert stage_row("Negotiation", 1, "$250.00") in pipeline
    assert "$9,000.00" not in pipeline


def test_a_sales_manager_gets_the_inbox_first_then_the_teams_quotes(client):
    seller, manager = make_user("sales"), make_user("sales_manager")
    presented = quote_by(seller, status="presented")
    opportunity_of(seller, "proposal", "9000.00")

    html = home(client, manager)

    assert panels(html) == ["approvals-waiting", "selling"]
    assert "Nothing waits for your approval." in html
    assert "The team&#x27;s quotes" in html or "The team's quotes" in html
    assert presented.number in html
    # Everyone's proposals: the seller's $9,000 and the presented quote's opportunity ($65 a month).
    assert stage_row("Proposal", 2, "$9,065.00") in section(html, "selling")


# --- Approvers -------------------------------------------------------------------------------------


def test_finance_sees_its_inbox_even_empty_then_the_money(client):
    html = home(client, make_user("finance"))

    assert panels(html) == ["approvals-waiting", "money"]


def test_a_role_no_rule_names_sees_no_inbox_while_nothing_waits(client):
    assert "approvals-waiting" not in panels(home(client, make_user("support")))


# --- Provisioning and technicians ------------------------------------------------------------------


def test_provisioning_lands_on_late_stuck_and_due_today(client):
    due = work_order(committed_finish=local(2, 16), forecast_finish=local(2, 14))
    late = work_order(committed_finish=local(20, 12) - dt.timedelta(days=28), forecast_finish=local(4, 12))
    stuck = work_order(committed_finish=local(27, 12), forecast_finish=local(20, 12), flagged_reason="RADIUS refused")
    fine = work_order(committed_finish=local(27, 12), forecast_finish=local(20, 12))

    html = home(client, make_user("provisioning"))

    assert panels(html) == ["delivery-work"]
    late_rows = section(html, "late", "<h3")
    stuck_rows = section(html, "stuck", "<h3")
    due_rows = section(html, "due-today")
    assert late.number in late_rows
    assert "late</small>" in late_rows
    assert stuck.number in stuck_rows
    assert "RADIUS refused" in stuck_rows
    assert due.number in due_rows
    for other in (due, stuck, fine):
        assert other.number not in late_rows
    for other in (late, due, fine):
        assert other.number not in stuck_rows
    assert fine.number not in html


def test_a_technician_sees_todays_visits_with_window_site_and_phone(client):
    user = make_user("provisioning")
    booked, afternoon, tomorrow = technician_day(user)

    html = home(client, user)

    assert panels(html)[0] == "todays-visits"
    visits = section(html, "todays-visits")
    assert visits.index(booked.work_order.number) < visits.index(afternoon.work_order.number)
    assert "13:00\N{EN DASH}15:00" in visits
    assert "booked with the customer" in visits
    assert "16:00" in visits
    assert 'href="tel:+12075550199"' in visits
    assert "Lee Harbour" in visits
    assert "Key at the harbour office" in visits
    assert tomorrow.work_order.number not in visits
    assert f'href="{reverse("fulfillment:my_work")}"' in visits


# --- Support, billing, product -------------------------------------------------------------------


def test_support_lands_on_breached_and_at_risk_cases_then_the_newest(client):
    agent = make_user("support")
    with clock.frozen(FROZEN_AT - dt.timedelta(hours=2)):
        breached = open_case(agent, priority="p2")
    fresh = open_case(agent, priority="p4")

    html = home(client, agent)

    assert panels(html) == ["support-cases"]
    urgent = section(html, "support-cases", "<h3>Newest")
    assert breached.reference in urgent
    assert fresh.reference not in urgent
    assert fresh.reference in html[html.index("<h3>Newest") :]


def test_billing_lands_on_overdue_dunning_and_todays_payments(client):
    clerk = make_user("billing")
    late_payer = make_account(legal_name="Lubec Smokehouse LLC")
    overdue = make_overdue(late_payer, "180.00", days=40)
    payer = make_billing_account(make_account("residential", first_name="Grace", last_name="Paidtoday"))
    payment_record(billing_account=payer, amount="50.00", means="cheque", recorded_by=clerk, reference="1042")

    html = home(client, clerk)

    assert panels(html) == ["money"]
    assert overdue.number in section(html, "money", "Dunning")
    assert "Lubec Smokehouse LLC" in html[html.index("<h3>Dunning") :]
    assert "$180.00" in html
    assert "Paidtoday" in html[html.index("<h3>Payments today") :]


def test_a_product_manager_lands_on_drafts_waiting_to_be_published(client):
    draft, published = make_product(publish=False), make_product()

    html = home(client, make_user("product_manager"))

    assert panels(html) == ["catalog-drafts"]
    drafts = section(html, "catalog-drafts")
    assert reverse("catalog:version_preview", args=[draft.pk]) in drafts
    assert draft.product.name in drafts
    assert published.product.name not in drafts


def test_directors_and_admins_get_the_figures(client):
    work_order(committed_finish=local(20, 12) - dt.timedelta(days=28), forecast_finish=local(4, 12))

    director = home(client, make_user("director"))
    admin = home(client, make_user("admin"))

    assert panels(director) == ["approvals-waiting", "overview"]
    assert panels(admin) == ["approvals-waiting", "overview"]
    assert re.search(r'Late work orders</div><div class="figure is-late">1 ', director)


def test_several_roles_get_each_panel_in_order(client):
    user = make_user("sales", "provisioning", "billing", "product_manager", "support", "sales_manager")

    assert panels(home(client, user)) == [
        "approvals-waiting",
        "delivery-work",
        "support-cases",
        "selling",
        "money",
        "catalog-drafts",
    ]


# --- Queries ---------------------------------------------------------------------------------------

# The most queries each role's home page reads (session, user, roles and the sidebar included),
# a few above today's: a list longer than its rows adds its count.
MAX_QUERIES = {
    Role.SALES: 14,
    Role.SALES_MANAGER: 14,
    Role.PROVISIONING: 20,
    Role.SUPPORT: 17,
    Role.BILLING: 26,
    Role.FINANCE: 25,
    Role.DIRECTOR: 16,
    Role.PRODUCT_MANAGER: 12,
    Role.INTEGRATION: 16,
    Role.ADMIN: 17,
}


def busy_day(user, n: int) -> None:
    """`n` of everything each panel lists."""
    agent = make_user("support")
    for _ in range(n):
        quote_by(user, status="presented")
        quote_by(user, submitted=True)
        quote_by(user)
        opportunity_of(user, "proposal", "100.00")
        work_order(committed_finish=local(2, 16), forecast_finish=local(4, 12), flagged_reason="Failed")
        open_case(agent, priority="p2")
        make_overdue(make_account(), "75.00", days=40)
        make_product(publish=False)


@pytest.mark.parametrize("role", list(Role))
def test_each_roles_home_reads_a_bounded_number_of_queries(client, role, django_assert_max_num_queries):
    user = make_user(role)
    busy_day(user, 2)
    client.force_login(user)
    client.get(reverse("home"))  # the first read writes the default dunning policies

    with django_assert_max_num_queries(MAX_QUERIES[role]):
        assert client.get(reverse("home")).status_code == 200


def test_the_queries_do_not_grow_with_the_rows(client):
    user = make_user("sales", "provisioning", "billing", "product_manager", "support", "finance")
    technician_day(user)
    client.force_login(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    busy_day(user, 1)
    queries()  # the first read writes the default dunning policies
    few = queries()
    busy_day(user, 4)

    assert queries() == few


def test_amounts_are_summed_per_stage_as_decimals():
    from headend.web.home import _pipeline

    seller = make_user("sales")
    opportunity_of(seller, "proposal", "0.10")
    opportunity_of(seller, "proposal", "0.20")

    from headend.crm.models import Opportunity

    stages = {stage.value: stage for stage in _pipeline(Opportunity.objects.filter(owner=seller))}
    assert stages["proposal"].amounts == [(Decimal("0.30"), "USD")]
    assert stages["prospecting"].count == 0
