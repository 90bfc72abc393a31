"""What network shows on the pages of the apps below it (core/panels.py)."""

from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.crm.models import Location
from headend.network import selectors


@panels.register("location.sections", template="network/panels/location_serviceability.html", order=10)
def location_serviceability(request: HttpRequest, location: Location) -> dict[str, Any]:
    return {"serviceability": selectors.serviceability_for(location=location)}
