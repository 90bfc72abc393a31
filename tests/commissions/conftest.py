"""What the commission tests share: a plan, a sale from an accepted quote, its turn-up and its
disconnection, each on a day of the provider's calendar, with the worker relaying the outbox."""

import datetime as dt
from decimal import Decimal

import pytest

from headend.commissions import plans
from headend.commissions.models import Plan
from headend.core import clock
from headend.fulfillment import services as fulfillment_services
from headend.inventory import services as inventory_services
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from tests.factories import TaskSpec, make_account, make_location, make_product, make_user

D = Decimal


def noon(day: dt.date) -> dt.datetime:
    """12:00 in Maine (UTC-5 in winter, UTC-4 in summer): 17:00 UTC is the same day either way."""
    return dt.datetime(day.year, day.month, day.day, 17, 0, tzinfo=dt.UTC)


def make_plan(**values) -> Plan:
    """Booking 50 % of MRR, turn-up 25.00, 10 % of MRR for 12 months, clawback within 18 months,
    for every product from 2025."""
    fields = {
        "name": "Fiber 2026",
        "booking_basis": "percent",
        "booking_value": "50",
        "turn_up_basis": "fixed",
        "turn_up_value": "25.00",
        "recurring_percent": "10",
        "recurring_months": 12,
        "clawback_months": 18,
        "effective_from": dt.date(2025, 1, 1),
    }
    fields.update(values)
    return plans.plan_create(created_by=make_user("finance"), **fields)


def make_version(mrc: str = "65.00"):
    """A product at `mrc` a month on a 12-month term, installed by one manual task."""
    return make_product(tasks=[TaskSpec("Install")], prices={12: (mrc, "0.00")})


def sell(*, rep, version, on: dt.date, opportunity=None, account=None, quantity: int = 1) -> Order:
    """A quote made by `rep` (on `opportunity`, or a new one) accepted on `on`: its order."""
    with clock.frozen(noon(on)):
        account = account or (opportunity.account if opportunity is not None else make_account())
        quote = quoting_services.quote_create(account=account, created_by=rep, opportunity=opportunity, name="Fiber")
        quoting_services.quote_line_add(
            quote=quote, location=make_location(account), product_version=version, term_months=12, quantity=quantity
        )
        quoting_services.quote_present(quote=quote)
        quoting_services.quote_accept(quote=quote, accepted_by_name="Pat Customer")
    return Order.objects.get(quote=quote)


def turn_up(order: Order, *, on: dt.date) -> Service:
    with clock.frozen(noon(on)):
        fulfillment_services.task_complete(task=order.lines.get().work_order.tasks.get(), completed_by=None)
    return Service.objects.get(order_line__order=order)


def disconnect(service: Service, *, asked_on: dt.date, gone_on: dt.date) -> Service:
    with clock.frozen(noon(asked_on)):
        inventory_services.service_request_disconnect(service=service, reason="moving away")
    with clock.frozen(noon(gone_on)):
        return inventory_services.service_disconnect(service=service, at=noon(gone_on))


@pytest.fixture
def rep():
    return make_user("sales", first_name="Rita", last_name="Rep")
