"""What the staff search finds among services (core/search.py): by number (S-000042), circuit id
or RADIUS username. Provisioning owns the RADIUS subscribers and sits above the inventory, so
the one "Services" group that matches either is registered here (an IPoE subscriber's username
is often its circuit id: one group shows that service once)."""

from typing import Any

from django.db import models

from headend.core import search
from headend.inventory import selectors as inventory_selectors
from headend.inventory.models import Service
from headend.provisioning.models import Subscriber


def _service_hit(service: Service) -> search.Hit:
    facts = [service.account.name, service.product_version.product.name]
    if service.circuit_id:
        facts.append(f"circuit {service.circuit_id}")
    subscriber = getattr(service, "radius_subscriber", None)
    if subscriber is not None and subscriber.username != service.circuit_id:
        facts.append(f"RADIUS {subscriber.username}")
    return search.Hit(
        f"{service.number} · {service.get_status_display()}", service.get_absolute_url(), " · ".join(facts)
    )


@search.register("services", label="Services", show=_service_hit, order=40)
def find_services(user: Any, query: str) -> models.QuerySet[Service]:
    usernames = Subscriber.objects.filter(username__icontains=query).exclude(state=Subscriber.State.REMOVED)
    q = models.Q(circuit_id__icontains=query) | models.Q(pk__in=usernames.values("service_id"))
    service_id = search.number_id(query, "S")
    if service_id is not None and query.strip().upper().startswith("S"):
        q |= models.Q(pk=service_id)
    return (
        inventory_selectors.service_list(user=user)
        .filter(q)
        .select_related("radius_subscriber")
        .order_by("account__name", "id")
    )
