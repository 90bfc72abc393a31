"""Reach: on, near or off our network, or unknown, measured on known H3 cells."""

from decimal import Decimal

import h3
import pytest

from headend.catalog.models import Product
from headend.network import reach
from headend.network import services as network_services
from headend.network.models import AddressCoverage
from tests.factories import make_account, make_location, make_product

pytestmark = pytest.mark.django_db

# A res-8 cell in Eastport, Maine; the site stands at its centre.
HOME = "882b1891c3fffff"
HOME_LAT, HOME_LNG = Decimal("44.899673"), Decimal("-67.006013")
NEIGHBOUR = "882b1891d5fffff"  # ring 1: its centre is 931 m from the site
NEIGHBOUR_FAR = "882b189189fffff"  # ring 1: 966 m
RING_TWO = "882b189035fffff"  # ring 2: 1,933 m


def _area(cell: str, technology: str = "fiber", down: int = 1000) -> None:
    network_services.coverage_area_create(
        name=f"Build {cell}", technology=technology, max_down_mbps=down, max_up_mbps=down, created_by=None, cells=cell
    )


def _site(account=None, **overrides):
    values = {"latitude": HOME_LAT, "longitude": HOME_LNG}
    values.update(overrides)
    return make_location(account or make_account(), **values)


def test_site_at_the_centre_of_its_cell():
    assert h3.latlng_to_cell(float(HOME_LAT), float(HOME_LNG), 8) == HOME
    assert NEIGHBOUR in h3.grid_ring(HOME, 1)
    assert RING_TWO in h3.grid_ring(HOME, 2)


def test_reach_on_net_when_coverage_covers_the_cell():
    _area(HOME)

    found = reach.location_reach(location=_site())

    assert found.status == "on_net"


def test_reach_near_net_measures_to_the_nearest_covered_cell_centre():
    _area(NEIGHBOUR_FAR)
    _area(NEIGHBOUR, technology="cable")

    found = reach.location_reach(location=_site())

    assert found.status == "near_net"
    assert found.nearby == {"cable": 931, "fiber": 966}
    assert (found.distance_m, found.nearest_technology, found.nearest_cell) == (931, "cable", NEIGHBOUR)


def test_reach_boundary_is_the_near_net_metres(settings):
    _area(NEIGHBOUR)
    site = _site()

    settings.HEADEND_NEAR_NET_METRES = 931
    at_the_limit = reach.location_reach(location=site)
    settings.HEADEND_NEAR_NET_METRES = 930
    one_past = reach.location_reach(location=site)

    assert (at_the_limit.status, at_the_limit.distance_m) == ("near_net", 931)
    assert (one_past.status, one_past.distance_m) == ("off_net", None)


def test_reach_off_net_when_nothing_is_within_reach():
    _area(RING_TWO)

    assert reach.location_reach(location=_site()).status == "off_net"


def test_reach_reaches_a_ring_two_cell_with_a_longer_reach(settings):
    settings.HEADEND_NEAR_NET_METRES = 2000
    _area(RING_TWO)

    found = reach.location_reach(location=_site())

    assert (found.status, found.distance_m) == ("near_net", 1933)


def test_reach_unknown_without_coordinates():
    _area(HOME)

    found = reach.location_reach(location=make_location(make_account()))

    assert found.status == "unknown"


def test_reach_on_net_from_the_address_list_without_coordinates():
    site = make_location(make_account())
    AddressCoverage.objects.create(
        address_key=site.address_key,
        line1=site.line1,
        city=site.city,
        state=site.state,
        postal_code=site.postal_code,
        technology="fiber",
        max_down_mbps=1000,
        max_up_mbps=1000,
    )

    assert reach.location_reach(location=site).status == "on_net"


def test_reach_near_an_address_list_passing_that_has_coordinates():
    lat, lng = h3.cell_to_latlng(NEIGHBOUR)
    passing = make_location(make_account(), latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lng:.6f}"))
    AddressCoverage.objects.create(
        address_key=passing.address_key,
        line1=passing.line1,
        city=passing.city,
        state=passing.state,
        postal_code=passing.postal_code,
        technology="fiber",
        max_down_mbps=1000,
        max_up_mbps=1000,
    )

    found = reach.location_reach(location=_site())

    assert (found.status, found.distance_m, found.nearest_cell) == ("near_net", 931, NEIGHBOUR)


def test_reach_not_assessed_when_no_coverage_is_recorded():
    assert reach.location_reach(location=_site()).status == "not_assessed"


def test_reach_for_many_sites_reads_a_few_queries(django_assert_max_num_queries):
    _area(NEIGHBOUR)
    account = make_account()
    sites = [_site(account, line1=f"{n} Water St") for n in range(30)]
    sites += [make_location(account, line1=f"{n} Key St") for n in range(10)]
    for site in sites:
        site.account = account

    with django_assert_max_num_queries(12):
        found = reach.reach_for(locations=sites)

    assert [r.status for r in found] == ["near_net"] * 30 + ["unknown"] * 10


@pytest.mark.parametrize(
    ("metres", "amount"),
    [(0, "2500.00"), (83, "2500.00"), (84, "2520.00"), (640, "19200.00"), (931, "27930.00")],
)
def test_construction_amount_is_the_rate_times_the_distance_never_below_the_minimum(metres, amount):
    assert reach.construction_amount(metres) == Decimal(amount)


def test_construction_amount_rounds_half_up_once():
    assert reach.construction_amount(101, rate=Decimal("12.345"), minimum=Decimal("0")) == Decimal("1246.85")


def test_construction_amount_follows_the_settings(settings):
    settings.HEADEND_CONSTRUCTION_RATE_PER_METRE = "45.50"
    settings.HEADEND_CONSTRUCTION_MINIMUM = "5000.00"

    assert reach.construction_amount(100) == Decimal("5000.00")
    assert reach.construction_amount(200) == Decimal("9100.00")


def test_offering_reach_near_net_for_the_technology_the_product_needs():
    _area(NEIGHBOUR, technology="cable")
    _area(NEIGHBOUR_FAR)
    site = _site()

    check = reach.offering_reach(site, make_product(technology="fiber"))

    assert (check.eligible, check.code, check.distance_m, check.needs_survey) == (True, "near_net", 966, True)
    assert check.construction_amount == Decimal("28980.00")
    assert check.reason == (
        "Near our network: about 970 m from our fiber; a site survey and a construction charge "
        "(about $28,980) are needed."
    )


def test_offering_reach_off_net_when_only_another_technology_is_near():
    _area(NEIGHBOUR, technology="cable")
    version = make_product(technology="fiber")

    check = reach.offering_reach(_site(), version)

    assert (check.eligible, check.code) == (False, "off_net")
    assert check.reason == (
        f"Off our network: no fiber of ours within 1 km of this site, so {version.product.name} cannot be sold here."
    )


def test_offering_reach_off_net_suggests_the_wholesale_offering():
    _area(RING_TWO)
    wholesale = make_product(technology="fixed_wireless", download_mbps=100, upload_mbps=20)
    Product.objects.filter(pk=wholesale.product_id).update(delivery=Product.Delivery.WHOLESALE)
    version = make_product()

    refused = reach.offering_reach(_site(), version)
    wholesale.product.refresh_from_db()
    allowed = reach.offering_reach(_site(), wholesale)

    assert refused.code == "off_net"
    assert refused.reason.endswith(f"Our wholesale partner can serve it: quote {wholesale.sales_name} instead.")
    assert (allowed.eligible, allowed.code, allowed.needs_survey) == (True, "wholesale", False)


def test_offering_reach_keeps_the_speed_verdict_on_net():
    _area(HOME, down=500)

    check = reach.offering_reach(_site(), make_product(download_mbps=1000, upload_mbps=1000))

    assert (check.eligible, check.code, check.reach) == (False, "download_exceeds_coverage", "on_net")


def test_offering_reach_unknown_is_allowed_with_a_survey():
    _area(HOME)

    check = reach.offering_reach(make_location(make_account()), make_product())

    assert (check.eligible, check.code, check.needs_survey, check.construction_amount) == (True, "unknown", True, None)


def test_site_words_say_it_without_cells_or_fcc_rows():
    from headend.network.selectors import coverage_at

    _area(NEIGHBOUR)
    near = _site()
    service = coverage_at(locations=[near])[0]

    words = reach.site_words(service, reach.location_reach(location=near, serviceability=service))

    assert words.sentence == (
        "Near our network: about 930 m from our fiber; a survey and a construction charge (about $27,930) are needed"
    )
    assert NEIGHBOUR not in words.sentence


def test_location_page_says_the_reach_once_and_never_offers_the_construction_charge(client):
    from django.urls import reverse

    from tests.factories import make_construction_product, make_user

    _area(HOME)
    make_construction_product()
    make_product()
    client.force_login(make_user("sales"))
    on_net, unplaced = _site(), make_location(make_account(), line1="5 Key St")

    on_page = client.get(reverse("crm:location_detail", args=[on_net.pk])).content.decode()
    unplaced_page = client.get(reverse("crm:location_detail", args=[unplaced.pk])).content.decode()

    assert "On our network:" in on_page
    assert "Sellable here" in on_page
    assert "Construction</td>" not in on_page  # added by the quote itself, never sold by a rep
    pin = reverse("location_map:pin", args=[unplaced.pk])
    assert f'We don&#x27;t know where this is:</strong> <a href="{pin}">place it on the map</a>.' in unplaced_page
    assert "Place it on the map" not in unplaced_page


@pytest.mark.parametrize(
    ("metres", "words"), [(640, "about 640 m"), (644, "about 640 m"), (645, "about 650 m"), (1249, "about 1.2 km")]
)
def test_about_metres(metres, words):
    assert reach.about_metres(metres) == words
