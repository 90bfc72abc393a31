"""Invoices by email: when an invoice or credit note is finalised for a billing account whose
delivery is "email", and when billing staff press Send, the customer gets it with its PDF.

It uses crm's customer emails (crm/notifications.py): the email is recorded in the relay's (or
the page's) transaction and a task sends it, with the PDF, after commit. The row's key is the invoice's own (not the
event's), so however often the event is relayed, the task run or Send pressed, an invoice is
emailed once. The invoice is marked sent (invoices.invoice_send) once its email has gone."""

import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from headend.billing import documents, invoices
from headend.billing.models import BillingAccount, Delivery, Invoice
from headend.core import events
from headend.core.errors import ValidationError
from headend.core.models import OutboxEvent
from headend.core.permissions import require
from headend.crm import notifications as crm_notifications
from headend.crm.models import CustomerEmail

# The namespace of the invoice emails' keys (CustomerEmail.event_id): uuid5 of "invoice:<id>".
NAMESPACE = uuid.UUID("6f0d6d1e-6a39-4c55-9a51-3c1f0b0e5a71")


def email_key(invoice: Invoice) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"invoice:{invoice.pk}")


def recipient(billing_account: BillingAccount) -> str:
    """The billing contact's email, else the customer account's own ('' when neither has one)."""
    contact = billing_account.contact
    if contact is not None and contact.email:
        return contact.email
    return billing_account.account.email or ""


def _wording(invoice: Invoice) -> tuple[str, str]:
    provider = settings.HEADEND_PROVIDER_NAME
    money = f"{invoice.total_amount} {invoice.currency}"
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        subject = f"{provider}: credit note {invoice.number}"
        body = (
            f"Hello,\n\nAttached is credit note {invoice.number} of {money} on invoice "
            f"{invoice.corrects.number if invoice.corrects else ''}.\n\nThank you for choosing {provider}."
        )
        return subject, body
    subject = f"{provider}: invoice {invoice.number}"
    body = (
        f"Hello,\n\nAttached is invoice {invoice.number} of {invoice.bill_date:%B %-d, %Y} for "
        f"{invoice.billing_account.number}: {money}, due by {invoice.due_date:%B %-d, %Y}.\n\n"
        f"Thank you for choosing {provider}."
    )
    return subject, body


def invoice_email_queue(*, invoice: Invoice) -> CustomerEmail | None:
    """Queue the invoice's email (sent after commit); the one already queued when there is one;
    None when the customer has no email address."""
    to = recipient(invoice.billing_account)
    if not to:
        return None
    subject, body = _wording(invoice)
    email, created = crm_notifications.email_record(
        key=email_key(invoice), account=invoice.billing_account.account, to=to, subject=subject, body=body
    )
    if created:
        email_id, invoice_id = email.pk, invoice.pk
        transaction.on_commit(lambda: send_invoice_email.enqueue(email_id, invoice_id))
    return email


@events.subscribe("invoice.finalised")
def on_finalised(event: OutboxEvent) -> None:
    if event.subject_type != "billing.invoice":
        return
    invoice = (
        Invoice.objects.select_related("billing_account__account", "billing_account__contact", "corrects")
        .filter(pk=int(event.subject_id))
        .first()
    )
    if invoice is None or invoice.billing_account.delivery != Delivery.EMAIL:
        return
    invoice_email_queue(invoice=invoice)


@transaction.atomic
def invoice_email_send_now(*, invoice: Invoice, sent_by: Any) -> str:
    """Staff's Send: queue the invoice's email whatever the account's delivery and mark it sent;
    return the address. An invoice already emailed is not emailed again."""
    require(sent_by, "billing.manage")
    email = invoice_email_queue(invoice=invoice)
    if email is None:
        raise ValidationError(
            "Neither the billing contact nor the customer has an email address.", field="to", code="no_address"
        )
    invoices.invoice_send(invoice=invoice, sent_by=sent_by)
    return email.to


def invoice_email_send(*, email_id: int, invoice_id: int) -> CustomerEmail | None:
    """Send one queued invoice email with the PDF unless it went already (outside any
    transaction: rendering and SMTP are slow), then mark the invoice sent."""
    email = CustomerEmail.objects.filter(pk=email_id).first()
    invoice = Invoice.objects.select_related("billing_account__account", "corrects").filter(pk=invoice_id).first()
    if email is None or invoice is None:
        return email
    if email.sent_at is None:
        document = documents.render(invoice)
        message = EmailMessage(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
        message.attach(document.filename, document.pdf, "application/pdf")
        message.send()
        email = crm_notifications.email_mark_sent(email_id=email.pk)
    invoices.invoice_send(invoice=invoice)
    return email


@task()
def send_invoice_email(email_id: int, invoice_id: int) -> bool:
    """Send one invoice email queued by invoice_email_queue."""
    email = invoice_email_send(email_id=email_id, invoice_id=invoice_id)
    return bool(email and email.sent_at)
