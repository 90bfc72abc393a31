import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from headend.core import clock
from headend.core.errors import Conflict, NotFound, ValidationError
from headend.ipam import services
from headend.ipam.models import IPAllocation, IPPool
from tests.conftest import FROZEN_AT, outbox_names
from tests.ipam.factories import make_pool, make_services

pytestmark = pytest.mark.django_db


def addresses(pool: IPPool) -> list[tuple[str, str]]:
    return list(IPAllocation.objects.filter(pool=pool).order_by("index").values_list("address", "state"))


# Pools


def test_pool_create_normalises_the_prefix_and_counts_what_it_hands_out():
    pool = services.pool_create(
        name="Eastport fiber", prefix="2001:DB8:100::/40", allocation_length=56, region="Eastport", created_by=None
    )

    assert (pool.family, pool.prefix, pool.capacity, pool.quarantine_days) == ("ipv6", "2001:db8:100::/40", 65536, 30)
    assert outbox_names(subject=pool) == ["ip_pool.created"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"prefix": "100.64.0.0/33"}, "prefix", "100.64.0.0/33 is not an IPv4 or IPv6 network in CIDR notation."),
        ({"prefix": "100.64.0.7/29"}, "prefix", "100.64.0.7/29 has host bits set: the network is 100.64.0.0/29."),
        ({"allocation_length": 24}, "allocation_length", "Each allocation must be /29 to /32 inside 100.64.0.0/29."),
        ({"gateway": "100.64.1.1"}, "gateway", "100.64.1.1 is not inside 100.64.0.0/29."),
        ({"name": "  "}, "name", "Name the pool."),
        ({"technology": "carrier_pigeon"}, "technology", "Unknown technology 'carrier_pigeon'."),
    ],
)
def test_pool_create_names_the_field_at_fault(values, field, message):
    arguments = {"name": "Residential", "prefix": "100.64.0.0/29", "allocation_length": 32, "created_by": None}

    with pytest.raises(ValidationError) as error:
        services.pool_create(**{**arguments, **values})

    assert (error.value.field, error.value.message) == (field, message)
    assert not IPPool.objects.exists()


@pytest.mark.parametrize("prefix", ["100.64.0.0/16", "100.64.0.128/25", "100.64.0.0/24"])
def test_pool_create_refuses_a_prefix_overlapping_another_pool_and_names_it(prefix):
    make_pool("100.64.0.0/24", name="Machias CGNAT")

    with pytest.raises(ValidationError) as error:
        services.pool_create(name="Other", prefix=prefix, allocation_length=32, created_by=None)

    assert (error.value.field, error.value.code) == ("prefix", "prefix_overlap")
    assert error.value.message == f"{prefix} overlaps pool Machias CGNAT (100.64.0.0/24)."
    assert IPPool.objects.count() == 1


def test_pool_create_accepts_the_neighbouring_prefix_and_refuses_a_taken_name():
    make_pool("100.64.0.0/24", name="Machias CGNAT")

    make_pool("100.64.1.0/24", name="Lubec CGNAT")
    with pytest.raises(ValidationError) as error:
        make_pool("100.64.2.0/24", name="machias cgnat")

    assert (error.value.field, error.value.code) == ("name", "duplicate")


# Allocation


def test_allocation_hands_out_the_lowest_address_skipping_network_gateway_and_broadcast():
    pool = make_pool("100.64.0.0/29", gateway="100.64.0.1")
    first, second = make_services(2)

    a = services.allocation_allocate(service=first, pool=pool)
    b = services.allocation_allocate(service=second, pool=pool)

    assert (a.address, a.index, b.address, b.index) == ("100.64.0.2", 2, "100.64.0.3", 3)
    assert (a.service, a.state, a.allocated_at) == (first, "assigned", FROZEN_AT)
    assert outbox_names(subject=a) == ["ip.allocated"]


def test_allocation_is_idempotent_per_service():
    pool = make_pool()
    (service,) = make_services(1)
    first = services.allocation_allocate(service=service, pool=pool)

    again = services.allocation_allocate(service=service, pool=pool)

    assert again.pk == first.pk
    assert IPAllocation.objects.count() == 1
    assert outbox_names(name_prefix="ip.") == ["ip.allocated"]


def test_allocation_fills_the_lowest_gap():
    pool = make_pool("100.64.0.0/28")
    (service,) = make_services(1)
    IPAllocation.objects.bulk_create(
        IPAllocation(
            pool=pool,
            index=i,
            address=f"100.64.0.{i}",
            service=None,
            state="quarantined",
            allocated_at=FROZEN_AT,
            released_at=FROZEN_AT,
            reusable_after=FROZEN_AT + dt.timedelta(days=9),
        )
        for i in (1, 2, 3, 5, 6)
    )

    allocation = services.allocation_allocate(service=service, pool=pool)

    assert allocation.address == "100.64.0.4"


def test_allocation_in_a_full_pool_is_conflict_naming_it_and_writes_nothing():
    pool = make_pool("100.64.0.0/30", name="Tiny")  # two hosts
    first, second, third = make_services(3)
    services.allocation_allocate(service=first, pool=pool)
    services.allocation_allocate(service=second, pool=pool)

    with pytest.raises(Conflict) as error:
        services.allocation_allocate(service=third, pool=pool)

    assert (error.value.code, error.value.field) == ("pool_exhausted", "pool")
    assert error.value.message == "IP pool Tiny has no free address left."
    assert addresses(pool) == [("100.64.0.1", "assigned"), ("100.64.0.2", "assigned")]


def test_allocation_from_a_switched_off_pool_is_conflict():
    pool = make_pool(active=False)
    (service,) = make_services(1)

    with pytest.raises(Conflict) as error:
        services.allocation_allocate(service=service, pool=pool)

    assert error.value.code == "pool_inactive"


def test_ipv6_blocks_are_delegated_in_order():
    pool = make_pool("2001:db8::/48", allocation_length=56)
    first, second = make_services(2)

    a = services.allocation_allocate(service=first, pool=pool)
    b = services.allocation_allocate(service=second, pool=pool)

    assert (a.address, b.address) == ("2001:db8::/56", "2001:db8:0:100::/56")


def test_ipv4_blocks_for_business():
    pool = make_pool("203.0.113.0/28", allocation_length=29)
    first, second, third = make_services(3)

    assert services.allocation_allocate(service=first, pool=pool).address == "203.0.113.0/29"
    assert services.allocation_allocate(service=second, pool=pool).address == "203.0.113.8/29"
    with pytest.raises(Conflict) as error:
        services.allocation_allocate(service=third, pool=pool)
    assert error.value.message == f"IP pool {pool.name} has no free /29 block left."


def test_a_large_pool_is_searched_in_sql_with_a_few_queries(django_assert_max_num_queries):
    pool = make_pool("10.0.0.0/16")
    (service,) = make_services(1)
    layout = pool.layout
    IPAllocation.objects.bulk_create(
        (
            IPAllocation(
                pool=pool,
                index=i,
                address=layout.unit(i),
                service=None,
                state="quarantined",
                allocated_at=FROZEN_AT,
                released_at=FROZEN_AT,
                reusable_after=FROZEN_AT + dt.timedelta(days=9),
            )
            for i in range(1, 65535)
            if i != 60000
        ),
        batch_size=5000,
    )

    with django_assert_max_num_queries(12):
        allocation = services.allocation_allocate(service=service, pool=pool)

    assert allocation.address == "10.0.234.96"


# Choosing a pool


def test_the_most_specific_active_pool_serves_the_service():
    (service,) = make_services(1)
    make_pool("100.64.0.0/24", name="Everywhere")
    make_pool("100.64.1.0/24", name="Eastport any", region="Eastport")
    make_pool("100.64.2.0/24", name="Eastport fiber", region="Eastport", technology="fiber")
    make_pool("100.64.3.0/24", name="Eastport fiber off", region="Eastport", technology="fiber", active=False)
    make_pool("100.64.4.0/24", name="Lubec fiber", region="Lubec", technology="fiber")
    make_pool("2001:db8::/48", allocation_length=56, name="Eastport v6", region="Eastport", technology="fiber")

    allocation = services.allocation_allocate(service=service, family="ipv4", region="EASTPORT", technology="fiber")

    assert allocation.pool.name == "Eastport fiber"


def test_a_full_pool_hands_over_to_the_next_that_serves():
    first, second = make_services(2)
    make_pool("100.64.0.0/32", name="Eastport fiber", region="Eastport", technology="fiber")
    make_pool("100.64.1.0/32", name="Everywhere")
    services.allocation_allocate(service=first, family="ipv4", region="Eastport", technology="fiber")

    allocation = services.allocation_allocate(service=second, family="ipv4", region="Eastport", technology="fiber")

    assert (allocation.pool.name, allocation.address) == ("Everywhere", "100.64.1.0")


def test_no_pool_for_the_region_is_not_found():
    (service,) = make_services(1)
    make_pool("100.64.0.0/24", name="Lubec", region="Lubec")

    with pytest.raises(NotFound) as error:
        services.allocation_allocate(service=service, family="ipv4", region="Eastport", technology="fiber")

    assert (error.value.code, error.value.message) == ("no_pool", "No active IPv4 pool serves region Eastport, fiber.")


# Release and quarantine


def test_release_quarantines_for_the_pools_days_and_is_idempotent():
    pool = make_pool(quarantine_days=30)
    (service,) = make_services(1)
    allocation = services.allocation_allocate(service=service, pool=pool)

    released = services.allocation_release(service=service)
    with clock.frozen(FROZEN_AT + dt.timedelta(hours=1)):
        again = services.allocation_release(service=service)

    allocation.refresh_from_db()
    assert [r.pk for r in released] == [allocation.pk]
    assert again == []
    assert (allocation.state, allocation.released_at, allocation.reusable_after) == (
        "quarantined",
        FROZEN_AT,
        FROZEN_AT + dt.timedelta(days=30),
    )
    assert allocation.service == service  # who had it last stays on record
    assert outbox_names(subject=allocation) == ["ip.allocated", "ip.released"]


def test_a_quarantined_address_is_not_reused_until_its_quarantine_has_passed():
    pool = make_pool("100.64.0.0/32", quarantine_days=30)  # one address
    old, new = make_services(2)
    allocation = services.allocation_allocate(service=old, pool=pool)
    services.allocation_release(service=old)

    with clock.frozen(FROZEN_AT + dt.timedelta(days=30)), pytest.raises(Conflict) as error:
        services.allocation_allocate(service=new, pool=pool)
    assert error.value.code == "pool_exhausted"

    later = FROZEN_AT + dt.timedelta(days=30, seconds=1)
    with clock.frozen(later):
        reused = services.allocation_allocate(service=new, pool=pool)

    assert (reused.pk, reused.address, reused.service, reused.state) == (allocation.pk, "100.64.0.0", new, "assigned")
    assert (reused.allocated_at, reused.released_at, reused.reusable_after) == (later, None, None)


def test_a_never_used_address_goes_before_a_rested_one():
    pool = make_pool("100.64.0.0/30", quarantine_days=0)
    old, new = make_services(2)
    services.allocation_allocate(service=old, pool=pool)
    services.allocation_release(service=old)

    with clock.frozen(FROZEN_AT + dt.timedelta(days=1)):
        allocation = services.allocation_allocate(service=new, pool=pool)

    assert allocation.address == "100.64.0.2"


def test_release_of_one_family_keeps_the_other():
    v4, v6 = make_pool(), make_pool("2001:db8::/48", allocation_length=64)
    (service,) = make_services(1)
    services.allocation_allocate(service=service, pool=v4)
    services.allocation_allocate(service=service, pool=v6)

    services.allocation_release(service=service, family="ipv6")

    assert addresses(v4) == [("100.64.0.1", "assigned")]
    assert addresses(v6) == [("2001:db8::/64", "quarantined")]


# The database's own guarantees


def test_the_database_refuses_a_second_row_for_the_same_address():
    pool = make_pool()
    first, second = make_services(2)
    allocation = services.allocation_allocate(service=first, pool=pool)

    with pytest.raises(IntegrityError), transaction.atomic():
        IPAllocation.objects.create(
            pool=pool, index=allocation.index, address="100.64.0.1", service=second, allocated_at=FROZEN_AT
        )


def test_the_database_refuses_two_assigned_addresses_for_one_service_in_a_pool():
    pool = make_pool()
    (service,) = make_services(1)
    services.allocation_allocate(service=service, pool=pool)

    with pytest.raises(IntegrityError), transaction.atomic():
        IPAllocation.objects.create(pool=pool, index=2, address="100.64.0.2", service=service, allocated_at=FROZEN_AT)


def test_a_lost_race_looks_again(monkeypatch):
    """A worker that read the pool before a rival committed index 1 picks 1 too: the database
    refuses its insert, and it looks again. (tests/ipam/test_concurrency.py races for real.)"""
    pool = make_pool()
    rival, service = make_services(2)
    services.allocation_allocate(service=rival, pool=pool)
    lowest = services._lowest_free_index
    answers = []

    def stale_then_fresh(*, pool, start=None):
        answers.append(1 if not answers else lowest(pool=pool, start=start))
        return answers[-1]

    monkeypatch.setattr(services, "_lowest_free_index", stale_then_fresh)
    monkeypatch.setattr(services.random, "randrange", lambda spread: spread - 1)  # the far end of the spread

    allocation = services.allocation_allocate(service=service, pool=pool)

    assert answers == [1, 3]  # looked from 1 + 1 + (2 - 1)
    assert addresses(pool) == [("100.64.0.1", "assigned"), ("100.64.0.3", "assigned")]
    assert allocation.service == service


def test_a_race_lost_at_the_end_of_the_pool_looks_again_from_its_start(monkeypatch):
    pool = make_pool("100.64.0.0/29")  # .1 to .6
    (service,) = make_services(1)
    IPAllocation.objects.bulk_create(
        IPAllocation(
            pool=pool,
            index=i,
            address=f"100.64.0.{i}",
            service=None,
            state="quarantined",
            allocated_at=FROZEN_AT,
            released_at=FROZEN_AT,
            reusable_after=FROZEN_AT + dt.timedelta(days=9),
        )
        for i in (1, 3, 4, 5, 6)
    )
    lowest = services._lowest_free_index
    answers = []

    def stale_then_fresh(*, pool, start=None):
        answers.append(6 if not answers else lowest(pool=pool, start=start))  # .6 was free when first read
        return answers[-1]

    monkeypatch.setattr(services, "_lowest_free_index", stale_then_fresh)

    allocation = services.allocation_allocate(service=service, pool=pool)

    assert answers == [6, None, 2]
    assert allocation.address == "100.64.0.2"
