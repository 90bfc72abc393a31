"""The payment standing staff recorded by hand on customer accounts (crm's `days_past_due` and
`overdue_balance_amount`, removed by crm 0004) becomes what standing is read from now: an
opening-balance invoice per account that had an overdue balance, due that many days ago, posted
to receivables against opening-balance equity. An account with no billing account gets one."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import migrations
from django.utils import timezone

RECEIVABLE = "Assets:AccountsReceivable"
OPENING = "Equity:OpeningBalances"


def carry_over(apps, schema_editor):
    Account = apps.get_model("crm", "Account")
    BillingAccount = apps.get_model("billing", "BillingAccount")
    Invoice = apps.get_model("billing", "Invoice")
    InvoiceLine = apps.get_model("billing", "InvoiceLine")
    Sequence = apps.get_model("billing", "Sequence")
    JournalEntry = apps.get_model("billing", "JournalEntry")
    JournalLine = apps.get_model("billing", "JournalLine")
    db = schema_editor.connection.alias  # the database being migrated, whichever it is
    now = timezone.now()
    today = timezone.localdate(now)
    for account in Account.objects.using(db).filter(overdue_balance_amount__gt=0).order_by("pk"):
        payer = (
            BillingAccount.objects.using(db)
            .filter(account=account, status="active")
            .order_by("-is_default", "pk")
            .first()
        )
        if payer is None:
            payer = BillingAccount.objects.using(db).create(
                account=account,
                name=account.name,
                is_default=True,
                currency=settings.HEADEND_CURRENCY,
                created_at=now,
            )
        payer = payer.parent or payer
        due = today - dt.timedelta(days=account.days_past_due or 1)
        sequence, _ = Sequence.objects.using(db).get_or_create(kind="invoice", defaults={"prefix": "INV-"})
        number = f"{sequence.prefix}{sequence.next_value:07d}"
        sequence.next_value += 1
        sequence.save(update_fields=["next_value"])
        amount = Decimal(account.overdue_balance_amount)
        invoice = Invoice.objects.using(db).create(
            kind="invoice",
            status="sent",
            billing_account=payer,
            number=number,
            bill_date=due,
            due_date=due,
            currency=payer.currency,
            subtotal_amount=amount,
            tax_amount=Decimal(0),
            total_amount=amount,
            amount_due=amount,
            reason="Opening balance: the overdue balance recorded by hand before billing",
            created_at=now,
            finalised_at=now,
            sent_at=now,
        )
        InvoiceLine.objects.using(db).create(
            invoice=invoice,
            position=1,
            kind="one_time",
            description=f"Opening balance ({account.days_past_due} days past due when carried over)",
            unit_amount=amount,
            amount=amount,
            recognised_amount=amount,
            revenue_account=OPENING,
        )
        entry = JournalEntry.objects.using(db).create(
            date=due,
            kind="invoice",
            memo=f"Opening balance {number} {account.name}"[:300],
            invoice=invoice,
            currency=invoice.currency,
            source_key=f"invoice:{invoice.pk}",
            created_at=now,
        )
        JournalLine.objects.using(db).create(entry=entry, account=RECEIVABLE, debit=amount, credit=Decimal(0))
        JournalLine.objects.using(db).create(entry=entry, account=OPENING, debit=Decimal(0), credit=amount)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_payments"),
        ("crm", "0003_account_days_past_due_account_overdue_balance_amount_and_more"),
    ]
    # The recorded fields are read here before crm removes them.
    run_before = [("crm", "0004_standing_from_billing")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
