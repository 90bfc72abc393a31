"""The geocoders behind one port: the provider's address list (offline, exact), and the Census
and Nominatim geocoders against stand-ins at the HTTP boundary (pytest-httpserver on 127.0.0.1,
let through the outbound policy as an admin would with HEADEND_OUTBOUND_ALLOW)."""

import json
import time
from decimal import Decimal

import pytest
from werkzeug import Request, Response

from headend.core import clock
from headend.crm import geocoding
from headend.crm.addresses import normalize_address
from headend.crm.geocoding import AddressPointGeocoder, CensusGeocoder, NominatimGeocoder, Region
from headend.crm.models import AddressPoint

ADDRESS = normalize_address(line1="84 Water Street", line2="Suite 2", city="Eastport", state="ME", postal_code="04631")
CENSUS_PATH = "/geocoder/locations/onelineaddress"


def census_answer(*matches: dict) -> dict:
    """The Census geocoder's documented JSON: result.input and result.addressMatches."""
    return {"result": {"input": {"benchmark": {"benchmarkName": "Public_AR_Current"}}, "addressMatches": list(matches)}}


CENSUS_MATCH = {
    "matchedAddress": "84 WATER ST, EASTPORT, ME, 04631",
    "coordinates": {"x": -66.98921, "y": 44.906734},
    "tigerLine": {"tigerLineId": "76234181", "side": "R"},
}


def point(address=ADDRESS, lat="44.906500", lon="-66.989100", *, key=None) -> AddressPoint:
    return AddressPoint.objects.create(
        address_key=key or address.key,
        line1=address.line1,
        line2=address.line2,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        latitude=Decimal(lat),
        longitude=Decimal(lon),
        imported_at=clock.now(),
    )


@pytest.fixture
def allow_loopback(settings):
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]


# --- The provider's address list -------------------------------------------------------------


@pytest.mark.django_db
def test_address_points_match_the_normalised_address_exactly():
    point()
    spelled_otherwise = normalize_address(
        line1="84 water st", line2="ste 2", city="EASTPORT", state="me", postal_code="04631-1234"
    )

    match = AddressPointGeocoder().geocode(spelled_otherwise)

    assert (match.latitude, match.longitude, match.quality, match.source) == (
        Decimal("44.906500"),
        Decimal("-66.989100"),
        "exact",
        "address_points",
    )
    assert match.matched_address == "84 WATER ST STE 2, EASTPORT, ME 04631"


@pytest.mark.django_db
def test_address_points_place_a_unit_at_its_buildings_point():
    building = normalize_address(line1="84 Water St", city="Eastport", state="ME", postal_code="04631")
    point(building)

    match = AddressPointGeocoder().geocode(ADDRESS)

    assert (match.quality, match.latitude) == ("exact", Decimal("44.906500"))


@pytest.mark.django_db
def test_address_points_do_not_place_another_address():
    point()
    neighbour = normalize_address(line1="86 Water St", city="Eastport", state="ME", postal_code="04631")

    match = AddressPointGeocoder().geocode(neighbour)

    assert (match.placed, match.quality, match.latitude, match.reason) == (
        False,
        "none",
        None,
        "not on the provider's address list",
    )


@pytest.mark.django_db
def test_address_points_place_a_batch_in_one_query(django_assert_num_queries):
    addresses = [
        normalize_address(line1=f"{n} Water St", city="Eastport", state="ME", postal_code="04631") for n in range(1, 31)
    ]
    for address in addresses[::2]:
        point(address)

    with django_assert_num_queries(1):
        matches = AddressPointGeocoder().geocode_many(addresses)

    assert [matches[a.key].quality for a in addresses[:4]] == ["exact", "none", "exact", "none"]


# --- Census ----------------------------------------------------------------------------------


def test_census_reads_the_first_address_match(httpserver, allow_loopback):
    httpserver.expect_request(
        CENSUS_PATH,
        query_string={
            "address": "84 WATER ST, EASTPORT, ME 04631",
            "benchmark": "Public_AR_Current",
            "format": "json",
        },
    ).respond_with_json(census_answer(CENSUS_MATCH))

    match = CensusGeocoder(base_url=httpserver.url_for("/")).geocode(ADDRESS)

    assert (match.latitude, match.longitude, match.quality, match.source, match.matched_address) == (
        Decimal("44.906734"),
        Decimal("-66.989210"),
        "interpolated",
        "census",
        "84 WATER ST, EASTPORT, ME, 04631",
    )


def test_census_without_a_match_places_nothing(httpserver, allow_loopback):
    httpserver.expect_request(CENSUS_PATH).respond_with_json(census_answer())

    match = CensusGeocoder(base_url=httpserver.url_for("/")).geocode(ADDRESS)

    assert (match.placed, match.reason) == (False, "the Census geocoder does not know this address")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html>Service unavailable</html>", "The Census geocoder's answer was not JSON"),
        (json.dumps({"result": {"addressMatches": [{"coordinates": {"x": "west"}}]}}), "not as documented"),
        (json.dumps({"errors": ["Address cannot be empty"]}), "not as documented"),
        (json.dumps(census_answer({"coordinates": {"x": -66.9, "y": 123.0}})), "not as documented"),
    ],
)
def test_census_a_malformed_answer_is_no_match_with_the_reason(httpserver, allow_loopback, body, reason):
    httpserver.expect_request(CENSUS_PATH).respond_with_data(body, content_type="application/json")

    match = CensusGeocoder(base_url=httpserver.url_for("/")).geocode(ADDRESS)

    assert (match.placed, match.latitude) == (False, None)
    assert reason in match.reason


def test_census_an_error_status_is_no_match(httpserver, allow_loopback):
    httpserver.expect_request(CENSUS_PATH).respond_with_data("busy", status=503)

    match = CensusGeocoder(base_url=httpserver.url_for("/")).geocode(ADDRESS)

    assert match.reason == "The Census geocoder answered HTTP 503"


def test_census_a_timeout_is_no_match_within_the_timeout(httpserver, allow_loopback):
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(json.dumps(census_answer(CENSUS_MATCH)), content_type="application/json")

    httpserver.expect_request(CENSUS_PATH).respond_with_handler(slow)

    match = CensusGeocoder(base_url=httpserver.url_for("/"), timeout=0.3).geocode(ADDRESS)

    assert (match.placed, match.reason) == (False, "The Census geocoder did not answer within 0.3 seconds")


def test_census_on_a_loopback_address_is_refused_by_the_outbound_policy(httpserver, settings):
    settings.HEADEND_OUTBOUND_ALLOW = []
    httpserver.expect_request(CENSUS_PATH).respond_with_json(census_answer(CENSUS_MATCH))

    match = CensusGeocoder(base_url=httpserver.url_for("/")).geocode(ADDRESS)

    assert match.placed is False
    assert match.reason.startswith(
        "The Census geocoder may not be called: localhost resolves to 127.0.0.1, a loopback address"
    )
    assert httpserver.log == []


# --- Nominatim -------------------------------------------------------------------------------


def nominatim_place(**overrides) -> dict:
    """One result of /search?format=jsonv2."""
    place = {
        "place_id": 1,
        "lat": "44.9067",
        "lon": "-66.98925",
        "category": "building",
        "type": "yes",
        "place_rank": 30,
        "addresstype": "building",
        "display_name": "84, Water Street, Eastport, Washington County, Maine, 04631, United States",
    }
    return {**place, **overrides}


def test_nominatim_asks_with_a_user_agent_and_reads_a_house_as_exact(httpserver, allow_loopback):
    httpserver.expect_request(
        "/search",
        query_string={
            "format": "jsonv2",
            "q": "84 WATER ST, EASTPORT, ME 04631",
            "limit": "1",
            "countrycodes": "us",
            "addressdetails": "0",
        },
        headers={"User-Agent": NominatimGeocoder.USER_AGENT},
    ).respond_with_json([nominatim_place()])

    match = NominatimGeocoder(base_url=httpserver.url_for("/"), min_interval=0).geocode(ADDRESS)

    assert (match.latitude, match.longitude, match.quality, match.source) == (
        Decimal("44.906700"),
        Decimal("-66.989250"),
        "exact",
        "nominatim",
    )


@pytest.mark.parametrize(
    ("place", "quality"),
    [
        ({"category": "place", "type": "house"}, "interpolated"),
        ({"category": "highway", "type": "residential", "place_rank": 26}, "approximate"),
        ({"category": "boundary", "type": "administrative", "place_rank": 16}, "none"),
    ],
)
def test_nominatim_quality_follows_what_it_found(httpserver, allow_loopback, place, quality):
    httpserver.expect_request("/search").respond_with_json([nominatim_place(**place)])

    match = NominatimGeocoder(base_url=httpserver.url_for("/"), min_interval=0).geocode(ADDRESS)

    assert match.quality == quality


@pytest.mark.parametrize("body", ['{"error": "Unable to geocode"}', '[{"lat": "north", "lon": "1"}]', "[{}]", "[]"])
def test_nominatim_an_unexpected_or_empty_answer_is_no_match(httpserver, allow_loopback, body):
    httpserver.expect_request("/search").respond_with_data(body, content_type="application/json")

    match = NominatimGeocoder(base_url=httpserver.url_for("/"), min_interval=0).geocode(ADDRESS)

    assert (match.placed, match.latitude) == (False, None)
    assert match.reason


def test_nominatim_asks_at_most_once_per_interval(httpserver, allow_loopback, monkeypatch):
    now, slept = [5000.0], []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now[0] += seconds

    monkeypatch.setattr(NominatimGeocoder, "_monotonic", staticmethod(lambda: now[0]))
    monkeypatch.setattr(NominatimGeocoder, "_sleep", staticmethod(sleep))
    monkeypatch.setattr(NominatimGeocoder, "_last_call", 0.0)
    httpserver.expect_request("/search").respond_with_json([nominatim_place()])
    geocoder = NominatimGeocoder(base_url=httpserver.url_for("/"), min_interval=1.0)

    geocoder.geocode(ADDRESS)  # the first asks at once
    now[0] += 0.25
    geocoder.geocode(ADDRESS)  # a quarter second later: waits the rest of the second
    geocoder.geocode(ADDRESS)  # straight after: a whole second

    assert slept == [0.75, 1.0]
    assert len(httpserver.log) == 3


def test_nominatim_a_timeout_is_no_match(httpserver, allow_loopback):
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response("[]", content_type="application/json")

    httpserver.expect_request("/search").respond_with_handler(slow)

    match = NominatimGeocoder(base_url=httpserver.url_for("/"), timeout=0.3, min_interval=0).geocode(ADDRESS)

    assert match.reason == "Nominatim did not answer within 0.3 seconds"


# --- The chain -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_chain_defaults_to_the_address_list_alone(settings):
    assert [type(g).__name__ for g in geocoding.geocoders()] == ["AddressPointGeocoder"]


@pytest.mark.django_db
def test_the_chain_asks_census_only_for_what_the_address_list_does_not_place(httpserver, allow_loopback, settings):
    settings.HEADEND_GEOCODERS = ["address_points", "census"]
    settings.HEADEND_CENSUS_GEOCODER_URL = httpserver.url_for("/")
    point()
    other = normalize_address(line1="12 Sea St", city="Eastport", state="ME", postal_code="04631")
    httpserver.expect_request(CENSUS_PATH).respond_with_json(census_answer(CENSUS_MATCH))

    matches = geocoding.geocode_many([ADDRESS, other])

    assert (matches[ADDRESS.key].source, matches[other.key].source) == ("address_points", "census")
    assert [entry[0].args["address"] for entry in httpserver.log] == ["12 SEA ST, EASTPORT, ME 04631"]


@pytest.mark.django_db
def test_the_chain_offline_skips_the_online_geocoders_and_says_why_nothing_placed(httpserver, settings):
    settings.HEADEND_GEOCODERS = ["address_points", "census"]
    settings.HEADEND_CENSUS_GEOCODER_URL = httpserver.url_for("/")

    match = geocoding.geocode(ADDRESS, online=False)

    assert (match.placed, match.reason) == (False, "not on the provider's address list")
    assert httpserver.log == []


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [("44.0,-71.5,47.5,-66.9", ("44.9", "-67.0"), ("42.36", "-71.06"))],
)
def test_region_parse_and_contains(text, inside, outside):
    region = Region.parse(text)

    assert region.contains(Decimal(inside[0]), Decimal(inside[1]))
    assert not region.contains(Decimal(outside[0]), Decimal(outside[1]))


@pytest.mark.parametrize("text", ["44,-71,47", "47.5,-71.5,44.0,-66.9", "north,-71.5,47.5,-66.9"])
def test_region_parse_refuses_what_is_not_a_box(text):
    with pytest.raises(ValueError):
        Region.parse(text)
