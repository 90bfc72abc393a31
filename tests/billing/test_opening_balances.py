"""The hand-recorded payment standing (crm's old `days_past_due` and `overdue_balance_amount`)
becomes an opening-balance invoice that standing is read from (billing 0003), so approvals fire
on facts after the upgrade as they did before it."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from headend.billing.models import Invoice, JournalLine
from headend.billing.standing import payment_standing

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = ("crm", "0003_account_days_past_due_account_overdue_balance_amount_and_more")


def test_a_recorded_overdue_balance_becomes_an_opening_invoice_due_that_many_days_ago():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])  # the two fields are back, as before the upgrade
    try:
        old = executor.loader.project_state([BEFORE, ("billing", "0002_payments")]).apps
        Account = old.get_model("crm", "Account")
        now = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
        late = Account.objects.create(
            kind="business", name="Marine", days_past_due=60, overdue_balance_amount=Decimal("1240.00"), created_at=now
        )
        Account.objects.create(kind="residential", name="On time", created_at=now)
        migration = importlib.import_module("headend.billing.migrations.0003_opening_balances")
        migration.carry_over(old, None)
    finally:
        # Every app forward again (going back to crm 0003 also took back what depends on 0004).
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    invoice = Invoice.objects.get()
    assert (invoice.billing_account.account_id, invoice.total_amount, invoice.amount_due, invoice.status) == (
        late.pk,
        Decimal("1240.00"),
        Decimal("1240.00"),
        "sent",
    )
    today = invoice.created_at.date()
    standing = payment_standing(account_ids=[late.pk], today=today)[late.pk]
    assert (standing.days_past_due, standing.overdue_amount) == (60, Decimal("1240.00"))
    entries = sorted((line.account, line.debit, line.credit) for line in JournalLine.objects.all())
    assert entries == [
        ("Assets:AccountsReceivable", Decimal("1240.00"), Decimal("0.00")),
        ("Equity:OpeningBalances", Decimal("0.00"), Decimal("1240.00")),
    ]
