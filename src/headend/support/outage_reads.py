"""Which outages touch a customer: the open ones impacting their services (from the impact
rows support wrote) and the maintenance windows planned over them (from the topology, since a
window writes its impact only when it starts). Read by the staff banners (support/panels.py)
and the portal's."""

from django.db import models

from headend.crm.models import Account
from headend.inventory import outage_impact
from headend.inventory.models import Service, ServiceElement
from headend.network.models import Outage


def _planned_over(bindings: models.QuerySet[ServiceElement]) -> models.QuerySet[Outage]:
    """Scheduled maintenance windows on an element at or above any of `bindings`' elements."""
    below = bindings.filter(element__path__startswith=models.OuterRef("element__path"))
    return Outage.objects.filter(kind=Outage.Kind.MAINTENANCE, status=Outage.Status.SCHEDULED).filter(
        models.Exists(below)
    )


def outages_over_account(account: Account) -> list[Outage]:
    """The open outages impacting the account's services, then the windows planned over them."""
    open_now = Outage.objects.filter(
        status=Outage.Status.OPEN, impacts__account=account, impacts__ended_at=None
    ).distinct()
    live = ServiceElement.objects.filter(service__account=account, service__status__in=outage_impact.LIVE)
    planned = _planned_over(live)
    return [
        *open_now.select_related("element").order_by("started_at", "pk"),
        *planned.select_related("element").order_by("scheduled_start", "pk"),
    ]


def outages_over_service(service: Service) -> list[Outage]:
    """The open outages impacting the service, then the windows planned over it (or its base)."""
    open_now = Outage.objects.filter(
        status=Outage.Status.OPEN, impacts__service=service, impacts__ended_at=None
    ).distinct()
    riding = [service.pk] + ([service.base_service_id] if service.base_service_id else [])
    planned = _planned_over(ServiceElement.objects.filter(service_id__in=riding))
    if service.status not in outage_impact.LIVE:
        planned = planned.none()
    return [
        *open_now.select_related("element").order_by("started_at", "pk"),
        *planned.select_related("element").order_by("scheduled_start", "pk"),
    ]
