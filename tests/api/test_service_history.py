"""TMF638 service: its state history (`stateChange`, an extension shaped as TMF621's StatusChange)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.core import clock
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import WorkOrder
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.orders import services as orders_services
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import FROZEN_AT
from tests.factories import make_quote

pytestmark = pytest.mark.django_db

PATH = "/serviceInventory/v4/service"


def ordered_service() -> Service:
    return Service.objects.get(order_line__order__quote=make_quote(status="accepted"))


def later(hours: int) -> dt.datetime:
    return FROZEN_AT + dt.timedelta(hours=hours)


def test_a_new_service_has_one_state_change(sales_api):
    service = ordered_service()

    got = body(sales_api.get(f"{PATH}/{service.pk}"))

    assert_valid(got, api="638", definition="Service")
    assert got["stateChange"] == [
        {
            "@type": "StateChange",
            "state": "designed",
            "changeDate": "2026-03-02T15:00:00Z",
            "changeReason": f"order {service.order_line.order.number}",
        }
    ]


def test_the_state_history_lists_every_move_oldest_first(sales_api):
    service = ordered_service()
    work_order = WorkOrder.objects.get(service=service)
    with clock.frozen(later(1)):
        fulfillment_services.task_complete(task=work_order.tasks.get(name="Schedule"), completed_by=None)
    with clock.frozen(later(2)):
        for name in ("Install", "Activate"):
            fulfillment_services.task_complete(task=work_order.tasks.get(name=name), completed_by=None)
    with clock.frozen(later(24)):
        inventory_services.service_suspend(service=service, reason="non-payment")
    with clock.frozen(later(48)):
        inventory_services.service_resume(service=service, reason="paid")
        inventory_services.service_request_disconnect(service=service, reason="moving away")
    inventory_services.service_disconnect(service=service, at=later(72))

    got = body(sales_api.get(f"{PATH}/{service.pk}"))

    assert_valid(got, api="638", definition="Service")
    assert [(change["state"], change["changeDate"], change.get("changeReason")) for change in got["stateChange"]] == [
        ("designed", "2026-03-02T15:00:00Z", f"order {service.order_line.order.number}"),
        ("reserved", "2026-03-02T16:00:00Z", None),
        ("active", "2026-03-02T17:00:00Z", f"work order {work_order.number}"),
        ("inactive", "2026-03-03T15:00:00Z", "non-payment"),
        ("active", "2026-03-04T15:00:00Z", "paid"),
        ("active", "2026-03-04T15:00:00Z", "moving away"),  # pending disconnect still runs
        ("terminated", "2026-03-05T15:00:00Z", "disconnected"),
    ]
    assert service.status_changes.count() == 7


def test_a_cancelled_orders_service_ends_terminated(sales_api):
    service = ordered_service()

    orders_services.order_cancel(order=service.order_line.order, reason="Changed plans", cancelled_by=None)

    got = body(sales_api.get(f"{PATH}/{service.pk}"))

    assert [(change["state"], change["changeReason"]) for change in got["stateChange"]] == [
        ("designed", f"order {service.order_line.order.number}"),
        ("terminated", "order cancelled"),
    ]


def test_fields_can_ask_for_the_history_alone(sales_api):
    service = ordered_service()

    got = body(sales_api.get(f"{PATH}/{service.pk}", fields="stateChange"))

    assert set(got) == {"id", "href", "@type", "stateChange"}
    assert [change["state"] for change in got["stateChange"]] == ["designed"]


def test_listed_services_carry_their_history_in_as_many_queries_for_many(sales_api):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = sales_api.get(PATH)
        assert all(item["stateChange"] for item in body(response))
        return len(captured.captured_queries)

    ordered_service()
    queries()  # the token's first use records when it was used
    one = queries()
    for _ in range(3):
        inventory_services.service_start_provisioning(service=ordered_service(), at=FROZEN_AT)

    assert queries() == one


def test_an_unknown_services_history_is_404(sales_api):
    assert_error(sales_api.get(f"{PATH}/31337", fields="stateChange"), status=404, code="not_found", api="638")


def test_the_history_needs_a_token(anonymous_api):
    service = ordered_service()

    assert_error(anonymous_api.get(f"{PATH}/{service.pk}"), status=401, api="638")
