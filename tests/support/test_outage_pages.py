"""The outage pages (network/outage_views.py, with support's panel of who is impacted) and the
outage banners on the account and service pages (support/panels.py)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from headend.network import outages
from headend.network.models import Outage
from headend.support.models import Case
from tests.conftest import FROZEN_AT
from tests.factories import make_user
from tests.module_records import fresh

pytestmark = pytest.mark.django_db

START = FROZEN_AT + dt.timedelta(days=1)


@pytest.fixture
def network(shared_network):
    return fresh(shared_network)


@pytest.fixture
def noc():
    return make_user("provisioning")


@pytest.fixture
def staff(client, noc):
    client.force_login(noc)
    return client


def text(response) -> str:
    """The page's words, tags removed, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_outage_page_shows_the_impact_revenue_notices_and_parent_case(staff, network, noc, run_worker):
    outage = outages.outage_open(element=network.north, title="Sector down", by=noc)
    run_worker()
    parent = Case.objects.get(outage=outage)

    response = staff.get(reverse("network:outage_detail", args=[outage.pk]))

    assert response.status_code == 200
    page = text(response)
    assert "Revenue at risk (monthly) $244.94" in page
    assert "Services 3" in page
    assert "Customers 2" in page
    assert parent.reference in page
    assert "Started Email 2 0 0" in page
    assert "Started SMS 2 0 0" in page
    for service in network.impacted:
        assert service.number in page
    assert network.elsewhere.number not in page
    assert network.suspended.number not in page
    assert "Outage started" in page  # the timeline
    assert f'action="{reverse("network:outage_resolve", args=[outage.pk])}"' in response.content.decode()


def test_a_planned_window_shows_whom_it_would_take_down(staff, network, noc):
    window = outages.maintenance_schedule(
        element=network.north, start=START, end=START + dt.timedelta(hours=2), title="Radio swap", by=noc
    )

    page = text(staff.get(reverse("network:outage_detail", args=[window.pk])))

    assert "Revenue it would put at risk (monthly) $244.94" in page
    assert all(service.number in page for service in network.impacted)
    assert "Cancel the window" in page


def test_the_list_shows_open_outages_first(staff, network, noc):
    old = outages.outage_open(element=network.south, title="South down", by=noc)
    outages.outage_resolve(outage=old, by=noc)
    outages.maintenance_schedule(
        element=network.north, start=START, end=START + dt.timedelta(hours=1), title="Radio swap", by=noc
    )
    outages.outage_open(element=network.north, title="North down", by=noc)

    page = text(staff.get(reverse("network:outage_list")))

    assert page.index("North down") < page.index("Radio swap") < page.index("South down")


def test_staff_open_and_resolve_an_outage_by_hand(staff, network, run_worker):
    response = staff.post(
        reverse("network:outage_create"), {"element": "ap-7-north", "title": "Fibre cut", "severity": "major"}
    )

    outage = Outage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == outage.get_absolute_url()
    assert (outage.element, outage.source, outage.severity) == (network.north, "staff", "major")
    run_worker()

    staff.post(reverse("network:outage_resolve", args=[outage.pk]))

    assert Outage.objects.get().status == "resolved"


def test_an_unknown_element_is_a_form_error_and_opens_nothing(staff, network):
    response = staff.post(reverse("network:outage_create"), {"element": "ap-9-east", "title": "Fibre cut"})

    assert response.status_code == 200
    assert "No network element is named" in text(response)
    assert Outage.objects.count() == 0


def test_staff_schedule_a_window_in_local_time_and_cancel_it(staff, network):
    response = staff.post(
        reverse("network:maintenance_create"),
        {"element": "tower-7", "title": "Tower work", "start": "2026-03-03T01:00", "end": "2026-03-03T03:30"},
    )

    window = Outage.objects.get()
    assert response.status_code == 302
    assert (window.kind, window.status) == ("maintenance", "scheduled")
    assert window.scheduled_start == dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)  # 01:00 EST
    assert window.scheduled_end == dt.datetime(2026, 3, 3, 8, 30, tzinfo=dt.UTC)

    staff.post(reverse("network:maintenance_cancel", args=[window.pk]))

    assert Outage.objects.get().status == "cancelled"


def test_a_window_ending_before_it_starts_is_a_form_error(staff, network):
    response = staff.post(
        reverse("network:maintenance_create"),
        {"element": "tower-7", "title": "Tower work", "start": "2026-03-03T03:00", "end": "2026-03-03T01:00"},
    )

    assert response.status_code == 200
    assert "The window ends after it starts." in text(response)
    assert Outage.objects.count() == 0


def test_sales_read_the_outages_and_change_nothing(client, network, noc):
    outage = outages.outage_open(element=network.north, title="Sector down", by=noc)
    client.force_login(make_user("sales"))

    assert client.get(reverse("network:outage_detail", args=[outage.pk])).status_code == 200
    assert client.post(reverse("network:outage_resolve", args=[outage.pk])).status_code == 403
    assert Outage.objects.get().status == "open"


# --- Banners ------------------------------------------------------------------------------------


def test_the_account_and_service_pages_show_the_outage_while_it_is_open(staff, network, noc, run_worker):
    outage = outages.outage_open(element=network.north, title="Sector down", by=noc)
    run_worker()
    link = f'href="{outage.get_absolute_url()}"'

    account_page = staff.get(network.resident.get_absolute_url()).content.decode()
    service_page = staff.get(network.impacted[2].get_absolute_url()).content.decode()
    other_page = staff.get(network.other.get_absolute_url()).content.decode()

    assert link in account_page
    assert "Outage now on ap-7-north" in account_page
    assert link in service_page
    assert "Sector down" in service_page
    assert link not in other_page

    outages.outage_resolve(outage=outage, by=noc)
    run_worker()

    assert link not in staff.get(network.resident.get_absolute_url()).content.decode()
    assert link not in staff.get(network.impacted[2].get_absolute_url()).content.decode()


def test_a_planned_window_shows_as_planned_on_the_pages_below_it(staff, network, noc):
    window = outages.maintenance_schedule(
        element=network.tower, start=START, end=START + dt.timedelta(hours=2), title="Tower work", by=noc
    )

    account_page = text(staff.get(network.business.get_absolute_url()))
    service_page = text(staff.get(network.elsewhere.get_absolute_url()))
    suspended_page = staff.get(network.suspended.get_absolute_url()).content.decode()

    assert "Planned maintenance on tower-7" in account_page
    assert "Planned maintenance on tower-7" in service_page
    assert window.get_absolute_url() not in suspended_page  # nothing to take down there
