from django_tasks import task

from headend.core import events


@task()
def relay_outbox() -> int:
    """Publish what the outbox holds (enqueued after each commit that emitted events)."""
    return events.relay()
