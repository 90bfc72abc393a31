"""What inventory shows on the pages of the apps below it (core/panels.py)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.core.permissions import may
from headend.crm.models import Account, Location
from headend.inventory import selectors
from headend.inventory.models import Service
from headend.network import topology_selectors
from headend.network.models import Element


@panels.register("account.cards", template="inventory/panels/account_cards.html", order=10)
def account_cards(request: HttpRequest, account: Account) -> dict[str, Any]:
    active = list(selectors.service_list(user=request.user, account_id=account.pk, status="active"))
    return {
        "active_services": len(active),
        "active_mrr": sum((service.mrc_amount for service in active), Decimal("0")),
    }


@dataclass(frozen=True)
class Site:
    location: Location
    services: list[Service]
    active_count: int
    active_mrr: Decimal


@panels.register("account.sections", template="inventory/panels/account_services.html", order=10)
def account_services(request: HttpRequest, account: Account) -> dict[str, Any]:
    """The account's services grouped by site (the sites in label order), each site
    with its active services' count and monthly recurring."""
    by_site: dict[int, list[Service]] = {}
    for service in selectors.service_list(user=request.user, account_id=account.pk):
        by_site.setdefault(service.location_id, []).append(service)
    sites = [
        Site(
            location=services[0].location,
            services=services,
            active_count=sum(1 for service in services if service.status == Service.Status.ACTIVE),
            active_mrr=sum(
                (service.mrc_amount for service in services if service.status == Service.Status.ACTIVE), Decimal("0")
            ),
        )
        for services in by_site.values()
    ]
    sites.sort(key=lambda site: (site.location.label.lower(), site.location.pk))
    return {"sites": sites, "service_count": sum(len(site.services) for site in sites)}


@panels.register("location.sections", template="inventory/panels/location_services.html", order=20)
def location_services(request: HttpRequest, location: Location) -> dict[str, Any]:
    return {"services": selectors.service_list(user=request.user, location_id=location.pk)}


@panels.register("service.network", template="inventory/panels/service_elements.html", order=5)
def service_elements(request: HttpRequest, service: Service) -> dict[str, Any]:
    """The topology elements the service rides on, each with its status, and (network team) a
    form to bind it to another by name."""
    bindings = selectors.service_elements(service=service)
    statuses = topology_selectors.element_statuses(elements=[binding.element for binding in bindings])
    labels = topology_selectors.STATUS_LABELS
    return {
        "service": service,
        "elements": [
            (binding, statuses[binding.element_id], labels[statuses[binding.element_id]]) for binding in bindings
        ],
        "can_bind": may(request.user, "topology.manage"),
    }


@panels.register("element.sections", template="inventory/panels/element_services.html", order=10)
def element_bound_services(request: HttpRequest, element: Element) -> dict[str, Any]:
    bindings = selectors.element_services_bound(user=request.user, element=element)
    return {"element": element, "bindings": list(bindings[:100]), "bound_count": bindings.count()}
