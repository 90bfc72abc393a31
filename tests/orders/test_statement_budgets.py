"""Statement budgets: accepting a quote and decomposing its order cost the same number of SQL
statements for 10 lines as for 100 (services, work orders, tasks, dependencies, status moves,
their history and events are written set-wise), so a return to statements per line fails here.

Each budget is the statements of 10 lines (on SQLite: 51 accepting new services, 61 accepting
changes, 34 decomposing) plus the inserts SQLite splits at 999 parameters (about 30 more for
100 lines' 300 tasks and their history); one statement more per line is 100 more at 100 lines."""

from decimal import Decimal

import pytest
from django.db import transaction

from headend.core import clock
from headend.core.models import OutboxEvent
from headend.fulfillment.models import Task, TaskDependency, WorkOrder
from headend.inventory.models import Service, ServiceStatusChange
from headend.orders import services as orders_services
from headend.orders.models import Order, OrderLine
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote, QuoteLine
from tests.factories import make_long_quote

pytestmark = pytest.mark.django_db

ACCEPT_BUDGET = 90
DECOMPOSE_BUDGET = 70
CHANGES_BUDGET = 90


@pytest.mark.parametrize("lines", [10, 100])
def test_quote_accept_statements_do_not_grow_with_lines(lines, django_assert_max_num_queries):
    quote = make_long_quote(lines, status="presented")

    with django_assert_max_num_queries(ACCEPT_BUDGET):
        quoting_services.quote_accept(quote=quote, accepted_by_name="Pat Customer")

    order = Order.objects.get(quote=quote)
    assert Service.objects.filter(order_line__order=order, status="pending").count() == lines
    assert ServiceStatusChange.objects.filter(service__order_line__order=order, to_status="pending").count() == lines
    assert WorkOrder.objects.filter(order_line__order=order).count() == lines
    tasks = Task.objects.filter(work_order__order_line__order=order)
    assert tasks.count() == 3 * lines
    assert TaskDependency.objects.filter(task__in=tasks).count() == 2 * lines
    assert not tasks.filter(planned_start=None).exists()  # scheduled
    order.refresh_from_db()
    assert order.planned_go_live == order.forecast_go_live is not None
    assert [OutboxEvent.objects.filter(name=name).count() for name in ("service.created", "work_order.created")] == [
        lines,
        lines,
    ]


@pytest.mark.parametrize("lines", [10, 100])
def test_order_decompose_statements_do_not_grow_with_lines(lines, django_assert_max_num_queries):
    quote = make_long_quote(lines)
    with transaction.atomic():
        order = Order.objects.create(account=quote.account, currency="USD", created_at=clock.now())
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                position=line.position,
                action="add",
                location_id=line.location_id,
                product_version_id=line.product_version_id,
                term_months=line.term_months,
                quantity=1,
                mrc_amount=line.mrc_amount,
                nrc_amount=line.nrc_amount,
            )
            for line in quote.lines.all()
        )

    with django_assert_max_num_queries(DECOMPOSE_BUDGET), transaction.atomic():
        orders_services.order_decompose(order=order, at=clock.now())

    assert Service.objects.filter(order_line__order=order).count() == lines
    assert WorkOrder.objects.filter(order_line__order=order).count() == lines
    assert not Task.objects.filter(work_order__order_line__order=order, forecast_start=None).exists()
    # The first task of each work order can start: one task.ready each, for the queue and listeners.
    assert OutboxEvent.objects.filter(name="task.ready").count() == lines


def make_change_quote(lines: int):
    """A presented quote whose lines change `lines` live services: every other one cancelled
    (a work order each), the rest re-termed (taking effect at once, no work)."""
    sites = make_long_quote(lines)  # a draft, for its account, sites and product
    now = clock.now()
    services = Service.objects.bulk_create(
        Service(
            account_id=sites.account_id,
            location_id=line.location_id,
            product_version_id=line.product_version_id,
            term_months=12,
            mrc_amount=Decimal("475.00"),
            nrc_amount=Decimal("0.00"),
            currency="USD",
            status="active",
            created_at=now,
            status_changed_at=now,
            activated_at=now,
            billable_from=now,
            current_since=now,
        )
        for line in sites.lines.order_by("position")
    )
    quote = quoting_services.quote_create(account=sites.account, name="Changes")
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            position=n,
            action="cancel" if n % 2 else "re_term",
            target_service=service,
            location_id=service.location_id,
            product_version_id=service.product_version_id,
            term_months=12,
            quantity=1,
            mrc_unit_amount=Decimal("475.00"),
            nrc_unit_amount=Decimal("0.00"),
            mrc_amount=Decimal("0.00") if n % 2 else Decimal("475.00"),
            nrc_amount=Decimal("0.00"),
            contract_value_amount=Decimal("0.00"),
        )
        for n, service in enumerate(services, start=1)
    )
    Quote.objects.filter(pk=quote.pk).update(status="presented", presented_at=now, valid_until=clock.today())
    return quote


@pytest.mark.parametrize("lines", [10, 100])
def test_accepting_changes_to_services_statements_do_not_grow_with_lines(lines, django_assert_max_num_queries):
    quote = make_change_quote(lines)

    with django_assert_max_num_queries(CHANGES_BUDGET):
        quoting_services.quote_accept(quote=quote, accepted_by_name="Pat Customer")

    order = Order.objects.get(quote=quote)
    cancelled = Service.objects.filter(change_lines__order=order, change_lines__action="delete")
    assert set(cancelled.values_list("status", flat=True)) == {"pending_disconnect"}
    assert WorkOrder.objects.filter(order_line__order=order, action="delete").count() == lines // 2
    re_termed = Service.objects.filter(change_lines__order=order, change_lines__action="modify")
    assert set(re_termed.values_list("term_start_date", flat=True)) == {clock.today()}
    assert order.lines.filter(status="completed").count() == lines // 2
    assert OutboxEvent.objects.filter(name="service.changed").count() == lines // 2
    assert OutboxEvent.objects.filter(name="service.pending_disconnect").count() == lines // 2


def test_a_quote_of_more_than_a_thousand_lines_is_accepted():
    """Past 1,000 rows a statement that names each row in an OR is refused by SQLite (Django 5.2
    prefetches a forward relation so): accepting such a quote failed there."""
    quote = make_long_quote(1001, status="presented")

    quoting_services.quote_accept(quote=quote, accepted_by_name="Pat Customer")

    order = Order.objects.get(quote=quote)
    assert WorkOrder.objects.filter(order_line__order=order).count() == 1001
    assert Task.objects.filter(work_order__order_line__order=order, forecast_start=None).count() == 0
