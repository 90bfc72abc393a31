"""order_decompose writes set-wise what it wrote line by line: the history of each service, work
order and task naming who acted, and each record's events in the order listeners read them."""

import pytest

from headend.core import audit
from headend.core.models import OutboxEvent
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from tests.factories import make_quote, make_user

pytestmark = pytest.mark.django_db


def test_order_decompose_history_names_who_acted_for_every_row():
    quote = make_quote(lines=3, status="presented")
    staff = make_user("sales")

    with audit.acting_for(staff):
        quoting_services.quote_accept(quote=quote, accepted_by=staff)

    order = Order.objects.get(quote=quote)
    services = Service.objects.filter(order_line__order=order)
    work_orders = WorkOrder.objects.filter(order_line__order=order)
    tasks = Task.objects.filter(work_order__in=work_orders)
    for model, rows in ((Service, services), (WorkOrder, work_orders), (Task, tasks)):
        history = model.history.filter(id__in=rows.values("pk"))
        assert sorted(history.values_list("id", "history_type", "history_user")) == sorted(
            (pk, "+", staff.pk) for pk in rows.values_list("pk", flat=True)
        )
    assert set(work_orders.values_list("requested_by", flat=True)) == {staff.pk}


def test_order_decompose_emits_each_records_events_in_order():
    quote = make_quote(lines=2, status="presented")

    quoting_services.quote_accept(quote=quote, accepted_by_name="Pat Customer")

    order = Order.objects.get(quote=quote)
    for work_order in WorkOrder.objects.filter(order_line__order=order):
        created = OutboxEvent.objects.get(
            name="work_order.created", subject_type="fulfillment.workorder", subject_id=str(work_order.pk)
        )
        first = work_order.tasks.get(position=1)
        ready = OutboxEvent.objects.get(name="task.ready", subject_type="fulfillment.task", subject_id=str(first.pk))
        assert created.data == {"order_line_id": work_order.order_line_id}
        assert ready.data == {"work_order_id": work_order.pk, "kind": "manual"}
        assert created.pk < ready.pk
        assert list(work_order.tasks.values_list("status", flat=True)) == ["ready", "pending", "pending"]
    for service in Service.objects.filter(order_line__order=order):
        assert OutboxEvent.objects.get(name="service.created", subject_id=str(service.pk)).data == {
            "order_line_id": service.order_line_id
        }
