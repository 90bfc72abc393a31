"""Code tasks: named actions the worker runs for a task, with no human touch.

An action takes the task, does its work idempotently (running it twice changes nothing the
second time) and returns a small JSON-able result kept on the task."""

from collections.abc import Callable
from typing import Any

CodeAction = Callable[[Any], dict[str, Any]]
_actions: dict[str, tuple[str, CodeAction]] = {}


def register(name: str, label: str) -> Callable[[CodeAction], CodeAction]:
    def decorate(action: CodeAction) -> CodeAction:
        _actions[name] = (label, action)
        return action

    return decorate


def is_registered(name: str) -> bool:
    return name in _actions


def names() -> list[str]:
    return sorted(_actions)


def choices() -> list[tuple[str, str]]:
    return [(name, label) for name, (label, _) in sorted(_actions.items())]


def get(name: str) -> CodeAction:
    return _actions[name][1]


@register("inventory.assign_circuit_id", "Assign the service's circuit id")
def assign_circuit_id(task: Any) -> dict[str, Any]:
    from headend.inventory import services as inventory_services

    service = task.work_order.service
    technology = service.product_version.technology or "SVC"
    prefix = {"fiber": "FTTP", "cable": "HFC", "fixed_wireless": "FWA", "dsl": "DSL"}.get(technology, "SVC")
    if service.account.is_business:
        prefix = f"DIA-{prefix}" if service.product_version.product.kind == "internet" else f"BIZ-{prefix}"
    service = inventory_services.service_assign_circuit_id(service=service, prefix=prefix)
    return {"circuit_id": service.circuit_id}
