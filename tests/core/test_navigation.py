"""The sidebar by role (core/navigation.py): each role sees the links of its work, in the order of
the definition, and every link it sees opens; the page shown is marked as the current one."""

import re

import pytest
from django.urls import reverse

from headend.core import navigation
from headend.core.permissions import PERMISSIONS, Role
from headend.fulfillment.models import Technician
from tests.factories import make_user

pytestmark = pytest.mark.django_db

API = ["API tokens", "API docs"]
# The table in core/navigation.py's docstring, link by link.
EXPECTED = {
    Role.SALES: [
        "Accounts", "Opportunities", "Quotes", "Upgrade offers", "Catalog", "Commissions", "Orders", "Services",
        "Billing", *API,
    ],
    Role.SALES_MANAGER: [
        "Accounts", "Opportunities", "Quotes", "Approvals", "Upgrade offers", "Catalog", "Commissions", "Orders",
        "Services", "Billing", *API,
    ],
    Role.PROVISIONING: [
        "Support", "Catalog", "Orders", "Work orders", "Boards", "Dispatch", "My work", "Task queue", "Services",
        "Coverage", "Topology", "Outages", "IP pools", *API,
    ],
    Role.SUPPORT: ["Accounts", "Support", "Orders", "Services", "Billing", "Payments", "Dunning", "Outages", *API],
    Role.BILLING: [
        "Accounts", "Support", "Services", "Billing", "Payments", "Dunning", "SLA credits", "Ledger export",
        "Voice rating", *API,
    ],
    Role.FINANCE: [
        "Accounts", "Approvals", "Commissions", "Billing", "Payments", "Dunning", "SLA credits", "Ledger export",
        *API,
    ],
    Role.DIRECTOR: [
        "Accounts", "Opportunities", "Support", "Quotes", "Approvals", "Catalog", "Commissions", "Orders",
        "Work orders", "Boards", "Services", "Billing", "Payments", "Dunning", "SLA credits", "Coverage", "Topology",
        "Outages", *API,
    ],
    Role.PRODUCT_MANAGER: ["Catalog", *API],
    Role.INTEGRATION: API,
    Role.ADMIN: [
        "Accounts", "Opportunities", "Support", "Quotes", "Approvals", "Upgrade offers", "Catalog", "Commissions",
        "Orders", "Work orders", "Boards", "Dispatch", "My work", "Task queue", "Services", "Billing", "Payments",
        "Dunning", "SLA credits", "Ledger export", "Voice rating", "Coverage", "Topology", "Outages", "IP pools",
        "SLA & queues", "Webhooks",
        *API,
    ],
}  # fmt: skip
DELIVERY = {"Work orders", "Boards", "Dispatch", "My work", "Task queue", "IP pools", "Topology"}


def sidebar(html: str) -> list[tuple[str, str, bool]]:
    """(label, href, current) of each link in the main navigation."""
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    assert nav is not None, "no main navigation"
    links = re.findall(r'<a href="([^"]*)"( aria-current="page")?>([^<]*)', nav.group(1))
    return [(label.strip().replace("&amp;", "&"), href, bool(current)) for href, current, label in links]


def sidebar_of(client, user, url: str = "/") -> list[tuple[str, str, bool]]:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return sidebar(response.content.decode())


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_the_links_of_its_work_and_each_one_opens(client, role):
    user = make_user(role)
    links = sidebar_of(client, user)

    assert [label for label, _, _ in links] == EXPECTED[role]
    refused = [(label, href, code) for label, href, _ in links if (code := client.get(href).status_code) != 200]
    assert refused == []


@pytest.mark.parametrize("role", [Role.SALES, Role.SALES_MANAGER, Role.FINANCE, Role.PRODUCT_MANAGER])
def test_sellers_finance_and_product_see_no_delivery_work(client, role):
    labels = {label for label, _, _ in sidebar_of(client, make_user(role))}

    assert labels & DELIVERY == set()


def test_pages_a_role_may_not_open_are_not_linked_but_stay_as_they_were(client):
    """IP pools refuse sales (pool.manage): no link. The work-order list does not: no link, and
    the page still opens to a sales person who has its address."""
    sales = make_user(Role.SALES)
    links = {label for label, _, _ in sidebar_of(client, sales)}

    assert "IP pools" not in links
    assert "Work orders" not in links
    assert client.get(reverse("ipam:pool_list")).status_code == 403
    assert client.get(reverse("fulfillment:work_order_list")).status_code == 200


def test_a_technician_gets_my_work_first_and_once(client):
    user = make_user(Role.PROVISIONING)
    Technician.objects.create(user=user)

    links = sidebar_of(client, user)

    assert links[0][0] == "My work"
    assert [label for label, _, _ in links].count("My work") == 1
    html = client.get("/").content.decode()
    assert '<p class="nav-group">Field</p>' in html


def test_a_site_admin_account_gets_the_admin_link_and_it_opens(client):
    admin = make_user(Role.ADMIN, is_staff=True, is_superuser=True)

    links = sidebar_of(client, admin)

    assert links[-1][0] == "Admin"
    assert client.get(links[-1][1]).status_code == 200


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("fulfillment:board", "Boards"),
        ("fulfillment:my_tasks", "Task queue"),
        ("fulfillment:work_order_list", "Work orders"),
        ("network:topology", "Topology"),
        ("network:coverage", "Coverage"),
        ("ipam:pool_list", "IP pools"),
    ],
)
def test_the_page_shown_is_the_one_link_marked_current(client, path, current):
    links = sidebar_of(client, make_user(Role.PROVISIONING), reverse(path))

    assert [label for label, _, is_current in links if is_current] == [current]


def test_a_page_below_a_link_belongs_to_the_longest_link_that_prefixes_it_else_to_its_section():
    items = [item for group in navigation.GROUPS for item in group.items if item.url_name != "fulfillment:my_work"]
    urls = {
        "fulfillment:work_order_list": "/work/",
        "fulfillment:board": "/work/board/",
        "billing:invoice_list": "/billing/invoices/",
        "billing:ledger_export": "/billing/ledger/",
    }
    shown = [item for item in items if item.url_name in urls]

    def current(path: str, namespace: str = "") -> str:
        found = navigation.current_item(shown, urls, path=path, namespace=namespace)
        return found.label if found else ""

    assert current("/work/12/") == "Work orders"
    assert current("/work/board/") == "Boards"
    assert current("/billing/accounts/3/", "billing") == "Billing"
    assert current("/billing/ledger/", "billing") == "Ledger export"
    assert current("/") == ""


def test_home_is_no_link_and_marks_none():
    user = make_user(Role.SALES)

    assert all(not link.current for group in _groups(user, "/") for link in group.links)


def _groups(user, path):
    from django.test import RequestFactory

    request = RequestFactory().get(path)
    request.user = user
    return navigation.Navigation(request).groups


def test_every_use_case_the_navigation_asks_is_in_the_permissions():
    asked = {item.uses for group in navigation.GROUPS for item in group.items if item.uses}

    assert asked <= set(PERMISSIONS)
