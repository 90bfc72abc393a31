"""TMF674 geographicSite: an account's service locations."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from headend.core.models import OutboxEvent
from headend.crm.addresses import normalize_address
from headend.crm.models import Location
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import outbox_names
from tests.factories import make_account, make_location, make_user

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


# PATCH: a JSON merge patch, the address checked and normalised as on create


def site_state(location: Location) -> tuple:
    """Everything a patch may change, and the history and events it would write."""
    location.refresh_from_db()
    return (
        location.name,
        location.line1,
        location.line2,
        location.city,
        location.state,
        location.postal_code,
        location.address_key,
        location.latitude,
        location.longitude,
        location.history.count(),
        OutboxEvent.objects.count(),
    )


@pytest.mark.parametrize("content_type", ["application/merge-patch+json", "application/json"])
def test_patch_site_name_keeps_the_address(sales_api, content_type):
    location = make_location(name="Cannery", line1="12 Water Street", latitude="44.9062", longitude="-66.985")
    address = site_state(location)[1:9]

    response = sales_api.patch(f"{PATH}/{location.pk}", {"name": "Boat shed"}, content_type=content_type)

    assert response.status_code == 200, response.content
    patched = body(response)
    assert_valid(patched, api="674", definition="GeographicSite")
    assert (patched["id"], patched["name"], patched["place"][0]["streetName"]) == (
        str(location.pk),
        "Boat shed",
        "WATER",
    )
    assert site_state(location)[:9] == ("Boat shed", *address)


def test_patch_site_address_is_normalised_as_on_create(sales_api):
    location = make_location(name="Cannery", line1="12 Water St", latitude="44.9062", longitude="-66.985")

    response = sales_api.patch(
        f"{PATH}/{location.pk}",
        {
            "place": [
                {
                    "streetNr": "40",
                    "streetName": "Sea",
                    "streetType": "Street",
                    "city": "Eastport",
                    "stateOrProvince": "me",
                    "postcode": "04631",
                    "geographicSubAddress": [{"subUnitType": "Suite", "subUnitNumber": "2"}],
                }
            ]
        },
    )

    assert response.status_code == 200, response.content
    assert_valid(body(response), api="674", definition="GeographicSite")
    location.refresh_from_db()
    assert (location.name, location.line1, location.line2, location.city, location.state) == (
        "Cannery",
        "40 SEA ST",
        "STE 2",
        "EASTPORT",
        "ME",
    )
    assert (location.latitude, location.longitude) == (None, None)  # the place is replaced whole
    new_address = normalize_address(
        line1="40 Sea Street", line2="Suite 2", city="Eastport", state="ME", postal_code="04631"
    )
    assert location.address_key == new_address.key


def test_patch_site_writes_history_and_one_event_naming_the_fields(sales_api):
    location = make_location(name="Cannery")

    sales_api.patch(f"{PATH}/{location.pk}", {"name": "Boat shed"})

    latest = location.history.first()
    assert (location.history.count(), latest.history_type, latest.history_user) == (
        2,
        "~",
        User.objects.get(groups__name="sales"),
    )
    assert outbox_names(subject=location) == ["location.created", "location.updated"]
    assert OutboxEvent.objects.get(name="location.updated").data == {
        "account_id": location.account_id,
        "fields": ["name"],
    }


def test_patch_site_that_changes_nothing_writes_nothing(sales_api):
    location = make_location(name="Cannery")
    before = site_state(location)

    response = sales_api.patch(
        f"{PATH}/{location.pk}",
        {
            "name": "Cannery",
            "relatedParty": [{"id": str(location.account_id), "role": "customer"}],
            "@type": "GeographicSite",
        },
    )

    assert response.status_code == 200, response.content
    assert site_state(location) == before


@pytest.mark.parametrize(
    ("patch", "field", "code"),
    [
        (
            {"place": [{"streetName": "12 Water St", "city": "Eastport", "stateOrProvince": "ME", "postcode": "4631"}]},
            "place[0].postcode",
            "invalid_address",
        ),
        (
            {"place": [{"streetName": "12 Water St", "city": "", "stateOrProvince": "ME", "postcode": "04631"}]},
            "place[0].city",
            "required",
        ),
        (
            {"place": [{"city": "Eastport", "stateOrProvince": "ME", "postcode": "04631"}]},
            "place[0].streetName",
            "required",
        ),
        (
            {
                "place": [
                    {
                        "streetName": "12 Water St",
                        "city": "Eastport",
                        "stateOrProvince": "ME",
                        "postcode": "04631",
                        "country": "CA",
                    }
                ]
            },
            "place[0].country",
            "invalid_address",
        ),
        (
            {
                "place": [
                    {
                        "streetName": "12 Water St",
                        "city": "Eastport",
                        "stateOrProvince": "ME",
                        "postcode": "04631",
                        "geographicLocation": {"geoJson": {"type": "Point", "coordinates": [-66.9, 95]}},
                    }
                ]
            },
            "place[0].geographicLocation.geoJson.coordinates[1]",
            "invalid_coordinate",
        ),
        ({"place": None}, "place", "one_place"),
        ({"place": []}, "place", "one_place"),
        ({"name": "x" * 101}, "name", "string_too_long"),
        ({"id": "424242"}, "id", "immutable"),
        ({"@type": "GeographicAddress"}, "@type", "immutable"),
        ({"relatedParty": [{"id": "424242", "role": "customer"}]}, "relatedParty[0].id", "immutable"),
        ({"relatedParty": []}, "relatedParty", "customer_required"),
    ],
)
def test_bad_site_patch_is_400_naming_the_attribute_and_nothing_changes(sales_api, patch, field, code):
    location = make_location(name="Cannery")
    before = site_state(location)

    response = sales_api.patch(f"{PATH}/{location.pk}", {"name": "Changed", **patch})

    assert_error(response, status=400, code=code, field=field, api="674")
    assert site_state(location) == before


def test_patch_site_onto_another_site_of_the_customer_is_400(sales_api):
    account = make_account()
    make_location(account, line1="12 Water St")
    location = make_location(account, line1="40 Water St")
    before = site_state(location)

    response = sales_api.patch(
        f"{PATH}/{location.pk}",
        {
            "place": [
                {"streetName": "12 Water Street", "city": "Eastport", "stateOrProvince": "ME", "postcode": "04631"}
            ]
        },
    )

    assert_error(response, status=400, code="duplicate_location", field="place[0].streetName", api="674")
    assert site_state(location) == before


@pytest.mark.parametrize("site_id", ["424242", "abc"])
def test_patch_unknown_site_is_404(sales_api, site_id):
    assert_error(sales_api.patch(f"{PATH}/{site_id}", {"name": "x"}), status=404, code="not_found", api="674")


def test_patch_site_without_a_role_that_manages_customers_is_403_and_nothing_changes(fulfil_api):
    location = make_location(name="Cannery")
    before = site_state(location)

    response = fulfil_api.patch(f"{PATH}/{location.pk}", {"name": "Changed"})

    assert_error(response, status=403, code="role_required", api="674")
    assert site_state(location) == before


def test_patch_site_is_documented_as_a_merge_patch(client):
    client.force_login(make_user("sales"))
    document = client.get("/tmf-api/openapi.json").json()

    patch = document["paths"]["/tmf-api/geographicSiteManagement/v4/geographicSite/{id}"]["patch"]

    assert set(patch["requestBody"]["content"]) == {"application/json", "application/merge-patch+json"}
