"""Commissions follow the outbox: an order booked from an accepted quote, a service turned up
(not a restore after suspension, not a disconnection called off), a service disconnected. Each
earning is keyed by what it is for and the rep, so a replayed event writes nothing."""

from headend.core import events
from headend.core.models import OutboxEvent
from headend.inventory.models import Service

from . import earnings

ORDER = "orders.order"
SERVICE = "inventory.service"
FIRST_TURN_UP = (Service.Status.PENDING, Service.Status.PROVISIONING)


@events.subscribe("order.created")
def on_order_created(event: OutboxEvent) -> None:
    if event.subject_type == ORDER:
        earnings.order_booked(order_id=int(event.subject_id))


@events.subscribe("service.active")
def on_service_active(event: OutboxEvent) -> None:
    if event.subject_type == SERVICE and event.data.get("from") in FIRST_TURN_UP:
        earnings.service_turned_up(service_id=int(event.subject_id), at=event.occurred_at)


@events.subscribe("service.disconnected")
def on_service_disconnected(event: OutboxEvent) -> None:
    if event.subject_type == SERVICE:
        earnings.service_disconnected(service_id=int(event.subject_id), at=event.occurred_at)
