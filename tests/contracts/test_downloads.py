"""Quote PDFs go out like every other file (core/user_files.py): a download of the type its bytes
are, never shown or run in the browser; to staff who may see the quote, or the link's holder."""

import pytest
from django.urls import reverse

from headend.contracts.models import QuoteDocument
from tests.contracts.conftest import make_offer
from tests.contracts.test_signing import accept
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def assert_served_as_a_download(response, filename: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename=\"{filename}\"; filename*=UTF-8''{filename}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_the_signer_downloads_the_pdf_never_inline(client, offer):
    quote, path = offer

    response = client.get(path + "quote.pdf")

    assert_served_as_a_download(response, QuoteDocument.objects.get(quote=quote).filename)


def test_the_signer_downloads_the_signed_copy(client, offer):
    quote, path = offer
    accept(client, path)

    response = client.get(path + "quote.pdf")

    assert_served_as_a_download(
        response, QuoteDocument.objects.get(quote=quote).filename.replace(".pdf", "-signed.pdf")
    )


def test_a_forged_link_gets_no_pdf(client, offer):
    quote, _ = offer
    document_id = QuoteDocument.objects.get(quote=quote).pk

    response = client.get(f"/sign/{document_id}/not-the-token/quote.pdf")

    assert (response.status_code, response["Content-Type"]) == (400, "text/html; charset=utf-8")


@pytest.mark.parametrize(("roles", "status"), [(("sales",), 200), (("support",), 200), ((), 403)])
def test_stored_document_route_by_role(client, roles, status):
    quote = make_offer(present=False)
    client.force_login(make_user("sales"))
    client.get(reverse("contracts:quote_pdf", args=[quote.pk]))  # rendered and stored once
    document = QuoteDocument.objects.get(quote=quote)
    client.force_login(make_user(*roles))

    response = client.get(reverse("contracts:document_pdf", args=[quote.pk, document.pk]))

    assert response.status_code == status
    if status == 200:
        assert_served_as_a_download(response, document.filename)


@pytest.mark.parametrize(("roles", "status"), [(("sales",), 200), ((), 403)])
def test_current_pdf_route_by_role(client, roles, status):
    quote = make_offer(present=False)
    client.force_login(make_user(*roles))

    response = client.get(reverse("contracts:quote_pdf", args=[quote.pk]))

    assert response.status_code == status
    if status == 200:
        assert_served_as_a_download(response, QuoteDocument.objects.get(quote=quote).filename)
