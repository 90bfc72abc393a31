"""Emails to the customer's contact that follow events: an appointment booked, a service live.

The outbox handler writes the email row in the relay's transaction; a task sends it after
commit. One row per event (unique event id), so relaying or sending twice sends once."""

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from headend.core import clock, events
from headend.core.models import OutboxEvent
from headend.crm.models import Account, Contact, CustomerEmail


def recipient(account: Account) -> str:
    """The primary contact's email, else any contact's, else the account's own."""
    contacts = account.contacts.exclude(email="").order_by("id")
    contact = contacts.filter(role=Contact.Role.PRIMARY).first() or contacts.first()
    return contact.email if contact else account.email


def _queue(event: OutboxEvent, account: Account, subject: str, body: str) -> None:
    to = recipient(account)
    if not to:
        return
    email, created = CustomerEmail.objects.get_or_create(
        event_id=event.event_id,
        defaults={"account": account, "to": to, "subject": subject, "body": body, "created_at": clock.now()},
    )
    if created:
        from headend.crm.tasks import send_customer_email

        transaction.on_commit(lambda: send_customer_email.enqueue(email.pk))


def _local(at: dt.datetime) -> dt.datetime:
    return at.astimezone(clock.provider_zone())


@events.subscribe("appointment.booked")
def appointment_booked(event: OutboxEvent) -> None:
    from headend.fulfillment.models import Appointment

    appointment = (
        Appointment.objects.select_related("task__work_order__service__account", "task__work_order__service__location")
        .filter(pk=int(event.subject_id))
        .first()
    )
    if appointment is None:
        return
    service = appointment.task.work_order.service
    start, end = _local(appointment.start), _local(appointment.end)
    provider = settings.HEADEND_PROVIDER_NAME
    _queue(
        event,
        service.account,
        f"{provider}: your visit is booked for {start:%A %B %-d}",
        f"Hello,\n\nOur technician will come to {service.location.one_line} on {start:%A %B %-d, %Y} "
        f"between {start:%H:%M} and {end:%H:%M} for: {appointment.task.name}.\n\n"
        f"Reply to this email if you need another time.\n\n{provider}",
    )


@events.subscribe("service.active")
def service_live(event: OutboxEvent) -> None:
    from headend.inventory.models import Service

    if event.data.get("from") not in ("pending", "provisioning"):
        return  # a resume after suspension is not a new service
    service = (
        Service.objects.select_related("account", "location", "product_version__product")
        .filter(pk=int(event.subject_id))
        .first()
    )
    if service is None or service.activated_at is None:
        return
    provider = settings.HEADEND_PROVIDER_NAME
    _queue(
        event,
        service.account,
        f"{provider}: your {service.product_version.product.name} is live",
        f"Hello,\n\nYour {service.product_version.product.name} at {service.location.one_line} is live since "
        f"{_local(service.activated_at):%A %B %-d, %Y at %H:%M}.\n\nThank you for choosing {provider}.",
    )


def email_send(*, email_id: int) -> CustomerEmail | None:
    """Send one queued email unless it went already (outside any transaction: SMTP is slow)."""
    email = CustomerEmail.objects.filter(pk=email_id).first()
    if email is None or email.sent_at is not None:
        return email
    send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to])
    CustomerEmail.objects.filter(pk=email.pk, sent_at=None).update(sent_at=clock.now())
    email.refresh_from_db()
    return email
