"""What the staff search finds among orders (core/search.py): by number (O-000042)."""

from typing import Any

from django.db import models

from headend.core import search
from headend.orders import selectors
from headend.orders.models import Order


def _order_hit(order: Order) -> search.Hit:
    return search.Hit(order.number, order.get_absolute_url(), f"{order.account.name} · {order.get_status_display()}")


@search.register("orders", label="Orders", show=_order_hit, order=60)
def find_orders(user: Any, query: str) -> models.QuerySet[Order]:
    order_id = search.number_id(query, "O")
    if order_id is None:
        return Order.objects.none()
    return selectors.order_list(user=user).filter(pk=order_id)
