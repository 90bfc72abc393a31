"""Statement budgets of the worker's code-task batches (issue 19): 10 or 100 due
`radius.provision` tasks, claimed, run and recorded in one batch (attempt log, tasks done,
services turned up, history, outbox events, the order's forecast), cost the same number of
statements on Headend's database and on FreeRADIUS's, so a return to per-task statements fails
here without any timing."""

import pytest
from django.db import connection, connections

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.fulfillment import code_tasks, forecast
from headend.fulfillment.models import CodeAttempt, Task
from headend.inventory.models import Service
from headend.orders import services as orders_services
from headend.orders.models import Order
from headend.provisioning.models import Subscriber
from tests.factories import make_account, make_location, make_product, make_user
from tests.radius_fixtures import RADIUS_DB

pytestmark = [pytest.mark.django_db(**RADIUS_DB), pytest.mark.usefixtures("radius_tables")]

# Statements on Headend's database for one batch, whatever its size. SQLite binds at most 999
# parameters a statement, so Django splits a wide insert (a history row has ~40 columns) into
# chunks of about 24 rows: a few more statements for 100 tasks there, never one per task.
BUDGET = {"postgresql": 82, "sqlite": 110}
RADIUS_BUDGET = 10  # FreeRADIUS's: the locks, what is there, one insert per table...
# What planning the orders of a batch again adds when they are several (forecast.reforecast_many):
# their start, whatever their number.
ACROSS_ORDERS = 2


def zero_touch_version():
    return make_product(
        code="zt-home",
        download_mbps=300,
        upload_mbps=100,
        tasks=[TaskSpec("RADIUS", kind="code", code_action="radius.provision", turns_up=True, planned_minutes=1)],
    )


def order_of(lines: int, *, version=None, requested_by=None) -> None:
    """An order of `lines` new services, each with a ready `radius.provision` task that turns it up."""
    version = version or zero_touch_version()
    account = make_account("business")
    items = [
        orders_services.OrderItem(location=make_location(account), product_version=version, term_months=12)
        for _ in range(lines)
    ]
    orders_services.order_create(account=account, items=items, created_by=requested_by)


@pytest.mark.parametrize("tasks", [10, 100])
def test_a_batch_of_radius_provision_tasks_costs_the_same_statements_for_10_and_100(
    tasks, django_assert_max_num_queries
):
    order_of(tasks, requested_by=make_user("sales"))

    with (
        django_assert_max_num_queries(BUDGET[connection.vendor]),
        django_assert_max_num_queries(RADIUS_BUDGET, connection=connections["radius"]),
    ):
        ran = code_tasks.code_tasks_work()

    assert ran == tasks
    assert Service.objects.filter(status="active").count() == tasks
    assert Subscriber.objects.count() == tasks
    assert set(CodeAttempt.objects.values_list("outcome", flat=True)) == {"succeeded"}


@pytest.mark.parametrize("orders", [10, 30])
def test_a_batch_across_orders_plans_them_all_again_in_the_same_statements(orders, django_assert_max_num_queries):
    version = zero_touch_version()
    for _ in range(orders):
        order_of(1, version=version)

    # Each order is planned again (forecast.reforecast_many): a few statements for all of them.
    with django_assert_max_num_queries(BUDGET[connection.vendor] + ACROSS_ORDERS):
        ran = code_tasks.code_tasks_work()

    assert ran == orders
    assert Order.objects.filter(status="completed").count() == orders


def test_orders_planned_together_get_the_forecast_each_would_get_alone():
    version = make_product(
        code="zt-signed",
        tasks=[
            TaskSpec("RADIUS", kind="code", code_action="radius.provision", turns_up=True, planned_minutes=1),
            TaskSpec("Sign-off", kind="approval", planned_minutes=120, depends_on=[("RADIUS", 240)]),
        ],
        download_mbps=300,
        upload_mbps=100,
    )
    for lines in (1, 2, 3):
        order_of(lines, version=version)

    assert code_tasks.code_tasks_work() == 6

    def forecasts():
        tasks = Task.objects.order_by("pk").values_list(
            "pk", "status", "forecast_start", "forecast_finish", "slack_minutes"
        )
        return list(tasks), list(Order.objects.order_by("pk").values_list("pk", "forecast_go_live"))

    together = forecasts()
    assert {status for _, status, *_ in together[0]} == {"done", "ready"}
    for order in Order.objects.all():
        forecast.order_forecast(order=order, at=clock.now())
    assert forecasts() == together
