"""Code actions for IP addresses: allocate one to a service, release it on disconnect.

Parameters (a template task's `code_params`):
- `ipam.allocate`: {"pool": "<name>"} or {"family": "ipv4"|"ipv6"} with optional "region"
  (default: the service location's city), "technology" (default: the plan's) and
  "allocation_length" (IPv4: 32, single addresses, unless e.g. 29 for business /29 blocks;
  IPv6: any size). Records the address on the service as
  identifier "ipv4_address" or "ipv6_prefix".
- `ipam.release`: optional {"pool": "<name>"} or {"family": ...}; without either, every address
  the service holds. Quarantines them and removes the identifiers."""

from typing import Any

from headend.catalog import code_actions
from headend.catalog.code_actions import ActionContext, ActionError, PermanentError, RetryableError
from headend.catalog.models import ProductVersion
from headend.core.errors import Conflict, DomainError, NotFound, ValidationError
from headend.inventory import services as inventory_services
from headend.ipam import selectors, services
from headend.ipam.models import Family

IDENTIFIER = {Family.IPV4: "ipv4_address", Family.IPV6: "ipv6_prefix"}
ALLOCATE_KEYS = {"pool", "family", "region", "technology", "allocation_length"}
RELEASE_KEYS = {"pool", "family"}


def _check_common(params: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValidationError(
            f"Unknown parameter {unknown[0]!r}; this action takes {', '.join(sorted(allowed))}.", field=unknown[0]
        )
    pool = params.get("pool")
    if pool is not None:
        if not isinstance(pool, str) or not pool.strip():
            raise ValidationError("Name the pool.", field="pool")
        try:
            selectors.pool_get_by_name(name=pool)
        except NotFound as exc:
            raise ValidationError(exc.message, field="pool", code="no_pool") from None
    family = params.get("family")
    if family is not None and family not in Family.values:
        raise ValidationError("The family is ipv4 or ipv6.", field="family")


def check_allocate_params(params: dict[str, Any]) -> None:
    """Either a pool by name, or the family to choose a pool by region and technology."""
    _check_common(params, ALLOCATE_KEYS)
    if params.get("pool") is None and params.get("family") is None:
        raise ValidationError("Name the pool, or say which family (ipv4 or ipv6) to choose a pool by.", field="family")
    if params.get("pool") is not None and set(params) & {"region", "technology", "allocation_length"}:
        raise ValidationError("A named pool is chosen already: drop region, technology and size.", field="pool")
    region = params.get("region")
    if region is not None and not isinstance(region, str):
        raise ValidationError("The region is a text, such as a city.", field="region")
    technology = params.get("technology")
    if technology is not None and technology not in ProductVersion.Technology.values:
        allowed = ", ".join(value for value in ProductVersion.Technology.values if value)
        raise ValidationError(f"Unknown technology {technology!r}; use one of {allowed}.", field="technology")
    length = params.get("allocation_length")
    if length is not None and (not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 128):
        raise ValidationError(
            "The allocation size is a prefix length, 1 to 128 (32, 29, 56, 64).", field="allocation_length"
        )


def check_release_params(params: dict[str, Any]) -> None:
    _check_common(params, RELEASE_KEYS)


@code_actions.register("ipam.allocate", "Allocate an IP address or prefix", check_params=check_allocate_params)
def allocate(context: ActionContext) -> dict[str, Any]:
    (outcome,) = allocate_many([context])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@code_actions.register_batch("ipam.allocate")
def allocate_many(contexts: list[ActionContext]) -> list[code_actions.Outcome]:
    """`ipam.allocate` for many tasks: their addresses in a few statements per pool
    (ipam.services.allocations_allocate) and recorded on their services in one; one task's
    refusal (bad parameters, a full pool) is its outcome alone."""
    outcomes: list[code_actions.Outcome | None] = [None] * len(contexts)
    asked: list[tuple[int, services.AllocationRequest]] = []
    pools: dict[str, Any] = {}
    for index, context in enumerate(contexts):
        try:
            asked.append((index, _request(context, pools)))
        except ActionError as exc:
            outcomes[index] = exc
        except DomainError as exc:
            outcomes[index] = PermanentError(exc.message)
    allocated = services.allocations_allocate(requests=[request for _, request in asked])
    recorded: dict[int, dict[str, Any]] = {}
    for (index, request), allocation in zip(asked, allocated, strict=True):
        if isinstance(allocation, Conflict) and allocation.code == "pool_busy":
            outcomes[index] = RetryableError(allocation.message)
        elif isinstance(allocation, DomainError):
            outcomes[index] = PermanentError(allocation.message)
        else:
            key = IDENTIFIER[Family(allocation.pool.family)]
            recorded[request.service.pk] = {key: allocation.address}
            context = contexts[index]
            context.record(note=f"{allocation.address} from pool {allocation.pool.name} ({allocation.pool.prefix})")
            outcomes[index] = {"address": allocation.address, "pool": allocation.pool.name, "identifier": key}
    if recorded:
        inventory_services.services_set_identifiers(values=recorded)
    return [outcome for outcome in outcomes if outcome is not None]


def _request(context: ActionContext, pools: dict[str, Any]) -> services.AllocationRequest:
    """What a task asks of IPAM: a named pool (read once per batch, as are parameters checked
    once: `pools` keeps both), or a family with the
    region (default: the service location's city) and technology (default: the plan's).
    Raises PermanentError, or a DomainError (a bad parameter)."""
    service = context.service
    checked = repr(sorted(context.params.items()))
    if checked not in pools:  # the tasks of one template share their parameters: checked once
        check_allocate_params(context.params)
        pools[checked] = True
    name = context.params.get("pool")
    if name is not None:
        if name not in pools:
            pools[name] = selectors.pool_get_by_name(name=name)
        pool = pools[name]
        if context.params.get("family") not in (None, pool.family):
            family = context.params["family"]
            raise PermanentError(f"Pool {pool.name} holds {pool.get_family_display()} addresses, not {family}.")
        return services.AllocationRequest(service=service, pool=pool)
    region = context.params.get("region")
    technology = context.params.get("technology")
    return services.AllocationRequest(
        service=service,
        family=context.params["family"],
        region=service.location.city if region is None else region,
        technology=service.product_version.technology if technology is None else technology,
        allocation_length=context.params.get("allocation_length"),
    )


@code_actions.register("ipam.release", "Release the service's IP addresses", check_params=check_release_params)
def release(context: ActionContext) -> dict[str, Any]:
    service = context.service
    try:
        check_release_params(context.params)
        pool = selectors.pool_get_by_name(name=context.params["pool"]) if context.params.get("pool") else None
    except DomainError as exc:
        raise PermanentError(exc.message) from exc
    family = pool.family if pool is not None else context.params.get("family", "")
    released = services.allocation_release(service=service, pool=pool, family=family)
    # Identifiers go whether this run released anything or an earlier run did before a crash.
    keys = [IDENTIFIER[Family(family)]] if family else list(IDENTIFIER.values())
    inventory_services.service_set_identifiers(service=service, **dict.fromkeys(keys))
    for allocation in released:
        context.record(note=f"{allocation.address} quarantined until {allocation.reusable_after:%Y-%m-%d %H:%M} UTC")
    return {"released": [allocation.address for allocation in released]}
