"""Add-ons ride on a base service: named on the quote, turned up after the base, carried by the
base's cancel or move, disconnected with it."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.catalog import services as catalog_services
from headend.catalog.services import TaskSpec
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Task, WorkOrder
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting import services
from headend.quoting.models import QuoteLine
from tests.factories import define_change_templates, make_account, make_location, make_product, make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def base():
    return make_product(tasks=[TaskSpec("Install"), TaskSpec("Activate", depends_on=["Install"], turns_up=True)])


@pytest.fixture
def addon(base):
    product = catalog_services.product_create(
        code="static-block", name="Static block", kind="addon", customer_type="any", addon_of=[base.product]
    )
    version = catalog_services.version_create(
        product=product,
        effective_from=dt.date(2020, 1, 1),
        prices={12: ("20.00", "0.00")},
        etf_kind="percent_of_remaining",
        etf_percent="100",
        etf_cap_months=6,
    )
    catalog_services.template_define(product=product, action="add", name="Route it", tasks=[TaskSpec("Route")])
    define_change_templates(product)
    return catalog_services.version_publish(version=version)


def accept(quote):
    services.quote_present(quote=quote)
    return Order.objects.get(quote=services.quote_accept(quote=quote, accepted_by_name="Pat"))


def finish(work_order: WorkOrder) -> None:
    for task in work_order.tasks.order_by("position"):
        fulfillment_services.task_complete(task=Task.objects.get(pk=task.pk), completed_by=None)


def test_an_add_on_rides_on_the_base_line_at_its_location_and_waits_for_its_turn_up(base, addon):
    quote = make_quote(version=base, lines=1)
    base_line = quote.lines.get()
    line = services.quote_line_add(quote=quote, location=base_line.location, product_version=addon, term_months=12)

    order = accept(quote)

    assert line.base_line == base_line
    base_service = Service.objects.get(order_line__quote_line=base_line)
    addon_service = Service.objects.get(order_line__quote_line=line)
    assert addon_service.base_service == base_service
    route = Task.objects.get(work_order__service=addon_service, name="Route")
    assert route.status == "pending"
    with pytest.raises(Conflict) as error:
        fulfillment_services.task_complete(task=route, completed_by=None)
    assert "on work order" in error.value.message
    assert "rides on" in error.value.message

    finish(base_service.work_orders.get())

    route.refresh_from_db()
    assert route.status == "ready"
    addon_service.refresh_from_db()
    assert addon_service.status == "pending"
    finish(addon_service.work_orders.get())
    addon_service.refresh_from_db()
    assert addon_service.status == "active"
    order.refresh_from_db()
    assert order.status == "completed"


def test_an_add_on_with_two_bases_at_the_location_must_name_one(base, addon):
    quote = make_quote(version=base, lines=0)
    location = make_location(quote.account)
    first = services.quote_line_add(quote=quote, location=location, product_version=base, term_months=12)
    services.quote_line_add(quote=quote, location=location, product_version=base, term_months=12)

    with pytest.raises(ValidationError) as error:
        services.quote_line_add(quote=quote, location=location, product_version=addon, term_months=12)
    assert (error.value.code, error.value.field) == ("base_ambiguous", "rides_on")

    line = services.quote_line_add(
        quote=quote, location=location, product_version=addon, term_months=12, rides_on=first
    )
    assert line.base_line == first


def test_an_add_on_cannot_ride_on_a_line_elsewhere(base, addon):
    quote = make_quote(version=base, lines=1)
    elsewhere = quote.lines.get()

    with pytest.raises(ValidationError) as error:
        services.quote_line_add(
            quote=quote,
            location=make_location(quote.account),
            product_version=addon,
            term_months=12,
            rides_on=elsewhere,
        )

    assert (error.value.code, error.value.field) == ("not_a_base", "rides_on")
    assert quote.lines.count() == 1


def live_pair(base, addon):
    account = make_account()
    quote = make_quote(account=account, version=base, lines=1)
    services.quote_line_add(quote=quote, location=quote.lines.get().location, product_version=addon, term_months=12)
    order = accept(quote)
    for work_order in WorkOrder.objects.filter(order_line__order=order).order_by("order_line__position"):
        finish(work_order)
    return (
        account,
        Service.objects.get(order_line__order=order, base_service=None),
        Service.objects.get(order_line__order=order, base_service__isnull=False),
    )


def test_cancelling_the_base_carries_its_add_on_with_its_fee(base, addon):
    account, base_service, addon_service = live_pair(base, addon)
    quote = make_quote(account=account, lines=0)

    line = services.quote_line_change(quote=quote, service=base_service, action="cancel")

    carried = quote.lines.get(target_service=addon_service)
    assert (carried.action, carried.base_line) == ("cancel", line)
    assert carried.etf_amount == Decimal("120.00")  # six of the twelve months left at 20.00
    quote.refresh_from_db()
    assert quote.mrr_before_amount == base_service.mrc_amount + addon_service.mrc_amount
    with pytest.raises(Conflict) as error:
        services.quote_line_remove(line=carried)
    assert error.value.code == "carried_line"

    services.quote_line_remove(line=line)

    assert quote.lines.count() == 0


def test_moving_the_base_moves_its_add_on_after_the_base(base, addon):
    account, base_service, addon_service = live_pair(base, addon)
    quote = make_quote(account=account, lines=0)
    new_home = make_location(account)
    services.quote_line_change(quote=quote, service=base_service, action="move", location=new_home)

    order = accept(quote)

    addon_work = WorkOrder.objects.get(order_line__order=order, service=addon_service)
    assert addon_work.action == "move"
    assert set(addon_work.tasks.values_list("status", flat=True)) == {"pending"}
    finish(WorkOrder.objects.get(order_line__order=order, service=base_service))
    finish(addon_work)
    addon_service.refresh_from_db()
    assert addon_service.location == new_home


def test_disconnecting_the_base_from_the_service_page_disconnects_its_add_on(base, addon):
    _, base_service, addon_service = live_pair(base, addon)

    fulfillment_services.service_action_request(
        service=base_service, action="delete", reason="moving away", requested_by=None
    )

    addon_service.refresh_from_db()
    assert addon_service.status == "pending_disconnect"
    work = WorkOrder.objects.get(service=addon_service, action="delete")
    assert "rides on" in work.reason


def test_an_add_on_already_changed_on_the_quote_is_not_carried_twice(base, addon):
    account, base_service, addon_service = live_pair(base, addon)
    quote = make_quote(account=account, lines=0)
    services.quote_line_change(quote=quote, service=addon_service, action="cancel")

    services.quote_line_change(quote=quote, service=base_service, action="cancel")

    assert list(quote.lines.order_by("position").values_list("action", "base_line")) == [
        (QuoteLine.Action.CANCEL, None),
        (QuoteLine.Action.CANCEL, None),
    ]
