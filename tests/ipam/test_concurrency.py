"""Workers racing for addresses at once, each on its own database connection.

On PostgreSQL the threads really run together: they read the same lowest free index, one
insert wins, the others hit the unique constraint and look again. SQLite has one writer at a
time: a file database queues writers on its busy timeout, but the in-memory test database
(shared cache) fails them at once with "table is locked", so here the threads take turns,
and every allocation must still succeed."""

import contextlib
import threading
from collections import Counter

import pytest
from django.db import connection

from headend.core.errors import Conflict
from headend.ipam import services
from headend.ipam.models import IPAllocation
from tests.conftest import outbox_names
from tests.ipam.factories import make_pool, make_services

pytestmark = pytest.mark.django_db(transaction=True)


def race(work, arguments: list) -> list:
    """Run `work(argument)` in one thread per argument, released together; return outcomes."""
    start = threading.Barrier(len(arguments))
    outcomes: list = [None] * len(arguments)
    one_writer = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def run(n: int) -> None:
        try:
            start.wait(10)
            with one_writer:
                outcomes[n] = work(arguments[n])
        except Exception as exc:
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(arguments))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_sixteen_workers_share_a_fourteen_address_pool_without_a_duplicate():
    pool = make_pool("100.64.0.0/28")  # .1 to .14
    customers = make_services(16)

    outcomes = race(lambda service: services.allocation_allocate(service=service, pool=pool), customers)

    allocated = [o for o in outcomes if isinstance(o, IPAllocation)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(allocated), len(refused)) == (14, 2), outcomes
    assert {error.code for error in refused} == {"pool_exhausted"}
    rows = list(IPAllocation.objects.filter(pool=pool).values_list("address", "service_id"))
    assert sorted(address for address, _ in rows) == sorted(f"100.64.0.{i}" for i in range(1, 15))
    assert len({service for _, service in rows}) == 14
    assert outbox_names(name_prefix="ip.") == ["ip.allocated"] * 14


def test_workers_allocating_for_the_same_service_at_once_give_it_one_address():
    pool = make_pool("100.64.0.0/28")
    (service,) = make_services(1)

    outcomes = race(lambda _: services.allocation_allocate(service=service, pool=pool), list(range(8)))

    assert Counter(type(o).__name__ for o in outcomes) == {"IPAllocation": 8}, outcomes
    assert {o.address for o in outcomes} == {"100.64.0.1"}
    assert IPAllocation.objects.filter(pool=pool).count() == 1
