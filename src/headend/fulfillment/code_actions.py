"""Fulfillment's own code action: the service's circuit id.

The registry and what every action is given and may raise (`ActionContext`, the errors) are in
`headend.catalog.code_actions`, below every app that registers or names an action."""

from typing import Any

from headend.catalog.code_actions import ActionContext, register
from headend.inventory import services as inventory_services


@register("inventory.assign_circuit_id", "Assign the service's circuit id")
def assign_circuit_id(context: ActionContext) -> dict[str, Any]:
    service = context.service
    technology = service.product_version.technology or "SVC"
    prefix = {"fiber": "FTTP", "cable": "HFC", "fixed_wireless": "FWA", "dsl": "DSL"}.get(technology, "SVC")
    if service.account.is_business:
        prefix = f"DIA-{prefix}" if service.product_version.product.kind == "internet" else f"BIZ-{prefix}"
    service = inventory_services.service_assign_circuit_id(service=service, prefix=prefix)
    return {"circuit_id": service.circuit_id}
