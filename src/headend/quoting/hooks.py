"""What an accepted quote becomes, which orders (above quoting in the stack) decides.

Accepting a quote makes its order, and the order's services and work orders, in the same
transaction; a change quoted on a service is refused while an order already changes it.
Orders provides `quote_orders` in `OrdersConfig.ready()`."""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from headend.core.hooks import Hook


class OrderFromQuote(Protocol):
    def __call__(self, *, quote: Any, at: dt.datetime) -> Any:
        """The order for an accepted quote, decomposed into services and work orders."""
        ...


class ChangeInFlight(Protocol):
    def __call__(self, *, service_id: int) -> Any:
        """An unfinished order (with its `number`) that already changes the service, or None."""
        ...


@dataclass(frozen=True)
class QuoteOrders:
    create_order: OrderFromQuote
    change_in_flight: ChangeInFlight


quote_orders: Hook[QuoteOrders] = Hook("quoting.hooks.quote_orders", provided_by="headend.orders")
