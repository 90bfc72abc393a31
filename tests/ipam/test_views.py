"""The staff pages under /network/ip/: pools with their use, one pool's allocations, a new pool."""

import pytest
from django.urls import reverse

from headend.ipam import services
from headend.ipam.models import IPPool
from tests.factories import make_user
from tests.ipam.factories import make_pool, make_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_client(client):
    client.force_login(make_user("provisioning"))
    return client


def new_pool(**values):
    return {
        "name": "Eastport fiber",
        "prefix": "100.64.0.0/22",
        "allocation_length": 32,
        "region": "Eastport",
        "technology": "fiber",
        "gateway": "",
        "quarantine_days": 30,
        **values,
    }


def test_pools_page_shows_each_pools_use(network_client):
    pool = make_pool("100.64.0.0/29", name="Small", region="Eastport", technology="fiber")
    make_pool("2001:db8::/48", allocation_length=56, name="Delegated")
    first, second, third = make_services(3)
    for service in (first, second, third):
        services.allocation_allocate(service=service, pool=pool)
    services.allocation_release(service=third)

    response = network_client.get(reverse("ipam:pool_list"))

    assert response.status_code == 200
    pools = {p.name: (p.capacity, p.assigned, p.quarantined, p.free) for p in response.context["pools"]}
    assert pools == {"Small": (6, 2, 1, 3), "Delegated": (256, 0, 0, 256)}
    html = response.content.decode()
    assert '<progress value="50.0" max="100"' in html
    assert "50.0%" in html
    assert "Fiber (FTTP)" in html
    assert "/56 blocks" in html
    assert 'href="/network/ip/"' in html  # the navigation link


@pytest.mark.parametrize("role", ["sales", "support"])
def test_pools_are_for_provisioning_and_admins_only(client, role):
    client.force_login(make_user(role))

    assert client.get(reverse("ipam:pool_list")).status_code == 403
    assert client.get(reverse("ipam:pool_create")).status_code == 403


def test_admins_see_the_pools(client):
    client.force_login(make_user("admin"))

    assert client.get(reverse("ipam:pool_list")).status_code == 200


def test_pool_detail_lists_allocations_with_their_services_a_page_at_a_time(network_client):
    pool = make_pool("100.64.0.0/25", name="Eastport")  # 126 addresses
    customers = make_services(55)
    for service in customers:
        services.allocation_allocate(service=service, pool=pool)
    services.allocation_release(service=customers[0])

    page_one = network_client.get(pool.get_absolute_url())
    page_two = network_client.get(pool.get_absolute_url(), {"page": 2})
    quarantined = network_client.get(pool.get_absolute_url(), {"state": "quarantined"})

    assert [a.address for a in page_one.context["items"]][:2] == ["100.64.0.1", "100.64.0.2"]
    assert (len(page_one.context["items"]), len(page_two.context["items"])) == (50, 5)
    assert (page_one.context["pool"].assigned, page_one.context["pool"].quarantined) == (54, 1)
    assert f'href="{customers[1].get_absolute_url()}">{customers[1].number}</a>' in page_one.content.decode()
    assert [(a.address, a.state) for a in quarantined.context["items"]] == [("100.64.0.1", "quarantined")]


def test_pool_detail_of_an_unknown_pool_is_404(network_client):
    assert network_client.get(reverse("ipam:pool_detail", args=[999])).status_code == 404


def test_create_a_pool(network_client):
    response = network_client.post(reverse("ipam:pool_create"), new_pool(gateway="100.64.0.1"))

    pool = IPPool.objects.get()
    assert response.url == pool.get_absolute_url()
    assert (pool.prefix, pool.capacity, pool.region, pool.technology, pool.gateway) == (
        "100.64.0.0/22",
        1021,
        "Eastport",
        "fiber",
        "100.64.0.1",
    )


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"prefix": "100.64.0.0/33"}, "prefix", "100.64.0.0/33 is not an IPv4 or IPv6 network in CIDR notation."),
        ({"prefix": "100.64.1.0/22"}, "prefix", "100.64.1.0/22 has host bits set: the network is 100.64.0.0/22."),
        ({"prefix": "100.64.2.0/24"}, "prefix", "100.64.2.0/24 overlaps pool Existing (100.64.0.0/16)."),
        (
            {"prefix": "10.0.0.0/24", "allocation_length": 23},
            "allocation_length",
            "Each allocation must be /24 to /32 inside 10.0.0.0/24.",
        ),
        ({"prefix": "10.0.0.0/24", "gateway": "10.0.1.1"}, "gateway", "10.0.1.1 is not inside 10.0.0.0/24."),
        (
            {"prefix": "10.0.0.0/24", "quarantine_days": -1},
            "quarantine_days",
            "Enter a whole number from 0 to 3,650.",
        ),
    ],
)
def test_create_form_shows_the_error_on_its_field(network_client, values, field, message):
    make_pool("100.64.0.0/16", name="Existing")

    response = network_client.post(reverse("ipam:pool_create"), new_pool(**values))

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert IPPool.objects.count() == 1
