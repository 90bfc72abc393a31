"""Write use cases for IP address management: create pools, allocate and release addresses.

Allocation is optimistic: find the lowest free index with SQL, insert it inside a savepoint,
and let the unique (pool, index) constraint decide between workers racing for the same one;
the loser looks again. Nothing is locked but the one row each worker writes."""

import datetime as dt
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery

from headend.catalog.models import ProductVersion
from headend.core import clock, events
from headend.core.errors import Conflict, DomainError, NotFound, ValidationError
from headend.ipam import prefixes, selectors
from headend.ipam.models import Family, IPAllocation, IPPool

logger = logging.getLogger(__name__)

ASSIGNED, QUARANTINED = IPAllocation.State.ASSIGNED, IPAllocation.State.QUARANTINED
# Each lost race means another worker got an address, so the pool moved on; this bounds the
# looking again when many workers start at once.
MAX_TRIES = 30


@transaction.atomic
def pool_create(
    *,
    name: str,
    prefix: str,
    allocation_length: int,
    created_by: Any,
    region: str = "",
    technology: str = "",
    gateway: str = "",
    quarantine_days: int = 30,
    active: bool = True,
) -> IPPool:
    """Add a pool of addresses or prefixes for a region and technology.

    Raises ValidationError naming the field: a taken name, a prefix that is not a network in
    CIDR notation (or has host bits set), or that overlaps another pool's (named), an
    allocation size that does not fit the prefix, a gateway outside it."""
    name = name.strip()
    if not name:
        raise ValidationError("Name the pool.", field="name", code="required")
    if IPPool.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"There is already a pool named {name}.", field="name", code="duplicate")
    if technology not in ProductVersion.Technology.values:
        raise ValidationError(f"Unknown technology {technology!r}.", field="technology")
    if quarantine_days < 0:
        raise ValidationError("Quarantine cannot be negative.", field="quarantine_days")
    try:
        layout = prefixes.layout(prefix=prefix, allocation_length=allocation_length, gateway=gateway)
    except prefixes.BadPrefix as exc:
        field, _, message = str(exc).partition(": ")
        raise ValidationError(message, field=field, code="invalid_prefix") from None
    other = selectors.pool_overlapping(network=layout.network)
    if other is not None:
        raise ValidationError(
            f"{layout.network} overlaps pool {other.name} ({other.prefix}).", field="prefix", code="prefix_overlap"
        )
    pool = IPPool(
        name=name,
        region=region.strip(),
        technology=technology,
        family=prefixes.family_of(layout.network),
        prefix=str(layout.network),
        allocation_length=allocation_length,
        gateway=gateway.strip(),
        capacity=layout.capacity,
        quarantine_days=quarantine_days,
        active=active,
        created_at=clock.now(),
        created_by=created_by,
    )
    pool.full_clean()
    pool.save()
    events.emit("ip_pool.created", subject=pool, data={"prefix": pool.prefix, "capacity": pool.capacity})
    return pool


@transaction.atomic
def allocation_allocate(
    *,
    service: Any,
    pool: IPPool | None = None,
    family: str = "",
    region: str = "",
    technology: str = "",
    allocation_length: int | None = None,
) -> IPAllocation:
    """Give a service an address (or block) from `pool`, or from the most specific active pool
    for `family` in `region` on `technology`. Idempotent: a service that holds one from that
    pool (or those pools) gets it back.

    The lowest never-used index goes first; when there is none, an address whose quarantine
    has ended is taken over. Raises NotFound (code no_pool) when no pool serves the service,
    Conflict (code pool_exhausted, naming the pools) when they are full, Conflict (pool_inactive)
    for a switched-off pool."""
    if getattr(service, "pk", None) is None:
        raise ValidationError("Allocate to a saved service.", field="service")
    pools = _pools(pool=pool, family=family, region=region, technology=technology, allocation_length=allocation_length)
    held = _held(service=service, pools=pools)
    if held is not None:
        return held
    if pool is not None and not pool.active:
        raise Conflict(f"IP pool {pool.name} is switched off.", field="pool", code="pool_inactive")
    at = clock.now()
    after: dict[int, int] = {}  # pool pk -> where to look from after losing a race there
    for attempt in range(MAX_TRIES):
        for candidate in pools:
            tried: list[int] = []
            try:
                with transaction.atomic():  # a savepoint: a lost race undoes only this insert
                    allocation = _take_fresh(
                        pool=candidate, service=service, at=at, start=after.get(candidate.pk), tried=tried
                    ) or _take_rested(pool=candidate, service=service, at=at)
            except IntegrityError:
                # Another worker committed this index first (or allocated this service).
                held = _held(service=service, pools=pools)
                if held is not None:
                    return held
                if tried:
                    # The losers of a race would all pick the same next index and lose again
                    # but one; each looks from a random point a little further on instead,
                    # the spread doubling with each loss (holes left are filled later).
                    spread = 2 ** min(attempt + 1, 10)
                    after[candidate.pk] = tried[-1] + 1 + random.randrange(spread)  # noqa: S311 (not a secret)
                logger.info("ipam: lost a race for %s in pool %s; looking again", tried, candidate.name)
                break
            if allocation is not None:
                events.emit(
                    "ip.allocated",
                    subject=allocation,
                    data={"pool": candidate.name, "address": allocation.address, "service_id": service.pk},
                )
                return allocation
        else:
            names = ", ".join(candidate.name for candidate in pools)
            unit = pools[0].unit_name
            raise Conflict(
                f"IP pool {names} has no free {unit} left." if len(pools) == 1 else f"IP pools {names} are full.",
                field="pool",
                code="pool_exhausted",
            )
    raise Conflict(
        f"Too many workers are allocating from {pools[0].name} at once; try again.", field="pool", code="pool_busy"
    )


def _pools(
    *, pool: IPPool | None, family: str, region: str, technology: str, allocation_length: int | None
) -> list[IPPool]:
    """The pools to allocate from, in order: `pool`, or the candidates for the family, region
    and technology. Raises ValidationError (no family), NotFound (code no_pool)."""
    if pool is not None:
        return [pool]
    if family not in Family.values:
        raise ValidationError("Say which family: ipv4 or ipv6.", field="family")
    pools = selectors.pool_candidates(
        family=family, region=region, technology=technology, allocation_length=allocation_length
    )
    if not pools:
        where = ", ".join(filter(None, [f"region {region}" if region else "", technology]))
        raise NotFound(
            f"No active {Family(family).label} pool serves {where or 'this service'}.", field="pool", code="no_pool"
        )
    return pools


@dataclass(frozen=True)
class AllocationRequest:
    """A service to give an address, with what `allocation_allocate` takes to choose its pool."""

    service: Any
    pool: IPPool | None = None
    family: str = ""
    region: str = ""
    technology: str = ""
    allocation_length: int | None = None

    @property
    def pools_key(self) -> tuple[Any, ...]:
        """Requests with the same key choose among the same pools."""
        if self.pool is not None:
            return (self.pool.pk,)
        return (None, self.family, self.region.strip().lower(), self.technology, self.allocation_length)


@transaction.atomic
def allocations_allocate(*, requests: Sequence[AllocationRequest]) -> list[IPAllocation | DomainError]:
    """`allocation_allocate` for many services at once (the worker's batch): one outcome per
    request, in order, an allocation or the refusal of that one. Services that hold one already
    get it back; the others asking the same pools get the lowest free units of the first pool
    in one insert (two queries to find them). A request the first pool cannot serve, or whose
    insert lost a race with another worker, is allocated alone as `allocation_allocate` does
    (the next pool, a rested address, a clear error)."""
    outcomes: list[IPAllocation | DomainError | None] = [None] * len(requests)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault(request.pools_key, []).append(index)
    at = clock.now()
    alone: list[int] = []
    chosen: list[tuple[list[int], list[IPPool]]] = []
    for indexes in groups.values():
        first = requests[indexes[0]]
        try:
            pools = _pools(
                pool=first.pool,
                family=first.family,
                region=first.region,
                technology=first.technology,
                allocation_length=first.allocation_length,
            )
        except DomainError as exc:
            for index in indexes:
                outcomes[index] = exc
            continue
        chosen.append((indexes, pools))
    # Another worker's batch allocating from the same pool waits here until this one commits,
    # then finds the units it took held: without the lock both would pick the same lowest free
    # units, and the loser would wait for the winner's insert, fail and allocate each alone.
    # Locked in one statement in id order, so two batches never wait for each other in a circle.
    list(IPPool.objects.select_for_update().filter(pk__in={pools[0].pk for _, pools in chosen}).order_by("pk"))
    for indexes, pools in chosen:
        held: dict[int, IPAllocation] = {}
        for allocation in IPAllocation.objects.filter(
            service__in=[requests[index].service.pk for index in indexes], pool__in=pools, state=ASSIGNED
        ).select_related("pool"):
            if allocation.service_id is not None:
                held.setdefault(allocation.service_id, allocation)
        waiting = []
        for index in indexes:
            if requests[index].service.pk in held:
                outcomes[index] = held[requests[index].service.pk]
            else:
                waiting.append(index)
        pool = pools[0]
        if not waiting or not pool.active:
            alone += waiting  # a switched-off pool: refused as allocation_allocate refuses it
            continue
        units = list(zip(waiting, _free_indexes(pool=pool, count=len(waiting)), strict=False))
        alone += waiting[len(units) :]  # the pool is full for them: the next pool, or a rested address
        try:
            with transaction.atomic():  # a savepoint: a lost race undoes only this insert
                created = IPAllocation.objects.bulk_create(
                    IPAllocation(
                        pool=pool,
                        index=unit,
                        address=pool.layout.unit(unit),
                        service=requests[index].service,
                        state=ASSIGNED,
                        allocated_at=at,
                    )
                    for index, unit in units
                )
        except IntegrityError:
            logger.info("ipam: a batch lost a race in pool %s; allocating each alone", pool.name)
            alone += [index for index, _ in units]
            continue
        events.emit_many(
            "ip.allocated",
            subjects=list(created),
            data=[
                {"pool": pool.name, "address": allocation.address, "service_id": allocation.service_id}
                for allocation in created
            ],
        )
        for (index, _), allocation in zip(units, created, strict=True):
            outcomes[index] = allocation
    for index in sorted(alone):
        request = requests[index]
        try:
            outcomes[index] = allocation_allocate(
                service=request.service,
                pool=request.pool,
                family=request.family,
                region=request.region,
                technology=request.technology,
                allocation_length=request.allocation_length,
            )
        except DomainError as exc:
            outcomes[index] = exc
    return [outcome for outcome in outcomes if outcome is not None]


def _held(*, service: Any, pools: list[IPPool]) -> IPAllocation | None:
    return IPAllocation.objects.filter(service=service, pool__in=pools, state=ASSIGNED).select_related("pool").first()


def _lowest_free_index(*, pool: IPPool, start: int | None = None) -> int | None:
    """The lowest index (from `start` on) no row holds."""
    return next(iter(_free_indexes(pool=pool, count=1, start=start)), None)


def _free_indexes(*, pool: IPPool, count: int, start: int | None = None) -> list[int]:
    """The `count` lowest indexes (from `start` on) no row holds, by SQL in two queries: the
    free run from the first allocatable index, and the free runs after held indexes whose
    successor is not held (each to the next held index). The (pool, index) unique index answers
    each probe, so a full /16 takes one range scan."""
    layout = pool.layout
    first = layout.first if start is None else max(start, layout.first)
    rows = IPAllocation.objects.filter(pool=pool)
    runs: list[tuple[int, int]] = []  # first and last index of each free run, in order
    lowest_held = rows.filter(index__gte=first).order_by("index").values_list("index", flat=True).first()
    if lowest_held != first:
        runs.append((first, layout.last if lowest_held is None else lowest_held - 1))
    next_held = rows.filter(index__gt=OuterRef("index")).order_by("index").values("index")[:1]
    gaps = (
        rows.filter(index__gte=first - 1, index__lt=layout.last)
        .filter(~Exists(IPAllocation.objects.filter(pool=pool, index=OuterRef("index") + 1)))
        .annotate(next_held=Subquery(next_held))
        .order_by("index")
        .values_list("index", "next_held")[:count]
    )
    runs += [(held + 1, layout.last if after is None else after - 1) for held, after in gaps]
    found: list[int] = []
    for low, high in runs:
        index = max(low, first)
        while index <= high and len(found) < count:
            if layout.allocatable(index):
                found.append(index)
            index += 1
        if len(found) >= count:
            break
    return found


def _take_fresh(
    *, pool: IPPool, service: Any, at: dt.datetime, start: int | None = None, tried: list[int]
) -> IPAllocation | None:
    index = _lowest_free_index(pool=pool, start=start)
    if index is None and start is not None:
        index = _lowest_free_index(pool=pool)  # nothing further on: the pool is full only if nothing before either
    if index is None:
        return None
    tried.append(index)
    return IPAllocation.objects.create(
        pool=pool, index=index, address=pool.layout.unit(index), service=service, state=ASSIGNED, allocated_at=at
    )


def _take_rested(*, pool: IPPool, service: Any, at: dt.datetime) -> IPAllocation | None:
    """Take over the longest-rested quarantined unit whose quarantine has ended, with an UPDATE
    that only succeeds while it is still quarantined: of two workers, one gets it."""
    rested = IPAllocation.objects.filter(pool=pool, state=QUARANTINED, reusable_after__lt=at)
    for pk in rested.order_by("reusable_after", "index").values_list("pk", flat=True)[:5]:
        taken = rested.filter(pk=pk).update(
            state=ASSIGNED, service=service, allocated_at=at, released_at=None, reusable_after=None
        )
        if taken:
            return IPAllocation.objects.select_related("pool").get(pk=pk)
    return None


@transaction.atomic
def allocation_release(*, service: Any, pool: IPPool | None = None, family: str = "") -> list[IPAllocation]:
    """Return a service's addresses (from `pool`, or of `family`, or all) to their pools, where
    each rests in quarantine for the pool's days before another customer may get it.
    Idempotent: what is already quarantined keeps its date; returns what this call released."""
    at = clock.now()
    held = IPAllocation.objects.select_for_update().filter(service=service, state=ASSIGNED).select_related("pool")
    if pool is not None:
        held = held.filter(pool=pool)
    if family:
        held = held.filter(pool__family=family)
    released = []
    for allocation in held.order_by("pk"):
        allocation.state = QUARANTINED
        allocation.released_at = at
        allocation.reusable_after = at + dt.timedelta(days=allocation.pool.quarantine_days)
        allocation.save(update_fields=["state", "released_at", "reusable_after"])
        events.emit(
            "ip.released",
            subject=allocation,
            data={
                "pool": allocation.pool.name,
                "address": allocation.address,
                "service_id": service.pk,
                "reusable_after": allocation.reusable_after.isoformat(),
            },
        )
        released.append(allocation)
    return released
