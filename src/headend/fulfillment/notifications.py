"""The customer's email when their visit is booked (crm/notifications.py queues and sends it)."""

from django.conf import settings

from headend.core import clock, events
from headend.core.models import OutboxEvent
from headend.crm import notifications as crm_notifications
from headend.fulfillment.models import Appointment


@events.subscribe("appointment.booked")
def appointment_booked(event: OutboxEvent) -> None:
    appointment = (
        Appointment.objects.select_related("task__work_order__service__account", "task__work_order__service__location")
        .filter(pk=int(event.subject_id))
        .first()
    )
    if appointment is None:
        return
    service = appointment.task.work_order.service
    zone = clock.provider_zone()
    start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
    provider = settings.HEADEND_PROVIDER_NAME
    crm_notifications.email_queue(
        event=event,
        account=service.account,
        subject=f"{provider}: your visit is booked for {start:%A %B %-d}",
        body=f"Hello,\n\nOur technician will come to {service.location.one_line} on {start:%A %B %-d, %Y} "
        f"between {start:%H:%M} and {end:%H:%M} for: {appointment.task.name}.\n\n"
        f"Reply to this email if you need another time.\n\n{provider}",
    )
