"""The customer's email when their visit is booked (crm/notifications.py queues and sends it)."""

from django.conf import settings

from headend.core import clock, events
from headend.core.models import OutboxEvent
from headend.crm import notifications as crm_notifications
from headend.fulfillment.models import Appointment


@events.subscribe("appointment.booked")
def appointment_booked(event: OutboxEvent) -> None:
    appointment = (
        Appointment.objects.select_related(
            "task__work_order__service__account",
            "task__work_order__service__location",
            "task__work_order__location__account",
            "task__work_order__order_line__location",
        )
        .filter(pk=int(event.subject_id))
        .first()
    )
    if appointment is None:
        return
    work_order = appointment.task.work_order
    zone = clock.provider_zone()
    start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
    provider = settings.HEADEND_PROVIDER_NAME
    crm_notifications.email_queue(
        event=event,
        account=work_order.account,
        subject=f"{provider}: your visit is booked for {start:%A %B %-d}",
        body=f"Hello,\n\nOur technician will come to {work_order.site.one_line} on {start:%A %B %-d, %Y} "
        f"between {start:%H:%M} and {end:%H:%M} for: {appointment.task.name}.\n\n"
        f"Reply to this email if you need another time.\n\n{provider}",
    )
