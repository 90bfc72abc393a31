"""What the worker changes on someone's behalf is recorded in history as done for them."""

import pytest

from headend.catalog.services import TaskSpec
from headend.fulfillment import services
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory.models import Service
from headend.orders import services as orders_services
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from tests.factories import (
    make_account,
    make_live_service_with_actions,
    make_location,
    make_product,
    make_quote,
    make_user,
)

pytestmark = pytest.mark.django_db


def test_the_workers_turn_up_names_the_staff_member_who_accepted_the_quote(run_worker):
    closer = make_user("sales", username="closer")
    version = make_product(tasks=[TaskSpec("Turn up", kind="code", code_action="inventory.assign_circuit_id")])
    quote = quoting_services.quote_accept(quote=make_quote(status="presented", version=version), accepted_by=closer)

    run_worker()

    service = Service.objects.get(order_line__order__quote=quote)
    assert service.status == "active"
    changes = list(service.history.order_by("history_id").values_list("status", "circuit_id", "history_user"))
    assert changes[-3:] == [
        ("provisioning", "", closer.pk),
        ("provisioning", service.circuit_id, closer.pk),
        ("active", service.circuit_id, closer.pk),
    ]
    task = Task.objects.get(work_order__service=service)
    assert task.history.latest().history_user == closer


def test_a_suspension_the_worker_carries_out_names_who_asked_for_it(run_worker):
    service = make_live_service_with_actions()
    support = make_user("support", username="collections")
    services.service_action_request(service=service, action="suspend", reason="non-payment", requested_by=support)

    run_worker()

    suspended = Service.history.filter(id=service.pk).latest()
    assert (suspended.status, suspended.history_user) == ("suspended", support)


def test_work_for_an_order_placed_without_a_quote_is_asked_for_by_who_placed_it():
    placed_by = make_user("sales", username="api-client")
    account = make_account()
    item = orders_services.OrderItem(location=make_location(account), product_version=make_product(), term_months=12)

    order = orders_services.order_create(account=account, items=[item], created_by=placed_by)

    assert WorkOrder.objects.get(order_line__order=order).requested_by == placed_by


def test_cancelling_an_order_records_each_task_it_cancels():
    order = Order.objects.get(quote=make_quote(status="accepted"))
    tasks = list(Task.objects.filter(work_order__order_line__order=order).order_by("position"))

    orders_services.order_cancel(order=order, reason="customer moved away", cancelled_by=make_user("sales"))

    assert [task.history.latest().status for task in tasks] == ["cancelled"] * len(tasks)
