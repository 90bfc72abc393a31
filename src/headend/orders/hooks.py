"""The work an order needs from fulfillment, above orders in the stack.

Decomposing an order makes a work order per line and the order's first schedule, and
cancelling an order cancels its work, in the same transaction as the order. Fulfillment provides
`order_work` in `FulfillmentConfig.ready()`."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from headend.core.hooks import Hook


@dataclass(frozen=True)
class WorkRequest:
    """One order line's work: on `service` (made for it, or the one it changes); `after`, the
    index of an earlier request (the base's work an add-on's work waits to turn up), or None."""

    order_line: Any
    service: Any
    after: int | None = None


class CreateWork(Protocol):
    def __call__(self, *, requests: Sequence[WorkRequest], at: dt.datetime, requested_by: Any = None) -> list[Any]:
        """The work orders for these order lines, in their order, from each product's template
        for the line's action; one with `after` starts once that request's work turned its service
        up. Raises Conflict (`no_template`) when a product has no template for the action."""
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
    create_many: CreateWork
    forecast: Forecast
    cancel: CancelWork


order_work: Hook[OrderWork] = Hook("orders.hooks.order_work", provided_by="headend.fulfillment")
