"""TMF620 writes (issue 17): a product tool publishes into Headend through productSpecification,
productOffering and productOfferingPrice, with the staff pages' rules, validated against the
official TMF620 v4.1 definitions."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog.models import Price, Product, ProductVersion
from tests.api.client import TMFClient, assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_product, make_user

pytestmark = pytest.mark.django_db

ROOT = "/productCatalogManagement/v4"
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def pm_api(client):
    return TMFClient.for_user(client, make_user("product_manager"))


@pytest.fixture
def fiber_300():
    return make_product(code="res-fiber-300", prices={12: ("50.00", "0.00"), 24: ("45.00", "0.00")}, floor_mrc="36.00")


def price(term: int, value: str, kind: str = "recurring") -> dict:
    return {
        "priceType": kind,
        "price": {"unit": "USD", "value": float(value)},
        "productOfferingTerm": [{"duration": {"amount": term, "units": "month"}}],
    }


def test_post_specification_creates_a_product(pm_api):
    request = {
        "name": "Fiber 500",
        "productNumber": "res-fiber-500",
        "description": "500 Mbps symmetrical.",
        "productSpecCharacteristic": [
            {"name": "customerType", "productSpecCharacteristicValue": [{"value": "residential"}]}
        ],
    }
    assert_valid(request, api="620", definition="ProductSpecification_Create")

    response = pm_api.post(f"{ROOT}/productSpecification", request)

    assert response.status_code == 201, response.content
    spec = body(response)
    assert_valid(spec, api="620", definition="ProductSpecification")
    product = Product.objects.get(code="res-fiber-500")
    assert (spec["id"], spec["productNumber"], spec["lifecycleStatus"]) == (
        str(product.pk),
        "res-fiber-500",
        "In design",
    )
    assert (product.name, product.customer_type, product.kind) == ("Fiber 500", "residential", "internet")
    assert pm_api.get(f"{ROOT}/productSpecification/{product.pk}").status_code == 200


def characteristic(spec: dict, name: str) -> list:
    return [value["value"] for c in spec["productSpecCharacteristic"] if c["name"] == name
            for value in c["productSpecCharacteristicValue"]]  # fmt: skip


def test_post_specification_creates_a_wholesale_partner_product(pm_api):
    request = {
        "name": "Partner Fiber 100 (wholesale)",
        "productNumber": "partner-100",
        "productSpecCharacteristic": [
            {"name": "customerType", "productSpecCharacteristicValue": [{"value": "business"}]},
            {"name": "delivery", "productSpecCharacteristicValue": [{"value": "wholesale"}]},
        ],
    }
    assert_valid(request, api="620", definition="ProductSpecification_Create")

    response = pm_api.post(f"{ROOT}/productSpecification", request)

    assert response.status_code == 201, response.content
    spec = body(response)
    assert_valid(spec, api="620", definition="ProductSpecification")
    assert characteristic(spec, "delivery") == ["wholesale"]
    product = Product.objects.get(code="partner-100")
    assert (product.delivery, product.customer_type) == ("wholesale", "business")


def test_post_specification_without_delivery_is_on_our_network(pm_api):
    response = pm_api.post(f"{ROOT}/productSpecification", {"name": "Fiber 500", "productNumber": "res-fiber-500"})

    assert response.status_code == 201, response.content
    assert characteristic(body(response), "delivery") == ["on_net"]
    assert Product.objects.get(code="res-fiber-500").delivery == "on_net"


def test_post_specification_with_an_unknown_delivery_is_400_and_writes_nothing(pm_api):
    delivery = {"name": "delivery", "productSpecCharacteristicValue": [{"value": "resold"}]}

    response = pm_api.post(
        f"{ROOT}/productSpecification", {"name": "Fiber 500", "productSpecCharacteristic": [delivery]}
    )

    assert_error(
        response,
        status=400,
        code="invalid_choice",
        field="productSpecCharacteristic[0].productSpecCharacteristicValue",
        api="620",
    )
    assert not Product.objects.exists()


def test_patch_specification_sets_the_delivery(pm_api, fiber_300):
    path = f"{ROOT}/productSpecification/{fiber_300.product_id}"
    patch = {
        "productSpecCharacteristic": [{"name": "delivery", "productSpecCharacteristicValue": [{"value": "wholesale"}]}]
    }

    response = pm_api.patch(path, patch)

    assert response.status_code == 200, response.content
    assert_valid(body(response), api="620", definition="ProductSpecification")
    assert characteristic(body(response), "delivery") == ["wholesale"]
    fiber_300.product.refresh_from_db()
    assert fiber_300.product.delivery == "wholesale"


def test_post_specification_refuses_speeds_which_are_per_offering(pm_api):
    speed = {"name": "downloadSpeedMbps", "productSpecCharacteristicValue": [{"value": 500}]}

    response = pm_api.post(f"{ROOT}/productSpecification", {"name": "Fiber 500", "productSpecCharacteristic": [speed]})

    assert_error(response, status=400, code="per_offering", field="productSpecCharacteristic[0].name", api="620")
    assert not Product.objects.exists()


def test_patch_specification_renames_but_keeps_the_code(pm_api, fiber_300):
    path = f"{ROOT}/productSpecification/{fiber_300.product_id}"

    renamed = pm_api.patch(path, {"name": "Fiber 300 Plus"})
    refused = pm_api.patch(path, {"productNumber": "other"})

    assert renamed.status_code == 200
    assert_valid(body(renamed), api="620", definition="ProductSpecification")
    assert body(renamed)["name"] == "Fiber 300 Plus"
    assert_error(refused, status=400, code="immutable", field="productNumber", api="620")


def test_post_offering_drafts_a_copy_with_new_prices_then_patch_launches_it(pm_api, fiber_300):
    request = {
        "name": fiber_300.product.name,
        "productSpecification": {"id": str(fiber_300.product_id)},
        "validFor": {"startDateTime": "2026-03-09T00:00:00-05:00"},
        "productOfferingPrice": [price(12, "48.00"), price(12, "99.00", "oneTime"), price(24, "44.00")],
        "prodSpecCharValueUse": [{"name": "downloadSpeedMbps", "productSpecCharacteristicValue": [{"value": 500}]}],
    }
    assert_valid(request, api="620", definition="ProductOffering_Create")

    created = pm_api.post(f"{ROOT}/productOffering", request)

    assert created.status_code == 201, created.content
    offering = body(created)
    assert_valid(offering, api="620", definition="ProductOffering")
    assert (offering["version"], offering["lifecycleStatus"], offering["isSellable"]) == ("2", "In design", False)
    draft = ProductVersion.objects.get(pk=offering["id"])
    assert (draft.effective_from, draft.download_mbps, draft.floor_mrc_amount) == (
        dt.date(2026, 3, 9),
        500,
        Decimal("36.00"),
    )
    assert [(p.term_months, p.mrc_amount, p.nrc_amount) for p in draft.prices.all()] == [
        (12, Decimal("48.00"), Decimal("99.00")),
        (24, Decimal("44.00"), Decimal("0.00")),
    ]

    launched = pm_api.patch(f"{ROOT}/productOffering/{draft.pk}", {"lifecycleStatus": "Launched"})

    assert launched.status_code == 200, launched.content
    assert_valid(body(launched), api="620", definition="ProductOffering")
    assert body(launched)["lifecycleStatus"] == "Launched"
    draft.refresh_from_db()
    assert draft.status == "published"


def test_post_offering_with_a_past_date_is_400_and_writes_nothing(pm_api, fiber_300):
    response = pm_api.post(
        f"{ROOT}/productOffering",
        {
            "name": fiber_300.product.name,
            "productSpecification": {"id": str(fiber_300.product_id)},
            "validFor": {"startDateTime": "2026-03-01T12:00:00-05:00"},
        },
    )

    assert_error(response, status=400, code="effective_in_past", field="validFor.startDateTime", api="620")
    assert fiber_300.product.versions.count() == 1


def test_post_offering_with_a_price_below_the_floor_is_400_on_that_price(pm_api, fiber_300):
    response = pm_api.post(
        f"{ROOT}/productOffering",
        {
            "name": fiber_300.product.name,
            "productSpecification": {"id": str(fiber_300.product_id)},
            "productOfferingPrice": [price(12, "48.00"), price(24, "35.00")],
            "lifecycleStatus": "Launched",
        },
    )

    assert_error(response, status=400, code="below_floor", field="productOfferingPrice[1].price", api="620")
    assert fiber_300.product.versions.count() == 1


def test_patch_prices_of_a_launched_offering_is_409(pm_api, fiber_300):
    response = pm_api.patch(f"{ROOT}/productOffering/{fiber_300.pk}", {"productOfferingPrice": [price(12, "40.00")]})

    assert_error(response, status=409, code="version_not_draft", api="620")
    assert fiber_300.prices.get(term_months=12).mrc_amount == Decimal("50.00")


def test_drafts_are_shown_to_catalog_managers_only(pm_api, sales_api, fiber_300):
    draft = make_product(publish=False)

    assert pm_api.get(f"{ROOT}/productOffering/{draft.pk}").status_code == 200
    assert_error(sales_api.get(f"{ROOT}/productOffering/{draft.pk}"), status=404, code="not_found", api="620")


def test_offering_prices_link_to_their_product_offering_price(pm_api, fiber_300):
    offering = body(pm_api.get(f"{ROOT}/productOffering/{fiber_300.pk}"))
    monthly_12 = offering["productOfferingPrice"][0]

    response = pm_api.get(f"{ROOT}/productOfferingPrice/{monthly_12['id']}")

    assert response.status_code == 200
    pop = body(response)
    assert_valid(pop, api="620", definition="ProductOfferingPrice")
    assert (pop["priceType"], pop["price"], pop["productOfferingTerm"][0]["duration"]) == (
        "recurring",
        {"unit": "USD", "value": Decimal("50.00")},
        {"amount": 12, "units": "month"},
    )
    assert pop["href"] == monthly_12["href"]


def test_post_and_patch_offering_prices_of_a_draft(pm_api, fiber_300):
    draft = make_product(publish=False, prices={12: ("60.00", "0.00")}, floor_mrc="40.00")
    request = {**price(24, "55.00"), "name": "24 months", "productOffering": {"id": str(draft.pk)}}
    assert_valid(request, api="620", definition="ProductOfferingPrice_Create")

    created = pm_api.post(f"{ROOT}/productOfferingPrice", request)

    assert created.status_code == 201, created.content
    assert_valid(body(created), api="620", definition="ProductOfferingPrice")
    term_24 = Price.objects.get(version=draft, term_months=24)
    assert (term_24.mrc_amount, term_24.nrc_amount) == (Decimal("55.00"), Decimal("0.00"))

    fee = pm_api.patch(f"{ROOT}/productOfferingPrice/{term_24.pk}-oneTime", {"price": {"unit": "USD", "value": 99}})
    below = pm_api.patch(f"{ROOT}/productOfferingPrice/{term_24.pk}-recurring", {"price": {"unit": "USD", "value": 39}})

    assert fee.status_code == 200
    assert body(fee)["price"] == {"unit": "USD", "value": Decimal("99.00")}
    assert_error(below, status=400, code="below_floor", field="price", api="620")
    term_24.refresh_from_db()
    assert (term_24.mrc_amount, term_24.nrc_amount) == (Decimal("55.00"), Decimal("99.00"))


def test_writes_need_the_catalog_role(sales_api, fiber_300):
    responses = [
        sales_api.post(f"{ROOT}/productSpecification", {"name": "Fiber 500"}),
        sales_api.patch(f"{ROOT}/productOffering/{fiber_300.pk}", {"lifecycleStatus": "Retired"}),
    ]

    for response in responses:
        assert_error(response, status=403, code="role_required", api="620")
    assert Product.objects.count() == 1
    assert ProductVersion.objects.get(pk=fiber_300.pk).status == "published"
