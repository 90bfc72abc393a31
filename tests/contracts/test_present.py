"""Presenting (issue 17): preview the document, choose the account's contacts, write a message,
then send; resend and revoke each recipient's link; the customer never reads "version 1"."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from headend.contracts import presenting
from headend.contracts.models import QuoteDocument, SigningEmail, SigningLink
from headend.core.errors import Conflict, ValidationError
from headend.crm import services as crm_services
from tests.conftest import outbox_names
from tests.contracts.conftest import link_from_outbox, make_customer, make_offer
from tests.contracts.test_signing import accept
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return make_user("sales", first_name="Sam", last_name="Seller")


@pytest.fixture
def draft():
    """A draft for an account with a primary contact (Jo), a billing contact (Bo) and a general mailbox."""
    account = make_customer()
    crm_services.contact_create(
        account=account, first_name="Bo", last_name="Ledger", email="ap@boatworks.example", role="billing"
    )
    return make_offer(account=account, present=False)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """quote_send, then what the worker does after the commit (the PDF, the emails)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return presenting.quote_send(**kwargs)

    return run


def keys(quote, *emails):
    return [f"contact:{quote.account.contacts.get(email=email).pk}" for email in emails]


def test_the_present_page_offers_the_contacts_with_the_primary_chosen_and_the_mailbox_not(client, seller, draft):
    client.force_login(seller)

    html = client.get(reverse("contracts:quote_present", args=[draft.pk])).content.decode()

    jo, bo = keys(draft, "jo@boatworks.example", "ap@boatworks.example")
    assert f'value="{jo}"' in html
    assert f'value="{bo}"' in html
    assert 'value="account"' in html  # offered, never chosen for staff
    checked = re.findall(r"<input[^>]*checked[^>]*>", html)
    assert len(checked) == 1
    assert f'value="{jo}"' in checked[0]
    assert "Present and send" in html
    assert reverse("contracts:quote_preview", args=[draft.pk]) in html


def test_the_preview_shows_the_document_as_presented_without_changing_the_quote(client, seller, draft):
    client.force_login(seller)

    html = client.get(reverse("contracts:quote_preview", args=[draft.pk])).content.decode()

    draft.refresh_from_db()
    assert "Preview: what the customer receives" in html
    assert "DRAFT" not in html
    assert "Valid until" in html
    assert "Revision" in html
    assert "version 1" not in html.lower()
    assert reverse("contracts:quote_present", args=[draft.pk]) in html
    assert (draft.status, draft.presented_at) == ("draft", None)
    assert not QuoteDocument.objects.exists()


def test_the_rep_previews_chooses_a_contact_and_sends(client, seller, draft, django_capture_on_commit_callbacks):
    client.force_login(seller)
    (bo,) = keys(draft, "ap@boatworks.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("contracts:quote_present", args=[draft.pk]),
            {"recipients": [bo], "message": "As we discussed on Tuesday."},
        )

    draft.refresh_from_db()
    link = SigningLink.objects.get()
    assert response.status_code == 302
    assert draft.status == "presented"
    assert [m.to for m in mail.outbox] == [["ap@boatworks.example"]]
    assert "Hello Bo,\n\nAs we discussed on Tuesday." in mail.outbox[0].body
    assert (link.sent_to, link.contact.first_name, link.created_by, link.send_count) == (
        "ap@boatworks.example",
        "Bo",
        seller,
        1,
    )
    assert client.get(link_from_outbox()).status_code == 200
    assert outbox_names(subject=draft).count("quote.presented") == 1


def test_several_contacts_each_get_their_own_link(seller, draft, send):
    jo, bo = keys(draft, "jo@boatworks.example", "ap@boatworks.example")

    send(quote=draft, recipients=[jo, bo], sent_by=seller)

    paths = {link_from_outbox(0), link_from_outbox(1)}
    assert sorted(m.to[0] for m in mail.outbox) == ["ap@boatworks.example", "jo@boatworks.example"]
    assert len(paths) == 2
    assert SigningLink.objects.filter(document__isnull=False).count() == 2


def test_sending_without_a_recipient_is_a_field_error_and_presents_nothing(client, seller, draft):
    client.force_login(seller)

    response = client.post(reverse("contracts:quote_present", args=[draft.pk]), {"message": "Hi"})

    draft.refresh_from_db()
    assert response.status_code == 400
    assert "Choose who receives the quote" in response.content.decode()
    assert (draft.status, SigningLink.objects.count()) == ("draft", 0)


def test_a_recipient_of_another_account_is_refused(seller, draft):
    other = make_customer()

    with pytest.raises(ValidationError) as error:
        presenting.quote_send(quote=draft, recipients=[f"contact:{other.contacts.get().pk}"], sent_by=seller)

    assert error.value.field == "recipients"
    assert draft.__class__.objects.get(pk=draft.pk).status == "draft"


def test_a_quote_waiting_for_approval_is_not_sent(seller, draft):
    from decimal import Decimal

    from headend.quoting import services as quoting_services
    from headend.quoting.models import ApprovalRule

    ApprovalRule.objects.create(
        name="Any", kind="contract_value_above", threshold=Decimal("1"), approver_role="director"
    )
    quoting_services.quote_discount_set(quote=draft, percent="1", discounted_by=seller)

    with pytest.raises(Conflict) as error:
        presenting.quote_send(quote=draft, recipients=keys(draft, "jo@boatworks.example"), sent_by=seller)

    assert error.value.code == "approvals_pending"
    assert (draft.__class__.objects.get(pk=draft.pk).status, SigningLink.objects.count()) == ("draft", 0)


def test_resend_emails_the_same_link_again(seller, draft, send, django_capture_on_commit_callbacks):
    send(quote=draft, recipients=keys(draft, "jo@boatworks.example"), sent_by=seller)
    link = SigningLink.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        presenting.signing_link_resend(link=link, sent_by=seller)

    assert [m.to for m in mail.outbox] == [["jo@boatworks.example"], ["jo@boatworks.example"]]
    assert link_from_outbox(0) == link_from_outbox(1)
    assert SigningLink.objects.get().send_count == 2


def test_a_revoked_link_says_it_was_withdrawn_and_cannot_be_resent(client, seller, draft, send):
    send(quote=draft, recipients=keys(draft, "jo@boatworks.example"), sent_by=seller)
    path = link_from_outbox()
    client.force_login(seller)

    response = client.post(reverse("contracts:signing_link_revoke", args=[draft.pk, SigningLink.objects.get().pk]))
    client.logout()
    opened, signed = client.get(path), accept(client, path)

    link = SigningLink.objects.get()
    assert response.status_code == 302
    assert (link.revoked_by, opened.status_code, signed.status_code) == (seller, 410, 410)
    assert "This link was withdrawn" in opened.content.decode()
    assert draft.__class__.objects.get(pk=draft.pk).status == "presented"
    with pytest.raises(Conflict):
        presenting.signing_link_resend(link=link, sent_by=seller)
    assert SigningEmail.objects.count() == 1


def test_revoking_one_link_leaves_the_others_working(client, seller, draft, send):
    send(quote=draft, recipients=keys(draft, "jo@boatworks.example", "ap@boatworks.example"), sent_by=seller)
    jo_link = SigningLink.objects.get(sent_to="jo@boatworks.example")
    bo_path = next(link_from_outbox(i) for i, m in enumerate(mail.outbox) if m.to == ["ap@boatworks.example"])

    presenting.signing_link_revoke(link=jo_link, revoked_by=seller)

    assert client.get(bo_path).status_code == 200
    assert accept(client, bo_path, name="Bo Ledger").status_code == 302


def test_the_quote_page_lists_each_link_with_who_and_when(client, seller, draft, send):
    send(quote=draft, recipients=keys(draft, "ap@boatworks.example"), sent_by=seller)
    client.force_login(seller)

    html = client.get(draft.get_absolute_url()).content.decode()

    assert "Bo Ledger" in html
    assert "chosen by Sam Seller" in html
    assert "Sent to ap@boatworks.example" in html
    assert "Send to another contact" in html


def test_presenting_is_offered_once_nothing_waits_for_approval(client, seller, draft):
    client.force_login(seller)

    html = client.get(draft.get_absolute_url()).content.decode()

    assert reverse("contracts:quote_preview", args=[draft.pk]) in html
    assert "Present to customer" not in html


def test_the_old_present_button_no_longer_presents_or_emails(client, seller, draft, run_worker):
    client.force_login(seller)

    client.post(reverse("quoting:quote_transition", args=[draft.pk, "present"]))
    run_worker()

    assert (draft.__class__.objects.get(pk=draft.pk).status, mail.outbox) == ("draft", [])


def test_the_signing_page_and_the_pdf_show_a_revision_letter_never_version_1(client, offer):
    from tests.contracts.conftest import pdf_text, read

    quote, path = offer

    page = client.get(path).content.decode()
    text = pdf_text(read(QuoteDocument.objects.get(quote=quote)))

    assert "revision A" in page
    assert "Revision A" in text
    assert "version 1" not in page.lower()
    assert "version 1" not in text.lower()
    assert f"{quote.number}-revA.pdf" == QuoteDocument.objects.get(quote=quote).filename
