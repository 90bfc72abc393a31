"""Replies out: a staff reply is emailed to the customer with the case's reference in the
subject, once however often the outbox is relayed; cases opened by email or in the portal are
acknowledged; internal notes and cases staff opened send nothing."""

import pytest
from django.core import mail

from headend.crm import services as crm_services
from headend.crm.models import CustomerEmail
from headend.support import cases
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return make_user("support")


@pytest.fixture
def account():
    account = make_account(email="office@example.com")
    crm_services.contact_create(account=account, first_name="Pat", last_name="Primary", email="pat@example.com")
    return account


def open_case(account, agent, **values):
    return cases.case_open(
        **{"account": account, "type": "slow", "channel": "phone", "subject": "Slow at night", "by": agent} | values
    )


def test_a_reply_queues_one_email_with_the_reference_and_relaying_twice_sends_once(account, agent, run_worker):
    jo = crm_services.contact_create(
        account=account, first_name="Jo", last_name="Buyer", email="jo@example.com", role="technical"
    )
    case = open_case(account, agent, contact=jo)
    cases.case_note_add(
        case=case, kind="reply", body="We found a noisy splitter; a technician comes Tuesday.", by=agent
    )

    run_worker()
    run_worker()

    email = CustomerEmail.objects.get()
    assert (email.to, email.subject, email.account) == ("jo@example.com", f"[{case.reference}] Slow at night", account)
    assert email.body == (
        "We found a noisy splitter; a technician comes Tuesday.\n\n"
        f"--\nHeadend Fiber support, case {case.reference}\n"
        f"To add to this case, reply to this email and keep [{case.reference}] in the subject."
    )
    assert [(m.to, m.subject) for m in mail.outbox] == [(["jo@example.com"], f"[{case.reference}] Slow at night")]
    assert email.sent_at is not None


def test_without_a_contact_the_reply_goes_to_the_accounts_recipient(account, agent, run_worker):
    case = open_case(account, agent)
    cases.case_note_add(case=case, kind="reply", body="Fixed on our side.", by=agent)
    run_worker()
    assert [m.to for m in mail.outbox] == [["pat@example.com"]]


def test_internal_notes_and_staff_opened_cases_send_nothing(account, agent, run_worker):
    case = open_case(account, agent)
    cases.case_note_add(case=case, kind="internal", body="Checked the OLT port.", by=agent)
    cases.case_note_add(case=case, kind="customer", body="Any news?", author_name="Pat")
    run_worker()
    assert not CustomerEmail.objects.exists()
    assert mail.outbox == []


def test_a_portal_case_is_acknowledged_with_its_reference(account, run_worker):
    case = cases.case_open(account=account, type="billing", channel="portal", subject="Charged twice")
    run_worker()
    run_worker()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["pat@example.com"], f"[{case.reference}] We have your request: Charged twice")
    ]
    assert mail.outbox[0].body.startswith(f"Hello,\n\nWe have your request {case.reference} (Charged twice)")
