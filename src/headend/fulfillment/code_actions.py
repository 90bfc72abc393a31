"""Fulfillment's own code action: the service's circuit id.

The registry and what every action is given and may raise (`ActionContext`, the errors) are in
`headend.catalog.code_actions`, below every app that registers or names an action."""

from typing import Any

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext, PermanentError, register, register_batch
from headend.inventory import services as inventory_services


@register("inventory.assign_circuit_id", "Assign the service's circuit id")
def assign_circuit_id(context: ActionContext) -> dict[str, Any]:
    (outcome,) = assign_circuit_ids([context])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@register_batch("inventory.assign_circuit_id")
def assign_circuit_ids(contexts: list[ActionContext]) -> list[code_actions.Outcome]:
    """Circuit ids for many tasks' services in a few statements; a taken id fails its task alone."""
    assigned = inventory_services.services_assign_circuit_ids(
        prefixes={context.service.pk: _prefix(context.service) for context in contexts}
    )
    outcomes: list[code_actions.Outcome] = []
    for context in contexts:
        service = assigned[context.service.pk]
        if isinstance(service, Exception):
            outcomes.append(PermanentError(service.message))
        else:
            outcomes.append({"circuit_id": service.circuit_id})
    return outcomes


def _prefix(service: Any) -> str:
    """The circuit id's prefix: the technology's, DIA- for a business's internet, BIZ- for its
    other services."""
    technology = service.product_version.technology or "SVC"
    prefix = {"fiber": "FTTP", "cable": "HFC", "fixed_wireless": "FWA", "dsl": "DSL"}.get(technology, "SVC")
    if service.account.is_business:
        prefix = f"DIA-{prefix}" if service.product_version.product.kind == "internet" else f"BIZ-{prefix}"
    return prefix
