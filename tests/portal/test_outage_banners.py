"""The portal tells customers about an outage before they call: a banner on the dashboard and
on each impacted service while it lasts, planned maintenance ahead of time, nothing for the
customers it does not touch."""

import datetime as dt

import pytest

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.inventory import services as inventory_services
from headend.network import outages, topology
from headend.portal.models import PortalLogin
from tests.factories import make_live_service, make_product, make_user
from tests.portal.conftest import make_portal_login, portal_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def net():
    pon = topology.element_create(name="olt-9/pon-1", kind="pon_port")
    other_pon = topology.element_create(name="olt-9/pon-2", kind="pon_port")
    return pon, other_pon


def live_on(login: PortalLogin, element):
    service = make_live_service(login.account, make_product(tasks=[TaskSpec("Install")]))
    inventory_services.service_bind_element(service=service, element=element, source="staff")
    return service


def test_an_outage_shows_on_the_dashboard_and_the_service_of_those_it_touches(net, run_worker):
    pon, other_pon = net
    touched, spared = make_portal_login(), make_portal_login()
    service = live_on(touched, pon)
    live_on(spared, other_pon)
    outages.outage_open(element=pon, title="PON port dark", by=make_user("provisioning"))
    run_worker()  # support works out the impact

    dashboard = portal_client(touched).get("/portal/").content.decode()
    assert "A problem on our network has interrupted service in your area" in dashboard
    assert "PON port dark" not in dashboard  # the network team's words stay theirs
    assert "interrupted service" in portal_client(touched).get(f"/portal/services/{service.pk}/").content.decode()
    spared_page = portal_client(spared).get("/portal/").content.decode()
    assert "No known outage in your area." in spared_page
    assert "interrupted service" not in spared_page


def test_the_banner_goes_when_the_outage_ends(net, run_worker):
    pon, _ = net
    login = make_portal_login()
    live_on(login, pon)
    outage = outages.outage_open(element=pon, title="PON port dark", by=make_user("provisioning"))
    run_worker()
    outages.outage_resolve(outage=outage, by=make_user("provisioning"))
    run_worker()
    assert "No known outage in your area." in portal_client(login).get("/portal/").content.decode()


def test_planned_maintenance_is_announced_ahead(net, run_worker):
    pon, _ = net
    login = make_portal_login()
    live_on(login, pon)
    start = clock.now() + dt.timedelta(days=2)
    outages.maintenance_schedule(
        element=pon, start=start, end=start + dt.timedelta(hours=2), title="OLT firmware", by=make_user("provisioning")
    )
    run_worker()
    page = portal_client(login).get("/portal/").content.decode()
    assert "Network maintenance from Wed Mar 4, 10:00 AM to Wed Mar 4, 12:00 PM may interrupt your service." in page
