"""What provisioning shows on the pages of the apps below it (core/panels.py): a service's RADIUS
subscriber and Wi-Fi passphrase, to provisioning and support."""

from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.core.permissions import Role, has_role
from headend.inventory.models import Service
from headend.provisioning import acs, selectors


def wifi_passphrase(service: Service) -> str:
    """The passphrase the ACS gave the router (derived, never stored), for support to read out."""
    if "wifi_ssid" not in service.identifiers:
        return ""
    try:
        return acs.wifi_passphrase(service)
    except acs.PermanentError:
        return ""  # no Wi-Fi secret configured


@panels.register("service.network", template="provisioning/panels/service_network.html", order=10)
def service_network(request: HttpRequest, service: Service) -> dict[str, Any] | None:
    if not has_role(request.user, Role.PROVISIONING, Role.SUPPORT):
        return None
    return {
        "service": service,
        "radius": selectors.subscriber_for_service(service=service),
        "wifi_passphrase": wifi_passphrase(service),
    }
