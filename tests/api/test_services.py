"""TMF638 service: the service inventory."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.core import clock
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import WorkOrder
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import FROZEN_AT
from tests.factories import make_account, make_quote

pytestmark = pytest.mark.django_db

PATH = "/serviceInventory/v4/service"


def ordered_service(**quote) -> Service:
    return Service.objects.get(order_line__order__quote=make_quote(status="accepted", **quote))


def turn_up(service: Service, at: dt.datetime) -> Service:
    work_order = WorkOrder.objects.get(service=service)
    with clock.frozen(at):
        for task in work_order.tasks.order_by("position"):
            fulfillment_services.task_complete(task=task, completed_by=None)
    service.refresh_from_db()
    return service


def moved_to(status: str) -> Service:
    """A service brought to `status` through the inventory's own use cases."""
    service = ordered_service()
    if status == "provisioning":
        inventory_services.service_start_provisioning(service=service, at=FROZEN_AT)
    if status in ("active", "suspended", "pending_disconnect", "disconnected"):
        inventory_services.service_activate(service=service, at=FROZEN_AT)
    if status == "suspended":
        inventory_services.service_suspend(service=service, reason="non-payment")
    if status in ("pending_disconnect", "disconnected"):
        inventory_services.service_request_disconnect(service=service, reason="moving away")
    if status == "disconnected":
        inventory_services.service_disconnect(service=service, at=FROZEN_AT + dt.timedelta(days=3))
    service.refresh_from_db()
    assert service.status == status
    return service


def characteristic(service_body, name):
    return {item["name"]: item["value"] for item in service_body["serviceCharacteristic"]}.get(name)


def test_an_active_service_shows_when_it_started_and_is_billable(sales_api):
    turned_up_at = FROZEN_AT + dt.timedelta(hours=5)
    service = turn_up(ordered_service(term_months=24), turned_up_at)

    response = sales_api.get(f"{PATH}/{service.pk}")

    assert response.status_code == 200
    got = body(response)
    assert_valid(got, api="638", definition="Service")
    assert (got["id"], got["@type"], got["state"], got["isServiceEnabled"], got["hasStarted"]) == (
        str(service.pk),
        "Service",
        "active",
        True,
        True,
    )
    assert got["startDate"] == "2026-03-02T20:00:00Z"
    assert characteristic(got, "billableFrom") == "2026-03-02T20:00:00Z"
    assert characteristic(got, "contractTermMonths") == 24
    assert (characteristic(got, "termStartDate"), characteristic(got, "termEndDate")) == ("2026-03-02", "2028-03-01")
    assert characteristic(got, "downloadSpeedMbps") == 1000
    assert got["place"][0]["id"] == str(service.location_id)
    assert got["relatedParty"][0] == {
        "id": str(service.account_id),
        "href": f"http://testserver/tmf-api/customerManagement/v4/customer/{service.account_id}",
        "name": service.account.name,
        "role": "customer",
        "@referredType": "Customer",
    }
    assert got["serviceSpecification"]["id"] == str(service.product_version.product_id)
    assert {(entity["role"], entity["id"]) for entity in got["relatedEntity"]} == {
        ("productOffering", str(service.product_version_id)),
        ("productOrder", str(service.order_line.order_id)),
    }


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("pending", "designed"),
        ("provisioning", "reserved"),
        ("active", "active"),
        ("suspended", "inactive"),
        ("pending_disconnect", "active"),
        ("disconnected", "terminated"),
    ],
)
def test_our_status_shows_as_the_tmf_state(sales_api, status, state):
    service = moved_to(status)

    got = body(sales_api.get(f"{PATH}/{service.pk}"))

    assert_valid(got, api="638", definition="Service")
    assert got["state"] == state


def test_a_disconnected_service_ends_when_it_was_disconnected(sales_api):
    service = moved_to("disconnected")

    got = body(sales_api.get(f"{PATH}/{service.pk}"))

    assert got["endDate"] == "2026-03-05T15:00:00Z"
    assert characteristic(got, "billableUntil") == "2026-03-05T15:00:00Z"


def test_list_active_services_includes_those_awaiting_disconnect(sales_api):
    active, leaving = moved_to("active"), moved_to("pending_disconnect")
    moved_to("suspended")

    response = sales_api.get(PATH, state="active")

    assert sorted(item["id"] for item in body(response)) == sorted([str(active.pk), str(leaving.pk)])
    assert response["X-Total-Count"] == "2"


def test_list_services_of_one_customer(sales_api):
    account = make_account()
    mine = [ordered_service(account=account), ordered_service(account=account)]
    ordered_service()  # another customer's

    response = sales_api.get(PATH, **{"relatedParty.id": account.pk})

    services = body(response)
    assert sorted(item["id"] for item in services) == sorted(str(service.pk) for service in mine)
    for item in services:
        assert_valid(item, api="638", definition="Service")


def test_list_services_at_one_site(sales_api):
    account = make_account()
    here, elsewhere = ordered_service(account=account), ordered_service(account=account)

    response = sales_api.get(PATH, **{"place.id": here.location_id})

    assert [item["id"] for item in body(response)] == [str(here.pk)]
    assert here.location_id != elsewhere.location_id


def test_list_by_a_state_not_in_the_spec_is_400(sales_api):
    assert_error(sales_api.get(PATH, state="pending"), status=400, code="literal_error", field="state", api="638")


def test_unknown_service_is_404(sales_api):
    assert_error(sales_api.get(f"{PATH}/88888"), status=404, code="not_found", api="638")


def test_services_need_a_token(anonymous_api):
    assert_error(anonymous_api.get(PATH), status=401, api="638")


def test_a_service_shows_its_availability_over_30_90_and_365_days(sales_api):
    from headend.inventory.models import ServiceOutage
    from headend.network import topology
    from headend.network.models import Outage

    service = ordered_service()
    inventory_services.service_activate(service=service, at=FROZEN_AT - dt.timedelta(days=40))
    service.refresh_from_db()
    down_at = FROZEN_AT - dt.timedelta(days=10)
    outage = Outage.objects.create(
        element=topology.element_create(name="PON-7", kind="pon_port"),
        status="resolved",
        source="staff",
        title="Fiber cut",
        started_at=down_at,
        ended_at=down_at + dt.timedelta(minutes=43.2),
        created_at=down_at,
    )
    ServiceOutage.objects.create(
        outage=outage,
        service=service,
        account=service.account,
        mrc_amount=service.mrc_amount,
        currency="USD",
        started_at=outage.started_at,
        ended_at=outage.ended_at,
    )

    one = sales_api.get(f"{PATH}/{service.pk}")
    listed = sales_api.get(PATH, **{"relatedParty.id": service.account_id})

    got = body(one)
    assert_valid(got, api="638", definition="Service")
    # 43.2 minutes of 30 days; of the 40 days it has existed (within 90 and within 365 days).
    expected = {"availability30d": "99.9000", "availability90d": "99.9250", "availability365d": "99.9250"}
    assert {
        item["name"]: (item["valueType"], item["value"])
        for item in got["serviceCharacteristic"]
        if item["name"].startswith("availability")
    } == {name: ("number", Decimal(value)) for name, value in expected.items()}
    for name, value in expected.items():  # a JSON number written with four decimals
        assert f'"name": "{name}", "valueType": "number", "value": {value}}}' in one.content.decode()
    assert [characteristic(item, "availability30d") for item in body(listed)] == [Decimal("99.9000")]


def test_a_service_never_turned_up_has_no_availability(sales_api):
    service = ordered_service()

    got = body(sales_api.get(f"{PATH}/{service.pk}"))

    assert [item["name"] for item in got["serviceCharacteristic"] if item["name"].startswith("availability")] == []
