from django_tasks import task

from headend.crm import notifications


@task()
def send_customer_email(email_id: int) -> bool:
    """Send one email queued by a notification handler."""
    email = notifications.email_send(email_id=email_id)
    return bool(email and email.sent_at)
