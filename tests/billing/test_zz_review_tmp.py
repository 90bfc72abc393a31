import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from headend.billing import accounts, invoices, invoicing, proration, runs
from headend.billing.models import BillingAccount, Invoice, InvoiceLine, Subscription
from headend.core import clock
from tests.factories import TaskSpec, make_account, make_live_service, make_product, make_user

pytestmark = pytest.mark.django_db


def run(day):
    out = io.StringIO()
    call_command("run_billing", as_of=day, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def at(day):
    return clock.frozen(dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC))


def dump():
    for inv in Invoice.objects.order_by("id"):
        print(inv.number, inv.kind, inv.status, inv.bill_date, inv.total_amount)
        for l in inv.lines.order_by("position"):
            print("   ", l.description, l.amount, l.period_start)


def test_bill_day_change_double_bills(run_worker):
    service = make_live_service(make_account("residential"), make_product(tasks=[TaskSpec("Install")]))
    run_worker()
    assert run("2026-03-02") == "1 invoices created"
    ba = Subscription.objects.get(service=service).billing_account
    accounts.billing_account_update(billing_account=ba, updated_by=make_user("billing"), bill_day=15)
    with at(dt.date(2026, 3, 16)):
        print(run("2026-03-16"))
    with at(dt.date(2026, 4, 16)):
        print(run("2026-04-16"))
    dump()


def test_void_after_later_credit(run_worker):
    from headend.inventory import services as inv
    service = make_live_service(make_account("residential"), make_product(tasks=[TaskSpec("Install")]))
    run_worker()
    assert run("2026-03-02") == "1 invoices created"
    first = Invoice.objects.get()
    with at(dt.date(2026, 3, 10)):
        invoices.price_revise(service=service, revised_by=make_user("billing"), mrc_amount="10", effective="immediate", reason="x")
        run_worker()
    with at(dt.date(2026, 4, 2)):
        print(run("2026-04-02"))
        invoices.invoice_void(invoice=first, voided_by=make_user("billing"), reason="oops")
    with at(dt.date(2026, 5, 2)):
        print(run("2026-05-02"))
    dump()
    s = sum(i.total_amount for i in Invoice.objects.exclude(status="void"))
    print("net billed", s)


def test_revision_cancels_promo():
    d = dt.date(2026, 3, 2)
    rates = proration.timeline([
        proration.Rate(d, Decimal("30"), "Promo", order=(1,), kind="promotion"),
        proration.Rate(dt.date(2026, 9, 2), Decimal("60"), "Plan", order=(2,)),
        proration.Rate(dt.date(2026, 4, 1), Decimal("65"), "Plan", order=(3,)),  # revision next period
    ])
    print([(r.effective, r.mrc) for r in rates])
    print(proration.rate_on(dt.date(2026, 4, 5), rates))
