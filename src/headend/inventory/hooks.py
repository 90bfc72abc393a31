"""The work behind a service, which fulfillment (above inventory in the stack) does.

A suspend, restore or disconnect asked for on the board or through the API becomes a work order
in the same transaction, and the service board shows each service's open work order.
Fulfillment provides `service_work` in `FulfillmentConfig.ready()`."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from headend.core.hooks import Hook


class RequestAction(Protocol):
    def __call__(self, *, service: Any, action: str, reason: str, requested_by: Any) -> Any:
        """The work order that does `action` (a key of `Service.ACTIONS`) to a live service.
        Raises ValidationError or Conflict (`invalid_transition`, `change_in_flight`, `no_template`)."""
        ...


class OpenWork(Protocol):
    def __call__(self, *, service_ids: Collection[int], at: dt.datetime) -> dict[int, Any]:
        """Each service's open work order as a board card (with `late_by`, `blocked` and
        `overdue`: late), by service id."""
        ...


class ServicesInWork(Protocol):
    def __call__(self, *, user: Any, assignee_id: int = 0, overdue: bool = False, at: dt.datetime) -> set[int]:
        """Services with work assigned to `assignee_id`, and (`overdue`) with late open work."""
        ...


class Assignees(Protocol):
    def __call__(self, *, user: Any) -> list[tuple[int, str]]:
        """The people (id, name) a board can be filtered by."""
        ...


@dataclass(frozen=True)
class ServiceWork:
    request_action: RequestAction
    open_work: OpenWork
    services_in_work: ServicesInWork
    assignees: Assignees


service_work: Hook[ServiceWork] = Hook("inventory.hooks.service_work", provided_by="headend.fulfillment")
