"""TMF620 productOffering: one per released product version."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


def test_tiers_are_per_unit_prices_with_their_quantity_ranges(sales_api):
    version = make_product(
        kind="voice",
        prices={12: ("30.00", "10.00"), 24: ("28.00", "0.00")},
        tiers={12: [(1, 9, "30.00"), (10, 24, "25.00"), (25, None, "20.00")]},
    )

    offering = body(sales_api.get(f"{PATH}/{version.pk}"))

    assert_valid(offering, api="620", definition="ProductOffering")
    assert [(price["name"], price["priceType"]) for price in offering["productOfferingPrice"]] == [
        ("Monthly recurring charge", "recurring"),
        ("One-time charge", "oneTime"),
        ("12 months, 1-9 units", "recurring"),
        ("12 months, 10-24 units", "recurring"),
        ("12 months, 25+ units", "recurring"),
        ("Monthly recurring charge", "recurring"),
        ("One-time charge", "oneTime"),
    ]
    middle, top = offering["productOfferingPrice"][3:5]
    assert middle == {
        "name": "12 months, 10-24 units",
        "description": "Volume tier: a line of 10 to 24 units pays this monthly price for every unit.",
        "priceType": "recurring",
        "recurringChargePeriod": "month",
        "price": {"dutyFreeAmount": {"unit": "USD", "value": Decimal("25.00")}},
        "@type": "ProductOfferingPrice",
        "recurringChargePeriodLength": 1,
        "unitOfMeasure": {"amount": 1, "units": "unit"},
        "productOfferingTerm": [
            {"name": "12 months", "duration": {"amount": 12, "units": "month"}, "@type": "ProductOfferingTerm"}
        ],
        "prodSpecCharValueUse": [
            {
                "name": "quantity",
                "valueType": "integer",
                "productSpecCharacteristicValue": [
                    {"valueType": "integer", "valueFrom": 10, "valueTo": 24, "rangeInterval": "closed"}
                ],
            }
        ],
    }
    assert top["prodSpecCharValueUse"][0]["productSpecCharacteristicValue"] == [
        {"valueType": "integer", "valueFrom": 25, "rangeInterval": "closedBottom"}
    ]


def test_promotions_in_force_alter_the_prices_they_apply_to(sales_api):
    version = make_product(prices={12: ("80.00", "200.00"), 24: ("70.00", "200.00")})
    product = version.product
    catalog_services.promotion_create(
        product=product,
        code="spring-half",
        name="Spring: half price",
        valid_from=dt.date(2026, 3, 1),
        valid_to=dt.date(2026, 5, 31),
        mrc_off_kind="percent",
        mrc_off_value="50",
        mrc_off_months=3,
        waives_installation=True,
        terms=[24],
    )
    catalog_services.promotion_create(
        product=product,
        code="ten-off",
        name="Ten off",
        valid_from=dt.date(2026, 1, 1),
        mrc_off_kind="amount",
        mrc_off_value="10.00",
        mrc_off_months=1,
    )
    catalog_services.promotion_create(  # ended
        product=product,
        code="old",
        name="Old",
        valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 12, 31),
        waives_installation=True,
    )
    catalog_services.promotion_create(  # not yet
        product=product, code="summer", name="Summer", valid_from=dt.date(2026, 6, 1), waives_installation=True
    )

    offering = body(sales_api.get(f"{PATH}/{version.pk}"))

    assert_valid(offering, api="620", definition="ProductOffering")
    by_term = {
        (price["productOfferingTerm"][0]["duration"]["amount"], price["priceType"]): price.get("priceAlteration", [])
        for price in offering["productOfferingPrice"]
    }
    assert [alteration["id"] for alteration in by_term[(12, "recurring")]] == ["ten-off"]
    assert by_term[(12, "oneTime")] == []
    assert by_term[(24, "recurring")] == [
        {
            "id": "ten-off",
            "name": "Ten off",
            "description": "10.00 USD off the monthly charge per unit for the first month.",
            "priceType": "recurring",
            "recurringChargePeriod": "month",
            "applicationDuration": {"amount": 1, "units": "month"},
            "price": {"dutyFreeAmount": {"unit": "USD", "value": Decimal("10.00")}},
            "validFor": {"startDateTime": "2026-01-01T00:00:00-05:00"},
            "@type": "POPAlteration",
        },
        {
            "id": "spring-half",
            "name": "Spring: half price",
            "description": "50% off the monthly charge for the first 3 months.",
            "priceType": "recurring",
            "recurringChargePeriod": "month",
            "applicationDuration": {"amount": 3, "units": "month"},
            "price": {"percentage": Decimal("50.00")},
            "validFor": {"startDateTime": "2026-03-01T00:00:00-05:00", "endDateTime": "2026-05-31T23:59:59-04:00"},
            "@type": "POPAlteration",
        },
    ]
    assert by_term[(24, "oneTime")] == [
        {
            "id": "spring-half",
            "name": "Spring: half price",
            "description": "Installation waived.",
            "priceType": "oneTime",
            "price": {"percentage": 100},
            "validFor": {"startDateTime": "2026-03-01T00:00:00-05:00", "endDateTime": "2026-05-31T23:59:59-04:00"},
            "@type": "POPAlteration",
        }
    ]


@pytest.mark.parametrize(
    ("customer_type", "segments"),
    [("business", ["business"]), ("residential", ["residential"]), ("any", ["residential", "business"])],
)
def test_market_segment_says_who_may_buy_it(sales_api, customer_type, segments):
    version = make_product(customer_type=customer_type)

    offering = body(sales_api.get(f"{PATH}/{version.pk}"))

    assert_valid(offering, api="620", definition="ProductOffering")
    assert [(segment["id"], segment["@referredType"]) for segment in offering["marketSegment"]] == [
        (segment, "MarketSegment") for segment in segments
    ]


def test_upgrade_downgrade_and_replacement_paths_name_the_offerings_in_force(sales_api):
    gig, faster, slower, successor = (make_product() for _ in range(4))
    newer_faster = catalog_services.version_publish(
        version=catalog_services.version_create(
            product=faster.product, effective_from=dt.date(2026, 1, 1), prices={12: ("90.00", "0.00")}
        )
    )
    catalog_services.version_create(  # a later version not in force yet
        product=faster.product, effective_from=dt.date(2026, 9, 1), prices={12: ("95.00", "0.00")}
    )
    draft_only = catalog_services.product_create(
        code="draft-only", name="Draft only", kind="internet", customer_type="any"
    )
    catalog_services.version_create(
        product=draft_only, effective_from=dt.date(2020, 1, 1), prices={12: ("1.00", "0.00")}
    )
    for target, kind in [
        (faster.product, "upgrade"),
        (slower.product, "downgrade"),
        (successor.product, "replaced_by"),
        (draft_only, "upgrade"),
    ]:
        catalog_services.product_relate(product=gig.product, target=target, kind=kind)

    offering = body(sales_api.get(f"{PATH}/{gig.pk}"))

    assert_valid(offering, api="620", definition="ProductOffering")
    assert offering["productOfferingRelationship"] == [
        {
            "id": str(version.pk),
            "href": f"http://testserver/tmf-api/productCatalogManagement/v4/productOffering/{version.pk}",
            "name": str(version),
            "relationshipType": relationship,
            "@type": "ProductOfferingRelationship",
            "@referredType": "ProductOffering",
        }
        for version, relationship in [(newer_faster, "upgradeTo"), (slower, "downgradeTo"), (successor, "replacedBy")]
    ]
    assert "productOfferingRelationship" not in body(sales_api.get(f"{PATH}/{faster.pk}"))


def test_listing_offerings_with_tiers_promotions_and_paths_takes_as_many_queries_for_many(sales_api):
    def rich_offering():
        version = make_product(prices={12: ("30.00", "0.00")}, tiers={12: [(1, 9, "30.00"), (10, None, "25.00")]})
        catalog_services.promotion_create(
            product=version.product,
            code=f"promo-{version.pk}",
            name="Promo",
            valid_from=dt.date(2026, 1, 1),
            waives_installation=True,
        )
        catalog_services.product_relate(product=version.product, target=make_product().product, kind="upgrade")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert sales_api.get(PATH).status_code == 200
        return len(captured.captured_queries)

    rich_offering()
    queries()  # the token's first use records when it was used
    one = queries()
    for _ in range(3):
        rich_offering()

    assert queries() == one
