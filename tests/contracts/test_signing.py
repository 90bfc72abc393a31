import datetime as dt
import hashlib

import pytest
from django.core import mail

from headend.contracts import presenting, services
from headend.contracts.handlers import quote_presented
from headend.contracts.models import QuoteDocument, Signature, SigningEmail, SigningLink
from headend.contracts.selectors import LinkClosed
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.models import OutboxEvent
from headend.crm import services as crm_services
from headend.crm.models import Opportunity
from headend.orders.models import Order
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote
from tests.conftest import FROZEN_AT, outbox_names
from tests.contracts.conftest import link_from_outbox, make_customer, make_offer, pdf_pages, pdf_text, read
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/128.0 Safari/537.36"


def accept(client, path, name="Jo Boatwright", consent=True, ip="203.0.113.7"):
    data = {"decision": "accept", "signer_name": name}
    if consent:
        data["consent"] = "on"
    return client.post(path, data, REMOTE_ADDR=ip, HTTP_USER_AGENT=BROWSER)


def decline(client, path, reason="We chose another provider.", name="Jo Boatwright"):
    data = {"decision": "decline", "signer_name": name, "reason": reason}
    return client.post(path, data, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=BROWSER)


# --- Sending the link ----------------------------------------------------------------------------


def test_presenting_a_quote_emails_the_primary_contact_a_link_to_sign_it(run_worker):
    quote = make_offer()

    run_worker()

    document = QuoteDocument.objects.get(quote=quote)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["jo@boatworks.example"], f"Headend Fiber: your quote {quote.number} is ready to sign")
    ]
    assert link_from_outbox().startswith(f"/sign/{document.pk}/")
    assert "valid until April 1, 2026" in mail.outbox[0].body
    link = SigningLink.objects.get(document=document)
    assert (link.sent_to, link.send_count) == ("jo@boatworks.example", 1)
    assert SigningEmail.objects.get().sent_at is not None


def test_presenting_without_a_chosen_recipient_never_falls_back_to_the_account_mailbox(run_worker):
    quote = make_offer(account=make_account(email="office@cobscook.example"))

    run_worker()

    assert mail.outbox == []
    assert SigningLink.objects.filter(quote=quote).count() == 0
    assert QuoteDocument.objects.filter(quote=quote, is_draft=False).count() == 1


def test_presenting_without_a_chosen_recipient_goes_to_the_billing_contact_when_no_primary_has_an_email(run_worker):
    account = make_customer()
    account.contacts.update(email="")
    crm_services.contact_create(
        account=account, first_name="Bo", last_name="Ledger", email="ap@boatworks.example", role="billing"
    )
    make_offer(account=account)

    run_worker()

    assert [m.to for m in mail.outbox] == [["ap@boatworks.example"]]


def test_handling_the_presented_event_twice_sends_one_email(run_worker, django_capture_on_commit_callbacks):
    quote = make_offer()
    run_worker()
    event = OutboxEvent.objects.get(name="quote.presented", subject_id=str(quote.pk))

    with django_capture_on_commit_callbacks(execute=True):
        quote_presented(event)  # as a relay retried after a crash would

    assert len(mail.outbox) == 1
    assert SigningLink.objects.get().send_count == 1


def test_a_quote_accepted_before_the_worker_ran_gets_its_document_but_no_email(run_worker):
    quote = make_offer()
    quoting_services.quote_accept(quote=quote, accepted_by_name="Jo Boatwright")

    run_worker()

    assert mail.outbox == []
    assert QuoteDocument.objects.filter(quote=quote, is_draft=False).count() == 1
    assert SigningLink.objects.count() == 0


# --- The signer's page ---------------------------------------------------------------------------


def test_the_signer_page_shows_the_quote_and_notes_that_the_link_was_opened(client, offer):
    quote, path = offer

    response = client.get(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Dedicated Fiber 1G" in html
    assert "$670.00" in html
    assert f"I accept quote {quote.number} and the Standard terms v1." in html
    assert SigningLink.objects.get().open_count == 1
    assert SigningLink.objects.get().opened_at == FROZEN_AT


def test_the_signer_can_read_the_pdf_through_the_link(client, offer):
    quote, path = offer

    response = client.get(path + "quote.pdf")

    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(data).hexdigest() == QuoteDocument.objects.get(quote=quote).sha256


# --- Accepting -----------------------------------------------------------------------------------


def test_signing_through_the_link_accepts_the_quote_and_records_the_signature(client, offer):
    quote, path = offer
    document = QuoteDocument.objects.get(quote=quote)

    response = accept(client, path)

    quote.refresh_from_db()
    signature = Signature.objects.get()
    assert response.status_code == 302
    assert response["Location"] == path + "done/"
    assert (quote.status, quote.accepted_by_name, quote.decided_by) == ("accepted", "Jo Boatwright", None)
    assert Order.objects.filter(quote=quote).count() == 1
    assert quote.opportunity.stage == Opportunity.Stage.CLOSED_WON
    assert (signature.decision, signature.signer_name, signature.signer_email) == (
        "accepted",
        "Jo Boatwright",
        "jo@boatworks.example",
    )
    assert (signature.ip_address, signature.user_agent, signature.signed_at) == ("203.0.113.7", BROWSER, FROZEN_AT)
    assert signature.document_sha256 == document.sha256
    assert signature.consent_text == f"I accept quote {quote.number} and the Standard terms v1."
    assert "quote.signed" in outbox_names(subject=quote)


def test_the_signed_pdf_has_a_signature_page_and_its_own_hash(client, offer):
    quote, path = offer
    document = QuoteDocument.objects.get(quote=quote)

    accept(client, path)

    signature = Signature.objects.get()
    with signature.signed_file.open("rb") as handle:
        signed = handle.read()
    last_page = pdf_text(signed).split("Electronic signature record")[-1]
    assert pdf_pages(signed) == pdf_pages(read(document)) + 1
    assert signature.signed_sha256 == hashlib.sha256(signed).hexdigest() != document.sha256
    assert "Jo Boatwright" in last_page
    assert "203.0.113.7" in last_page
    assert document.sha256 in last_page.replace("\n", "")


def test_the_confirmation_page_names_the_order_and_offers_the_signed_copy(client, offer):
    quote, path = offer
    accept(client, path)

    response = client.get(path + "done/")
    copy = client.get(path + "quote.pdf")

    html = response.content.decode()
    assert "Thank you, Jo Boatwright" in html
    assert Order.objects.get(quote=quote).number in html
    assert hashlib.sha256(b"".join(copy.streaming_content)).hexdigest() == Signature.objects.get().signed_sha256


def test_accepting_without_consent_or_name_is_a_form_error_and_changes_nothing(client, offer):
    quote, path = offer

    no_consent = accept(client, path, consent=False)
    no_name = accept(client, path, name="  ")

    quote.refresh_from_db()
    assert (no_consent.status_code, no_name.status_code) == (400, 400)
    assert "Tick the box to accept the quote and the terms." in no_consent.content.decode()
    assert "Type your full name." in no_name.content.decode()
    assert quote.status == "presented"
    assert (Signature.objects.count(), Order.objects.count()) == (0, 0)


# --- Declining -----------------------------------------------------------------------------------


def test_declining_with_a_reason_rejects_the_quote(client, offer):
    quote, path = offer

    response = decline(client, path)

    quote.refresh_from_db()
    signature = Signature.objects.get()
    assert response.status_code == 302
    assert (quote.status, quote.decision_note) == ("rejected", "We chose another provider.")
    assert (signature.decision, signature.reason, signature.signed_file.name) == (
        "declined",
        "We chose another provider.",
        "",
    )
    assert Order.objects.count() == 0
    assert "We recorded that you declined" in client.get(path + "done/").content.decode()


def test_declining_without_a_reason_is_a_form_error(client, offer):
    quote, path = offer

    response = decline(client, path, reason=" ")

    quote.refresh_from_db()
    assert response.status_code == 400
    assert "Tell us why you decline the quote." in response.content.decode()
    assert (quote.status, Signature.objects.count()) == ("presented", 0)


# --- Links that can no longer be used ------------------------------------------------------------


def test_a_link_used_twice_shows_a_clear_page_and_makes_no_second_order(client, offer):
    quote, path = offer
    accept(client, path)

    again = accept(client, path, name="Someone Else")
    opened = client.get(path)

    assert (again.status_code, opened.status_code) == (410, 410)
    assert "This link was already used" in again.content.decode()
    assert "accepted by Jo Boatwright" in opened.content.decode()
    assert Order.objects.filter(quote=quote).count() == 1
    assert Signature.objects.count() == 1


def test_a_link_works_through_its_last_valid_day_and_not_after(client, offer):
    quote, path = offer
    last_day = dt.datetime(2026, 4, 1, 23, 59, tzinfo=clock.provider_zone())

    with clock.frozen(last_day):
        still_open = client.get(path)
    with clock.frozen(last_day + dt.timedelta(minutes=1)):
        opened = client.get(path)
        signed = accept(client, path)

    quote.refresh_from_db()
    assert quote.valid_until == dt.date(2026, 4, 1)
    assert (still_open.status_code, opened.status_code, signed.status_code) == (200, 410, 410)
    assert "This link expired: quote" in opened.content.decode()
    assert "valid until April 1, 2026" in opened.content.decode()
    assert (quote.status, Order.objects.count()) == ("presented", 0)


def test_a_tampered_token_is_refused(client, offer):
    quote, path = offer
    _, _sign, document_id, token, _ = path.split("/")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other = QuoteDocument.objects.get(quote=quote).pk + 1

    responses = [
        client.get(f"/sign/{document_id}/{forged}/"),
        accept(client, f"/sign/{document_id}/{forged}/"),
        client.get(f"/sign/{other}/{token}/"),
        client.get(f"/sign/{document_id}/not-a-token/"),
        client.get(f"/sign/{document_id}/{forged}/quote.pdf"),
    ]

    assert [r.status_code for r in responses] == [400] * 5
    assert "This signing link is not valid." in responses[0].content.decode()
    assert (Signature.objects.count(), Order.objects.count()) == (0, 0)


def test_the_token_is_bound_to_the_document_hash(client, offer):
    quote, path = offer
    QuoteDocument.objects.filter(quote=quote).update(sha256="0" * 64)

    response = client.get(path)

    assert response.status_code == 400
    assert SigningLink.objects.get().open_count == 0


def test_the_link_of_a_superseded_quote_is_gone(client, offer):
    quote, path = offer
    quoting_services.quote_revise(quote=quote)

    response = accept(client, path)

    assert response.status_code == 410
    assert "was replaced by a newer version" in response.content.decode()
    assert Order.objects.count() == 0


def test_the_link_of_a_withdrawn_quote_is_gone(client, offer):
    quote, path = offer
    quoting_services.quote_expire(quote=quote)

    response = client.get(path)

    assert response.status_code == 410
    assert "was withdrawn" in response.content.decode()


def test_a_quote_accepted_by_staff_meanwhile_is_not_accepted_twice(client, offer):
    quote, path = offer
    quoting_services.quote_accept(quote=quote, accepted_by_name="Signed on paper")

    response = accept(client, path)

    assert response.status_code == 410
    assert "already accepted" in response.content.decode()
    assert Order.objects.filter(quote=quote).count() == 1
    assert Signature.objects.count() == 0


def test_a_link_is_dead_once_the_stored_document_changed(client, offer):
    quote, path = offer
    document = QuoteDocument.objects.get(quote=quote)
    with open(document.file.path, "ab") as handle:
        handle.write(b"\n% edited\n")

    response = accept(client, path)

    quote.refresh_from_db()
    assert response.status_code == 410
    assert "changed after this link was sent" in response.content.decode()
    assert (quote.status, Order.objects.count()) == ("presented", 0)


def test_signature_accept_twice_is_refused_by_the_use_case_too(offer):
    quote, _ = offer
    link = SigningLink.objects.get()
    services.signature_accept(link=link, signer_name="Jo", consent=True, ip_address=None, user_agent="")

    with pytest.raises(LinkClosed):
        services.signature_accept(link=link, signer_name="Jo", consent=True, ip_address=None, user_agent="")

    assert Order.objects.filter(quote=quote).count() == 1
    assert Quote.objects.get(pk=quote.pk).status == "accepted"


def test_a_customer_without_any_email_gets_no_link_and_staff_must_choose(run_worker):
    quote = make_offer(account=make_customer(email=""))
    quote.account.contacts.update(email="")

    run_worker()

    with pytest.raises(ValidationError, match="at least one contact with an email address") as error:
        presenting.quote_send(quote=quote, recipients=[], sent_by=make_user("sales"))
    assert error.value.field == "recipients"
    assert mail.outbox == []
    assert not SigningLink.objects.exists()
