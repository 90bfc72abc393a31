"""Reads for IP pools: usage by aggregate query, a pool's allocations, and which pool serves a service."""

from typing import Any

from django.db.models import Case, Count, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from headend.core.errors import NotFound
from headend.ipam.models import IPAllocation, IPPool

ASSIGNED, QUARANTINED = IPAllocation.State.ASSIGNED, IPAllocation.State.QUARANTINED


def pool_usage_list() -> QuerySet[IPPool]:
    """Every pool with its counts, worked out by the database in one grouped query:
    `assigned`, `quarantined`, `free` (capacity less both) and `used_percent` (0-100)."""
    return (
        IPPool.objects.annotate(
            assigned=Count("allocations", filter=Q(allocations__state=ASSIGNED)),
            quarantined=Count("allocations", filter=Q(allocations__state=QUARANTINED)),
        )
        .annotate(
            free=F("capacity") - F("assigned") - F("quarantined"),
            used_percent=Cast(F("assigned") + F("quarantined"), FloatField())
            * Value(100.0)
            / Cast(F("capacity"), FloatField()),
        )
        .order_by("-active", "family", "region", "name")
    )


def pool_get(*, pool_id: int) -> IPPool:
    """One pool with the counts of `pool_usage_list`; NotFound otherwise."""
    pool = pool_usage_list().filter(pk=pool_id).first()
    if pool is None:
        raise NotFound("No such IP pool.", field="id")
    return pool


def pool_get_by_name(*, name: str) -> IPPool:
    pool = IPPool.objects.filter(name=name).first()
    if pool is None:
        raise NotFound(f"No IP pool is named {name!r}.", field="pool", code="no_pool")
    return pool


def pool_allocation_list(*, pool: IPPool, state: str = "") -> QuerySet[IPAllocation]:
    """A pool's allocations in address order, with the service (and its account and plan) loaded."""
    allocations = IPAllocation.objects.filter(pool=pool).select_related(
        "service__account", "service__product_version__product"
    )
    if state in IPAllocation.State.values:
        allocations = allocations.filter(state=state)
    return allocations.order_by("index")


def pool_candidates(
    *, family: str, region: str = "", technology: str = "", allocation_length: int | None = None
) -> list[IPPool]:
    """The active pools that may serve a service in `region` (a location's city, any case) on
    `technology`, most specific first: a pool naming the region and the technology before one
    naming either, before one for everything; then by name. IPv4 means single addresses (/32)
    unless `allocation_length` asks for blocks."""
    if allocation_length is None and family == "ipv4":
        allocation_length = 32
    pools = IPPool.objects.filter(active=True, family=family)
    pools = pools.filter(Q(region="") | Q(region__iexact=region.strip())) if region.strip() else pools.filter(region="")
    pools = pools.filter(Q(technology="") | Q(technology=technology)) if technology else pools.filter(technology="")
    if allocation_length is not None:
        pools = pools.filter(allocation_length=allocation_length)
    specific = Case(When(region="", then=Value(0)), default=Value(2)) + Case(
        When(technology="", then=Value(0)), default=Value(1)
    )
    return list(pools.annotate(specific=specific).order_by("-specific", "name"))


def allocation_list_for_service(*, service: Any) -> QuerySet[IPAllocation]:
    """The addresses and prefixes a service holds now (for its page)."""
    return IPAllocation.objects.filter(service=service, state=ASSIGNED).select_related("pool").order_by("pool__family")


def pool_overlapping(*, network: Any, exclude_pk: int | None = None) -> IPPool | None:
    """The first pool whose prefix overlaps `network` (an ipaddress network), if any. Pools are
    few (tens), so they are compared here rather than by a database-specific range operator."""
    from headend.ipam.prefixes import parse_prefix

    pools = IPPool.objects.filter(family="ipv4" if network.version == 4 else "ipv6").order_by("name")
    if exclude_pk is not None:
        pools = pools.exclude(pk=exclude_pk)
    for pool in pools.only("pk", "name", "prefix"):
        if parse_prefix(pool.prefix).overlaps(network):
            return pool
    return None
