"""Reads of the service inventory."""

from collections.abc import Collection
from typing import Any

from django.db import models

from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.inventory.models import Service


def service_list(
    *,
    user: Any,
    account_id: Any = None,
    status: str = "",
    location_id: Any = None,
    query: str = "",
    statuses: Collection[str] | None = None,
    detailed: bool = False,
) -> models.QuerySet[Service]:
    """Services `user` may see; `statuses` keeps those in any of several (an empty one matches none);
    `detailed` also loads the order line each service came from."""
    services = Service.objects.filter(account__in=account_scope(user=user)).select_related(
        "account", "location", "product_version__product"
    )
    if statuses is not None:
        services = services.filter(status__in=list(statuses))
    if detailed:
        services = services.select_related("order_line__order")
    if account_id not in (None, ""):
        services = services.filter(account_id=parse_id(account_id))
    if location_id not in (None, ""):
        services = services.filter(location_id=parse_id(location_id))
    if status:
        services = services.filter(status=status)
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        q = (
            models.Q(account__name__icontains=query)
            | models.Q(circuit_id__icontains=query)
            | models.Q(product_version__product__name__icontains=query)
        )
        if digits and query.upper().startswith("S-"):
            q |= models.Q(pk=int(digits))
        services = services.filter(q)
    return services.order_by("account__name", "id")


def service_get_for(*, user: Any, service_id: Any) -> Service:
    service = (
        Service.objects.filter(pk=parse_id(service_id), account__in=account_scope(user=user))
        .select_related("account", "location", "product_version__product", "order_line__order")
        .prefetch_related("status_changes", "work_orders")
        .first()
    )
    if service is None:
        raise NotFound("No such service.", field="id")
    return service
