"""What the network's pages and use cases need from inventory, above network in the stack.

Services are bound to elements in inventory (ServiceElement): the topology page counts the
services below each element, and an element with services bound to it is not deleted.
Inventory provides `element_services` in `InventoryConfig.ready()`."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from headend.core.hooks import Hook


class CountsBelow(Protocol):
    def __call__(self, *, element_ids: Collection[int]) -> dict[int, int]:
        """How many services (not disconnected) are bound to each element or anything below it,
        by element id (0 for none)."""
        ...


class BoundCount(Protocol):
    def __call__(self, *, element_id: int) -> int:
        """How many services (any status) are bound to the element itself."""
        ...


@dataclass(frozen=True)
class ElementServices:
    counts_below: CountsBelow
    bound_count: BoundCount


element_services: Hook[ElementServices] = Hook("network.hooks.element_services", provided_by="headend.inventory")
