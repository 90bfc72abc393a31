"""The hand-recorded payment standing (crm's old `days_past_due` and `overdue_balance_amount`)
becomes an opening-balance invoice that standing is read from (billing 0003), so approvals fire
on facts after the upgrade as they did before it.

The migration runs as an upgrade runs it, in a database of its own beside the test database:
migrated forward to just before it, the old fields filled, then forward through it and through
crm 0004 that drops them. (Taking the test database itself back to that point and forward again
took two minutes of every run.)"""

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests import template_db

BEFORE = [("crm", "0003_account_days_past_due_account_overdue_balance_amount_and_more"), ("billing", "0002_payments")]
AFTER = [("billing", "0003_opening_balances"), ("crm", "0004_standing_from_billing")]
SCRATCH = "opening_balances_scratch"


@pytest.fixture
def scratch(tmp_path, django_db_setup, django_db_blocker) -> Iterator[MigrationExecutor]:
    """An empty database of the test database's kind under its own alias (a file for SQLite, a
    database of its own on PostgreSQL), dropped afterwards; its migration executor. The test
    database is not touched (the test has no django_db mark: nothing to roll back there)."""
    with django_db_blocker.unblock(), template_db.scratch(SCRATCH, tmp_path) as connection:
        yield MigrationExecutor(connection)


def test_a_recorded_overdue_balance_becomes_an_opening_invoice_due_that_many_days_ago(scratch):
    scratch.migrate(BEFORE)
    old = scratch.loader.project_state(BEFORE).apps
    Account = old.get_model("crm", "Account")
    now = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    late = Account.objects.using(SCRATCH).create(
        kind="business", name="Marine", days_past_due=60, overdue_balance_amount=Decimal("1240.00"), created_at=now
    )
    Account.objects.using(SCRATCH).create(kind="residential", name="On time", created_at=now)

    scratch.loader.build_graph()  # what is applied now
    scratch.migrate(AFTER)

    new = scratch.loader.project_state(AFTER).apps
    assert not hasattr(new.get_model("crm", "Account")(), "overdue_balance_amount")  # crm 0004 dropped it
    invoice = new.get_model("billing", "Invoice").objects.using(SCRATCH).get()
    assert (invoice.billing_account.account_id, invoice.total_amount, invoice.amount_due, invoice.status) == (
        late.pk,
        Decimal("1240.00"),
        Decimal("1240.00"),
        "sent",
    )
    # What standing is read from: an unpaid invoice due 60 days before the upgrade's day.
    assert timezone.localdate(invoice.created_at) - invoice.due_date == dt.timedelta(days=60)
    JournalLine = new.get_model("billing", "JournalLine")
    entries = sorted((line.account, line.debit, line.credit) for line in JournalLine.objects.using(SCRATCH).all())
    assert entries == [
        ("Assets:AccountsReceivable", Decimal("1240.00"), Decimal("0.00")),
        ("Equity:OpeningBalances", Decimal("0.00"), Decimal("1240.00")),
    ]
