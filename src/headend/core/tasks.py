from django_tasks import task

from headend.core import clock, events


@task()
def relay_outbox() -> int:
    """Publish what the outbox holds (enqueued after each commit that emitted events).

    Events whose handler failed are tried again later, with a delay that doubles per attempt
    (30 s, 1 min, 2 min ... up to 32 min), until `events.MAX_ATTEMPTS`."""
    published = events.relay()
    delay = events.retry_delay()
    if delay is not None and relay_outbox.get_backend().supports_defer:
        relay_outbox.using(run_after=clock.now() + delay).enqueue()
    return published
