import pytest

from headend.ipam import selectors, services
from tests.ipam.factories import make_pool, make_services

pytestmark = pytest.mark.django_db


def test_pool_usage_is_counted_by_one_query(django_assert_num_queries):
    small = make_pool("100.64.0.0/29", name="Small")  # six addresses
    make_pool("2001:db8::/48", allocation_length=56, name="Delegated")  # 256 blocks
    a, b, c = make_services(3)
    for service in (a, b, c):
        services.allocation_allocate(service=service, pool=small)
    services.allocation_release(service=c)

    with django_assert_num_queries(1):
        usage = {
            p.name: (p.capacity, p.assigned, p.quarantined, p.free, round(p.used_percent, 2))
            for p in selectors.pool_usage_list()
        }

    assert usage == {"Small": (6, 2, 1, 3, 50.0), "Delegated": (256, 0, 0, 256, 0.0)}


def test_pool_candidates_orders_the_most_specific_first():
    make_pool("100.64.0.0/24", name="B everywhere")
    make_pool("100.64.1.0/24", name="A fiber anywhere", technology="fiber")
    make_pool("100.64.2.0/24", name="C Eastport", region="Eastport")
    make_pool("100.64.3.0/24", name="D Eastport fiber", region="eastport", technology="fiber")
    make_pool("100.64.4.0/29", allocation_length=29, name="E Eastport business", region="Eastport")

    names = [p.name for p in selectors.pool_candidates(family="ipv4", region="EASTPORT", technology="fiber")]
    blocks = [p.name for p in selectors.pool_candidates(family="ipv4", region="Eastport", allocation_length=29)]

    assert names == ["D Eastport fiber", "C Eastport", "A fiber anywhere", "B everywhere"]  # addresses, not blocks
    assert blocks == ["E Eastport business"]


def test_allocation_list_for_service_shows_what_it_holds_now():
    v4, v6 = make_pool(), make_pool("2001:db8::/48", allocation_length=56)
    (service,) = make_services(1)
    services.allocation_allocate(service=service, pool=v4)
    services.allocation_allocate(service=service, pool=v6)
    services.allocation_release(service=service, family="ipv4")

    assert [a.address for a in selectors.allocation_list_for_service(service=service)] == ["2001:db8::/56"]
