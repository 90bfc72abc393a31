"""TMF638 PATCH service state: suspend, restore and disconnect through work orders; and the
same from the service page."""

import pytest

from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import WorkOrder
from headend.inventory.models import Service
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_live_service_with_actions, make_user

pytestmark = pytest.mark.django_db

PATH = "/serviceInventory/v4/service"


@pytest.fixture
def live():
    return make_live_service_with_actions()


def finish(service: Service) -> Service:
    work_order = WorkOrder.objects.filter(service=service, order_line=None).latest("pk")
    fulfillment_services.task_run_code(task_id=work_order.tasks.get().pk)
    return Service.objects.get(pk=service.pk)


def test_patch_inactive_suspends_through_a_work_order(fulfil_api, live):
    response = fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "inactive", "stateChangeReason": "Non-payment"})

    assert response.status_code == 202
    service_body = body(response)
    assert_valid(service_body, api="638", definition="Service")
    assert service_body["state"] == "active"  # until the network is changed
    work_order = WorkOrder.objects.get(service=live, order_line=None)
    refs = [ref for ref in service_body["relatedEntity"] if ref["role"] == "workOrder"]
    assert [ref["id"] for ref in refs] == [str(work_order.pk)]
    assert (work_order.action, work_order.reason) == ("suspend", "Non-payment")
    assert finish(live).status == "suspended"
    assert body(fulfil_api.get(f"{PATH}/{live.pk}"))["state"] == "inactive"


def test_patch_active_restores_and_terminated_disconnects(fulfil_api, live):
    fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "inactive"})
    finish(live)

    assert fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "active"}).status_code == 202
    assert finish(live).status == "active"
    assert fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "terminated"}).status_code == 202
    assert finish(live).status == "disconnected"
    assert body(fulfil_api.get(f"{PATH}/{live.pk}"))["state"] == "terminated"


def test_a_state_that_does_not_fit_is_a_409_naming_the_state(fulfil_api, live):
    response = fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "active"})
    assert_error(response, status=409, field="state", code="invalid_transition", api="638")


def test_another_change_in_flight_is_a_409(fulfil_api, live):
    fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "inactive"})
    response = fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "terminated"})
    assert_error(response, status=409, field="id", code="change_in_flight", api="638")


def test_an_unknown_state_or_field_is_a_400_and_changes_nothing(fulfil_api, live):
    assert fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "designed"}).status_code == 400
    assert fulfil_api.patch(f"{PATH}/{live.pk}", {"state": "inactive", "name": "x"}).status_code == 400
    assert not WorkOrder.objects.filter(service=live, order_line=None).exists()


def test_sales_may_not_suspend(sales_api, live):
    assert sales_api.patch(f"{PATH}/{live.pk}", {"state": "inactive"}).status_code == 403


def test_the_service_page_offers_the_actions_and_requests_one(client, live):
    client.force_login(make_user("support"))
    page = client.get(f"/services/{live.pk}/")
    assert b'<option value="suspend">Suspend</option>' in page.content
    assert b'value="restore"' not in page.content

    response = client.post(f"/services/{live.pk}/action/", {"action": "suspend", "reason": "Customer asked"})

    assert response.status_code == 302
    work_order = WorkOrder.objects.get(service=live, order_line=None)
    assert work_order.reason == "Customer asked"
    page = client.get(f"/services/{live.pk}/")
    assert b"Service actions" not in page.content  # one change at a time


def test_the_service_page_shows_a_refusal_as_a_message(client, live):
    client.force_login(make_user("support"))
    response = client.post(f"/services/{live.pk}/action/", {"action": "suspend", "reason": ""}, follow=True)
    assert b"Say why the service is to be suspended." in response.content
    assert not WorkOrder.objects.filter(service=live, order_line=None).exists()


def test_sales_cannot_post_service_actions(client, live):
    client.force_login(make_user("sales"))
    assert client.post(f"/services/{live.pk}/action/", {"action": "suspend", "reason": "x"}).status_code == 403


def test_support_sees_the_radius_credentials_and_wifi_on_the_service_page(client, live):
    from headend.inventory import services as inventory_services
    from headend.provisioning import acs
    from headend.provisioning.models import Subscriber

    Subscriber.objects.create(
        service=live,
        username="s-000001",
        password="pw-secret-1",
        plan_group="plan-x",
        created_at=live.created_at,
        updated_at=live.created_at,
    )
    inventory_services.service_set_identifiers(service=live, wifi_ssid="WiFi-S-000001")
    client.force_login(make_user("support"))

    page = client.get(f"/services/{live.pk}/").content.decode()

    assert "s-000001" in page
    assert "pw-secret-1" in page
    assert acs.wifi_passphrase(live) in page
    client.force_login(make_user("sales"))
    assert "pw-secret-1" not in client.get(f"/services/{live.pk}/").content.decode()
