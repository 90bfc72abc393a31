"""What network shows on the pages of the apps below it (core/panels.py)."""

from typing import Any

from django.http import HttpRequest

from headend.catalog import selectors as catalog_selectors
from headend.core import clock, panels
from headend.core.permissions import may
from headend.crm.models import Location
from headend.network import reach as network_reach
from headend.network import selectors


@panels.register("location.sections", template="network/panels/location_serviceability.html", order=10)
def location_serviceability(request: HttpRequest, location: Location) -> dict[str, Any]:
    """The site's reach in words (on, near or off our network, or not on the map), what sells there."""
    serviceability = selectors.serviceability_for(location=location)
    reach = network_reach.location_reach(location=location, serviceability=serviceability)
    wholesale = (
        catalog_selectors.wholesale_versions(on=clock.today(), customer_type=location.account.kind)
        if reach.status == network_reach.OFF_NET
        else []
    )
    return {
        "location": location,
        "serviceability": serviceability,
        "reach": reach,
        "words": network_reach.site_words(serviceability, reach),
        "wholesale": wholesale,
        "can_pin": may(request.user, "account.edit"),
    }


@panels.register("location.sections", template="network/panels/location_map.html", order=5)
def location_map(request: HttpRequest, location: Location) -> dict[str, Any]:
    """The way to the pin map (its page is network's: it draws the coverage)."""
    needs_pin = location.latitude is None
    return {"location": location, "needs_pin": needs_pin, "can_pin": may(request.user, "account.edit")}
