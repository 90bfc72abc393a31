import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from headend.billing.models import Invoice
from headend.core import clock
from tests.factories import TaskSpec, make_account, make_live_service, make_product

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def test_smoke(run_worker, capsys):
    account = make_account("residential")
    version = make_product(tasks=[TaskSpec("Install")])
    with clock.frozen(dt.datetime(2026, 1, 17, 19, 7, tzinfo=UTC)):
        make_live_service(account, version, term=12)
        run_worker()
    with clock.frozen(dt.datetime(2026, 2, 1, 12, tzinfo=UTC)):
        call_command("run_billing", as_of="2026-02-01")
        call_command("run_billing", as_of="2026-02-01")
    out = capsys.readouterr().out
    print(out)
    invoice = Invoice.objects.get()
    lines = [(line.description, line.amount) for line in invoice.lines.all()]
    print(lines, invoice.number, invoice.total_amount)
    assert [a for _, a in lines] == [Decimal("31.45"), Decimal("65.00")]
    assert out.strip().splitlines()[-1] == "0 invoices created"
