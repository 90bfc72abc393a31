"""The customer's email at 80 % and 100 % of the data cap (crm/notifications.py queues and sends
it, once per event; caps.py emits one event per notice and cycle)."""

import datetime as dt
from typing import Any

from django.conf import settings

from headend.catalog.models import DataCapAction
from headend.core import events
from headend.core.models import OutboxEvent
from headend.crm import notifications as crm_notifications
from headend.inventory.models import Service
from headend.provisioning.throttle import DEFAULT_MBPS
from headend.usage.caps import GB


def gigabytes(octets: int) -> str:
    """Octets as GB of 10^9 bytes, one decimal: 51.2 GB."""
    return f"{octets / GB:,.1f} GB"


def _what_next(data: dict[str, Any], cycle_end: dt.date) -> str:
    renews = f"{cycle_end:%B %-d}"
    if data["percent"] < 100:
        return f"Your allowance renews on {renews}."
    if data["action"] == DataCapAction.OVERAGE and data.get("block_gb"):
        return (
            f"From now on, each further {data['block_gb']} GB costs {data['block_amount']} {data['currency']} "
            f"on your next invoice, until your allowance renews on {renews}."
        )
    if data["action"] == DataCapAction.THROTTLE:
        mbps = int(getattr(settings, "HEADEND_USAGE_THROTTLE_MBPS", DEFAULT_MBPS) or DEFAULT_MBPS)
        return f"Your speed is reduced to {mbps} Mbps until your allowance renews on {renews}."
    return f"Your service goes on as usual; your allowance renews on {renews}."


@events.subscribe("usage.threshold")
def on_threshold(event: OutboxEvent) -> None:
    service = (
        Service.objects.select_related("account", "location", "product_version__product")
        .filter(pk=int(event.subject_id))
        .first()
    )
    if service is None:
        return
    data: dict[str, Any] = event.data
    provider = settings.HEADEND_PROVIDER_NAME
    product = service.product_version.product.name
    cycle_end = dt.date.fromisoformat(data["cycle_end"])
    used, cap = gigabytes(data["used_octets"]), gigabytes(data["cap_octets"])
    reached = "all" if data["percent"] >= 100 else f"{data['percent']} %"
    crm_notifications.email_queue(
        event=event,
        account=service.account,
        subject=f"{provider}: you have used {reached} of your data allowance",
        body=(
            f"Hello,\n\nYour {product} at {service.location.one_line} has used {used} of its {cap} allowance "
            f"this month (since {dt.date.fromisoformat(data['cycle_start']):%B %-d}).\n\n"
            f"{_what_next(data, cycle_end)}\n\nThank you for choosing {provider}."
        ),
    )
