from django_tasks import task

from headend.contracts import services


@task()
def send_signing_email(email_id: int) -> bool:
    """Send one signing-link email queued by `signing_link_send`."""
    email = services.signing_email_send(email_id=email_id)
    return bool(email and email.sent_at)
