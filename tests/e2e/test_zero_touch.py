"""Zero touch, end to end, on a real FreeRADIUS: a residential order goes from accepted to active
with no person involved (circuit, IPv4 address from the pool, RADIUS subscriber), the
subscriber's router is accepted with the plan's rate, and the service is then upgraded,
suspended, restored and disconnected through the API, each through the product's templates'
code tasks, with the CoA and Disconnect-Requests seen by a NAS stand-in."""

import pytest
from pyrad import packet

from headend.api.services import token_issue
from headend.catalog import services as catalog_services
from headend.catalog.services import TaskSpec
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory.models import Service
from headend.ipam import services as ipam_services
from headend.ipam.models import IPAllocation
from headend.orders.models import Order
from headend.provisioning.models import Subscriber
from headend.quoting import services as quoting_services
from headend.web.demo import RADIUS_RESTORE, RADIUS_SPEED_CHANGE, RADIUS_SUSPEND, ZERO_TOUCH_INSTALL
from tests.api.client import TMFClient, body
from tests.factories import make_account, make_product, make_quote, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "radius"]),
    pytest.mark.usefixtures("radius_tables"),
]

SERVICES = "/serviceInventory/v4/service"
SESSION = "0a1b2c3d"

# The demo provider's own templates (what `make run` sells), but a disconnect with no truck roll.
CHANGES = {
    "modify": RADIUS_SPEED_CHANGE,
    "suspend": RADIUS_SUSPEND,
    "restore": RADIUS_RESTORE,
    "delete": [
        TaskSpec("Remove the subscriber", kind="code", code_action="radius.remove", planned_minutes=1),
        TaskSpec(
            "Release the address",
            kind="code",
            code_action="ipam.release",
            planned_minutes=1,
            depends_on=["Remove the subscriber"],
        ),
    ],
}


def residential_plan(code: str, down: int, up: int):
    version = make_product(
        code=code, customer_type="residential", download_mbps=down, upload_mbps=up, tasks=ZERO_TOUCH_INSTALL
    )
    for action, tasks in CHANGES.items():
        catalog_services.template_define(product=version.product, action=action, name=f"{action} {code}", tasks=tasks)
    return version


def latest_service_work_order(service: Service) -> WorkOrder:
    return WorkOrder.objects.filter(service=service).latest("pk")


def test_a_residential_order_goes_live_with_no_touch_and_is_managed_through_radius(
    freeradius, nas, nas_standin, client
):
    home_300 = residential_plan("home-300", 300, 100)
    gig = residential_plan("home-gig", 1000, 500)
    catalog_services.product_relate(product=home_300.product, target=gig.product, kind="upgrade")
    ipam_services.pool_create(name="Residential", prefix="100.64.0.0/29", allocation_length=32, created_by=None)
    account = make_account("residential")

    # Accepted at night: the worker does the rest (ImmediateBackend runs each queued task).
    quote = make_quote(account=account, version=home_300, status="accepted")

    service = Service.objects.get(order_line__order__quote=quote)
    tasks = Task.objects.filter(work_order__service=service)
    assert (service.status, service.billable_from is not None) == ("active", True)
    assert set(tasks.values_list("kind", "status")) == {("code", "done")}
    assert not tasks.filter(completed_by__isnull=False).exists()  # nobody touched it
    assert Order.objects.get(quote=quote).status == "completed"
    subscriber = Subscriber.objects.get(service=service)
    assert service.identifiers["ipv4_address"] == "100.64.0.1"

    # The customer's router connects: FreeRADIUS accepts it with the plan's rate and address.
    reply = freeradius.authenticate(subscriber.username, subscriber.password)
    assert reply.code == packet.AccessAccept
    assert reply.attributes["Mikrotik-Rate-Limit"] == ["100M/300M"]
    assert reply.attributes["Framed-IP-Address"] == ["100.64.0.1"]
    assert freeradius.authenticate(subscriber.username, "wrong").code == packet.AccessReject
    start = freeradius.account(
        "Start",
        username=subscriber.username,
        session_id=SESSION,
        NAS_IP_Address="127.0.0.1",
        Framed_IP_Address="100.64.0.1",
    )
    assert start.code == packet.AccountingResponse

    # Upgrade on a change quote: the modify work order's code task gives RADIUS the new rate
    # and tells the live session (CoA) before the service takes the new version.
    change = quoting_services.quote_create(account=account, name="Upgrade")
    quoting_services.quote_line_change(quote=change, service=service, action="upgrade", product_version=gig)
    quoting_services.quote_accept(quote=quoting_services.quote_present(quote=change), accepted_by_name="Ada")
    service.refresh_from_db()
    assert service.product_version == gig
    [coa] = nas_standin.received
    assert (coa.name, coa.authentic, coa.attributes["Mikrotik-Rate-Limit"]) == ("CoA-Request", True, ["500M/1000M"])
    assert freeradius.authenticate(subscriber.username, subscriber.password).attributes["Mikrotik-Rate-Limit"] == [
        "500M/1000M"
    ]

    # Suspended through the API: walled garden in RADIUS, a CoA to the session's NAS.
    staff = make_user("support")
    api = TMFClient(client, token_issue(user=staff, name="support-tool")[1])
    response = api.patch(f"{SERVICES}/{service.pk}", {"state": "inactive", "stateChangeReason": "Non-payment"})
    assert response.status_code == 202
    assert body(api.get(f"{SERVICES}/{service.pk}"))["state"] == "inactive"
    coa = nas_standin.received[-1]
    assert (coa.name, coa.attributes["Mikrotik-Address-List"]) == ("CoA-Request", ["walled-garden"])
    walled = freeradius.authenticate(subscriber.username, subscriber.password)
    assert walled.code == packet.AccessAccept
    assert walled.attributes["Mikrotik-Address-List"] == ["walled-garden"]

    # Paid: restored to the plan's rate.
    assert api.patch(f"{SERVICES}/{service.pk}", {"state": "active"}).status_code == 202
    assert Service.objects.get(pk=service.pk).status == "active"
    assert nas_standin.received[-1].attributes["Mikrotik-Rate-Limit"] == ["500M/1000M"]

    # Disconnected: the session is torn down, the subscriber rejected, the address quarantined.
    assert api.patch(f"{SERVICES}/{service.pk}", {"state": "terminated"}).status_code == 202
    service.refresh_from_db()
    assert service.status == "disconnected"
    assert latest_service_work_order(service).status == "completed"
    assert nas_standin.received[-1].name == "Disconnect-Request"
    assert freeradius.authenticate(subscriber.username, subscriber.password).code == packet.AccessReject
    assert IPAllocation.objects.get(address="100.64.0.1").state == "quarantined"
    assert "ipv4_address" not in service.identifiers
