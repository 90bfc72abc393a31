"""Create and price a 1,000-line quote, then accept it into an order (1,000 services and work
orders with their tasks, scheduled), each step against a bare baseline measured in the same run:
bulk inserts through the ORM of the rows that step writes (history and outbox rows included)."""

import time
from contextlib import contextmanager

from bench import goal, size
from bench.profile import profiled
from bench.setup_django import setup
from bench.templates import define_missing

LINES = size(1000)  # a tenth in a small run (CI)
TASKS = ["Survey", "Install", "Turn up"]


@contextmanager
def timed(results: dict, name: str):
    start = time.perf_counter()
    yield
    results[name] = time.perf_counter() - start


def accept_baseline(quote, version, *, events: int) -> None:
    """The rows accepting `quote` writes, bulk-inserted through the ORM with no rules: the order and
    its lines, the services with their history and first status, the work orders and their tasks
    with history, the tasks' dependencies and `events` outbox rows."""
    from django.db import transaction

    from headend.core.models import OutboxEvent
    from headend.fulfillment.models import Task, TaskDependency, WorkOrder
    from headend.inventory.models import Service, ServiceStatusChange
    from headend.orders.models import Order, OrderLine

    now = quote.decided_at
    quote_lines = list(quote.lines.order_by("position"))
    with transaction.atomic():
        order = Order.objects.create(account_id=quote.account_id, currency="USD", created_at=now)
        order_lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                position=line.position,
                action="add",
                location_id=line.location_id,
                product_version=version,
                term_months=36,
                quantity=1,
                mrc_amount="475.00",
                nrc_amount="0.00",
            )
            for line in quote_lines
        )
        services = Service.objects.bulk_create(
            Service(
                account_id=quote.account_id,
                location_id=line.location_id,
                product_version=version,
                order_line=line,
                term_months=36,
                mrc_amount="475.00",
                nrc_amount="0.00",
                currency="USD",
                created_at=now,
                status_changed_at=now,
            )
            for line in order_lines
        )
        Service.history.bulk_history_create(services)
        ServiceStatusChange.objects.bulk_create(
            ServiceStatusChange(service=s, to_status="pending", at=now) for s in services
        )
        work_orders = WorkOrder.objects.bulk_create(
            WorkOrder(order_line=line, service=s, name="Install", created_at=now)
            for line, s in zip(order_lines, services, strict=True)
        )
        WorkOrder.history.bulk_history_create(work_orders)
        tasks = Task.objects.bulk_create(
            Task(
                work_order=wo,
                position=p,
                name=n,
                kind="manual",
                role="provisioning",
                planned_minutes=60,
                status="ready" if p == 1 else "pending",
            )
            for wo in work_orders
            for p, n in enumerate(TASKS, start=1)
        )
        Task.history.bulk_history_create(tasks)
        TaskDependency.objects.bulk_create(
            TaskDependency(task_id=tasks[i + 1].pk, predecessor_id=tasks[i].pk)
            for start in range(0, len(tasks), len(TASKS))
            for i in range(start, start + len(TASKS) - 1)
        )
        OutboxEvent.objects.bulk_create(
            OutboxEvent(name="bench", subject_type="bench", subject_id=str(n), occurred_at=now) for n in range(events)
        )


def main() -> None:
    vendor = setup()
    import datetime as dt

    from django.db import transaction

    from headend.catalog import services as catalog
    from headend.catalog.services import TaskSpec
    from headend.core.models import OutboxEvent
    from headend.crm import services as crm
    from headend.fulfillment.models import Task, TaskDependency, WorkOrder
    from headend.inventory.models import Service
    from headend.orders.models import OrderLine
    from headend.quoting import services as quoting
    from headend.quoting.models import QuoteLine

    product = catalog.product_create(code="bench-dia", name="Bench DIA", kind="internet", customer_type="business")
    define_missing(product)
    version = catalog.version_publish(
        version=catalog.version_create(
            product=product,
            effective_from=dt.date(2020, 1, 1),
            prices={36: ("475.00", "0.00")},
            download_mbps=1000,
            upload_mbps=1000,
            technology="fiber",
        )
    )
    catalog.template_define(
        product=product,
        action="add",
        name="Install",
        tasks=[
            TaskSpec(TASKS[0], role="provisioning"),
            TaskSpec(TASKS[1], role="provisioning", depends_on=[TASKS[0]]),
            TaskSpec(TASKS[2], role="provisioning", depends_on=[TASKS[1]]),
        ],
    )
    account = crm.account_create(kind="business", legal_name="Bench Holdings LLC")
    with transaction.atomic():
        locations = [
            crm.location_create(account=account, line1=f"{n} Main St", city="Machias", state="ME", postal_code="04654")
            for n in range(1, LINES + 1)
        ]

    results: dict[str, float] = {}
    create = f"create and price {LINES:,} lines (quote_line_add each)"
    accept = "accept: order, services, work orders, tasks, schedule"
    with timed(results, create):
        quote = quoting.quote_create(account=account, name="Bench")
        for location in locations:
            quoting.quote_line_add(quote=quote, location=location, product_version=version, term_months=36)
    with timed(results, "present"):
        quote = quoting.quote_present(quote=quote)
    events_before = OutboxEvent.objects.count()
    with timed(results, accept), profiled("quote_to_order.accept"):
        quote = quoting.quote_accept(quote=quote, accepted_by_name="Bench")
    accept_events = OutboxEvent.objects.count() - events_before
    spine = sum(results.values())

    counts = {
        "quote lines": QuoteLine.objects.count(),
        "order lines": OrderLine.objects.count(),
        "services": Service.objects.count(),
        "work orders": WorkOrder.objects.count(),
        "tasks": Task.objects.count(),
        "task dependencies": TaskDependency.objects.count(),
        "outbox events": OutboxEvent.objects.count(),
    }
    assert counts["tasks"] == len(TASKS) * LINES
    assert not Task.objects.filter(planned_start=None).exists()  # scheduled

    # Baselines: the same rows, bulk-inserted through the ORM with no rules, a transaction each.
    with timed(results, f"baseline: bulk insert of {LINES:,} quote lines"), transaction.atomic():
        baseline_quote = quoting.quote_create(account=account, name="Baseline")
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=baseline_quote,
                position=i,
                location=loc,
                product_version=version,
                term_months=36,
                quantity=1,
                mrc_unit_amount="475.00",
                nrc_unit_amount="0.00",
                mrc_amount="475.00",
                nrc_amount="0.00",
                contract_value_amount="17100.00",
            )
            for i, loc in enumerate(locations, start=1)
        )
    with timed(results, "baseline: bulk insert of the rows the accept writes"):
        accept_baseline(quote, version, events=accept_events)
    baseline = (
        results[f"baseline: bulk insert of {LINES:,} quote lines"]
        + results["baseline: bulk insert of the rows the accept writes"]
    )

    print(f"\nBenchmark: {LINES:,}-line quote to order ({vendor})")
    print("rows written by the spine: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    for name, seconds in results.items():
        print(f"  {name:<58} {seconds:8.3f} s")
    print(f"  {'spine total':<58} {spine:8.3f} s")
    ratio = results[accept] / results["baseline: bulk insert of the rows the accept writes"]
    met = goal(ratio <= 4 and results[accept] <= 3)
    print(f"  ratio accept / its baseline: {ratio:.1f}x; goal <= 4x and <= 3 s: {met}")
    ratio = results[create] / results[f"baseline: bulk insert of {LINES:,} quote lines"]
    print(f"  ratio create and price / its baseline: {ratio:.1f}x")
    print(f"  ratio spine / baseline: {spine / baseline:.1f}x")


if __name__ == "__main__":
    main()
