"""The hub follows the outbox: every relayed event is queued for the listeners that want it
(in the relay's transaction), and the worker loop sends what is due after each relay."""

from collections.abc import Callable

from headend.core import events
from headend.core.models import OutboxEvent
from headend.hub import services


@events.subscribe(events.EVERY_EVENT)
def queue_deliveries(event: OutboxEvent) -> None:
    services.deliveries_queue(event=event)


@events.follow_up
def send_due_deliveries(should_stop: Callable[[], bool]) -> int:
    return services.deliveries_send_due(should_stop=should_stop)
