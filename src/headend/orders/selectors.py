"""Reads of orders."""

from collections.abc import Collection
from typing import Any

from django.db import models

from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.orders.models import Order, OrderLine


def order_list(
    *,
    user: Any,
    account_id: Any = None,
    status: str = "",
    query: str = "",
    statuses: Collection[str] | None = None,
    detailed: bool = False,
) -> models.QuerySet[Order]:
    """Orders `user` may see; `statuses` keeps those in any of several (an empty one matches none);
    `detailed` also loads each order's lines with their services and work orders."""
    orders = Order.objects.filter(account__in=account_scope(user=user)).select_related("account", "quote")
    if account_id not in (None, ""):
        orders = orders.filter(account_id=parse_id(account_id))
    if status:
        orders = orders.filter(status=status)
    if statuses is not None:
        orders = orders.filter(status__in=list(statuses))
    if detailed:
        orders = orders.prefetch_related(
            models.Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related(
                    "location", "product_version__product", "work_order", "created_service"
                ).order_by("position"),
            )
        )
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        q = models.Q(account__name__icontains=query)
        if digits:
            q |= models.Q(pk=int(digits))
        orders = orders.filter(q)
    return orders.order_by("-created_at", "-id")


def order_get_for(*, user: Any, order_id: Any) -> Order:
    order = (
        Order.objects.filter(pk=parse_id(order_id), account__in=account_scope(user=user))
        .select_related("account", "quote")
        .prefetch_related(
            models.Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related(
                    "location", "product_version__product", "work_order", "created_service"
                ).order_by("position"),
            )
        )
        .first()
    )
    if order is None:
        raise NotFound("No such order.", field="id")
    return order
