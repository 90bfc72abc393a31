"""A location no geocoder could place, pinned in a browser: the map of the provider's coverage
(Leaflet, no tiles), a click where the site is, the pin saved, and the location page saying who
pinned it."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from headend.crm.models import Location
from headend.network import services as network_services
from tests.factories import make_location, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pin_an_unplaced_location_on_the_map(page, live_server, settings):
    settings.HEADEND_SERVICE_REGION = "44.60,-67.60,44.80,-67.30"
    network_services.coverage_area_create(
        name="Machias",
        technology="fiber",
        max_down_mbps="1000",
        max_up_mbps="1000",
        created_by=None,
        polygon="44.68, -67.48\n44.68, -67.42\n44.72, -67.42\n44.72, -67.48",
    )
    make_user("support", username="jane", first_name="Jane", last_name="Hardy")
    location = make_location(line1="3 Nowhere Ln", city="Machias", postal_code="04654")
    assert location.latitude is None

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("jane")
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{location.get_absolute_url()}")
    expect(page.get_by_test_id("placement")).to_have_text("We could not place this address on the map: drop a pin.")

    page.get_by_role("button", name="Drop a pin on the map").click()
    the_map = page.get_by_test_id("pin-map")
    # The staff area and the covered H3 cells near the site, drawn from the GeoJSON endpoint.
    expect(the_map).to_have_attribute("data-coverage-loaded", re.compile(r"^[1-9]\d*$"))
    drawn = int(the_map.get_attribute("data-coverage-loaded"))
    expect(the_map.locator("path.leaflet-interactive")).to_have_count(drawn)
    expect(the_map.locator("img.leaflet-tile")).to_have_count(0)  # no tiles: none configured
    box = the_map.bounding_box()
    the_map.click(position={"x": box["width"] / 2 + 40, "y": box["height"] / 2 - 30})
    expect(page.get_by_label("Latitude")).to_have_value(re.compile(r"^44\.\d{6}$"))
    expect(page.locator("#pin-status")).to_contain_text("Pin moved to")
    page.get_by_role("button", name="Save the pin").click()

    expect(page.get_by_text("Pin saved.")).to_be_visible()
    expect(page.get_by_test_id("placement")).to_contain_text("Pinned by Jane Hardy on")
    location.refresh_from_db()
    assert location.geocode_quality == "pinned"
    assert Decimal("44.60") < location.latitude < Decimal("44.80")
    assert Decimal("-67.60") < location.longitude < Decimal("-67.30")
    assert Location.history.model.objects.filter(id=location.pk).first().history_user.username == "jane"


def test_a_placed_location_opens_on_its_pin_among_the_covered_cells(page, live_server, settings):
    settings.HEADEND_SERVICE_REGION = "44.60,-67.60,44.80,-67.30"
    network_services.coverage_area_create(
        name="Machias cell",
        technology="fiber",
        max_down_mbps="1000",
        max_up_mbps="1000",
        created_by=None,
        cells="882b1891c3fffff",
    )
    make_user("support", username="jane")
    location = make_location(line1="1 Water St", city="Machias", latitude=Decimal("44.70"), longitude=Decimal("-67.45"))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("jane")
    page.get_by_label("Password").fill("pw-for-tests-1")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/accounts/locations/{location.pk}/pin/")

    the_map = page.get_by_test_id("pin-map")
    expect(the_map).to_have_attribute("data-coverage-loaded", re.compile(r"^\d+$"))
    drawn = int(the_map.get_attribute("data-coverage-loaded"))
    # The coverage and the site's own pin (a marker drawn once the map has its view).
    expect(the_map.locator("path.leaflet-interactive")).to_have_count(drawn + 1)
    assert errors == []
