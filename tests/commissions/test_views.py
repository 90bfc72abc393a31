"""The commission pages by role: a rep reads only their own statements, the overseers everyone's;
finance keeps the plans (a bad field shown on the field, nothing written) and accrues months; a
sales manager splits an opportunity from its page. Statements download as CSV attachments."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.commissions import earnings
from headend.commissions.models import AccrualRun, Deal, Earning, Plan, Split
from headend.core import clock
from headend.core.permissions import Role
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote
from tests.commissions.conftest import make_plan, make_version, noon, sell
from tests.factories import make_long_quote, make_user

pytestmark = pytest.mark.django_db

D = Decimal
JAN = dt.date(2026, 1, 1)
READERS = {Role.SALES, Role.SALES_MANAGER, Role.FINANCE, Role.DIRECTOR, Role.ADMIN}
OVERSEERS = {Role.SALES_MANAGER, Role.FINANCE, Role.DIRECTOR, Role.ADMIN}


@pytest.fixture
def booked(rep, run_worker):
    """Rita's sale booked on 5 Jan 2026 at 65.00 a month: 32.50 on booking."""
    make_plan()
    order = sell(rep=rep, version=make_version("65.00"), on=dt.date(2026, 1, 5))
    run_worker()
    return order


def statement(rep, month: dt.date = JAN, *, csv_file: bool = False) -> str:
    name = "commissions:statement_csv" if csv_file else "commissions:statement_detail"
    return reverse(name, args=[rep.pk, month.year, month.month])


@pytest.mark.parametrize("role", list(Role))
def test_the_statement_list_shows_each_role_what_it_may_see(client, booked, rep, role):
    client.force_login(make_user(role))

    response = client.get(reverse("commissions:statement_list"))

    if role not in READERS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    shown = statement(rep) in response.content.decode()
    assert shown is (role in OVERSEERS)


def test_a_rep_sees_their_own_statement_and_its_total(client, booked, rep):
    client.force_login(rep)

    response = client.get(reverse("commissions:statement_list"))
    page = client.get(statement(rep))

    assert statement(rep) in response.content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    assert "Booking" in html
    assert "$32.50" in html
    assert "50.00 % of $65.00" in html
    assert page.context["statement"].totals == {"USD": D("32.50")}


@pytest.mark.parametrize("csv_file", [False, True])
def test_another_reps_statement_is_not_found_for_a_rep(client, booked, rep, csv_file):
    client.force_login(make_user(Role.SALES))

    assert client.get(statement(rep, csv_file=csv_file)).status_code == 404


@pytest.mark.parametrize("role", sorted(OVERSEERS))
def test_overseers_read_every_reps_statement(client, booked, rep, role):
    client.force_login(make_user(role))

    assert client.get(statement(rep)).status_code == 200
    assert client.get(statement(rep, csv_file=True)).status_code == 200


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.BILLING, Role.PROVISIONING, Role.PRODUCT_MANAGER])
def test_other_roles_may_not_read_statements(client, booked, rep, role):
    client.force_login(make_user(role))

    assert client.get(statement(rep)).status_code == 403
    assert client.get(statement(rep, csv_file=True)).status_code == 403


def test_a_month_that_is_no_month_is_not_found(client, booked, rep):
    client.force_login(rep)

    assert client.get(reverse("commissions:statement_detail", args=[rep.pk, 2026, 13])).status_code == 404
    assert client.get(reverse("commissions:statement_detail", args=[rep.pk, 99999999999, 1])).status_code == 404


def test_the_statement_csv_is_an_attachment_with_each_line_and_the_total(client, booked, rep):
    client.force_login(rep)

    response = client.get(statement(rep, csv_file=True))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="commissions-{rep.username}-2026-01.csv"')
    assert response["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    service = Deal.objects.get().service
    assert rows == [
        ["Date", "Kind", "Service", "Account", "Product", "Basis", "Rate", "MRR", "Share %", "Amount", "Currency"],
        ["2026-01-05", "Booking", service.number, service.account.name, service.product_version.product.name,
         "Percent of MRR", "50.00", "65.00", "100.00", "32.50", "USD"],
        ["", "Total", "", "", "", "", "", "", "", "32.50", "USD"],
    ]  # fmt: skip


def test_a_csv_cell_that_looks_like_a_formula_is_kept_as_text(client, booked, rep):
    service = Deal.objects.get().service
    service.account.__class__.objects.filter(pk=service.account_id).update(name="=HYPERLINK(1)")
    client.force_login(rep)

    rows = list(csv.reader(io.StringIO(client.get(statement(rep, csv_file=True)).content.decode())))

    assert rows[1][3] == "'=HYPERLINK(1)"


def test_sales_read_the_plans_but_only_finance_adds_one(client):
    make_plan()
    client.force_login(make_user(Role.SALES))

    assert client.get(reverse("commissions:plan_list")).status_code == 200
    assert client.get(reverse("commissions:plan_create")).status_code == 403


PLAN_POST = {
    "name": "Fiber 2027",
    "product_kind": "",
    "booking_basis": "percent",
    "booking_value": "50",
    "turn_up_basis": "none",
    "turn_up_value": "",
    "recurring_percent": "10",
    "recurring_months": "12",
    "clawback_months": "6",
    "effective_from": "2027-01-01",
    "effective_to": "",
}


def test_finance_adds_a_plan_from_the_page(client):
    client.force_login(make_user(Role.FINANCE))

    response = client.post(reverse("commissions:plan_create"), PLAN_POST)

    assert response.status_code == 302
    plan = Plan.objects.get()
    assert (plan.name, plan.booking_value, plan.recurring_months, plan.clawback_months) == (
        "Fiber 2027",
        D("50.00"),
        12,
        6,
    )


def test_a_plan_over_100_percent_is_refused_on_its_field_and_nothing_is_written(client):
    client.force_login(make_user(Role.FINANCE))

    response = client.post(reverse("commissions:plan_create"), {**PLAN_POST, "booking_value": "150"})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "booking_value": ["On booking: 150.00 % is over 100 %; a commission is at most all of the MRR."]
    }
    assert not Plan.objects.exists()


def test_finance_edits_a_plan_and_its_terms_stay_once_in_use(client, booked):
    plan = Plan.objects.get()
    client.force_login(make_user(Role.FINANCE))
    fields = {key: getattr(plan, key) or "" for key in PLAN_POST} | {"effective_from": "2025-01-01"}

    response = client.post(reverse("commissions:plan_edit", args=[plan.pk]), {**fields, "booking_value": "40"})

    assert response.status_code == 400
    assert "end it and start a new plan" in response.context["form"].errors["booking_value"][0]
    plan.refresh_from_db()
    assert plan.booking_value == D("50.00")


def test_finance_accrues_a_month_from_the_page(client, booked, rep):
    Deal.objects.update(turned_up_on=dt.date(2026, 1, 20))
    client.force_login(make_user(Role.FINANCE))

    response = client.post(reverse("commissions:accrue"), {"month": "2026-01"})

    assert response.status_code == 302
    assert AccrualRun.objects.get().month == JAN
    assert Earning.objects.get(kind="recurring").amount == D("6.50")


def test_accruing_a_month_not_over_is_refused_on_the_field(client):
    client.force_login(make_user(Role.FINANCE))

    response = client.post(reverse("commissions:accrue"), {"month": "2026-03"})

    assert response.status_code == 400
    assert response.context["accrue_form"].errors["month"] == [
        "March 2026 has not ended yet: accrue a month once it is over."
    ]
    assert not AccrualRun.objects.exists()


def test_the_opportunity_page_says_who_is_credited(client, booked, rep):
    opportunity = booked.quote.opportunity
    client.force_login(make_user(Role.SALES_MANAGER))

    html = client.get(opportunity.get_absolute_url()).content.decode()

    assert 'id="commission-heading"' in html
    assert "Credited to Rita Rep, the quote's owner (no split)." in html
    assert reverse("commissions:opportunity_splits", args=[opportunity.pk]) in html
    assert "$32.50" in html


def test_a_sales_rep_sees_the_credit_but_no_split_form(client, booked, rep):
    client.force_login(rep)

    html = client.get(booked.quote.opportunity.get_absolute_url()).content.decode()

    assert 'id="commission-heading"' in html
    assert reverse("commissions:opportunity_splits", args=[booked.quote.opportunity_id]) not in html


def test_a_sales_manager_splits_an_opportunity_from_its_page(client, booked, rep):
    sam = make_user(Role.SALES, username="sam")
    opportunity = booked.quote.opportunity
    client.force_login(make_user(Role.SALES_MANAGER))
    url = reverse("commissions:opportunity_splits", args=[opportunity.pk])

    response = client.post(url, {"rep_0": rep.pk, "share_0": "70", "rep_2": sam.pk, "share_2": "30"})

    assert response.status_code == 302
    assert sorted(Split.objects.values_list("share_percent", "rep__username")) == [
        (D("30.00"), "sam"),
        (D("70.00"), rep.username),
    ]


def test_a_split_that_is_not_100_percent_is_refused_and_the_old_one_stays(client, booked, rep):
    sam = make_user(Role.SALES)
    opportunity = booked.quote.opportunity
    client.force_login(make_user(Role.SALES_MANAGER))
    url = reverse("commissions:opportunity_splits", args=[opportunity.pk])

    response = client.post(url, {"rep_0": rep.pk, "share_0": "70", "rep_1": sam.pk, "share_1": "20"})
    bad_row = client.post(url, {"rep_0": rep.pk, "share_0": "70", "rep_3": sam.pk, "share_3": "-30"})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The shares add up to 90.00 %; they must add up to exactly 100 %."
    ]
    assert bad_row.context["form"].errors == {"share_3": ["A share is over 0 and at most 100 %."]}
    assert not Split.objects.exists()


# --- Statements per sale count do not grow with the sales ------------------------------------


def book_many(rep, lines: int):
    """An accepted quote of `lines` sites made by `rep` (its order's booking not yet earned)."""
    quote = make_long_quote(lines, status="presented")
    Quote.objects.filter(pk=quote.pk).update(created_by=rep)
    quote.refresh_from_db()
    with clock.frozen(noon(dt.date(2026, 1, 5))):
        quoting_services.quote_accept(quote=quote, accepted_by_name="Pat Customer")
    return quote.order


# The statements of 10 sales (13 booking, 15 accruing, 6 a page on SQLite), with room for the
# inserts SQLite splits at 999 parameters (an earning has 15 columns: 66 rows an insert); one
# statement more per sale would be 90 more at 100.
BOOK_BUDGET, ACCRUE_BUDGET, PAGE_BUDGET = 16, 17, 8


@pytest.mark.parametrize("lines", [10, 100])
def test_booking_accrual_and_statement_take_the_same_statements_for_10_and_100_sales(
    client, rep, lines, django_assert_max_num_queries
):
    make_plan()
    order = book_many(rep, lines)

    with django_assert_max_num_queries(BOOK_BUDGET):
        booked = earnings.order_booked(order_id=order.pk)
    Deal.objects.update(turned_up_on=dt.date(2026, 1, 20))
    with clock.frozen(noon(dt.date(2026, 2, 1))), django_assert_max_num_queries(ACCRUE_BUDGET):
        accrued = earnings.accrue(month=JAN)
    client.force_login(rep)
    with django_assert_max_num_queries(PAGE_BUDGET):
        page = client.get(statement(rep))
    with django_assert_max_num_queries(PAGE_BUDGET):
        download = client.get(statement(rep, csv_file=True))
    with django_assert_max_num_queries(PAGE_BUDGET):
        listing = client.get(reverse("commissions:statement_list"))

    assert (len(booked), len(accrued)) == (lines, lines)
    assert page.context["statement"].totals == {"USD": (D("237.50") + D("47.50")) * lines}
    assert len(download.content.decode().splitlines()) == 2 * lines + 2
    assert listing.status_code == 200
