"""Create and price a 1,000-line quote, then accept it into an order (1,000 services and work
orders with their tasks), against a bare baseline: bulk inserts of the same rows through the ORM."""

import time
from contextlib import contextmanager

from bench import size
from bench.setup_django import setup
from bench.templates import define_missing

LINES = size(1000)  # a tenth in a small run (CI)


@contextmanager
def timed(results: dict, name: str):
    start = time.perf_counter()
    yield
    results[name] = time.perf_counter() - start


def main() -> None:
    vendor = setup()
    import datetime as dt

    from django.db import transaction

    from headend.catalog import services as catalog
    from headend.catalog.services import TaskSpec
    from headend.core.models import OutboxEvent
    from headend.crm import services as crm
    from headend.fulfillment.models import Task, TaskDependency, WorkOrder
    from headend.inventory.models import Service, ServiceStatusChange
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
            TaskSpec("Survey", role="provisioning"),
            TaskSpec("Install", role="provisioning", depends_on=["Survey"]),
            TaskSpec("Turn up", role="provisioning", depends_on=["Install"]),
        ],
    )
    account = crm.account_create(kind="business", legal_name="Bench Holdings LLC")
    with transaction.atomic():
        locations = [
            crm.location_create(account=account, line1=f"{n} Main St", city="Machias", state="ME", postal_code="04654")
            for n in range(1, LINES + 1)
        ]

    results: dict[str, float] = {}
    with timed(results, f"create and price {LINES:,} lines"):
        quote = quoting.quote_create(account=account, name="Bench")
        for location in locations:
            quoting.quote_line_add(quote=quote, location=location, product_version=version, term_months=36)
    with timed(results, "present and accept (order, services, work orders)"):
        quote = quoting.quote_present(quote=quote)
        quote = quoting.quote_accept(quote=quote, accepted_by_name="Bench")
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

    # Baseline: the same rows, bulk-inserted through the ORM with no rules, in one transaction.
    order = quote.order
    with timed(results, "baseline: bulk insert of the same rows"), transaction.atomic():
        baseline_quote = quoting.quote_create(account=account, name="Baseline")
        quote_lines = QuoteLine.objects.bulk_create(
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
        order_lines = OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                position=LINES + i,
                action="add",
                location_id=ql.location_id,
                product_version=version,
                term_months=36,
                quantity=1,
                mrc_amount="475.00",
                nrc_amount="0.00",
            )
            for i, ql in enumerate(quote_lines, start=1)
        )
        now = quote.decided_at
        services = Service.objects.bulk_create(
            Service(
                account=account,
                location_id=ol.location_id,
                product_version=version,
                order_line=ol,
                term_months=36,
                mrc_amount="475.00",
                nrc_amount="0.00",
                currency="USD",
                created_at=now,
                status_changed_at=now,
            )
            for ol in order_lines
        )
        ServiceStatusChange.objects.bulk_create(
            ServiceStatusChange(service=s, to_status="pending", at=now) for s in services
        )
        work_orders = WorkOrder.objects.bulk_create(
            WorkOrder(order_line=ol, service=s, name="Install", created_at=now)
            for ol, s in zip(order_lines, services, strict=True)
        )
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
            for p, n in enumerate(["Survey", "Install", "Turn up"], start=1)
        )
        TaskDependency.objects.bulk_create(
            TaskDependency(task_id=tasks[i + 1].pk, predecessor_id=tasks[i].pk)
            for start in range(0, len(tasks), 3)
            for i in (start, start + 1)
        )
        OutboxEvent.objects.bulk_create(
            OutboxEvent(name="bench", subject_type="bench", subject_id=str(n), occurred_at=now)
            for n in range(counts["outbox events"])
        )
    baseline = results["baseline: bulk insert of the same rows"]

    print(f"\nBenchmark: {LINES:,}-line quote to order ({vendor})")
    print("rows written by the spine: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    for name, seconds in results.items():
        print(f"  {name:<52} {seconds:8.3f} s")
    print(f"  {'spine total':<52} {spine:8.3f} s")
    print(f"  ratio spine / baseline: {spine / baseline:.1f}x")


if __name__ == "__main__":
    main()
