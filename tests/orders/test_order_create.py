"""order_create: an order placed directly, without a quote."""

from decimal import Decimal

import pytest

from headend.core.errors import ValidationError
from headend.core.models import OutboxEvent
from headend.fulfillment.models import WorkOrder
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.orders.services import OrderItem, order_create
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_account, make_location, make_product, make_user

pytestmark = pytest.mark.django_db


def test_order_create_prices_each_item_and_decomposes_the_order():
    account, version = make_account(), make_product()
    first, second = make_location(account), make_location(account)

    order = order_create(
        account=account,
        items=[
            OrderItem(location=first, product_version=version, term_months=12, quantity=3),
            OrderItem(location=second, product_version=version, term_months=0),
        ],
        created_by=make_user("sales"),
    )

    assert (order.quote, order.currency, order.created_at, order.status) == (None, "USD", FROZEN_AT, "acknowledged")
    assert list(
        order.lines.values_list("position", "action", "term_months", "quantity", "mrc_amount", "nrc_amount")
    ) == [
        (1, "add", 12, 3, Decimal("195.00"), Decimal("0.00")),
        (2, "add", 0, 1, Decimal("70.00"), Decimal("99.00")),
    ]
    assert Service.objects.filter(order_line__order=order, status="pending").count() == 2
    assert WorkOrder.objects.filter(order_line__order=order).count() == 2
    order.refresh_from_db()
    assert order.planned_go_live == order.forecast_go_live is not None
    assert outbox_names(subject=order) == ["order.created"]
    account.refresh_from_db()
    assert account.status == "active"


def test_order_create_with_one_bad_item_names_it_and_writes_nothing():
    account, version = make_account(), make_product()
    items = [
        OrderItem(location=make_location(account), product_version=version, term_months=12),
        OrderItem(location=make_location(account), product_version=version, term_months=24, quantity=0),
    ]

    with pytest.raises(ValidationError) as error:
        order_create(account=account, items=items, created_by=None)

    assert (error.value.field, error.value.code) == ("items[1].quantity", "invalid_quantity")
    assert (Order.objects.count(), Service.objects.count()) == (0, 0)
    assert not OutboxEvent.objects.filter(name__startswith="order.").exists()


def test_order_create_needs_an_item():
    with pytest.raises(ValidationError) as error:
        order_create(account=make_account(), items=[], created_by=None)

    assert (error.value.field, error.value.code) == ("items", "empty_order")
    assert Order.objects.count() == 0
