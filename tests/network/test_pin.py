"""Pinning a location on the map of the provider's coverage: a good pin, one outside the
provider's region, one that is not a number; the region from the setting or from the coverage;
the coverage as GeoJSON."""

from decimal import Decimal

import pytest
from django.urls import reverse

from headend.crm.models import Location
from headend.network import map_selectors
from headend.network import services as network_services
from tests.conftest import outbox_names
from tests.factories import make_location, make_user

pytestmark = pytest.mark.django_db

SQUARE = [(44.70, -67.47), (44.70, -67.43), (44.73, -67.43), (44.73, -67.47)]  # Machias


@pytest.fixture
def region(settings):
    settings.HEADEND_SERVICE_REGION = "44.0,-71.5,47.5,-66.9"


@pytest.fixture
def editor(client):
    user = make_user("support", first_name="Jane", last_name="Hardy")
    client.force_login(user)
    return user


def pin(client, location, **data):
    return client.post(reverse("location_map:pin", args=[location.pk]), {"action": "pin", **data})


def test_a_pin_inside_the_region_is_saved_with_who_pinned_it(client, region, editor):
    location = make_location(line1="3 Nowhere Ln")

    response = pin(client, location, latitude="44.90712", longitude="-66.99")

    assert response.status_code == 302
    assert response["Location"] == location.get_absolute_url()
    location.refresh_from_db()
    assert (location.latitude, location.longitude, location.geocode_quality, location.geocode_source) == (
        Decimal("44.907120"),
        Decimal("-66.990000"),
        "pinned",
        "pin",
    )
    assert location.history.first().history_user == editor
    assert outbox_names(subject=location) == ["location.created", "location.updated"]
    page = client.get(location.get_absolute_url()).content.decode()
    assert "Pinned by Jane Hardy on 2 Mar 2026" in page


def test_a_pin_outside_the_region_is_a_field_error_and_nothing_is_written(client, region, editor):
    location = make_location(line1="3 Nowhere Ln")

    response = pin(client, location, latitude="42.3601", longitude="-71.0589")  # Boston

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "latitude": [
            "42.360100, -71.058900 is outside the provider's region (44.000000, -71.500000 to 47.500000, "
            "-66.900000): drop the pin where the site is."
        ]
    }
    location.refresh_from_db()
    assert (location.latitude, location.geocode_quality) == (None, "none")
    assert outbox_names(subject=location) == ["location.created"]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"latitude": "north", "longitude": "-67"}, {"latitude": ["Not a number."]}),
        ({"latitude": "44.9", "longitude": "1e400"}, {"longitude": ["Must be between -180 and 180."]}),
        ({"latitude": "", "longitude": ""}, {"latitude": ["Drop the pin on the map, or give a latitude."]}),
    ],
)
def test_a_pin_that_is_not_a_coordinate_is_a_field_error(client, region, editor, data, errors):
    location = make_location(line1="3 Nowhere Ln", latitude="44.5", longitude="-67.5")

    response = pin(client, location, **data)

    assert response.status_code == 400
    assert response.context["form"].errors == errors
    location.refresh_from_db()
    assert (location.latitude, location.geocode_quality) == (Decimal("44.500000"), "entered")


def test_find_from_the_address_when_nothing_places_it_is_an_error_on_the_page(client, editor):
    location = make_location(line1="3 Nowhere Ln", latitude="44.5", longitude="-67.5")

    response = client.post(reverse("location_map:pin", args=[location.pk]), {"action": "locate"})

    assert response.status_code == 400
    assert "We could not place this address on the map: drop a pin." in response.context["locate_error"]
    location.refresh_from_db()
    assert (location.latitude, location.geocode_quality) == (Decimal("44.500000"), "entered")


def test_the_pin_page_reads_for_every_staff_member_and_pins_for_account_editors(client):
    location = make_location(line1="3 Nowhere Ln")
    client.force_login(make_user("provisioning"))
    url = reverse("location_map:pin", args=[location.pk])

    page = client.get(url)

    assert page.status_code == 200
    assert "Save the pin" not in page.content.decode()
    assert pin(client, location, latitude="44.9", longitude="-67").status_code == 403


def test_the_region_is_the_coverage_box_with_a_margin_when_not_set(settings):
    settings.HEADEND_SERVICE_REGION = ""
    network_services.coverage_area_create(
        name="Machias",
        technology="fiber",
        max_down_mbps="1000",
        max_up_mbps="1000",
        created_by=None,
        polygon="\n".join(f"{lat}, {lng}" for lat, lng in SQUARE),
    )

    region = map_selectors.service_region()

    assert region is not None
    assert Decimal("44.49") < region.min_lat < Decimal("44.51")
    assert Decimal("44.92") < region.max_lat < Decimal("44.94")
    assert region.contains(Decimal("44.85"), Decimal("-67.30"))  # a new street just past the edge
    assert not region.contains(Decimal("43.66"), Decimal("-70.26"))  # Portland


def test_no_coverage_and_no_setting_is_no_region(settings):
    settings.HEADEND_SERVICE_REGION = ""

    assert map_selectors.service_region() is None


def test_the_coverage_geojson_has_the_areas_and_the_cells_near_the_site(client, editor):
    network_services.coverage_area_create(
        name="Machias",
        technology="fiber",
        max_down_mbps="1000",
        max_up_mbps="1000",
        created_by=None,
        polygon="\n".join(f"{lat}, {lng}" for lat, lng in SQUARE),
    )
    location = make_location(line1="3 Nowhere Ln", latitude="44.715", longitude="-67.45")

    geojson = client.get(reverse("location_map:coverage", args=[location.pk])).json()

    kinds = [feature["properties"]["kind"] for feature in geojson["features"]]
    area = geojson["features"][0]
    assert area["properties"] == {"kind": "area", "name": "Machias", "technology": "fiber"}
    assert area["geometry"]["coordinates"][0][0] == [-67.47, 44.7]  # [longitude, latitude]
    assert kinds.count("area") == 1
    assert kinds.count("cell") > 10
    assert Location.objects.get(pk=location.pk).geocode_quality == "entered"
