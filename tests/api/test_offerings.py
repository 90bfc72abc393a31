"""TMF620 productOffering: one per released product version."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services as catalog_services
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_product

pytestmark = pytest.mark.django_db

PATH = "/productCatalogManagement/v4/productOffering"


def test_get_offering_with_terms_prices_and_characteristics(sales_api):
    version = make_product(
        prices={0: ("70.00", "99.00"), 12: ("65.10", "0.00")},
        download_mbps=1000,
        upload_mbps=500,
        technology="fiber",
        static_ips=1,
    )

    response = sales_api.get(f"{PATH}/{version.pk}")

    assert response.status_code == 200
    offering = body(response)
    assert_valid(offering, api="620", definition="ProductOffering")
    assert (offering["id"], offering["name"], offering["version"], offering["lifecycleStatus"]) == (
        str(version.pk),
        version.product.name,
        "1",
        "Launched",
    )
    assert offering["isSellable"] is True
    assert offering["validFor"] == {"startDateTime": "2020-01-01T00:00:00-05:00"}
    assert offering["productSpecification"]["id"] == str(version.product.pk)
    assert [(term["name"], term["duration"]) for term in offering["productOfferingTerm"]] == [
        ("Month-to-month", {"amount": 0, "units": "month"}),
        ("12 months", {"amount": 12, "units": "month"}),
    ]
    prices = [
        (
            price["productOfferingTerm"][0]["duration"]["amount"],
            price["priceType"],
            price.get("recurringChargePeriod"),
            price["price"]["dutyFreeAmount"],
        )
        for price in offering["productOfferingPrice"]
    ]
    assert prices == [
        (0, "recurring", "month", {"unit": "USD", "value": Decimal("70.00")}),
        (0, "oneTime", None, {"unit": "USD", "value": Decimal("99.00")}),
        (12, "recurring", "month", {"unit": "USD", "value": Decimal("65.10")}),
        (12, "oneTime", None, {"unit": "USD", "value": Decimal("0.00")}),
    ]
    characteristics = {
        use["name"]: use["productSpecCharacteristicValue"][0]["value"] for use in offering["prodSpecCharValueUse"]
    }
    assert characteristics == {
        "downloadSpeedMbps": 1000,
        "uploadSpeedMbps": 500,
        "technology": "fiber",
        "staticIpAddresses": 1,
    }


def test_list_shows_launched_and_retired_versions_but_not_drafts(sales_api):
    launched, retired = make_product(), make_product()
    catalog_services.version_retire(version=retired)
    make_product(publish=False)

    response = sales_api.get(PATH)

    offerings = body(response)
    assert {(offering["id"], offering["lifecycleStatus"]) for offering in offerings} == {
        (str(launched.pk), "Launched"),
        (str(retired.pk), "Retired"),
    }
    for offering in offerings:
        assert_valid(offering, api="620", definition="ProductOffering")


@pytest.mark.parametrize(("status", "expected"), [("Launched", "launched"), ("Retired", "retired"), ("Draft", None)])
def test_list_filters_by_lifecycle_status(sales_api, status, expected):
    versions = {"launched": make_product(), "retired": make_product()}
    catalog_services.version_retire(version=versions["retired"])

    response = sales_api.get(PATH, lifecycleStatus=status)

    assert [offering["id"] for offering in body(response)] == ([str(versions[expected].pk)] if expected else [])


def test_a_version_effective_later_is_not_sellable_yet(sales_api):
    version = make_product(effective_from=dt.date(2026, 4, 1))

    offering = body(sales_api.get(f"{PATH}/{version.pk}"))

    assert (offering["lifecycleStatus"], offering["isSellable"]) == ("Launched", False)


def test_a_draft_version_is_404(sales_api):
    draft = make_product(publish=False)

    assert_error(sales_api.get(f"{PATH}/{draft.pk}"), status=404, code="not_found", api="620")


def test_unknown_offering_is_404(sales_api):
    assert_error(sales_api.get(f"{PATH}/31337"), status=404, api="620")


def test_offerings_need_a_token(anonymous_api):
    assert_error(anonymous_api.get(PATH), status=401, api="620")


def test_a_bad_limit_is_400_naming_it(sales_api):
    assert_error(sales_api.get(PATH, limit=5000), status=400, code="less_than_equal", field="limit", api="620")
