"""What IPAM shows on the pages of the apps below it (core/panels.py): a service's addresses."""

from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.inventory.models import Service
from headend.ipam import selectors


@panels.register("service.network", template="ipam/panels/service_addresses.html", order=20)
def service_addresses(request: HttpRequest, service: Service) -> dict[str, Any]:
    return {"addresses": selectors.allocation_list_for_service(service=service)}
