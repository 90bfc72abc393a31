"""Outbox consumers of fulfillment: a ready code task is queued for the worker."""

from collections.abc import Callable

from django.db import transaction

from headend.core import events
from headend.core.models import OutboxEvent


@events.subscribe("task.ready")
def queue_code_task(event: OutboxEvent) -> None:
    if event.data.get("kind") != "code":
        return
    from headend.fulfillment.tasks import run_code_task

    task_id = int(event.subject_id)
    # The code task does network I/O, so it runs after this relay transaction commits.
    transaction.on_commit(lambda: run_code_task.enqueue(task_id))


@events.follow_up
def queue_due_code_tasks(should_stop: Callable[[], bool]) -> int:
    """After each relay of the worker loop: retries whose back-off has passed, and tasks whose
    worker died, go back to the queue."""
    from headend.fulfillment.code_tasks import code_tasks_sweep

    return code_tasks_sweep()
