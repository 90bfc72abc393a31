"""Payments (issue 14): a bank's file of 100,000 payments allocated to their payers' invoices in one
import (PostgreSQL; 10,000 on SQLite), against a bare bulk insert of the rows it writes
(payments, allocations, journal entries and their lines) in the same run; and a dunning pass
over as many overdue payers of which 1 % are due an action that day, with the time per payer.

The payers and their invoices are written straight into the tables in bulk: what bill runs
leave behind."""

import time

from bench import size
from bench.setup_django import setup


def payers(vendor: str) -> int:
    return size(100_000 if vendor == "postgresql" else 10_000)


def main() -> None:
    vendor = setup()
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from headend.billing.models import BillingAccount, Invoice, JournalEntry, JournalLine
    from headend.core import clock
    from headend.crm.models import Account
    from headend.payments import dunning, imports
    from headend.payments.models import Allocation, DunningStep, Payment

    count = payers(vendor)
    batch = 2000
    billed = dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC)
    bill_date = billed.date()
    clerk = User.objects.create_user("bench-billing")
    clerk.groups.add(Group.objects.get_or_create(name="billing")[0])

    start = time.perf_counter()
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            (Account(kind="residential", status="active", name=f"Payer {n}", created_at=billed) for n in range(count)),
            batch_size=batch,
        )
        billing_accounts = BillingAccount.objects.bulk_create(
            (
                BillingAccount(account=account, name=account.name, is_default=True, currency="USD", created_at=billed)
                for account in accounts
            ),
            batch_size=batch,
        )
        # Each payer's invoice of February, and for the dunning pass one of January (1 % of
        # payers' January invoice reaches a step on the day of the pass; the rest wait).
        invoices = Invoice.objects.bulk_create(
            (
                Invoice(
                    status="sent",
                    billing_account=payer,
                    number=f"INV-B{n:07d}",
                    bill_date=bill_date,
                    due_date=bill_date + dt.timedelta(days=15),
                    currency="USD",
                    subtotal_amount=Decimal("65.00"),
                    total_amount=Decimal("65.00"),
                    amount_due=Decimal("65.00"),
                    created_at=billed,
                    finalised_at=billed,
                    sent_at=billed,
                )
                for n, payer in enumerate(billing_accounts)
            ),
            batch_size=batch,
        )
    setup_seconds = time.perf_counter() - start

    # 80 % pay the invoice exactly, 10 % part of it, 10 % more (a credit).
    def amount(n: int) -> str:
        return {8: "30.00", 9: "100.00"}.get(n % 10, "65.00")

    text = "billing_account,amount,reference,received_on\n" + "".join(
        f"{payer.number},{amount(n)},T{n},2026-02-20\n" for n, payer in enumerate(billing_accounts)
    )
    results: dict[str, float] = {}
    with clock.frozen(dt.datetime(2026, 2, 21, 15, tzinfo=dt.UTC)):
        start = time.perf_counter()
        result = imports.payment_import(text=text, imported_by=clerk)
        allocate = results[f"import and allocate {count:,} payments"] = time.perf_counter() - start
        assert result.payments == count, result
        allocations = Allocation.objects.count()
        entries = JournalEntry.objects.filter(kind="payment").count()
        entry_lines = JournalLine.objects.filter(entry__kind="payment").count()

        start = time.perf_counter()
        with transaction.atomic():
            now = clock.now()
            payer = billing_accounts[0]
            payments = Payment.objects.bulk_create(
                (
                    Payment(
                        billing_account=payer,
                        means="bank_transfer",
                        status="succeeded",
                        amount=Decimal("65.00"),
                        currency="USD",
                        received_on=bill_date,
                        created_at=now,
                    )
                    for _ in range(count)
                ),
                batch_size=batch,
            )
            Allocation.objects.bulk_create(
                (
                    Allocation(kind="payment", payment=payment, invoice=invoices[0], amount=Decimal(1), created_at=now)
                    for payment in payments[:allocations]
                ),
                batch_size=batch,
            )
            made = JournalEntry.objects.bulk_create(
                (
                    JournalEntry(
                        date=bill_date, kind="payment", memo="m", currency="USD", source_key=f"b{n}", created_at=now
                    )
                    for n in range(entries)
                ),
                batch_size=batch,
            )
            per_entry = entry_lines // max(1, entries)
            JournalLine.objects.bulk_create(
                (
                    JournalLine(entry=entry, account="Assets:Cash", debit=Decimal(1))
                    for entry in made
                    for _ in range(per_entry)
                ),
                batch_size=batch,
            )
            baseline = results[
                f"baseline: bulk insert of {count:,} payments, {allocations:,} allocations, {entries:,} entries"
            ] = time.perf_counter() - start
            transaction.set_rollback(True)

    # Dunning on 10 March: every payer owes its February invoice (due 16 February, 22 days ago).
    # 99 % were reminded on day 7 and charged the late fee on day 10 already: nothing is due for
    # them today; 1 % were never reminded (a payment reversed late): a reminder and a late fee.
    ours = Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices])
    ours.update(amount_due=Decimal("65.00"), status="sent")
    # Another benchmark's invoices in the same database are not this pass's to chase.
    Invoice.objects.exclude(pk__in=ours).update(amount_due=Decimal(0), status="settled")
    day = dt.date(2026, 3, 10)
    overdue = list(ours.order_by("pk").values_list("pk", "billing_account_id"))
    due_action = max(1, count // 100)
    with clock.frozen(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)):
        dunning.policy_for("residential")
        DunningStep.objects.bulk_create(
            (
                DunningStep(billing_account_id=payer_id, invoice_id=invoice_id, step=step, day=step_day, at=clock.now())
                for invoice_id, payer_id in overdue[due_action:]
                for step, step_day in ((DunningStep.Step.REMINDER, 7), (DunningStep.Step.LATE_FEE, 10))
            ),
            batch_size=batch,
        )
        start = time.perf_counter()
        counts = dunning.run(day)
        dunning_seconds = results[f"dunning pass over {len(overdue):,} overdue payers"] = time.perf_counter() - start
    assert (counts["reminder"], counts["late_fee"]) == (due_action, due_action), counts
    print(f"\nBenchmark: payments and dunning ({vendor})")
    print(f"  set-up: {count:,} payers with an invoice each, bulk-inserted in {setup_seconds:.1f} s")
    for name, seconds in results.items():
        print(f"  {name:<82} {seconds:8.3f} s")
    print(
        f"  {count / allocate:,.0f} payments/s allocated ({result.invoices_settled:,} invoices settled, "
        f"{result.credit} kept as credit): {allocate / baseline:.1f}x the bare insert"
    )
    print(
        f"  dunning: {counts['reminder']:,} reminders and {counts['late_fee']:,} late fees among "
        f"{counts['accounts_examined']:,} overdue payers in {dunning_seconds:.2f} s: "
        f"{dunning_seconds / len(overdue) * 1e6:,.0f} µs per payer"
    )


if __name__ == "__main__":
    main()
