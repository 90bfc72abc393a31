"""A large quote's PDF is made by the worker (issue 10): the staff follow a progress page, each
content of a quote is rendered once, and no transaction is held while a PDF renders."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from headend.contracts import documents, services
from headend.contracts.models import QuoteDocument, QuoteDocumentJob, SigningLink
from headend.quoting import services as quoting_services
from headend.quoting.models import QuoteLine
from tests.contracts.conftest import link_from_outbox, make_customer, make_offer
from tests.factories import make_long_quote, make_user

pytestmark = pytest.mark.django_db

LARGE = 60  # lines: more than a request renders (services.RENDER_NOW_LINES)


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales"))
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_quote_pdf_of_a_large_quote_is_prepared_by_the_worker_behind_a_progress_page(sales_client):
    quote = make_long_quote(LARGE)
    url = reverse("contracts:quote_pdf", args=[quote.pk])

    first, again = sales_client.get(url), sales_client.get(url)

    job = QuoteDocumentJob.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == reverse("contracts:document_job", args=[quote.pk, job.pk])
    assert (job.status, job.lines) == ("queued", LARGE)
    assert not QuoteDocument.objects.exists()  # nothing rendered in the request
    waiting = sales_client.get(first["Location"]).content.decode()
    assert "Preparing the PDF… waiting for the worker" in waiting
    assert 'hx-trigger="every 2s"' in waiting

    services.quote_document_job_run(job_id=job.pk)  # the worker

    document = QuoteDocument.objects.get()
    ready = sales_client.get(first["Location"]).content.decode()
    download = sales_client.get(url)
    assert reverse("contracts:document_pdf", args=[quote.pk, document.pk]) in ready
    assert 'hx-trigger="every' not in ready
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith(f'attachment; filename="{quote.number}-revA-draft.pdf";')
    assert body(download) == document.file.open("rb").read()


def test_quote_document_prepare_renders_each_content_once_and_a_changed_quote_again():
    quote = make_long_quote(LARGE)
    job = services.quote_document_prepare(quote=quote)
    assert services.quote_document_prepare(quote=quote).pk == job.pk

    services.quote_document_job_run(job_id=job.pk)
    services.quote_document_job_run(job_id=job.pk)  # a task delivered twice
    quoting_services.quote_line_discount(line=QuoteLine.objects.get(quote=quote, position=1), percent="5")
    changed = services.quote_document_prepare(quote=quote)
    services.quote_document_job_run(job_id=changed.pk)

    jobs = list(QuoteDocumentJob.objects.order_by("id").values_list("status", "attempts"))
    assert jobs == [("done", 1), ("done", 1)]
    assert QuoteDocument.objects.filter(quote=quote).count() == 2
    assert services.quote_document_prepare(quote=quote).pk == changed.pk


def test_quote_document_job_of_a_quote_that_changed_meanwhile_is_outdated_and_renders_nothing(sales_client):
    quote = make_long_quote(LARGE)
    job = services.quote_document_prepare(quote=quote)
    quoting_services.quote_line_discount(line=QuoteLine.objects.get(quote=quote, position=2), percent="10")

    services.quote_document_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "outdated"
    assert not QuoteDocument.objects.exists()
    page = sales_client.get(reverse("contracts:document_job", args=[quote.pk, job.pk])).content.decode()
    assert "The quote changed before its PDF was made" in page


def test_sending_a_large_quote_goes_out_once_the_worker_stored_its_pdf(
    sales_client, django_capture_on_commit_callbacks
):
    quote = make_long_quote(LARGE, account=make_customer())
    jo = quote.account.contacts.get()

    response = sales_client.post(
        reverse("contracts:quote_present", args=[quote.pk]), {"recipients": [f"contact:{jo.pk}"]}, follow=True
    )

    job = QuoteDocumentJob.objects.get(quote=quote, send_link="first")
    assert "its PDF is being prepared and goes to jo@boatworks.example when ready" in response.content.decode()
    assert mail.outbox == []
    assert SigningLink.objects.get().document is None
    with django_capture_on_commit_callbacks(execute=True):
        services.quote_document_job_run(job_id=job.pk)
    assert len(mail.outbox) == 1
    assert SigningLink.objects.get().send_count == 1
    assert QuoteDocumentJob.objects.get(pk=job.pk).send_link == ""


def test_the_signing_page_of_a_long_quote_lists_its_lines_a_page_at_a_time(client, django_capture_on_commit_callbacks):
    quote = make_long_quote(120, account=make_customer(), status="presented")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.quote_document_prepare(quote=quote, send_link="first")
        services.quote_document_job_run(job_id=job.pk)
    path = link_from_outbox()

    first, second = client.get(path), client.get(path, {"page": 2})
    pdf = client.get(f"{path}quote.pdf")

    sites_on = [re.findall(r"<td>Site (\d+)</td>", page.content.decode()) for page in (first, second)]
    assert "120 sites, 120 services" in first.content.decode()
    assert sites_on == [[str(n) for n in range(1, 101)], [str(n) for n in range(101, 121)]]
    assert SigningLink.objects.get().open_count == 1  # the second page is not another opening
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_a_pdf_renders(monkeypatch, client):
    """Presenting (the relay's handler), signing and downloading: each PDF renders outside any
    transaction, so SQLite's write lock is never held for the seconds a render takes."""
    opened = []
    render = documents.render_pdf

    def spy(html):
        opened.append(connection.in_atomic_block)
        return render(html)

    monkeypatch.setattr(documents, "render_pdf", spy)
    quote = make_offer()  # presented: the relay renders the document and sends the link
    path = link_from_outbox()

    client.post(path, {"decision": "accept", "signer_name": "Jo Boatwright", "consent": "on"})
    client.force_login(make_user("sales"))
    client.get(reverse("contracts:quote_pdf", args=[make_offer(present=False).pk]))

    assert quote.signatures.get().signed_file
    assert opened == [False, False, False]  # the document, the signature page, the draft's PDF
