"""Reads of orders."""

from collections.abc import Collection
from typing import Any

from django.db import models

from headend.core.errors import Conflict, NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.orders.models import Order, OrderLine
from headend.quoting import selectors as quoting_selectors
from headend.quoting.models import Quote


def _lines_prefetch() -> models.Prefetch:
    """An order's lines with what its pages and TMF622 show of each (the base an add-on rides on too)."""
    return models.Prefetch(
        "lines",
        queryset=OrderLine.objects.select_related(
            "location",
            "product_version__product",
            "work_order",
            "created_service",
            "target_service",
            "base_line",
            "promotion",
        ).order_by("position"),
    )


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
        orders = orders.prefetch_related(_lines_prefetch())
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
        .prefetch_related(_lines_prefetch())
        .first()
    )
    if order is None:
        raise NotFound("No such order.", field="id")
    return order


def order_search(
    *,
    user: Any,
    account_id: Any = None,
    quote_id: Any = None,
    statuses: Collection[str] | None = None,
    cancel_requested: bool | None = None,
) -> models.QuerySet[Order]:
    """Orders `user` may see, with their lines loaded (as `order_list(detailed=True)`), of one
    customer, from one quote, in any of `statuses`, and (`cancel_requested`) with or without a
    cancellation asked for."""
    orders = order_list(user=user, account_id=account_id, statuses=statuses, detailed=True)
    if quote_id not in (None, ""):
        orders = orders.filter(quote_id=parse_id(quote_id))
    if cancel_requested is not None:
        orders = orders.filter(cancel_requested_at__isnull=not cancel_requested)
    return orders


def order_for_quote(*, user: Any, quote_id: Any) -> Order:
    """The order an accepted quote became.

    Raises NotFound (field `id`) for a quote `user` may not see, and Conflict
    (`quote_not_accepted`) while the quote is not accepted: accepting it is what makes the order."""
    quote = quoting_selectors.quote_get_for(user=user, quote_id=quote_id)
    order = Order.objects.filter(quote=quote).first()
    if quote.status != Quote.Status.ACCEPTED or order is None:
        raise Conflict(
            f"Quote {quote.number} is {quote.get_status_display().lower()}; accept it to make its order.",
            field="status",
            code="quote_not_accepted",
        )
    return order_get_for(user=user, order_id=order.pk)


def order_cancellation_get_for(*, user: Any, order_id: Any) -> Order:
    """An order whose cancellation was asked for (a TMF622 cancelProductOrder is one such
    order); NotFound for any other order, or one `user` may not see."""
    order = order_get_for(user=user, order_id=order_id)
    if order.cancel_requested_at is None:
        raise NotFound("No cancellation was asked for on this order.", field="id")
    return order


def change_in_flight(*, service_id: int) -> Order | None:
    """An unfinished order that already changes this service, if any."""
    line = (
        OrderLine.objects.filter(
            target_service_id=service_id,
            order__status__in=[Order.Status.ACKNOWLEDGED, Order.Status.IN_PROGRESS, Order.Status.PENDING_CANCELLATION],
        )
        .select_related("order")
        .first()
    )
    return line.order if line else None
