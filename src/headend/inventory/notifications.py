"""The customer's email when their service goes live (crm/notifications.py queues and sends it)."""

from django.conf import settings

from headend.core import clock, events
from headend.core.models import OutboxEvent
from headend.crm import notifications as crm_notifications
from headend.inventory.models import Service


@events.subscribe("service.active")
def service_live(event: OutboxEvent) -> None:
    if event.data.get("from") not in ("pending", "provisioning"):
        return  # a resume after suspension is not a new service
    service = (
        Service.objects.select_related("account", "location", "product_version__product")
        .filter(pk=int(event.subject_id))
        .first()
    )
    if service is None or service.activated_at is None:
        return
    provider = settings.HEADEND_PROVIDER_NAME
    live_since = service.activated_at.astimezone(clock.provider_zone())
    crm_notifications.email_queue(
        event=event,
        account=service.account,
        subject=f"{provider}: your {service.product_version.product.name} is live",
        body=f"Hello,\n\nYour {service.product_version.product.name} at {service.location.one_line} is live since "
        f"{live_since:%A %B %-d, %Y at %H:%M}.\n\nThank you for choosing {provider}.",
    )
