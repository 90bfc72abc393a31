"""The work an order needs from fulfillment, above orders in the stack.

Decomposing an order makes a work order per line and the order's first schedule, and
cancelling an order cancels its work, in the same transaction as the order. Fulfillment provides
`order_work` in `FulfillmentConfig.ready()`."""

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from headend.core.hooks import Hook


class CreateWork(Protocol):
    def __call__(
        self,
        *,
        order_line: Any,
        service: Any,
        at: dt.datetime,
        templates: dict[tuple[int, str], Any] | None = None,
        after: Any = None,
        requested_by: Any = None,
    ) -> Any:
        """The work order for one order line from its product's template for the line's action;
        with `after` (the base's work order), it starts once that turned its service up. Raises
        Conflict (`no_template`) when the product has no template for the action."""
        ...


class Forecast(Protocol):
    def __call__(self, *, order: Any, at: dt.datetime, baseline: bool = False) -> Any:
        """Plan the order's open tasks and store its forecast go-live (and, with `baseline`, the
        planned one) with `orders.services.order_set_forecast`."""
        ...


class CancelWork(Protocol):
    def __call__(self, *, order: Any, at: dt.datetime, reason: str) -> None:
        """Cancel the open work of every line of the order, in line order; the lines follow
        through `orders.services.order_line_cancelled` once their work is cancelled."""
        ...


@dataclass(frozen=True)
class OrderWork:
    create: CreateWork
    forecast: Forecast
    cancel: CancelWork


order_work: Hook[OrderWork] = Hook("orders.hooks.order_work", provided_by="headend.fulfillment")
