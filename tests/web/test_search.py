"""The staff search in the header (issue 17): each app finds its own records, grouped by kind,
only the kinds the user may read; a short, NUL or huge query never fails."""

import re

import pytest
from django.urls import reverse

from headend.core import clock, search
from headend.crm import services as crm_services
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.payments.payments import payment_record
from headend.provisioning.models import Subscriber
from headend.support import cases
from tests.factories import (
    make_account,
    make_live_service_with_actions,
    make_location,
    make_overdue,
    make_quote,
    make_user,
)

pytestmark = pytest.mark.django_db


def found(user, query):
    return {group.kind: [hit.title for hit in group.hits] for group in search.search(user=user, query=query)}


@pytest.fixture
def sales():
    return make_user("sales")


def test_accounts_by_name_and_by_number(sales):
    account = make_account(legal_name="Quoddy Marine Fuel LLC")
    make_account(legal_name="Cobscook Lobster Co")

    assert found(sales, "quoddy")["accounts"] == ["Quoddy Marine Fuel LLC"]
    assert found(sales, account.number)["accounts"] == ["Quoddy Marine Fuel LLC"]
    assert found(sales, f"a-{account.pk}")["accounts"] == ["Quoddy Marine Fuel LLC"]


def test_contacts_by_full_name_email_and_phone(sales):
    account = make_account()
    crm_services.contact_create(
        account=account, first_name="Grace", last_name="Hopper", email="grace@navy.example", phone="207-555-0199"
    )

    assert found(sales, "grace hopper")["contacts"] == ["Grace Hopper"]
    assert found(sales, "navy.example")["contacts"] == ["Grace Hopper"]
    assert found(sales, "555-0199")["contacts"] == ["Grace Hopper"]
    assert "contacts" not in found(sales, "grace lovelace")


def test_locations_by_address_words(sales):
    location = make_location(line1="77 Harbor Rd", city="Lubec")
    make_location(line1="77 Main St", city="Eastport")

    assert found(sales, "77 harbor, lubec")["locations"] == [location.one_line]


def test_services_by_circuit_id_and_by_radius_username(sales):
    fiber, other = make_live_service_with_actions(), make_live_service_with_actions()
    Service.objects.filter(pk=fiber.pk).update(circuit_id="EPT-OLT1-0042")
    Subscriber.objects.create(
        service=other,
        username="lubec.bakery@pppoe",
        plan_group="res-100",
        created_at=clock.now(),
        updated_at=clock.now(),
    )

    assert found(sales, "olt1-0042")["services"] == [f"{fiber.number} · Active"]
    assert found(sales, "lubec.bakery")["services"] == [f"{other.number} · Active"]
    assert found(sales, other.number)["services"] == [f"{other.number} · Active"]


def test_a_removed_radius_username_no_longer_finds_its_service(sales):
    service = make_live_service_with_actions()
    Subscriber.objects.create(
        service=service,
        username="gone@pppoe",
        plan_group="x",
        state="removed",
        created_at=clock.now(),
        updated_at=clock.now(),
    )

    assert "services" not in found(sales, "gone@pppoe")


def test_quotes_orders_and_cases_by_number(sales):
    quote = make_quote(status="accepted")
    order = Order.objects.get(quote=quote)
    case = cases.case_open(account=quote.account, type="other", channel="phone", subject="Where is my router", by=sales)

    assert found(sales, quote.number)["quotes"] == [str(quote)]
    assert found(sales, order.number)["orders"] == [order.number]
    assert found(sales, case.reference)["cases"] == [str(case)]
    assert found(sales, "router")["cases"] == [str(case)]
    assert "orders" not in found(sales, quote.number)  # Q-... names a quote, not an order


def test_invoices_and_payments_only_for_roles_that_read_billing():
    account = make_account(legal_name="Pembroke Tides LLC")
    invoice = make_overdue(account, "40.00", days=3)
    payment = payment_record(
        billing_account=invoice.billing_account,
        amount="40.00",
        means="cheque",
        reference="CHK-7781",
        recorded_by=make_user("billing"),
    )

    assert found(make_user("billing"), invoice.number)["invoices"] == [invoice.number]
    assert found(make_user("sales"), "chk-7781")["payments"] == [payment.number]
    assert found(make_user("provisioning"), invoice.number) == {}
    assert found(make_user("provisioning"), "CHK-7781") == {}
    assert found(make_user("provisioning"), "pembroke")["accounts"] == ["Pembroke Tides LLC"]


def test_nobody_but_staff_searches():
    make_account(legal_name="Quoddy Marine Fuel LLC")

    assert search.search(user=make_user(), query="quoddy") == []


@pytest.mark.parametrize("query", ["", "q", " q ", "\x00q\x00"])
def test_a_query_under_two_characters_finds_nothing(sales, query):
    make_account(legal_name="Quoddy Marine Fuel LLC")

    assert search.search(user=sales, query=query) == []


def test_each_group_shows_ten_with_the_count_of_all(sales):
    for n in range(12):
        make_account(legal_name=f"Machias Co-op {n:02d} LLC")

    (group,) = search.search(user=sales, query="machias")

    assert (len(group.hits), group.count, group.count_label, group.more) == (10, 12, "12", True)


def test_page_with_a_nul_or_a_huge_query_answers(client, sales):
    make_account(legal_name="Quoddy Marine Fuel LLC")
    client.force_login(sales)

    nul = client.get(reverse("search"), {"q": "quo\x00ddy"})
    huge = client.get(reverse("search"), {"q": "quoddy" + "x" * 5000})

    assert nul.status_code == 200
    assert "Quoddy Marine Fuel LLC" in nul.content.decode()
    assert huge.status_code == 200
    assert len(huge.context["query"]) == 100


def test_page_groups_results_and_htmx_gets_them_alone(client, sales):
    account = make_account(legal_name="Quoddy Marine Fuel LLC")
    make_location(account, line1="5 Quoddy Loop")
    client.force_login(sales)

    page = client.get(reverse("search"), {"q": "quoddy"}).content.decode()
    live = client.get(reverse("search"), {"q": "quoddy"}, HTTP_HX_REQUEST="true").content.decode()

    assert re.findall(r'data-kind="(\w+)"', page) == ["accounts", "locations"]
    assert 'role="search"' in page
    assert 'hx-get="/search/"' in page
    assert live.startswith('<div class="search-results"')
    assert "<html" not in live
    assert re.findall(r'data-kind="(\w+)"', live) == ["accounts", "locations"]


def test_page_is_for_staff_only(client):
    client.force_login(make_user())

    assert client.get(reverse("search"), {"q": "quoddy"}).status_code == 403


def test_page_queries_stay_flat_as_matches_grow(client, sales, django_assert_max_num_queries):
    client.force_login(sales)
    for n in range(2):
        service = make_live_service_with_actions(make_account(legal_name=f"Harbor {n} LLC"))
        Service.objects.filter(pk=service.pk).update(circuit_id=f"HARBOR-{n}")
    client.get(reverse("search"), {"q": "harbor"})
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("search"), {"q": "harbor"})
    for n in range(2, 14):
        service = make_live_service_with_actions(make_account(legal_name=f"Harbor {n} LLC"))
        Service.objects.filter(pk=service.pk).update(circuit_id=f"HARBOR-{n}")

    with django_assert_max_num_queries(len(few.captured_queries) + 2):  # a count for each full group
        response = client.get(reverse("search"), {"q": "harbor"})

    assert [(group.kind, group.count) for group in response.context["groups"]] == [("accounts", 14), ("services", 14)]
