"""The invoice PDF (billing/documents.py): one HTML template rendered by WeasyPrint, served as a
download named with the provider's name."""

import datetime as dt
import io

import pytest
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from headend.billing import invoices, runs
from headend.billing.models import Invoice
from headend.core import clock
from tests.factories import TaskSpec, make_account, make_live_service, make_product, make_user

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def invoice(run_worker):
    """INV-0000001: 17-31 January ($31.45) and February ($65.00) of one fiber service, no tax."""
    account = make_account("residential")
    version = make_product(tasks=[TaskSpec("Install")])
    with clock.frozen(dt.datetime(2026, 1, 17, 19, 7, tzinfo=UTC)):
        make_live_service(account, version, term=12)
        run_worker()
    with clock.frozen(dt.datetime(2026, 2, 1, 12, tzinfo=UTC)):
        runs.work(runs.bill_run_start(as_of=dt.date(2026, 2, 1)))
    return Invoice.objects.get()


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def download(client, invoice, role="sales"):
    client.force_login(make_user(role))
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    return response, b"".join(response.streaming_content) if response.streaming else response.content


@override_settings(HEADEND_PROVIDER_NAME="Passamaquoddy Fiber")
def test_the_pdf_holds_the_number_each_lines_amount_and_the_total(client, invoice):
    response, content = download(client, invoice)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="Passamaquoddy Fiber invoice INV-0000001.pdf"'
    )
    text = pdf_text(content)
    assert [str(line.amount) for line in invoice.lines.order_by("position")] == ["31.45", "65.00"]
    assert "Invoice INV-0000001" in text
    assert "Passamaquoddy Fiber" in text
    for amount in ("$31.45", "$65.00"):
        assert amount in text
    assert "Total $96.45" in text
    assert "Due date Feb 16, 2026" in text
    assert "15/31" in text


def test_a_credit_note_pdf_names_the_invoice_it_corrects(client, invoice):
    clerk = make_user("billing")
    note = invoices.credit_note_create(invoice=invoice, created_by=clerk, reason="Outage", amount="10")
    note = invoices.credit_note_finalise(credit_note=note, finalised_by=clerk)

    response, content = download(client, note)

    assert response["Content-Disposition"].startswith('attachment; filename="Headend Fiber credit note CN-0000001.pdf"')
    text = pdf_text(content)
    assert "Credit note CN-0000001" in text
    assert "Corrects INV-0000001" in text
    assert "-$10.00" in text


def test_the_pdf_is_refused_to_a_role_without_billing(client, invoice):
    response, _ = download(client, invoice, role="provisioning")

    assert response.status_code == 403
