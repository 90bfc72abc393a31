"""The code-task runner: the worker claims a due code task under a lease, runs its action
outside any transaction and records the attempt (success, a retry after a back-off, or a
failure that flags the work order); the sweep queues what nobody runs; a person retries, skips
or completes by hand a code task that failed."""

import datetime as dt
import functools
import logging
import os
import socket
import time
from typing import Any

from django.conf import settings
from django.db import models, transaction

from headend.catalog import code_actions
from headend.core import audit, backoff, clock, events
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import forecast, task_flow
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment.models import CodeAttempt, Task, WorkOrder
from headend.inventory.models import Service

logger = logging.getLogger(__name__)


def code_task_backoff(attempt: int) -> dt.timedelta:
    """The wait before the try after `attempt` failed tries: the base delay doubling per try,
    capped (30 s, 1 min, 2 min ... with the default settings)."""
    first, cap = settings.HEADEND_CODE_TASK_BACKOFF, settings.HEADEND_CODE_TASK_MAX_DELAY
    return dt.timedelta(seconds=backoff.delay(attempt, first=first, cap=cap))


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _abandon_running_attempts(task: Task, now: dt.datetime) -> None:
    CodeAttempt.objects.filter(task=task, outcome=CodeAttempt.Outcome.RUNNING).update(
        outcome=CodeAttempt.Outcome.ABANDONED, finished_at=now, error="The worker stopped before it finished."
    )


@transaction.atomic
def _claim(task_id: int) -> tuple[Task, CodeAttempt] | None:
    """Take a due code task for this worker: ready and due, or running under a lease that ran
    out (its worker died). Returns None when another worker holds it or it is not due."""
    # The locks in the order every task use case takes them (work order, then task), each in
    # one statement: the work order found through its task, the task with its last attempt.
    work_order = (
        WorkOrder.objects.select_related("order_line__order")
        .select_for_update(of=("self",))
        .filter(pk=models.Subquery(Task.objects.filter(pk=task_id, kind=Task.Kind.CODE).values("work_order_id")))
        .first()
    )
    if work_order is None:
        return None
    last_attempt = CodeAttempt.objects.filter(task=models.OuterRef("pk")).order_by("-number").values("number")[:1]
    task = (
        Task.objects.select_for_update()
        .annotate(last_attempt=models.Subquery(last_attempt))
        .filter(pk=task_id, work_order_id=work_order.pk)
        .order_by()  # the default ordering joins the work order, already locked
        .first()
    )
    if task is None:
        return None  # moved to another work order between the two statements (never happens)
    now = clock.now()
    if task.status == Task.Status.READY:
        if task.next_attempt_at is not None and task.next_attempt_at > now:
            return None
    elif task.status == Task.Status.IN_PROGRESS and task.lease_until is not None and task.lease_until <= now:
        _abandon_running_attempts(task, now)
    else:
        return None
    if work_order.status in (WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED):
        return None
    number = (getattr(task, "last_attempt", None) or 0) + 1
    task.status, task.started_at = Task.Status.IN_PROGRESS, task.started_at or now
    task.lease_until = now + dt.timedelta(seconds=settings.HEADEND_CODE_TASK_LEASE)
    task.next_attempt_at, task.attempts = None, task.attempts + 1
    task.save(update_fields=["status", "started_at", "lease_until", "next_attempt_at", "attempts"])
    attempt = CodeAttempt.objects.create(
        task=task, number=number, action=task.code_action, started_at=now, worker=_worker_name()
    )
    task_flow.work_started(work_order, now)
    task.work_order = work_order
    return task, attempt


def task_run_code(*, task_id: int) -> Task | None:
    """Run a due code task's action once, outside any transaction, and record the attempt.

    Success finishes the task (successors become ready; a turn-up task puts the service live).
    A retryable fault puts it back in the queue after a back-off, until the maximum of
    attempts; a permanent fault, or the last attempt, fails it and flags its work order.
    Safe to call any number of times, from any number of workers: only the worker that claims
    the task runs it, and a task not due is left alone. What it changes (the task, the service,
    the RADIUS subscriber...) is recorded in their history as done for the user who asked for
    the work."""
    with audit.acting_for(fulfillment_selectors.work_requester(task_id=task_id)):
        return _run_code_task(task_id)


def _run_code_task(task_id: int) -> Task | None:
    claimed = _claim(task_id)
    if claimed is None:
        return Task.objects.filter(pk=task_id).first()
    task, attempt = claimed
    # The claim read the task and its work order under their locks and wrote what it changed
    # in them; the service (which the claim may have moved to provisioning) is read afresh.
    # Code tasks are a service's work (a survey's template has none to run).
    assert task.work_order.service_id is not None
    task.work_order.service = Service.objects.select_related("product_version__product", "account", "location").get(
        pk=task.work_order.service_id
    )
    context = code_actions.ActionContext(task=task, params=dict(task.code_params or {}), attempt=attempt.number)
    started = time.monotonic()
    result: dict[str, Any] | None = None
    error, permanent = "", False
    if not code_actions.is_registered(task.code_action):
        error, permanent = f"Unknown code action {task.code_action!r}.", True
    else:
        try:
            result = code_actions.get(task.code_action)(context)
        except code_actions.PermanentError as exc:
            error, permanent = str(exc), True
        except Exception as exc:
            logger.warning("code task %s (%s) attempt %s failed: %s", task.pk, task.code_action, attempt.number, exc)
            error = str(exc) if isinstance(exc, code_actions.ActionError) else f"{type(exc).__name__}: {exc}"
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return _record_attempt(task, attempt, context, result=result, error=error, permanent=permanent, ms=elapsed_ms)


def _record_attempt(
    task: Task,
    attempt: CodeAttempt,
    context: code_actions.ActionContext,
    *,
    result: dict[str, Any] | None,
    error: str,
    permanent: bool,
    ms: int,
) -> Task:
    with transaction.atomic():
        work_order, task = task_flow.lock(task)
        now = clock.now()
        logged = {"finished_at": now, "duration_ms": ms, "exchanges": context.exchanges}
        if not error:
            outcome = CodeAttempt.Outcome.SUCCEEDED
        elif permanent or task.attempts >= settings.HEADEND_CODE_TASK_MAX_ATTEMPTS:
            outcome = CodeAttempt.Outcome.FAILED
        else:
            outcome = CodeAttempt.Outcome.RETRYING
        # The attempt is still running unless another worker took the task over (this one
        # outlived its lease) or a person settled it: its log is written in the same statement
        # that checks (the task's lock, held here, serialises every change of its attempts).
        still_running = task.status == Task.Status.IN_PROGRESS and bool(
            CodeAttempt.objects.filter(pk=attempt.pk, outcome=CodeAttempt.Outcome.RUNNING).update(
                outcome=outcome, error=error, result={} if error else result or {}, **logged
            )
        )
        if not still_running:
            # Keep the log, change nothing else.
            CodeAttempt.objects.filter(pk=attempt.pk).update(
                outcome=CodeAttempt.Outcome.ABANDONED,
                error=error or "Finished after another worker or a person took the task over.",
                **logged,
            )
            return task
        task.lease_until = None
        if not error:
            task.last_error = ""
            task_flow.finish(task, work_order, at=now, by=None, result=result or {}, also=["lease_until", "last_error"])
            _clear_flag_if_settled(work_order)
            forecast.reforecast(work_order, now)
            return task
        if outcome == CodeAttempt.Outcome.FAILED:
            task.status, task.last_error = Task.Status.FAILED, error
            task.save(update_fields=["status", "last_error", "lease_until"])
            tries = "" if permanent else f" after {task.attempts} attempts"
            work_order.flagged_reason = f"{task.position}. {task.name} failed{tries}: {error}"[:300]
            work_order.save(update_fields=["flagged_reason"])
            events.emit("task.failed", subject=task, data={"error": error, "attempts": task.attempts})
            return task
        task.status, task.last_error = Task.Status.READY, error
        task.next_attempt_at = now + code_task_backoff(task.attempts)
        task.save(update_fields=["status", "last_error", "next_attempt_at", "lease_until"])
        events.emit(
            "task.retrying",
            subject=task,
            data={"error": error, "attempt": task.attempts, "next_attempt_at": task.next_attempt_at.isoformat()},
        )
        run_at = task.next_attempt_at
        transaction.on_commit(lambda: _queue_code_task(task.pk, run_after=run_at))
        return task


def _queue_code_task(task_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Hand the task to the worker; a backend that cannot defer leaves a later try to the sweep."""
    from headend.fulfillment.tasks import run_code_task

    if run_after is None:
        run_code_task.enqueue(task_id)
    elif run_code_task.get_backend().supports_defer:
        run_code_task.using(run_after=run_after).enqueue(task_id)


def code_tasks_sweep(*, at: dt.datetime | None = None) -> int:
    """Queue the code tasks that are due and that nobody runs: a retry whose back-off has
    passed, a task whose worker died (its lease ran out; the attempt is marked abandoned), a
    task queued by an earlier sweep that no worker took within a lease. The worker loop
    (`relay_outbox --follow`) calls it after each relay; returns how many it queued."""
    now = at or clock.now()
    lease = dt.timedelta(seconds=settings.HEADEND_CODE_TASK_LEASE)
    code_tasks = Task.objects.filter(kind=Task.Kind.CODE).exclude(
        work_order__status__in=[WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED]
    )
    due = models.Q(status=Task.Status.READY, next_attempt_at__lte=now)
    lost = models.Q(status=Task.Status.READY, next_attempt_at=None, lease_until__lte=now)
    dead = models.Q(status=Task.Status.IN_PROGRESS, lease_until__lte=now)
    queued = []
    for task_id in code_tasks.filter(due | lost | dead).values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            task = Task.objects.select_for_update().filter(pk=task_id).filter(due | lost | dead).first()
            if task is None:
                continue  # a worker took it meanwhile
            if task.status == Task.Status.IN_PROGRESS:
                _abandon_running_attempts(task, now)
            # Queued now; swept again only if no worker has taken it within a lease.
            task.status, task.next_attempt_at, task.lease_until = Task.Status.READY, None, now + lease
            task.save(update_fields=["status", "next_attempt_at", "lease_until"])
            queued.append(task_id)
            transaction.on_commit(functools.partial(_queue_code_task, task_id))
    return len(queued)


def _clear_flag_if_settled(work_order: WorkOrder) -> None:
    if work_order.flagged_reason and not work_order.tasks.filter(status=Task.Status.FAILED).exists():
        work_order.flagged_reason = ""
        work_order.save(update_fields=["flagged_reason"])


def _check_failed_code_task(task: Task) -> None:
    if task.kind != Task.Kind.CODE:
        raise Conflict("Only a code task is retried, skipped or completed by hand here.", field="kind")
    if task.status != Task.Status.FAILED:
        raise Conflict(
            f"{task.name!r} is {task.get_status_display().lower()}, not failed.", field="status", code="not_failed"
        )


@transaction.atomic
def task_retry(*, task: Task, retried_by: Any) -> Task:
    """Put a failed code task back in the worker's queue, with a fresh set of attempts."""
    work_order, task = task_flow.lock(task)
    task.check_transition(Task.Status.READY)
    task.status, task.last_error, task.attempts, task.next_attempt_at = Task.Status.READY, "", 0, None
    task.save(update_fields=["status", "last_error", "attempts", "next_attempt_at"])
    _clear_flag_if_settled(work_order)
    events.emit("task.retried", subject=task, data={"by": str(retried_by)})
    task_flow.announce_ready(task)
    return task


@transaction.atomic
def task_skip(*, task: Task, reason: str, skipped_by: Any) -> Task:
    """Go on without a failed code task (the network needs nothing more, or it was done
    another way): it counts as done, with the reason kept."""
    work_order, task = task_flow.lock(task)
    _check_failed_code_task(task)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why the task is skipped.", field="reason", code="required")
    task.skipped_reason = reason[:200]
    task.save(update_fields=["skipped_reason"])
    now = clock.now()
    task_flow.finish(task, work_order, at=now, by=skipped_by, notes=f"Skipped: {reason}", result={"skipped": reason})
    _clear_flag_if_settled(work_order)
    forecast.reforecast(work_order, now)
    return task


@transaction.atomic
def task_complete_by_hand(*, task: Task, notes: str, completed_by: Any) -> Task:
    """A person did what a failed code task could not (configured the router on site, entered
    the subscriber by hand): the task is done with their notes."""
    work_order, task = task_flow.lock(task)
    _check_failed_code_task(task)
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError("Say what was done by hand.", field="notes", code="required")
    now = clock.now()
    task_flow.finish(task, work_order, at=now, by=completed_by, notes=notes, result={"by_hand": True})
    _clear_flag_if_settled(work_order)
    forecast.reforecast(work_order, now)
    return task
