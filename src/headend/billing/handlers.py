"""Billing learns of services through the outbox: turn-up, suspension, restore, change, move and
disconnection become rate changes and one-time charges. Each event is consumed once: its rows
carry the event's id (`source_key`), so a replayed event writes nothing."""

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from headend.billing import charges
from headend.billing.models import ChargeKind, OneTimeCharge, Subscription
from headend.core import events
from headend.core.models import OutboxEvent
from headend.inventory.models import Service
from headend.usage import cycles as usage_cycles

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


# Usage (issue 20): data overage becomes a one-time charge; the usage cycle is the bill cycle.


@events.subscribe("usage.overage")
def on_usage_overage(event: OutboxEvent) -> None:
    """The overage blocks a service began past its data cap (usage/caps.py), as one charge on the
    account's next invoice. The event's key (service, cycle, blocks reached) is the charge's, so
    a replayed event or a second ingest of the same usage charges nothing more."""
    service = _service(event)
    data: dict[str, Any] = event.data
    key = str(data.get("key") or "")
    if service is None or not key or OneTimeCharge.objects.filter(source_key=f"{key}:charge").exists():
        return
    product = service.product_version.product
    blocks = int(data["new_blocks"])
    start, end = dt.date.fromisoformat(data["cycle_start"]), dt.date.fromisoformat(data["cycle_end"])
    charges._one_time(
        charges.subscription_of(service),
        key=key,
        kind=ChargeKind.CHARGE,
        amount=Decimal(data["amount"]),
        description=(
            f"Data overage: {blocks} \N{MULTIPLICATION SIGN} {data['block_gb']} GB over the allowance of "
            f"{product.name} ({start:%b %-d} to {end - dt.timedelta(days=1):%b %-d})"
        ),
        day=dt.date.fromisoformat(data["day"]),
        cause=f"Service {service.number}: blocks {int(data['blocks_before']) + 1} to {int(data['blocks'])}",
        tax_category=product.tax_category,
    )


def usage_bill_days(*, service_ids: Collection[int]) -> dict[int, int]:
    """Each service's bill day: that of the billing account paying for it (its parent's, if any)."""
    rows = Subscription.objects.filter(service_id__in=list(service_ids)).values_list(
        "service_id", "billing_account__bill_day", "billing_account__parent__bill_day"
    )
    return {service_id: parent_day or own_day for service_id, own_day, parent_day in rows}


usage_cycles.bill_days.provide(usage_bill_days)
