"""Previews: the exact lines a change puts on the next invoice, before anyone makes it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from headend.billing import preview
from headend.core import clock
from headend.quoting import services as quoting
from tests.factories import (
    TaskSpec,
    make_account,
    make_change_catalog,
    make_live_service,
    make_product,
    make_quote,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed_service(run_worker):
    """Fiber at 65.00 turned up on 2 March 2026 and billed on the 1st: 30 of March's 31 days."""
    service = make_live_service(make_account("residential"), make_product(tasks=[TaskSpec("Install")]))
    run_worker()
    call_command("run_billing", as_of="2026-03-02", stdout=io.StringIO())
    return service


def test_suspending_on_the_10th_credits_the_rest_of_march_and_april(billed_service):
    with clock.frozen(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)):
        found = preview.preview_change(service=billed_service, suspend=True)
    assert found.bill_date == dt.date(2026, 4, 1)
    assert [(line.days, line.amount) for line in found.baseline] == [(30, Decimal("65.00"))]
    assert [(line.days, line.amount) for line in found.lines] == [(-22, Decimal("-46.13"))]  # 65 x 8/31 = 16.77 kept
    assert found.effect == Decimal("-111.13")


def test_an_upgrade_on_the_10th_shows_its_credit_and_charge(billed_service):
    with clock.frozen(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)):
        found = preview.preview_change(service=billed_service, mrc_amount=Decimal("80.00"))
    assert [line.amount for line in found.lines] == [Decimal("-46.13"), Decimal("56.77"), Decimal("80.00")]
    assert found.effect == Decimal("25.64")
    with clock.frozen(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)):
        later = preview.preview_change(service=billed_service, mrc_amount=Decimal("50.00"))
    assert later.effective == dt.date(2026, 4, 1)  # a downgrade waits for the next period
    assert [line.amount for line in later.lines] == [Decimal("50.00")]


def test_the_service_page_shows_the_preview_and_a_quote_shows_each_change(billed_service, client, run_worker):
    client.force_login(make_user("billing"))
    page = client.get(billed_service.get_absolute_url()).content.decode()
    assert "Before you act" in page
    assert "Suspend today" in page
    catalog = make_change_catalog()
    account = make_account()
    service = make_live_service(account, catalog["gig"])
    run_worker()
    quote = make_quote(account=account, lines=0)
    quoting.quote_line_change(quote=quote, service=service, action="upgrade", product_version=catalog["two_gig"])
    client.force_login(make_user("sales"))
    page = client.get(quote.get_absolute_url()).content.decode()
    assert "Effect on the next invoices" in page
    assert "$50.00" in page  # 2 Gbps from today: 150.00 - 100.00 for the rest of the period


def test_the_api_previews_a_change_before_it_is_made(billed_service, client):
    from tests.api.client import TMFClient, body

    api = TMFClient.for_user(client, make_user("support"))
    path = "/customerBillManagement/v4/billPreview"
    with clock.frozen(dt.datetime(2026, 3, 10, 15, tzinfo=dt.UTC)):
        answer = api.get(path, service=billed_service.pk, action="change", mrcAmount="80.00")
    assert answer.status_code == 200, answer.content
    found = body(answer)
    assert (found["billDate"], found["effectiveDate"], found["effect"]) == (
        "2026-04-01",
        "2026-03-10",
        {"unit": "USD", "value": Decimal("25.64")},
    )
    assert [line["amount"]["value"] for line in found["lines"]] == [
        Decimal("-46.13"),
        Decimal("56.77"),
        Decimal("80.00"),
    ]
    refused = api.get(path, service=billed_service.pk, action="change", mrcAmount="-1")
    assert refused.status_code == 400
    assert api.get(path, service=99999, action="suspend").status_code == 404
    denied = TMFClient.for_user(client, make_user("provisioning")).get(
        path, service=billed_service.pk, action="suspend"
    )
    assert denied.status_code == 403
