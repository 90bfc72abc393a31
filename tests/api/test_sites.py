"""TMF674 geographicSite: an account's service locations."""

from decimal import Decimal

import pytest

from headend.crm.models import Location
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_account, make_location

pytestmark = pytest.mark.django_db

PATH = "/geographicSiteManagement/v4/geographicSite"


def site(customer_id, **address):
    place = {
        "@type": "GeographicAddress",
        "streetNr": "12",
        "streetName": "Water",
        "streetType": "Street",
        "city": "Eastport",
        "stateOrProvince": "ME",
        "postcode": "04631",
        "country": "US",
    }
    place.update(address)
    return {
        "name": "Cannery",
        "relatedParty": [{"id": str(customer_id), "role": "customer", "@referredType": "Customer"}],
        "place": [place],
    }


def test_create_site_for_a_customer(sales_api):
    account = make_account()
    request = site(
        account.pk,
        geographicSubAddress=[{"subUnitType": "Suite", "subUnitNumber": "4"}],
        geographicLocation={"@type": "GeoJsonPoint", "geoJson": {"type": "Point", "coordinates": [-66.985, 44.9062]}},
    )

    response = sales_api.post(PATH, request)

    assert response.status_code == 201
    created = body(response)
    assert_valid(created, api="674", definition="GeographicSite")
    location = Location.objects.get()
    assert (location.account, location.name, location.line1, location.line2, location.city, location.state) == (
        account,
        "Cannery",
        "12 WATER ST",
        "STE 4",
        "EASTPORT",
        "ME",
    )
    assert (location.latitude, location.longitude) == (Decimal("44.906200"), Decimal("-66.985000"))
    assert created["place"] == [
        {
            "id": str(location.pk),
            "@type": "GeographicAddress",
            "streetNr": "12",
            "streetName": "WATER",
            "streetType": "ST",
            "city": "EASTPORT",
            "stateOrProvince": "ME",
            "postcode": "04631",
            "country": "US",
            "geographicSubAddress": [{"@type": "GeographicSubAddress", "subUnitType": "STE", "subUnitNumber": "4"}],
            "geographicLocation": {
                "@type": "GeoJsonPoint",
                "geoJson": {"type": "Point", "coordinates": [Decimal("-66.985000"), Decimal("44.906200")]},
            },
        }
    ]
    assert created["relatedParty"] == [
        {
            "id": str(account.pk),
            "href": f"http://testserver/tmf-api/customerManagement/v4/customer/{account.pk}",
            "name": account.name,
            "role": "customer",
            "@referredType": "Customer",
        }
    ]


def test_street_may_be_given_on_one_line(sales_api):
    account = make_account()

    response = sales_api.post(PATH, site(account.pk, streetNr=None, streetName="12 Water Street", streetType=None))

    assert response.status_code == 201
    assert Location.objects.get().line1 == "12 WATER ST"


@pytest.mark.parametrize(
    ("address", "field", "code"),
    [
        ({"postcode": "4631"}, "place[0].postcode", "invalid_address"),
        ({"stateOrProvince": "ZZ"}, "place[0].stateOrProvince", "invalid_address"),
        ({"city": ""}, "place[0].city", "required"),
        ({"streetNr": None, "streetName": None, "streetType": None}, "place[0].streetName", "required"),
        ({"country": "CA"}, "place[0].country", "invalid_address"),
        (
            {"geographicLocation": {"geoJson": {"type": "Point", "coordinates": [-66.9, 95]}}},
            "place[0].geographicLocation.geoJson.coordinates[1]",
            "invalid_coordinate",
        ),
        (
            {"geographicLocation": {"geoJson": {"type": "Point", "coordinates": [-66.9]}}},
            "place[0].geographicLocation.geoJson.coordinates",
            "too_short",
        ),
        (
            {"geographicSubAddress": [{"subUnitNumber": "1"}, {"subUnitNumber": "2"}]},
            "place[0].geographicSubAddress",
            "one_unit",
        ),
    ],
)
def test_bad_address_is_400_naming_the_attribute_and_nothing_is_written(sales_api, address, field, code):
    response = sales_api.post(PATH, site(make_account().pk, **address))

    assert_error(response, status=400, code=code, field=field, api="674")
    assert not Location.objects.exists()


def test_the_same_address_twice_is_400(sales_api):
    account = make_account()
    sales_api.post(PATH, site(account.pk))

    response = sales_api.post(PATH, site(account.pk, streetType="St"))

    assert_error(response, status=400, code="duplicate_location", field="place[0].streetName", api="674")
    assert Location.objects.count() == 1


def test_site_needs_its_customer(sales_api):
    request = site(make_account().pk)
    request["relatedParty"][0]["role"] = "owner"

    response = sales_api.post(PATH, request)

    assert_error(response, status=400, code="customer_required", field="relatedParty", api="674")


def test_site_of_an_unknown_customer_is_400_on_the_reference(sales_api):
    response = sales_api.post(PATH, site(999999))

    assert_error(response, status=400, code="unknown_reference", field="relatedParty[0].id", api="674")
    assert not Location.objects.exists()


def test_get_site(sales_api):
    location = make_location(name="Boat shed")

    response = sales_api.get(f"{PATH}/{location.pk}")

    assert response.status_code == 200
    got = body(response)
    assert_valid(got, api="674", definition="GeographicSite")
    assert (got["name"], got["place"][0]["postcode"]) == ("Boat shed", "04631")


def test_unknown_site_is_404(sales_api):
    assert_error(sales_api.get(f"{PATH}/424242"), status=404, code="not_found", api="674")


def test_list_sites_of_one_customer(sales_api):
    account = make_account()
    mine = [make_location(account), make_location(account)]
    make_location()  # another customer's

    response = sales_api.get(PATH, **{"relatedParty.id": account.pk})

    assert sorted(item["id"] for item in body(response)) == sorted(str(location.pk) for location in mine)
    assert response["X-Total-Count"] == "2"


def test_create_without_a_sales_role_is_403(support_api):
    assert_error(support_api.post(PATH, site(make_account().pk)), status=403, api="674")
    assert not Location.objects.exists()


def test_list_without_a_token_is_401(anonymous_api):
    assert_error(anonymous_api.get(PATH), status=401, api="674")
