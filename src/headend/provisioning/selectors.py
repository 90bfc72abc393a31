"""Reads of provisioning's records: RADIUS subscribers and NASes."""

from typing import Any

from headend.provisioning.models import Nas, Subscriber


def subscriber_for_service(*, service: Any) -> Subscriber | None:
    """The service's RADIUS subscriber, if it was ever provisioned."""
    return Subscriber.objects.filter(service_id=service.pk).first()


def username_in_use(username: str, *, exclude_pk: int | None = None) -> bool:
    """Whether a subscriber that is not removed holds this RADIUS username."""
    return username_holder(username, exclude_pk=exclude_pk) is not None


def username_holder(username: str, *, exclude_pk: int | None = None) -> Subscriber | None:
    """The subscriber (not removed) holding a RADIUS username, with its service."""
    holders = Subscriber.objects.filter(username=username).exclude(state=Subscriber.State.REMOVED)
    if exclude_pk is not None:
        holders = holders.exclude(pk=exclude_pk)
    return holders.select_related("service").first()


def nas_for_address(address: str) -> Nas | None:
    """The NAS FreeRADIUS recorded a session on, by its NAS-IP-Address."""
    return Nas.objects.filter(ip_address=address).first()
