"""A bill run of many subscribers (issue 13): each a residential billing account with one active
service turned up the month before, so its first invoice carries a partial and a full period (and
a voice line's tax). Measured in-process with one worker against a bare bulk insert of as many
invoices and invoice lines in the same run; then the same date again, which must create nothing.

The subscribers are written straight into the tables in bulk (accounts, locations, services,
billing accounts, subscriptions, rate changes): what a turn-up leaves behind, without a quote,
an order or a work order per service."""

import time

from bench import goal, size
from bench.setup_django import setup

GOAL_PER_SECOND = 110


def subscribers(vendor: str) -> int:
    """100,000 on PostgreSQL, 10,000 on SQLite (a tenth of each in a small run)."""
    return size(100_000 if vendor == "postgresql" else 10_000)


def main() -> None:
    vendor = setup()
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction

    from bench.templates import define_missing
    from headend.billing import runs
    from headend.billing.models import (
        BillingAccount,
        Invoice,
        InvoiceLine,
        LineKind,
        RateChange,
        RateKind,
        Subscription,
        TaxRate,
    )
    from headend.catalog import services as catalog
    from headend.catalog.models import Product, TaxCategory
    from headend.core import clock
    from headend.crm.models import Account, Location
    from headend.inventory.models import Service

    count = subscribers(vendor)
    bill_date = dt.date(2026, 2, 1)
    turned_up = dt.datetime(2026, 1, 17, 15, tzinfo=dt.UTC)  # 10:00 in Maine
    batch = 2000

    with clock.frozen(dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)):
        versions, prices, labels = {}, {}, {}
        plans = (("bench-fiber", "Fiber 1 Gig", "internet", "65.00"), ("bench-voice", "Voice line", "voice", "20.00"))
        for code, name, category, mrc in plans:
            product = catalog.product_create(code=code, name=name, kind=category, customer_type="any")
            define_missing(product)
            versions[category] = catalog.version_publish(
                version=catalog.version_create(
                    product=product, effective_from=dt.date(2020, 1, 1), prices={12: (mrc, "0.00")}
                )
            )
            Product.objects.filter(pk=product.pk).update(tax_category=category)
            prices[category], labels[category] = Decimal(mrc), name
        # Maine: no tax on Internet access; 6% service provider tax on voice.
        TaxRate.objects.create(
            level="state", name="Maine service provider tax", state="ME", category=TaxCategory.VOICE,
            rate_percent=Decimal("6"), effective_from=dt.date(2020, 1, 1), created_at=clock.now(),
        )  # fmt: skip

    start = time.perf_counter()
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            (
                Account(
                    kind="residential",
                    status="active",
                    name=f"Subscriber {n}",
                    first_name="Subscriber",
                    last_name=str(n),
                    email=f"s{n}@example.com",
                    created_at=turned_up,
                )
                for n in range(count)
            ),
            batch_size=batch,
        )
        locations = Location.objects.bulk_create(
            (
                Location(
                    account=account,
                    line1=f"{n} Water St",
                    city="Eastport",
                    state="ME",
                    postal_code="04631",
                    address_key=f"{n} water st eastport me 04631",
                    created_at=turned_up,
                )
                for n, account in enumerate(accounts)
            ),
            batch_size=batch,
        )
        # Every fourth subscriber has a voice line (taxed); the rest Internet (not taxed in Maine).
        kinds = [TaxCategory.VOICE if n % 4 == 3 else TaxCategory.INTERNET for n in range(count)]
        services = Service.objects.bulk_create(
            (
                Service(
                    account=account,
                    location=location,
                    product_version=versions[kind],
                    status="active",
                    term_months=12,
                    mrc_amount=prices[kind],
                    nrc_amount=Decimal("0.00"),
                    currency="USD",
                    created_at=turned_up,
                    activated_at=turned_up,
                    billable_from=turned_up,
                    current_since=turned_up,
                    term_start_date=turned_up.date(),
                    status_changed_at=turned_up,
                )
                for account, location, kind in zip(accounts, locations, kinds, strict=True)
            ),
            batch_size=batch,
        )
        billing_accounts = BillingAccount.objects.bulk_create(
            (
                BillingAccount(
                    account=account, name=account.name, is_default=True, currency="USD", created_at=turned_up
                )
                for account in accounts
            ),
            batch_size=batch,
        )
        subscriptions = Subscription.objects.bulk_create(
            (
                Subscription(
                    service=service,
                    billing_account=billing_account,
                    billable_from=turned_up.date(),
                    dirty_from=turned_up.date(),
                    created_at=turned_up,
                )
                for service, billing_account in zip(services, billing_accounts, strict=True)
            ),
            batch_size=batch,
        )
        RateChange.objects.bulk_create(
            (
                RateChange(
                    subscription=subscription,
                    effective_date=turned_up.date(),
                    occurred_at=turned_up,
                    kind=RateKind.ACTIVE,
                    mrc_amount=prices[kind],
                    label=labels[kind],
                    cause=f"Service {service.pk}",
                    source_key=f"bench:{service.pk}:0",
                )
                for subscription, service, kind in zip(subscriptions, services, kinds, strict=True)
            ),
            batch_size=batch,
        )
    setup_seconds = time.perf_counter() - start

    results: dict[str, float] = {}
    with clock.frozen(dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC)):
        start = time.perf_counter()
        run = runs.bill_run_start(as_of=bill_date)
        created = runs.work(run)
        results[f"bill run of {count:,} subscribers (start + work, one worker)"] = time.perf_counter() - start
        run.refresh_from_db()
        assert run.status == "done", run.status
        assert created == count, (created, count)
        line_count = InvoiceLine.objects.filter(invoice__bill_run=run).count()
        taxed = InvoiceLine.objects.filter(invoice__bill_run=run, kind=LineKind.TAX).count()

        # Baseline: as many invoices and lines bulk-inserted bare (no rating, tax, number or
        # ledger), rolled back so the run's tables are as they were.
        payer = billing_accounts[0]
        start = time.perf_counter()
        with transaction.atomic():
            now = clock.now()
            invoices = Invoice.objects.bulk_create(
                (
                    Invoice(
                        billing_account=payer, bill_date=bill_date, due_date=bill_date, currency="USD", created_at=now
                    )
                    for _ in range(count)
                ),
                batch_size=batch,
            )
            per_invoice, extra = divmod(line_count, count)
            InvoiceLine.objects.bulk_create(
                (
                    InvoiceLine(
                        invoice=invoice,
                        position=position,
                        kind=LineKind.RECURRING,
                        description="Fiber",
                        unit_amount=Decimal("65.00"),
                        amount=Decimal("65.00"),
                    )
                    for n, invoice in enumerate(invoices)
                    for position in range(1, per_invoice + (2 if n < extra else 1))
                ),
                batch_size=batch,
            )
            results[f"baseline: bulk insert of {count:,} invoices and {line_count:,} lines"] = (
                time.perf_counter() - start
            )
            transaction.set_rollback(True)

        start = time.perf_counter()
        again = runs.bill_run_start(as_of=bill_date)
        rerun_created = runs.work(again)
        results["the same date again"] = time.perf_counter() - start
        assert rerun_created == 0, rerun_created
        assert again.accounts == 0, again.accounts
        assert Invoice.objects.count() == count

    bill = results[f"bill run of {count:,} subscribers (start + work, one worker)"]
    baseline = results[f"baseline: bulk insert of {count:,} invoices and {line_count:,} lines"]
    per_second = count / bill
    print(f"\nBenchmark: a bill run of {count:,} subscribers ({vendor})")
    print(f"  set-up: {count:,} subscribers bulk-inserted in {setup_seconds:.1f} s")
    for name, seconds in results.items():
        print(f"  {name:<62} {seconds:8.3f} s")
    print(f"  {created:,} invoices, {line_count:,} lines ({taxed:,} tax lines): {per_second:,.0f} invoices/s, "
          f"{bill / baseline:.1f}x the bare insert")  # fmt: skip
    print(f"  the same date again: {rerun_created} invoices created")
    print(f"  goal >= {GOAL_PER_SECOND} invoices/s: {goal(per_second >= GOAL_PER_SECOND)}")


if __name__ == "__main__":
    main()
