"""Emails to the customer's contact that follow events (an appointment booked, a service live).

The app that owns the event words the email in its outbox handler (fulfillment/notifications.py,
inventory/notifications.py) and queues it here: the row is written in the relay's transaction and
a task sends it after commit. One row per event (unique event id), so relaying or sending twice
sends once."""

import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from headend.core import clock
from headend.core.models import OutboxEvent
from headend.crm.models import Account, Contact, CustomerEmail


def recipient(account: Account) -> str:
    """The primary contact's email, else any contact's, else the account's own."""
    contacts = account.contacts.exclude(email="").order_by("id")
    contact = contacts.filter(role=Contact.Role.PRIMARY).first() or contacts.first()
    return contact.email if contact else account.email


def email_queue(*, event: OutboxEvent, account: Account, subject: str, body: str, to: str = "") -> None:
    """Queue an email to the account's contact (or to `to`) for an outbox event; nothing when no address."""
    to = to or recipient(account)
    if not to:
        return
    email, created = email_record(key=event.event_id, account=account, to=to, subject=subject, body=body)
    if created:
        from headend.crm.tasks import send_customer_email

        transaction.on_commit(lambda: send_customer_email.enqueue(email.pk))


def email_record(*, key: uuid.UUID, account: Account, to: str, subject: str, body: str) -> tuple[CustomerEmail, bool]:
    """The customer email keyed `key` (an event's id, or another app's key), written once: a
    second call returns the first row. For apps that send it themselves (an invoice with its
    PDF) and then call `email_mark_sent`."""
    return CustomerEmail.objects.get_or_create(
        event_id=key,
        defaults={"account": account, "to": to, "subject": subject[:200], "body": body, "created_at": clock.now()},
    )


def email_mark_sent(*, email_id: int) -> CustomerEmail | None:
    """Record that the email went (the first time only)."""
    CustomerEmail.objects.filter(pk=email_id, sent_at=None).update(sent_at=clock.now())
    return CustomerEmail.objects.filter(pk=email_id).first()


def email_send(*, email_id: int) -> CustomerEmail | None:
    """Send one queued email unless it went already (outside any transaction: SMTP is slow)."""
    email = CustomerEmail.objects.filter(pk=email_id).first()
    if email is None or email.sent_at is not None:
        return email
    send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
    CustomerEmail.objects.filter(pk=email.pk, sent_at=None).update(sent_at=clock.now())
    email.refresh_from_db()
    return email
