"""TMF622 productOrder: the order an accepted quote became."""

from decimal import Decimal

import pytest

from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import WorkOrder
from headend.orders.models import Order
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_account, make_quote

pytestmark = pytest.mark.django_db

PATH = "/productOrderingManagement/v4/productOrder"


def test_get_order_refers_to_its_quote_customer_offerings_and_services(sales_api):
    quote = make_quote(status="accepted", lines=2, quantity=2)
    order = Order.objects.get(quote=quote)
    first_line = order.lines.get(position=1)
    service = first_line.created_service

    response = sales_api.get(f"{PATH}/{order.pk}")

    assert response.status_code == 200
    got = body(response)
    assert_valid(got, api="622", definition="ProductOrder")
    assert (got["id"], got["state"], got["quote"][0]["id"], got["relatedParty"][0]["id"]) == (
        str(order.pk),
        "acknowledged",
        str(quote.pk),
        str(quote.account_id),
    )
    first = got["productOrderItem"][0]
    assert (first["id"], first["action"], first["state"], first["quantity"]) == ("1", "add", "acknowledged", 2)
    assert first["productOffering"]["id"] == str(first_line.product_version_id)
    assert {key: first["product"][key] for key in ("id", "href", "@referredType")} == {
        "id": str(service.pk),
        "href": f"http://testserver/tmf-api/serviceInventory/v4/service/{service.pk}",
        "@referredType": "Service",
    }
    assert first["product"]["place"][0]["id"] == str(first_line.location_id)
    assert first["itemTerm"] == [
        {"name": "12 months", "duration": {"amount": 12, "units": "month"}, "@type": "OrderTerm"},
    ]
    assert [(price["priceType"], price["price"]["dutyFreeAmount"]["value"]) for price in first["itemPrice"]] == [
        ("recurring", Decimal("130.00")),
        ("oneTime", Decimal("0.00")),
    ]
    assert first["quoteItem"] == {
        "id": "1",
        "quoteId": str(quote.pk),
        "quoteHref": f"http://testserver/tmf-api/quoteManagement/v4/quote/{quote.pk}",
    }
    assert [(price["priceType"], price["price"]["dutyFreeAmount"]["value"]) for price in got["orderTotalPrice"]] == [
        ("recurring", Decimal("260.00")),
        ("oneTime", Decimal("0.00")),
    ]


def test_list_orders_of_a_customer_by_state(sales_api):
    account = make_account()
    started = Order.objects.get(quote=make_quote(account=account, status="accepted"))
    Order.objects.get(quote=make_quote(account=account, status="accepted"))
    make_quote(status="accepted")  # another customer's
    work_order = WorkOrder.objects.get(order_line__order=started)
    fulfillment_services.task_complete(task=work_order.tasks.get(name="Schedule"), completed_by=None)

    in_progress = sales_api.get(PATH, state="inProgress", **{"relatedParty.id": account.pk})
    everything = sales_api.get(PATH, **{"relatedParty.id": account.pk})

    assert [order["id"] for order in body(in_progress)] == [str(started.pk)]
    assert body(in_progress)[0]["productOrderItem"][0]["state"] == "inProgress"
    assert everything["X-Total-Count"] == "2"
    for order in body(everything):
        assert_valid(order, api="622", definition="ProductOrder")


def test_list_by_a_state_we_never_use_is_empty(sales_api):
    make_quote(status="accepted")

    assert body(sales_api.get(PATH, state="held")) == []


def test_list_by_a_state_not_in_the_spec_is_400(sales_api):
    assert_error(sales_api.get(PATH, state="done"), status=400, field="state", api="622")


def test_unknown_order_is_404(sales_api):
    assert_error(sales_api.get(f"{PATH}/555555"), status=404, code="not_found", api="622")


def test_orders_need_a_token(anonymous_api):
    assert_error(anonymous_api.get(PATH), status=401, api="622")
