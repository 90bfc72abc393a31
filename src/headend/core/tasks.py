import datetime as dt

from django_tasks import task

from headend.core import clock, events
from headend.core.models import OutboxEvent


@task()
def relay_outbox() -> int:
    """Publish what the outbox holds (enqueued after each commit that emitted events).

    Events whose handler failed are tried again later, with a delay that doubles per attempt
    (30 s, 1 min, 2 min ... up to 32 min), until `events.MAX_ATTEMPTS`."""
    published = events.relay()
    failed = (
        OutboxEvent.objects.filter(published_at=None, attempts__gt=0, attempts__lt=events.MAX_ATTEMPTS)
        .order_by("attempts")
        .values_list("attempts", flat=True)
        .first()
    )
    if failed is not None and relay_outbox.get_backend().supports_defer:
        delay = dt.timedelta(seconds=30 * 2 ** min(failed - 1, 6))
        relay_outbox.using(run_after=clock.now() + delay).enqueue()
    return published
