import hashlib

import pytest
from django.core import mail
from django.urls import reverse

from headend.contracts.models import QuoteDocument, SigningEmail, SigningLink
from tests.contracts.conftest import make_offer, pdf_text
from tests.contracts.test_signing import accept
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales_client(client):
    client.force_login(make_user("sales", first_name="Sam", last_name="Seller"))
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_download_pdf_renders_the_quote_once_and_sends_the_stored_file(sales_client):
    quote = make_offer(present=False)
    url = reverse("contracts:quote_pdf", args=[quote.pk])

    first, second = sales_client.get(url), sales_client.get(url)

    document = QuoteDocument.objects.get(quote=quote)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"].startswith(f'attachment; filename="{quote.number}-revA-draft.pdf";')
    assert hashlib.sha256(body(first)).hexdigest() == hashlib.sha256(body(second)).hexdigest() == document.sha256
    assert document.created_by.username.startswith("user")


def test_the_document_is_viewable_on_screen_with_the_same_template(sales_client):
    quote = make_offer()

    response = sales_client.get(reverse("contracts:quote_document", args=[quote.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "@media screen" in html
    assert "@page" in html
    assert "Dedicated Fiber 1G" in html
    assert "$19,737.00" in html
    assert "Download PDF" in html


def test_the_quote_page_shows_the_document_and_the_link_status(sales_client, offer):
    quote, path = offer
    sales_client.get(path)  # the customer opens the link

    html = sales_client.get(quote.get_absolute_url()).content.decode()

    document = QuoteDocument.objects.get(quote=quote)
    assert "Documents and signatures" in html
    assert document.filename in html
    assert "Opened (1 time), not signed yet" in html
    assert "Sent to jo@boatworks.example" in html
    assert "Resend link" in html


def test_the_quote_page_shows_the_signature_and_the_signed_copy(sales_client, client, offer):
    quote, path = offer
    accept(client, path)

    html = sales_client.get(quote.get_absolute_url()).content.decode()
    signed = sales_client.get(
        reverse("contracts:document_signed_pdf", args=[quote.pk, QuoteDocument.objects.get(quote=quote).pk])
    )

    assert "Accepted by Jo Boatwright" in html
    assert "IP 203.0.113.7" in html
    assert "Resend link" not in html
    assert "Electronic signature record" in pdf_text(body(signed))


def resend_url(quote, link=None):
    link = link or SigningLink.objects.get(quote=quote)
    return reverse("contracts:signing_link_resend", args=[quote.pk, link.pk])


def test_resend_link_emails_the_same_link_again(sales_client, offer, django_capture_on_commit_callbacks):
    quote, path = offer

    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(resend_url(quote))

    link = SigningLink.objects.get()
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["jo@boatworks.example"]
    assert path in mail.outbox[1].body
    assert link.send_count == 2
    assert SigningEmail.objects.filter(created_by__isnull=False).count() == 1


def test_resend_needs_the_sales_role(client, offer):
    quote, _ = offer
    client.force_login(make_user("support"))

    response = client.post(resend_url(quote))

    assert response.status_code == 403
    assert SigningEmail.objects.count() == 1


def test_resend_after_the_customer_signed_is_refused_with_a_message(sales_client, client, offer):
    quote, path = offer
    accept(client, path)

    response = sales_client.post(resend_url(quote), follow=True)

    assert "This link was already used" in response.content.decode()
    assert SigningEmail.objects.count() == 1


def test_staff_document_routes_need_a_staff_login(client):
    quote = make_offer()
    urls = [
        reverse("contracts:quote_pdf", args=[quote.pk]),
        reverse("contracts:quote_document", args=[quote.pk]),
    ]

    responses = [client.get(url) for url in urls]

    assert [r.status_code for r in responses] == [302, 302]
    assert all("/login/" in r["Location"] for r in responses)
    assert QuoteDocument.objects.count() == 0


def test_a_document_of_another_quote_is_not_found(sales_client):
    quote, other = make_offer(), make_offer()
    sales_client.get(reverse("contracts:quote_pdf", args=[other.pk]))
    document = QuoteDocument.objects.get(quote=other)

    response = sales_client.get(reverse("contracts:document_pdf", args=[quote.pk, document.pk]))

    assert response.status_code == 404


def test_sending_again_to_a_contact_who_has_a_live_link_sends_nothing_more(
    sales_client, offer, django_capture_on_commit_callbacks
):
    """The send form submitted twice (a double click, a page loaded before): one link, one email."""
    quote, _ = offer
    jo = quote.account.contacts.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = sales_client.post(
            reverse("contracts:quote_present", args=[quote.pk]), {"recipients": [f"contact:{jo.pk}"]}, follow=True
        )

    assert len(mail.outbox) == 1
    assert SigningLink.objects.get().send_count == 1
    assert "Everyone chosen has a live link already" in response.content.decode()


def test_each_live_link_has_resend_and_revoke_buttons(sales_client, offer):
    quote, _ = offer
    link = SigningLink.objects.get()

    html = sales_client.get(quote.get_absolute_url()).content.decode()

    assert reverse("contracts:signing_link_resend", args=[quote.pk, link.pk]) in html
    assert reverse("contracts:signing_link_revoke", args=[quote.pk, link.pk]) in html


def test_the_signing_link_uses_the_address_staff_presented_from(settings, client, django_capture_on_commit_callbacks):
    settings.HEADEND_SITE_URL = ""
    settings.ALLOWED_HOSTS = ["headend.example"]
    client.force_login(make_user("sales"))
    quote = make_offer(present=False)
    jo = quote.account.contacts.get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("contracts:quote_present", args=[quote.pk]),
            {"recipients": [f"contact:{jo.pk}"]},
            HTTP_HOST="headend.example:8443",
            secure=True,
        )

    assert len(mail.outbox) == 1
    assert "https://headend.example:8443/sign/" in mail.outbox[0].body
