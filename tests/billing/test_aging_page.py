"""The receivables aging page: every open invoice in its bucket by days past due, on the page
and in its CSV. Apart from the other billing pages (test_pages.py), whose tests share a billed
customer: the report lists every open invoice there is."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from headend.billing import accounts
from headend.billing.models import Invoice
from headend.core import clock
from tests.billing.test_pages import client_for, html_of
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def make_invoice(billing_account, *, due, amount, status="finalised", kind="invoice"):
    return Invoice.objects.create(
        kind=kind, status=status, billing_account=billing_account, bill_date=due - dt.timedelta(days=15), due_date=due,
        currency="USD", subtotal_amount=amount, total_amount=amount, amount_due=amount, created_at=clock.now(),
    )  # fmt: skip


def test_aging_puts_each_open_invoice_in_its_bucket_by_days_past_due(client):
    cove = accounts.default_billing_account(account=make_account(legal_name="Cove Fisheries LLC", name="Cove"))
    bay = accounts.default_billing_account(account=make_account(legal_name="Bay Oysters LLC", name="Bay"))
    today = dt.date(2026, 3, 2)
    for days, amount in [(0, "1"), (-5, "2"), (1, "10"), (30, "20"), (31, "100"), (60, "200"), (61, "1000"),
                         (90, "2000"), (91, "10000"), (400, "20000")]:  # fmt: skip
        make_invoice(cove, due=today - dt.timedelta(days=days), amount=Decimal(amount))
    make_invoice(bay, due=today - dt.timedelta(days=45), amount=Decimal("7.50"), status="sent")
    make_invoice(bay, due=today - dt.timedelta(days=10), amount=Decimal("3.25"), status="partially_paid")
    for status in ("draft", "settled", "void"):
        make_invoice(bay, due=today - dt.timedelta(days=10), amount=Decimal("999"), status=status)
    make_invoice(bay, due=today - dt.timedelta(days=10), amount=Decimal("0"))

    response = client_for(client, "finance").get(reverse("billing:aging"))

    report = response.context["report"]
    assert [(row.account.name, row.invoices, row.cells, row.total) for row in report.rows] == [
        ("Bay", 2, [0, Decimal("3.25"), Decimal("7.50"), 0, 0], Decimal("10.75")),
        ("Cove", 10, [Decimal(3), Decimal(30), Decimal(300), Decimal(3000), Decimal(30000)], Decimal(33333)),
    ]
    assert report.totals == [Decimal(3), Decimal("33.25"), Decimal("307.50"), Decimal(3000), Decimal(30000)]
    assert report.total == Decimal("33343.75")
    assert '<td class="num" data-testid="bucket-total"><strong>$307.50</strong></td>' in html_of(response)

    download = client.get(reverse("billing:aging") + "?format=csv")

    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"].startswith('attachment; filename="ar-aging-2026-03-02.csv"')
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["Account", "Customer", "Invoices", "Current", "1-30 days", "31-60 days", "61-90 days",
                       "Over 90 days", "Total"]  # fmt: skip
    assert rows[1][1:] == ["Bay", "2", "0.00", "3.25", "7.50", "0.00", "0.00", "10.75"]
    assert rows[-1] == ["", "Total", "12", "3.00", "33.25", "307.50", "3000.00", "30000.00", "33343.75"]
