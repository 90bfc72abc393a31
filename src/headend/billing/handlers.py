"""Billing learns of services through the outbox: turn-up, suspension, restore, change, move and
disconnection become rate changes and one-time charges. Each event is consumed once: its rows
carry the event's id (`source_key`), so a replayed event writes nothing."""

from typing import Any

from headend.billing import charges
from headend.core import events
from headend.core.models import OutboxEvent
from headend.inventory.models import Service

SERVICE = "inventory.service"


def _service(event: OutboxEvent) -> Service | None:
    if event.subject_type != SERVICE:
        return None
    return (
        Service.objects.select_related("product_version__product", "location", "order_line", "base_service")
        .filter(pk=event.subject_id)
        .first()
    )


@events.subscribe("service.active")
def on_active(event: OutboxEvent) -> None:
    service = _service(event)
    if service is None:
        return
    if event.data.get("from") == Service.Status.SUSPENDED:
        charges.record_restore(service=service, at=event.occurred_at, key=str(event.event_id))
    else:
        charges.record_turn_up(service=service, key=str(event.event_id))


@events.subscribe("service.suspended")
def on_suspended(event: OutboxEvent) -> None:
    service = _service(event)
    if service is not None:
        charges.record_suspension(service=service, at=event.occurred_at, key=str(event.event_id))


@events.subscribe("service.changed")
def on_changed(event: OutboxEvent) -> None:
    service = _service(event)
    if service is None:
        return
    data: dict[str, Any] = event.data
    charges.record_change(service=service, at=event.occurred_at, data=data, key=str(event.event_id))


@events.subscribe("service.disconnected")
def on_disconnected(event: OutboxEvent) -> None:
    service = _service(event)
    if service is not None:
        charges.record_disconnection(service=service, at=event.occurred_at, key=str(event.event_id))
