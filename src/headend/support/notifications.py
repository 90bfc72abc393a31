"""Emails to the customer about their case, through the customer email path (crm/notifications.py:
one row per outbox event, sent after commit, so relaying twice sends once):

- a staff reply (`case.noted`, kind reply): the note's text, subject "[CS-000123] <subject>";
- an acknowledgement when a case is opened by email or in the portal (`case.created`): "We have
  your request CS-000123".

The subject carries the reference so that the customer's answer lands on the same case
(support/inbound.py). Each goes to the case's contact, else to whoever wrote in by email, else to
the account's contact as crm.notifications.recipient picks."""

from django.conf import settings

from headend.core import events
from headend.core.models import OutboxEvent
from headend.crm import notifications as crm_notifications

from .models import Case, CaseNote, InboundEmail

# The channels whose cases the customer opened themselves, and so are told we have them.
ACKNOWLEDGED_CHANNELS = (Case.Channel.EMAIL, Case.Channel.PORTAL)


def reply_address(case: Case) -> str:
    """Where to write about `case`: its contact's email, else the address the customer last
    wrote from, else "" (the account's contact, as crm.notifications.recipient picks)."""
    if case.contact is not None and case.contact.email:
        return case.contact.email
    sender = (
        InboundEmail.objects.filter(case=case)
        .exclude(outcome=InboundEmail.Outcome.REFUSED)
        .order_by("-received_at", "-id")
        .values_list("sender", flat=True)
        .first()
    )
    return sender or ""


def subject_for(case: Case, text: str = "") -> str:
    """A subject that brings the customer's answer back to the case: "[CS-000123] ..."."""
    return f"[{case.reference}] {text or case.subject}"


def _signature(case: Case) -> str:
    return (
        f"--\n{settings.HEADEND_PROVIDER_NAME} support, case {case.reference}\n"
        f"To add to this case, reply to this email and keep [{case.reference}] in the subject."
    )


def _case(event: OutboxEvent) -> Case | None:
    return Case.objects.select_related("account", "contact").filter(pk=int(event.subject_id)).first()


@events.subscribe("case.noted")
def reply_sent(event: OutboxEvent) -> None:
    """A staff reply goes to the customer by email."""
    if event.data.get("kind") != CaseNote.Kind.REPLY:
        return
    case = _case(event)
    note = CaseNote.objects.filter(pk=event.data.get("note"), case_id=event.subject_id).first()
    if case is None or note is None or case.account is None:
        return
    crm_notifications.email_queue(
        event=event,
        account=case.account,
        to=reply_address(case),
        subject=subject_for(case),
        body=f"{note.body}\n\n{_signature(case)}",
    )


@events.subscribe("case.created")
def request_acknowledged(event: OutboxEvent) -> None:
    """A case the customer opened by email or in the portal is acknowledged with its reference."""
    if event.data.get("channel") not in ACKNOWLEDGED_CHANNELS:
        return
    case = _case(event)
    if case is None or case.account is None:
        return
    crm_notifications.email_queue(
        event=event,
        account=case.account,
        to=reply_address(case),
        subject=subject_for(case, f"We have your request: {case.subject}"),
        body=(
            f"Hello,\n\nWe have your request {case.reference} ({case.subject}) and will answer you soon.\n\n"
            f"{_signature(case)}"
        ),
    )
