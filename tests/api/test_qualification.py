"""TMF679 productOfferingQualification: qualify offerings at a customer's site from coverage."""

import pytest

from headend.network.models import Qualification, QualificationItem
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_account, make_location, make_user
from tests.network.factories import PIONEER_CELL, SAMPLE, import_fcc, located_in, make_offering

pytestmark = pytest.mark.django_db

PATH = "/productOfferingQualification/v4/productOfferingQualification"
SITE = "http://testserver/tmf-api/geographicSiteManagement/v4/geographicSite"
OFFERING = "http://testserver/tmf-api/productCatalogManagement/v4/productOffering"


@pytest.fixture
def setup():
    """A resident in a cell with 1000/1000 fiber, and what is on sale to residents."""
    import_fcc(SAMPLE)
    catalog = {
        "static_ip": make_offering(
            "Static IP 29", customer_type="any", kind="addon", technology="", down=None, up=None
        ),
        "fiber_1g": make_offering("Fiber 1 Gig"),
        "fiber_2g": make_offering("Fiber 2 Gig", down=2000, up=2000),
        "fiber_300": make_offering("Fiber 300", down=300, up=300),
    }
    make_offering("Dedicated Internet 1 Gbps", customer_type="business")
    location = located_in(PIONEER_CELL)
    return location, catalog


def place(location):
    return [{"id": str(location.pk), "role": "installationAddress", "@referredType": "GeographicSite"}]


def item(version, location=None):
    qualification_item = {"id": "1", "productOffering": {"id": str(version.pk)}}
    if location is not None:
        qualification_item["product"] = {"place": place(location)}
    return qualification_item


def site_ref(location):
    return {
        "id": str(location.pk),
        "href": f"{SITE}/{location.pk}",
        "name": location.label,
        "role": "installationAddress",
        "@referredType": "GeographicSite",
    }


def offering_ref(version):
    return {
        "id": str(version.pk),
        "href": f"{OFFERING}/{version.pk}",
        "name": str(version),
        "@referredType": "ProductOffering",
    }


def test_qualify_a_site_lists_every_offering_on_sale_with_reasons(sales_api, setup):
    location, catalog = setup

    response = sales_api.post(PATH, {"description": "Can we serve Ada?", "place": place(location)})

    assert response.status_code == 201
    created = body(response)
    assert_valid(created, api="679", definition="ProductOfferingQualification")
    stored = Qualification.objects.get()
    assert created["id"] == str(stored.pk)
    assert created["href"] == f"http://testserver/tmf-api{PATH}/{stored.pk}"
    assert (created["state"], created["qualificationResult"], created["description"]) == (
        "done",
        "partiallyQualified",
        "Can we serve Ada?",
    )
    assert created["place"] == [site_ref(location)]
    assert created["relatedParty"][0]["id"] == str(location.account_id)
    assert [
        (i["id"], i["productOffering"]["name"], i["qualificationItemResult"], i["state"])
        for i in created["productOfferingQualificationItem"]
    ] == [
        ("1", "Static IP 29 v1", "qualified", "done"),
        ("2", "Fiber 1 Gig v1", "qualified", "done"),
        ("3", "Fiber 2 Gig v1", "unqualified", "done"),
        ("4", "Fiber 300 v1", "qualified", "done"),
    ]
    unqualified = created["productOfferingQualificationItem"][2]
    assert unqualified["eligibilityUnavailabilityReason"] == [
        {
            "code": "download_exceeds_coverage",
            "label": "Fiber 2 Gig needs 2000 Mbps; the location has 1000 Mbps fiber.",
            "@type": "EligibilityUnavailabilityReason",
        }
    ]
    assert unqualified["productOffering"] == offering_ref(catalog["fiber_2g"])
    assert unqualified["product"] == {"@type": "Product", "place": [site_ref(location)]}
    assert QualificationItem.objects.filter(qualification=stored).count() == 4


def test_qualify_named_offerings_with_alternatives(sales_api, setup):
    location, catalog = setup
    request = {
        "place": place(location),
        "provideAlternative": True,
        "productOfferingQualificationItem": [item(catalog["fiber_2g"]), item(catalog["fiber_1g"], location)],
    }

    response = sales_api.post(PATH, request)

    assert response.status_code == 201
    created = body(response)
    assert_valid(created, api="679", definition="ProductOfferingQualification")
    two_gig, one_gig = created["productOfferingQualificationItem"]
    assert (two_gig["qualificationItemResult"], one_gig["qualificationItemResult"]) == ("alternate", "qualified")
    assert two_gig["alternateProductOfferingProposal"] == [
        {
            "id": "1",
            "alternateProductOffering": offering_ref(catalog["fiber_1g"]),
            "@type": "AlternateProductOfferingProposal",
        },
        {
            "id": "2",
            "alternateProductOffering": offering_ref(catalog["fiber_300"]),
            "@type": "AlternateProductOfferingProposal",
        },
    ]
    assert "eligibilityUnavailabilityReason" not in one_gig
    assert created["qualificationResult"] == "partiallyQualified"


def test_qualify_only_available_lists_the_qualified(sales_api, setup):
    location, _ = setup

    response = sales_api.post(PATH, {"place": place(location), "provideOnlyAvailable": True})

    created = body(response)
    assert [i["productOffering"]["name"] for i in created["productOfferingQualificationItem"]] == [
        "Static IP 29 v1",
        "Fiber 1 Gig v1",
        "Fiber 300 v1",
    ]
    assert created["qualificationResult"] == "qualified"


def test_qualify_where_coverage_is_unknown_terminates_and_qualifies_nothing(sales_api, setup):
    _, catalog = setup
    nowhere = make_location(make_account("residential"))

    response = sales_api.post(
        PATH, {"place": place(nowhere), "productOfferingQualificationItem": [item(catalog["static_ip"])]}
    )

    assert response.status_code == 201
    created = body(response)
    assert_valid(created, api="679", definition="ProductOfferingQualification")
    reason = (
        "Coverage here is unknown: the address is on no address list and the location has no coordinates "
        "to look up its H3 cell."
    )
    assert (created["state"], created["qualificationResult"]) == ("terminatedWithError", "unqualified")
    assert created["note"][0]["text"] == reason
    (only,) = created["productOfferingQualificationItem"]
    assert (only["state"], only["qualificationItemResult"]) == ("terminatedWithError", "unqualified")
    assert only["terminationError"] == [{"id": "1", "value": reason, "@type": "TerminationError"}]
    assert only["eligibilityUnavailabilityReason"][0]["code"] == "coverage_unknown"


def test_get_a_qualification_and_the_list(sales_api, support_api, setup):
    location, _ = setup
    created = body(sales_api.post(PATH, {"place": place(location)}))
    sales_api.post(PATH, {"place": place(location), "provideOnlyAvailable": True})

    one = support_api.get(f"{PATH}/{created['id']}")
    listed = support_api.get(PATH, limit=1)

    assert one.status_code == 200
    assert body(one) == created
    assert listed.status_code == 200
    assert (listed["X-Total-Count"], listed["X-Result-Count"]) == ("2", "1")
    (newest,) = body(listed)
    assert_valid(newest, api="679", definition="ProductOfferingQualification")
    assert newest["provideOnlyAvailable"] is True


def test_get_an_unknown_qualification_is_404(sales_api):
    assert_error(sales_api.get(f"{PATH}/999"), status=404, code="not_found", api="679")


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"site": "999"}, "place[0].id", "unknown_reference"),
        ({"foreign_site": True}, "place[0].id", "foreign_location"),
        ({"item_foreign_site": True}, "productOfferingQualificationItem[0].product.place[0].id", "foreign_location"),
        ({"item_site": "abc"}, "productOfferingQualificationItem[0].product.place[0].id", "unknown_reference"),
        ({"offering": "999"}, "productOfferingQualificationItem[0].productOffering.id", "unknown_reference"),
        ({"draft": True}, "productOfferingQualificationItem[0].productOffering.id", "unknown_reference"),
        ({"no_place": True}, "place", "place_required"),
        ({"two_places": True}, "place", "one_place"),
        ({"action": "modify"}, "productOfferingQualificationItem[0].action", "unsupported_action"),
        ({"customer": "999"}, "relatedParty[0].id", "unknown_reference"),
    ],
)
def test_bad_input_is_400_naming_the_attribute_and_stores_nothing(sales_api, setup, change, field, code):
    location, catalog = setup
    request = {
        "relatedParty": [{"id": str(location.account_id), "role": "customer", "@referredType": "Customer"}],
        "place": place(location),
        "productOfferingQualificationItem": [item(catalog["fiber_1g"])],
    }
    if "site" in change:
        request["place"][0]["id"] = change.pop("site")
    if change.pop("foreign_site", False):
        request["place"] = place(make_location())
    if change.pop("item_foreign_site", False):
        request["productOfferingQualificationItem"][0]["product"] = {"place": place(make_location())}
    if "item_site" in change:
        request["productOfferingQualificationItem"][0]["product"] = {"place": [{"id": change.pop("item_site")}]}
    if "offering" in change:
        request["productOfferingQualificationItem"][0]["productOffering"]["id"] = change.pop("offering")
    if change.pop("draft", False):
        draft = make_offering("Fiber 5 Gig", down=5000, up=5000, publish=False)
        request["productOfferingQualificationItem"][0]["productOffering"]["id"] = str(draft.pk)
    if change.pop("no_place", False):
        request["place"] = []
        request["productOfferingQualificationItem"] = []
    if change.pop("two_places", False):
        request["place"] = place(location) + place(location)
    if "action" in change:
        request["productOfferingQualificationItem"][0]["action"] = change.pop("action")
    if "customer" in change:
        request["relatedParty"][0]["id"] = change.pop("customer")
    assert not change

    response = sales_api.post(PATH, request)

    assert_error(response, status=400, code=code, field=field, api="679")
    assert not Qualification.objects.exists()
    assert not QualificationItem.objects.exists()


def test_qualify_needs_a_sales_role(support_api, setup):
    location, _ = setup

    response = support_api.post(PATH, {"place": place(location)})

    assert_error(response, status=403, code="role_required", api="679")
    assert not Qualification.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_without_a_token_is_401(anonymous_api, method):
    response = anonymous_api.get(PATH) if method == "get" else anonymous_api.post(PATH, {"place": []})

    assert_error(response, status=401, code="unauthorized", api="679")
    assert response["WWW-Authenticate"] == 'Bearer realm="tmf-api"'


def test_a_token_of_a_user_without_a_staff_role_is_403(client):
    outsider = TMFClient.for_user(client, make_user())

    assert_error(outsider.get(PATH), status=403, code="staff_only", api="679")
