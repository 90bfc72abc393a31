"""External billing on Lago's API shape: invoices and payments pulled page by page and received
by signed webhooks become Headend's own read-only rows (source "lago"); a second pull or a
replayed delivery changes nothing; a bad signature writes nothing; an unknown customer is
reported, never a 500; nothing reaches Headend's ledger."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import path

from headend.billing.models import Invoice, JournalEntry
from headend.core.errors import Conflict
from headend.core.models import OutboxEvent
from headend.payments.external import sync as external
from headend.payments.external import views
from headend.payments.external.lago import LagoBiller, signature
from headend.payments.external.port import ExternalBillerError
from headend.payments.models import Allocation, GatewayEvent, Payment
from tests.conftest import outbox_names
from tests.factories import make_billing_account, make_invoice
from tests.payments.lago_standin import API_KEY, SECRET, LagoStandin, delivery, invoice, payment

pytestmark = pytest.mark.django_db
D = Decimal
SINCE = dt.date(2026, 1, 1)

# The webhook's route for these tests (payments/urls.py, which another helper owns, is to mount it there).
urlpatterns = [path("payments/webhooks/external/", views.webhook_view)]
WEBHOOK = "/payments/webhooks/external/"
webhook_urls = pytest.mark.urls(__name__)


@pytest.fixture
def lago(httpserver, settings):
    settings.HEADEND_BILLER = "lago"
    settings.HEADEND_OUTBOUND_ALLOW = ["127.0.0.1"]
    standin = LagoStandin(httpserver)
    settings.HEADEND_LAGO_API_URL = standin.url
    settings.HEADEND_LAGO_API_KEY = API_KEY
    settings.HEADEND_LAGO_WEBHOOK_SECRET = SECRET
    return standin


@pytest.fixture
def payer():
    return make_billing_account()


def pull(since=SINCE):
    return external.sync(biller=external.configured_biller(), since=since)


def post(body, headers):
    return Client(enforce_csrf_checks=True).post(WEBHOOK, body, content_type="application/json", headers=headers)


def counts():
    return (
        Invoice.objects.count(),
        Payment.objects.count(),
        Allocation.objects.count(),
        GatewayEvent.objects.count(),
        OutboxEvent.objects.count(),
        Invoice.history.count(),
    )


def lago_invoice(lago_id):
    return Invoice.objects.get(source="lago", external_id=lago_id)


# Pull ----------------------------------------------------------------------------------------------


def test_sync_pulls_every_page_with_fees_and_taxes_to_the_cent(lago, payer):
    lago.per_page = 2
    lago.invoices = [
        invoice("inv-1", customer=payer.number, number="LAG-0001-001"),
        invoice("inv-2", customer=payer.number, number="LAG-0001-002", fees=(("Fiber 500", 8000), ("Router", 1299))),
        invoice("inv-3", customer=payer.number, number="LAG-0001-003", payment_status="succeeded"),
    ]

    result = pull()

    assert (result.invoices_created, result.skipped) == (3, [])
    assert [args["page"] for path, args in lago.requests if path == "/api/v1/invoices"] == ["1", "2"]
    assert all(
        args.get("issuing_date_from") == "2026-01-01" for path, args in lago.requests if path == "/api/v1/invoices"
    )
    second = lago_invoice("inv-2")
    assert (second.number, second.billing_account, second.source, second.status) == (
        "LAG-0001-002",
        payer,
        "lago",
        Invoice.Status.SENT,
    )
    assert (second.bill_date, second.due_date) == (dt.date(2026, 2, 1), dt.date(2026, 2, 16))
    assert (second.subtotal_amount, second.tax_amount, second.total_amount, second.amount_due) == (
        D("92.99"),
        D("5.11"),
        D("98.10"),
        D("98.10"),
    )
    assert [(line.kind, line.description, line.amount) for line in second.lines.order_by("position")] == [
        ("one_time", "Fiber 500", D("80.00")),
        ("one_time", "Router", D("12.99")),
        ("tax", "Maine sales tax", D("5.11")),
    ]
    assert lago_invoice("inv-3").status == Invoice.Status.SETTLED
    assert lago_invoice("inv-3").amount_due == 0
    assert JournalEntry.objects.count() == 0


def test_sync_again_changes_nothing(lago, payer):
    lago.invoices = [invoice(f"inv-{n}", customer=payer.number, number=f"LAG-0001-00{n}") for n in (1, 2)]
    lago.payments = [payment("pay-1", invoice_ids=["inv-1"], amount_cents=8440)]
    pull()
    before = counts()

    result = pull()

    assert (result.invoices_unchanged, result.payments_unchanged, result.invoices_updated) == (2, 1, 0)
    assert (result.invoices_created, result.payments_created, result.skipped) == (0, 0, [])
    assert counts() == before


def test_sync_fetches_fees_only_for_invoices_it_has_not_got(lago, payer):
    lago.invoices = [invoice("inv-1", customer=payer.number, number="LAG-0001-001")]
    pull()
    pull()

    assert [path for path, _ in lago.requests].count("/api/v1/invoices/inv-1") == 1


def test_invoice_voided_later_is_void_on_the_next_sync(lago, payer):
    lago.invoices = [invoice("inv-1", customer=payer.number, number="LAG-0001-001")]
    pull()
    lago.find("inv-1").update(status="voided", voided_at="2026-02-10T09:00:00Z")

    result = pull()

    voided = lago_invoice("inv-1")
    assert result.invoices_updated == 1
    assert (voided.status, voided.amount_due, voided.voided_at) == (
        Invoice.Status.VOID,
        0,
        dt.datetime(2026, 2, 10, 9, tzinfo=dt.UTC),
    )
    assert outbox_names(subject=voided) == ["invoice.voided"]


def test_void_stays_void_when_an_older_page_says_finalized(lago, payer):
    lago.invoices = [invoice("inv-1", customer=payer.number, number="LAG-0001-001", status="voided")]
    pull()
    lago.find("inv-1")["status"] = "finalized"

    pull()

    assert lago_invoice("inv-1").status == Invoice.Status.VOID


def test_payment_allocates_to_the_invoice_it_paid_and_settles_it(lago, payer):
    lago.invoices = [
        invoice("inv-1", customer=payer.number, number="LAG-0001-001"),
        invoice("inv-2", customer=payer.number, number="LAG-0001-002"),
    ]
    lago.payments = [payment("pay-1", invoice_ids=["inv-2"], amount_cents=8440)]

    result = pull()

    paid = Payment.objects.get(source="lago", external_id="pay-1")
    settled = lago_invoice("inv-2")
    assert result.payments_created == 1
    assert (paid.billing_account, paid.means, paid.status, paid.amount, paid.unapplied_amount) == (
        payer,
        "external",
        Payment.Status.SUCCEEDED,
        D("84.40"),
        0,
    )
    assert [(row.invoice, row.amount, row.kind) for row in paid.allocations.all()] == [(settled, D("84.40"), "payment")]
    assert (settled.status, settled.amount_due) == (Invoice.Status.SETTLED, 0)
    assert lago_invoice("inv-1").amount_due == D("84.40")
    assert outbox_names(subject=settled) == ["invoice.paid"]
    assert JournalEntry.objects.count() == 0


def test_part_payment_leaves_the_invoice_partially_paid(lago, payer):
    lago.invoices = [invoice("inv-1", customer=payer.number, number="LAG-0001-001")]
    lago.payments = [payment("pay-1", invoice_ids=["inv-1"], amount_cents=4000)]

    pull()

    assert (lago_invoice("inv-1").status, lago_invoice("inv-1").amount_due) == (
        Invoice.Status.PARTIALLY_PAID,
        D("44.40"),
    )


def test_payment_lago_reports_failed_later_is_reversed_and_reopens_the_invoice(lago, payer):
    lago.invoices = [invoice("inv-1", customer=payer.number, number="LAG-0001-001")]
    lago.payments = [payment("pay-1", invoice_ids=["inv-1"], amount_cents=8440)]
    pull()
    lago.payments[0]["payment_status"] = "failed"

    result = pull()

    reversed_ = Payment.objects.get(external_id="pay-1")
    reopened = lago_invoice("inv-1")
    assert result.payments_updated == 1
    assert reversed_.status == Payment.Status.REVERSED
    assert [row.amount for row in reversed_.allocations.all()] == [D("84.40"), D("-84.40")]
    assert (reopened.status, reopened.amount_due) == (Invoice.Status.SENT, D("84.40"))
    assert outbox_names(subject=reopened) == ["invoice.paid", "invoice.reopened"]


def test_pending_payment_and_draft_invoice_are_not_shown(lago, payer):
    lago.invoices = [
        invoice("inv-1", customer=payer.number, number="LAG-0001-001"),
        invoice("inv-2", customer=payer.number, number="LAG-0001-002", status="draft"),
    ]
    lago.payments = [payment("pay-1", invoice_ids=["inv-1"], amount_cents=8440, status="pending")]

    result = pull()

    assert [(item.external_id, item.code) for item in result.skipped] == [
        ("inv-2", "not_issued"),
        ("pay-1", "not_succeeded"),
    ]
    assert Invoice.objects.count() == 1
    assert Payment.objects.count() == 0


def test_unknown_customer_is_skipped_with_its_reason_and_the_rest_written(lago, payer):
    lago.invoices = [
        invoice("inv-1", customer="BA-999999", number="LAG-0009-001"),
        invoice("inv-2", customer="cust_42", number="LAG-0009-002"),
        invoice("inv-3", customer=payer.number, number="LAG-0001-001"),
    ]
    lago.payments = [payment("pay-1", invoice_ids=["inv-1"], amount_cents=8440)]

    result = pull()

    assert [(item.kind, item.external_id, item.code) for item in result.skipped] == [
        ("invoice", "inv-2", "unknown_customer"),
        ("invoice", "inv-1", "unknown_customer"),
        ("payment", "pay-1", "unknown_invoice"),
    ]
    assert "'BA-999999' is no Headend billing account" in result.skipped[1].reason
    assert list(Invoice.objects.values_list("external_id", flat=True)) == ["inv-3"]
    assert Payment.objects.count() == 0


def test_a_number_headend_already_gave_is_skipped(lago, payer):
    own = make_invoice(payer, "10.00")
    lago.invoices = [invoice("inv-1", customer=payer.number, number=own.number)]

    result = pull()

    assert [item.code for item in result.skipped] == ["number_taken"]
    assert Invoice.objects.count() == 1


def test_sync_is_refused_when_headend_keeps_the_book(lago, settings):
    settings.HEADEND_BILLER = "headend"

    with pytest.raises(Conflict) as refused:
        external.configured_biller()
    with pytest.raises(Conflict):
        external.sync(biller=LagoBiller(), since=SINCE)

    assert refused.value.code == "not_external"
    assert lago.requests == []


def test_a_wrong_api_key_is_an_error_and_writes_nothing(lago, payer, settings):
    settings.HEADEND_LAGO_API_KEY = "wrong"
    lago.invoices = [invoice("inv-1", customer=payer.number, number="LAG-0001-001")]

    with pytest.raises(ExternalBillerError, match="HTTP 401"):
        pull()

    assert Invoice.objects.count() == 0


def test_command_pulls_since_the_date_given(lago, payer):
    lago.invoices = [
        invoice("inv-old", customer=payer.number, number="LAG-0001-001", issuing_date="2025-12-01"),
        invoice("inv-new", customer=payer.number, number="LAG-0001-002", issuing_date="2026-02-01"),
    ]
    out = StringIO()

    call_command("sync_external_billing", "--since", "2026-01-15", stdout=out)

    assert list(Invoice.objects.values_list("external_id", flat=True)) == ["inv-new"]
    assert (
        out.getvalue()
        .strip()
        .endswith("invoices: 1 created, 0 updated, 0 unchanged; payments: 0 created, 0 updated, 0 unchanged; 0 skipped")
    )


def test_command_refuses_a_bad_date_and_a_headend_book(lago, settings):
    with pytest.raises(CommandError, match="not a date"):
        call_command("sync_external_billing", "--since", "yesterday")
    settings.HEADEND_BILLER = "headend"
    with pytest.raises(CommandError, match="book of record"):
        call_command("sync_external_billing")


# Webhooks -----------------------------------------------------------------------------------------


@webhook_urls
def test_signed_invoice_delivery_is_written(lago, payer):
    body, headers = delivery(
        "invoice",
        invoice("inv-1", customer=payer.number, number="LAG-0001-001"),
        webhook_type="invoice.created",
        unique_key="u-1",
    )

    response = post(body, headers)

    assert response.status_code == 200
    assert lago_invoice("inv-1").total_amount == D("84.40")
    assert lago_invoice("inv-1").lines.count() == 2
    assert lago.requests == []  # the delivery carried the fees
    assert GatewayEvent.objects.get().type == "invoice.created"


@webhook_urls
@pytest.mark.parametrize(
    "tamper",
    [
        lambda headers: headers.update({"X-Lago-Signature": "AAAA"}),
        lambda headers: headers.update({"X-Lago-Signature-Algorithm": "jwt"}),
        lambda headers: headers.pop("X-Lago-Signature"),
    ],
)
def test_bad_signature_is_400_and_writes_nothing(lago, payer, tamper):
    body, headers = delivery(
        "invoice",
        invoice("inv-1", customer=payer.number, number="LAG-0001-001"),
        webhook_type="invoice.created",
        unique_key="u-1",
    )
    tamper(headers)
    before = counts()

    response = post(body, headers)

    assert response.status_code == 400
    assert counts() == before


@webhook_urls
def test_signed_with_another_secret_is_400(lago, payer):
    body, headers = delivery(
        "invoice",
        invoice("inv-1", customer=payer.number, number="LAG-0001-001"),
        webhook_type="invoice.created",
        unique_key="u-1",
        secret="not-ours",
    )

    assert post(body, headers).status_code == 400
    assert Invoice.objects.count() == 0


@webhook_urls
def test_replayed_delivery_writes_nothing_new(lago, payer):
    body, headers = delivery(
        "invoice",
        invoice("inv-1", customer=payer.number, number="LAG-0001-001"),
        webhook_type="invoice.created",
        unique_key="u-1",
    )
    post(body, headers)
    before = counts()

    response = post(body, headers)

    assert (response.status_code, response.json()["outcome"]) == (200, "already received")
    assert counts() == before


@webhook_urls
def test_same_content_under_a_new_delivery_id_changes_nothing(lago, payer):
    obj = invoice("inv-1", customer=payer.number, number="LAG-0001-001")
    post(*delivery("invoice", obj, webhook_type="invoice.created", unique_key="u-1"))
    invoices_before = list(Invoice.objects.values())

    response = post(*delivery("invoice", obj, webhook_type="invoice.created", unique_key="u-2"))

    assert response.status_code == 200
    assert list(Invoice.objects.values()) == invoices_before
    assert Invoice.history.count() == 1


@webhook_urls
def test_payment_status_update_then_payment_delivery_settle_the_invoice(lago, payer):
    obj = invoice("inv-1", customer=payer.number, number="LAG-0001-001")
    post(*delivery("invoice", obj, webhook_type="invoice.created", unique_key="u-1"))
    receipt = {"lago_id": "rcpt-1", "payment": payment("pay-1", invoice_ids=["inv-1"], amount_cents=8440)}

    response = post(*delivery("payment_receipt", receipt, webhook_type="payment_receipt.created", unique_key="u-2"))

    assert response.status_code == 200
    assert (lago_invoice("inv-1").status, lago_invoice("inv-1").amount_due) == (Invoice.Status.SETTLED, 0)
    assert Allocation.objects.get().amount == D("84.40")


@webhook_urls
def test_delivery_for_an_unknown_customer_is_reported_not_a_500(lago):
    body, headers = delivery(
        "invoice",
        invoice("inv-1", customer="someone-else", number="LAG-0009-001"),
        webhook_type="invoice.created",
        unique_key="u-1",
    )

    response = post(body, headers)

    assert response.status_code == 200
    assert [item["code"] for item in response.json()["skipped"]] == ["unknown_customer"]
    assert Invoice.objects.count() == 0
    assert "is no Headend billing account" in GatewayEvent.objects.get().outcome


@webhook_urls
def test_signed_body_that_is_not_a_lago_message_is_400(lago):
    body = b'{"hello": "world"}'
    headers = {"X-Lago-Signature": signature(body, SECRET), "X-Lago-Signature-Algorithm": "hmac"}

    response = post(body, headers)

    assert response.status_code == 400
    assert GatewayEvent.objects.count() == 0


@webhook_urls
def test_signed_invoice_missing_its_amounts_is_400(lago, payer):
    obj = invoice("inv-1", customer=payer.number, number="LAG-0001-001")
    del obj["total_amount_cents"]

    response = post(*delivery("invoice", obj, webhook_type="invoice.created", unique_key="u-1"))

    assert response.status_code == 400
    assert (Invoice.objects.count(), GatewayEvent.objects.count()) == (0, 0)


@webhook_urls
def test_webhook_is_409_when_headend_keeps_the_book(lago, payer, settings):
    settings.HEADEND_BILLER = "headend"
    body, headers = delivery(
        "invoice",
        invoice("inv-1", customer=payer.number, number="LAG-0001-001"),
        webhook_type="invoice.created",
        unique_key="u-1",
    )

    response = post(body, headers)

    assert response.status_code == 409
    assert Invoice.objects.count() == 0


@webhook_urls
def test_webhook_answers_only_post(lago):
    assert Client().get(WEBHOOK).status_code == 405
