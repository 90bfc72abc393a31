"""Input that never reaches a 500: list offsets, oversized bodies, numbers no column holds,
digits that are not ASCII. Each answer is a TMF Error naming the attribute, and nothing is written."""

import json

import pytest
from django.conf import settings

from headend.api.lists import MAX_OFFSET
from headend.crm.models import Account
from headend.quoting.models import Quote
from tests.api.client import assert_error, body
from tests.factories import make_account, make_change_catalog, make_live_service, make_location, make_product

pytestmark = pytest.mark.django_db

LISTS = [
    "/customerManagement/v4/customer",
    "/geographicSiteManagement/v4/geographicSite",
    "/productCatalogManagement/v4/productOffering",
    "/quoteManagement/v4/quote",
    "/productOrderingManagement/v4/productOrder",
    "/productOrderingManagement/v4/cancelProductOrder",
    "/serviceInventory/v4/service",
    "/workOrderManagement/v4/workOrder",
    "/productOfferingQualification/v4/productOfferingQualification",
]
QUOTES = "/quoteManagement/v4/quote"
VALUE = "__value__"  # where a raw JSON token goes in a body


def raw(document: dict, token: str) -> str:
    """`document` as JSON with `token` written as is where VALUE stands (NaN, 1e999999...)."""
    return json.dumps(document).replace(json.dumps(VALUE), token)


@pytest.mark.parametrize("path", LISTS)
def test_an_offset_beyond_64_bits_is_400_on_every_list(sales_api, path):
    response = sales_api.get(path, offset="9223372036854775808")

    assert_error(response, status=400, code="less_than_equal", field="offset")


@pytest.mark.parametrize(("offset", "status"), [(MAX_OFFSET, 200), (MAX_OFFSET + 1, 400)])
def test_offset_is_bounded_at_the_boundary_and_one_past_it(sales_api, offset, status):
    make_account()

    response = sales_api.get("/customerManagement/v4/customer", offset=str(offset))

    assert response.status_code == status
    if status == 200:
        assert (body(response), response["X-Total-Count"]) == ([], "1")


@pytest.mark.parametrize(
    ("query", "code"), [({"limit": "1001"}, "less_than_equal"), ({"offset": "\u0661"}, "int_parsing")]
)
def test_limit_and_offset_take_bounded_ascii_digits(sales_api, query, code):
    response = sales_api.get("/customerManagement/v4/customer", **query)

    assert_error(response, status=400, code=code, field=next(iter(query)))


def customer_padded_to(size: int) -> str:
    """A valid residential customer body of exactly `size` bytes (an attribute we ignore pads it)."""
    customer = {
        "name": "Ada Lovelace",
        "engagedParty": {"@referredType": "Individual"},
        "characteristic": [{"name": "givenName", "value": "Ada"}, {"name": "familyName", "value": "Lovelace"}],
        "note": "",
    }
    padding = size - len(json.dumps(customer))
    return json.dumps(customer | {"note": "x" * padding})


def test_a_body_over_the_upload_limit_is_413_and_nothing_is_written(sales_api):
    request = customer_padded_to(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = sales_api.post("/customerManagement/v4/customer", raw=request)

    error = assert_error(response, status=413, code="body_too_large")
    assert error["reason"] == "The request body is larger than 2,621,440 bytes; send less at once."
    assert Account.objects.count() == 0


def test_a_body_at_the_upload_limit_is_read(sales_api):
    request = customer_padded_to(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    response = sales_api.post("/customerManagement/v4/customer", raw=request)

    assert response.status_code == 201, response.content[:300]
    assert Account.objects.count() == 1


def re_rate_body(account, service, price: str) -> dict:
    return {
        "relatedParty": [{"id": str(account.pk), "role": "customer", "@referredType": "Organization"}],
        "quoteItem": [
            {
                "action": "modify",
                "product": {
                    "id": str(service.pk),
                    "productCharacteristic": [{"name": "changeType", "valueType": "string", "value": "re_rate"}],
                },
                "quoteItemPrice": [
                    {"priceType": "recurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": price}}}
                ],
            }
        ],
    }


NEGOTIATED = "quoteItem[0].quoteItemPrice[0].price.dutyFreeAmount.value"


@pytest.mark.parametrize(
    ("token", "code", "field"),
    [
        ("99999999999", "invalid_amount", NEGOTIATED),
        ('"99999999999"', "invalid_amount", NEGOTIATED),
        ('"1e999999"', "invalid_amount", NEGOTIATED),
        ("1e999999", "invalid_amount", NEGOTIATED),
        ("85.001", "invalid_amount", NEGOTIATED),
        ('"NaN"', "invalid_amount", NEGOTIATED),
        ('"Infinity"', "invalid_amount", NEGOTIATED),
        ("NaN", "invalid_body", None),
        ("-Infinity", "invalid_body", None),
    ],
)
def test_a_negotiated_price_no_column_holds_is_400_and_no_quote_is_written(sales_api, token, code, field):
    catalog = make_change_catalog()
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    quotes = Quote.objects.count()

    response = sales_api.post(QUOTES, raw=raw(re_rate_body(account, service, VALUE), token))

    assert_error(response, status=400, code=code, field=field, api="648")
    assert Quote.objects.count() == quotes


def add_body(account, version, site, *, months: object = 12, discount: object = None) -> dict:
    item: dict = {
        "action": "add",
        "productOffering": {"id": str(version.pk)},
        "product": {
            "place": [{"id": str(site.pk), "role": "installationAddress"}],
            "productTerm": [{"duration": {"amount": months, "units": "month"}}],
        },
    }
    if discount is not None:
        item["quoteItemPrice"] = [{"priceType": "recurring", "priceAlteration": [{"price": {"percentage": discount}}]}]
    return {
        "relatedParty": [{"id": str(account.pk), "role": "customer", "@referredType": "Organization"}],
        "quoteItem": [item],
    }


DISCOUNT = "quoteItem[0].quoteItemPrice[0].priceAlteration[0].price.percentage"


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ('"1e-999999"', "invalid_percent"),
        ('"1e999999"', "invalid_percent"),
        ("99999999999", "invalid_percent"),
        ("12.345", "invalid_percent"),
        ('"NaN"', "invalid_percent"),
        ("100.01", "invalid_discount"),
    ],
)
def test_a_discount_no_percent_column_holds_is_400_and_no_quote_is_written(sales_api, token, code):
    account = make_account()
    version = make_product(customer_type="business")

    response = sales_api.post(
        QUOTES, raw=raw(add_body(account, version, make_location(account), discount=VALUE), token)
    )

    assert_error(response, status=400, code=code, field=DISCOUNT, api="648")
    assert Quote.objects.count() == 0


@pytest.mark.parametrize("months", ["²", "\u0661\u0662", "1_2", "12.0", 12.5])
def test_a_term_in_other_than_ascii_digits_is_400_and_no_quote_is_written(sales_api, months):
    account = make_account()
    version = make_product(customer_type="business")

    response = sales_api.post(QUOTES, add_body(account, version, make_location(account), months=months))

    field = "quoteItem[0].product.productTerm[0].duration.amount"
    assert_error(response, status=400, code="int_parsing", field=field, api="648")
    assert Quote.objects.count() == 0
