from django_tasks import task

from headend.contracts import services


@task()
def send_signing_email(email_id: int) -> bool:
    """Send one signing-link email queued by `signing_link_send`."""
    email = services.signing_email_send(email_id=email_id)
    return bool(email and email.sent_at)


@task()
def render_quote_document(job_id: int) -> str:
    """Render and store the PDF a job asks for (a large quote's takes minutes), then send the
    signing link if one was asked for meanwhile."""
    return services.quote_document_job_run(job_id=job_id).status
