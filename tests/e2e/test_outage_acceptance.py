"""Issue 16's acceptance on the demo provider: an alert on a PON port of the demo's topology,
posted as Alertmanager sends it (the real sample, named by the `element` label) and then through
TMF642, opens one outage over exactly the demo's services on that port, one parent case, the
banners (staff and portal), one notice per impacted customer; the same post again changes
nothing; the resolved post closes it and queues the all-clear; the revenue at risk is the sum
of the impacted services' MRR."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from headend.crm.models import Account
from headend.inventory import outage_impact
from headend.inventory.models import Service, ServiceOutage
from headend.network.models import Element, Outage
from headend.portal.models import PortalLogin
from headend.support.models import Case, OutageNotice
from headend.web import demo
from tests.api.client import TMFClient
from tests.factories import make_user
from tests.network.outage_fixtures import table_counts
from tests.portal.conftest import portal_client

pytestmark = pytest.mark.django_db(databases=["default", "radius"])

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "alertmanager"
TOKEN = "am-demo-token-2c7e"
PORT = "olt-1/pon-1"  # the demo binds Ada's 1 Gig and the clinic's DIA with its static IP block here
ON_THE_PORT = [
    ("Ada Lovelace", "res-fiber-1g"),
    ("Downeast Community Clinic", "biz-dia-1g"),
    ("Downeast Community Clinic", "static-ip-29"),
]


def alert(status: str, element: str) -> bytes:
    """The real Alertmanager body, its alert named by the `element` label for a demo element."""
    body = json.loads((SAMPLES / f"webhook-v4-{status}.json").read_text())
    for labels in (body["commonLabels"], *(a["labels"] for a in body["alerts"])):
        labels["element"] = element
    return json.dumps(body).encode()


def post(client: Client, body: bytes):
    return client.post(
        "/network/alerts/alertmanager/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )


@pytest.fixture
def provider(settings, radius_tables):
    settings.HEADEND_ALERTMANAGER_TOKEN = TOKEN
    demo.load()


def impacted(outage: Outage) -> list[tuple[str, str]]:
    rows = ServiceOutage.objects.filter(outage=outage).select_related("account", "service__product_version__product")
    return sorted((row.account.name, row.service.product_version.product.code) for row in rows)


def test_an_alert_on_a_demo_pon_port_reaches_the_customers_below_it(provider, client, run_worker):
    response = post(client, alert("firing", PORT))
    assert response.status_code == 200, response.content
    run_worker()

    outage = Outage.objects.get()
    assert (outage.element.name, outage.status, outage.services_impacted, outage.customers_impacted) == (
        PORT,
        "open",
        3,
        2,
    )
    assert impacted(outage) == ON_THE_PORT
    parent = Case.objects.get(outage=outage)
    assert (parent.type, parent.priority, parent.account) == ("outage", "p1", None)
    accounts = {name: Account.objects.get(name=name) for name, _ in ON_THE_PORT}
    emailed = OutageNotice.objects.filter(outage=outage, phase="start", channel="email")
    assert sorted(emailed.values_list("account__name", flat=True)) == sorted(accounts)
    services = Service.objects.filter(outages__outage=outage)
    (risk,) = outage_impact.revenue_at_risk(outage=outage)
    assert risk.amount == sum((service.mrc_amount for service in services), Decimal("0"))
    assert risk.amount > 0

    staff = Client()
    staff.force_login(make_user("support"))
    assert "Outage" in staff.get(f"/accounts/{accounts['Ada Lovelace'].pk}/").content.decode()
    ada = portal_client(PortalLogin.objects.get(email="ada@example.com"))
    assert "A problem on our network has interrupted service in your area" in ada.get("/portal/").content.decode()
    credit_union = portal_client(PortalLogin.objects.get(email="office@quoddybaycu.example"))
    assert "No known outage in your area." in credit_union.get("/portal/").content.decode()

    counts = table_counts()
    assert post(client, alert("firing", PORT)).status_code == 200
    run_worker()
    assert table_counts() == counts  # the same alert again: nothing new

    assert post(client, alert("resolved", PORT)).status_code == 200
    run_worker()
    outage.refresh_from_db()
    assert outage.status == "resolved"
    all_clear = OutageNotice.objects.filter(outage=outage, phase="end", channel="email")
    assert sorted(all_clear.values_list("account__name", flat=True)) == sorted(accounts)
    assert "No known outage in your area." in ada.get("/portal/").content.decode()

    # The same through TMF642, for monitoring systems that speak it (one demo load for both).
    noc = TMFClient.for_user(client, make_user("provisioning"))
    alarm = {
        "alarmType": "communicationsAlarm",
        "perceivedSeverity": "critical",
        "probableCause": "lossOfSignal",
        "alarmedObject": {"id": PORT, "@type": "AlarmedObject"},
        "sourceSystemId": "librenms",
        "externalAlarmId": "los-olt-1-pon-1",
        "state": "raised",
        "alarmRaisedTime": "2026-03-02T14:58:00Z",
    }
    created = noc.post("/alarm/v4/alarm", alarm)
    assert created.status_code == 201, created.content
    run_worker()
    outage = Outage.objects.get(element=Element.objects.get(name=PORT), status="open")
    assert impacted(outage) == ON_THE_PORT
    assert Case.objects.filter(outage=outage).count() == 1
    counts = table_counts()
    assert noc.post("/alarm/v4/alarm", alarm).status_code == 409
    assert table_counts() == counts

    alarm_id = created.json()["id"]
    cleared = noc.patch(f"/alarm/v4/alarm/{alarm_id}", {"state": "cleared"})
    assert cleared.status_code == 200, cleared.content
    run_worker()
    outage.refresh_from_db()
    assert outage.status == "resolved"
    assert OutageNotice.objects.filter(outage=outage, phase="end", channel="email").count() == 2
