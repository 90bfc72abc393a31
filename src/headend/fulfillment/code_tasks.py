"""The code-task runner: the worker claims due code tasks of one action in a batch under
leases, runs the action for them all outside any transaction and records every attempt in one
transaction (success, a retry after a back-off, or a failure that flags the work order); the
sweep queues what nobody runs; a person retries, skips or completes by hand a code task that
failed.

A batch costs a few statements per table whatever its size: one transaction claims up to
`BATCH` tasks (PostgreSQL's SELECT ... FOR UPDATE SKIP LOCKED lets workers claim side by side;
SQLite has one writer), the action gets them all at once through its batch entry if it has one
(`catalog.code_actions.register_batch`), and one transaction records them (attempt log, tasks
done, work orders and services turned up, history, outbox events, one forecast per order whose
code work pauses: a task done whose work goes straight on to another code task is planned when
that one is recorded).
One task's fault is its own outcome, retried or failed as it would be alone. Running one task
(`task_run_code`) is the batch of one.

A queued code task (`tasks.run_code_task`) runs its task with the other due tasks of its action,
then whatever code work is due (a batch per action), so a launch night's activations flow
through each worker in batches rather than one job at a time."""

import datetime as dt
import functools
import logging
import os
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction

from headend.catalog import code_actions
from headend.core import audit, backoff, bulk, clock, events
from headend.core.errors import Conflict, DomainError, ValidationError
from headend.fulfillment import forecast, task_flow
from headend.fulfillment.models import CodeAttempt, Task, WorkOrder
from headend.inventory.models import Service

logger = logging.getLogger(__name__)

BATCH = 100  # code tasks of one action claimed, run and recorded together
DRAIN_SECONDS = 60.0  # a queued run goes on with due work this long, then queues the rest
BUSY_TRIES, BUSY_PAUSE = 20, 0.05  # due work other workers hold: looked at again this often
CLAIMED_FIELDS = ["status", "started_at", "lease_until", "next_attempt_at", "attempts"]
ATTEMPT_FIELDS = ["outcome", "error", "result", "finished_at", "duration_ms", "exchanges"]
WORK_ORDER_DONE = (WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED)


def code_task_backoff(attempt: int) -> dt.timedelta:
    """The wait before the try after `attempt` failed tries: the base delay doubling per try,
    capped (30 s, 1 min, 2 min ... with the default settings)."""
    first, cap = settings.HEADEND_CODE_TASK_BACKOFF, settings.HEADEND_CODE_TASK_MAX_DELAY
    return dt.timedelta(seconds=backoff.delay(attempt, first=first, cap=cap))


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _due(now: dt.datetime) -> models.Q:
    """A code task the worker may take: ready and due, or running under a lease that ran out
    (its worker died)."""
    ready = models.Q(status=Task.Status.READY) & (models.Q(next_attempt_at=None) | models.Q(next_attempt_at__lte=now))
    return models.Q(kind=Task.Kind.CODE) & (ready | models.Q(status=Task.Status.IN_PROGRESS, lease_until__lte=now))


def _by_requester(work_orders: Sequence[WorkOrder]) -> Iterator[tuple[Any, list[WorkOrder]]]:
    """The work orders by who asked for their work: what the worker does is recorded as done
    for them (history, events)."""
    groups: dict[int | None, list[WorkOrder]] = {}
    for work_order in work_orders:
        groups.setdefault(work_order.requested_by_id, []).append(work_order)
    for group in groups.values():
        yield group[0].requested_by, group


@dataclass
class _Run:
    """A claimed task's attempt, and how its action ended."""

    task: Task
    attempt: CodeAttempt
    context: code_actions.ActionContext
    result: dict[str, Any] | None = None
    error: str = ""
    permanent: bool = False
    ms: int = 0
    recorded: Task | None = field(default=None, repr=False)


def _abandon_running_attempts(tasks: Sequence[Task], now: dt.datetime) -> None:
    if tasks:
        CodeAttempt.objects.filter(task__in=tasks, outcome=CodeAttempt.Outcome.RUNNING).update(
            outcome=CodeAttempt.Outcome.ABANDONED, finished_at=now, error="The worker stopped before it finished."
        )


def _oldest_first(first: int | None) -> list[Any]:
    """Tasks in the order they were made, `first` (the queued one) before them all."""
    if first is None:
        return ["pk"]
    return [models.Case(models.When(pk=first, then=0), default=1), "pk"]


def _by_key(rows: Any) -> dict[int, Any]:
    return {row.pk: row for row in rows}


# The number of a task's last attempt (attempt numbers go on after a person's retry).
_last_attempt = CodeAttempt.objects.filter(task=models.OuterRef("pk")).order_by("-number").values("number")[:1]


@transaction.atomic
def _claim_many(
    *,
    action: str | None = None,
    task_ids: Sequence[int] | None = None,
    first: int | None = None,
    limit: int = BATCH,
    wait: bool = False,
) -> list[tuple[Task, CodeAttempt]]:
    """Take up to `limit` due code tasks (of `action`, among `task_ids`, `first` first) for
    this worker, under a lease, in one transaction. Workers claim side by side: a task or a work
    order another worker (or a person) holds is skipped, never waited for, so no claim waits in
    a circle (PostgreSQL's SKIP LOCKED; SQLite has one writer). With `wait`, the work orders and
    then the tasks are waited for, in the order every task use case locks them. A task that is
    no longer due once locked is left alone. Returns each task claimed (its work order loaded)
    with its new attempt."""
    now = clock.now()
    candidates = Task.objects.filter(_due(now))
    if action is not None:
        candidates = candidates.filter(code_action=action)
    if task_ids is not None:
        candidates = candidates.filter(pk__in=task_ids)
    ordering = _oldest_first(first)
    locking = WorkOrder.objects.select_related("order_line__order", "requested_by").exclude(status__in=WORK_ORDER_DONE)
    claimed = candidates.annotate(last_attempt=models.Subquery(_last_attempt)).order_by(*ordering)
    if wait:
        found = list(candidates.order_by(*ordering).values_list("work_order_id", flat=True)[:limit])
        work_orders = _by_key(locking.select_for_update(of=("self",)).filter(pk__in=found).order_by("pk"))
        tasks = list(claimed.select_for_update(of=("self",)).filter(work_order_id__in=work_orders)[:limit])
    else:
        tasks = list(claimed.select_for_update(of=("self",), skip_locked=True)[:limit])
        work_orders = _by_key(
            locking.select_for_update(of=("self",), skip_locked=True)
            .filter(pk__in={task.work_order_id for task in tasks})
            .order_by("pk")
        )
        tasks = [task for task in tasks if task.work_order_id in work_orders]
    if not tasks:
        return []
    _abandon_running_attempts([task for task in tasks if task.status == Task.Status.IN_PROGRESS], now)
    lease = now + dt.timedelta(seconds=settings.HEADEND_CODE_TASK_LEASE)
    for task in tasks:
        task.status, task.started_at = Task.Status.IN_PROGRESS, task.started_at or now
        task.lease_until, task.next_attempt_at, task.attempts = lease, None, task.attempts + 1
        task.work_order = work_orders[task.work_order_id]
    attempts = CodeAttempt.objects.bulk_create(
        CodeAttempt(
            task=task,
            number=(getattr(task, "last_attempt", None) or 0) + 1,
            action=task.code_action,
            started_at=now,
            worker=_worker_name(),
        )
        for task in tasks
    )
    claimed_work = [work_orders[pk] for pk in dict.fromkeys(task.work_order_id for task in tasks)]
    for requester, group in _by_requester(claimed_work):
        keys = {work_order.pk for work_order in group}
        with audit.acting_for(requester):
            bulk.update_columns(Task, [t for t in tasks if t.work_order_id in keys], CLAIMED_FIELDS, history=True)
            task_flow.works_started(group, now)
    return list(zip(tasks, attempts, strict=True))


def _claim(task_id: int) -> tuple[Task, CodeAttempt] | None:
    """Take one due code task for this worker (`_claim_many` of one, waiting for its work
    order's lock). Returns None when another worker holds it or it is not due."""
    claimed = _claim_many(task_ids=[task_id], limit=1, wait=True)
    return claimed[0] if claimed else None


def task_run_code(*, task_id: int) -> Task | None:
    """Run a due code task's action once, outside any transaction, and record the attempt.

    Success finishes the task (successors become ready; a turn-up task puts the service live).
    A retryable fault puts it back in the queue after a back-off, until the maximum of
    attempts; a permanent fault, or the last attempt, fails it and flags its work order.
    Safe to call any number of times, from any number of workers: only the worker that claims
    the task runs it, and a task not due is left alone. What it changes (the task, the service,
    the RADIUS subscriber...) is recorded in their history as done for the user who asked for
    the work."""
    claimed = _claim(task_id)
    if claimed is None:
        return Task.objects.filter(pk=task_id).first()
    (run,) = _run([claimed])
    return run.recorded


def code_tasks_run(*, action: str, first: int | None = None, limit: int = BATCH) -> int:
    """Claim up to `limit` due code tasks of `action` (`first` first), run the action for them
    all at once and record every attempt (see `task_run_code` for what each outcome does).
    Returns how many were run: 0 when none is due, or other workers hold them."""
    try:
        claimed = _claim_many(action=action, first=first, limit=limit)
    except DomainError:
        # One task's work cannot start (its service cannot move on): each alone, so that only
        # that one is refused, not the batch with it.
        logger.warning("A batch of %s could not be claimed; claiming each task alone.", action, exc_info=True)
        return sum(_run_alone(task_id) for task_id in _due_ids(action=action, first=first, limit=limit))
    return len(_run(claimed)) if claimed else 0


def _due_ids(*, action: str, first: int | None, limit: int) -> list[int]:
    due = Task.objects.filter(_due(clock.now()), code_action=action).order_by(*_oldest_first(first))
    return list(due.values_list("pk", flat=True)[:limit])


def _run_alone(task_id: int) -> int:
    """Claim and run one task; one whose work cannot start fails, its work order flagged."""
    try:
        return code_tasks_run_one(task_id)
    except DomainError as exc:
        _fail_unstartable(task_id, exc.message)
        return 0


@transaction.atomic
def _fail_unstartable(task_id: int, error: str) -> None:
    """A code task whose work cannot start fails at once, as a permanent fault does, so that a
    person looks at it rather than the worker trying it again and again."""
    work_order, task = task_flow.lock(Task(pk=task_id, work_order_id=_work_order_id(task_id)))
    if task.status != Task.Status.READY:
        return
    with audit.acting_for(work_order.requested_by):
        task.status, task.last_error = Task.Status.FAILED, error
        task.save(update_fields=["status", "last_error"])
        work_order.flagged_reason = f"{task.position}. {task.name} failed: {error}"[:300]
        work_order.save(update_fields=["flagged_reason"])
        events.emit("task.failed", subject=task, data={"error": error, "attempts": task.attempts})


def _work_order_id(task_id: int) -> int:
    return Task.objects.filter(pk=task_id).values_list("work_order_id", flat=True).get()


def code_tasks_work(*, first: int | None = None, limit: int = BATCH, seconds: float = DRAIN_SECONDS) -> int:
    """What a queued code task runs: that task with the other due tasks of its action (a batch
    of `limit`), then every due code task, a batch of one action at a time, until none is due
    or other workers hold what is; after `seconds` the rest is queued anew. Returns how many
    tasks were run.

    Only ready tasks are queued (the outbox relay queues each), so a run whose own task another
    worker took carries on with what is due all the same: the successors a batch makes ready
    are run by whichever worker is free, without waiting for their turn in the queue."""
    started = time.monotonic()
    ran = 0
    if first is not None:
        action = Task.objects.filter(_due(clock.now()), pk=first).values_list("code_action", flat=True).first()
        if action is not None:
            ran += code_tasks_run(action=action, first=first, limit=limit)
    busy = 0
    while (action := _next_due_action()) is not None:
        if time.monotonic() - started > seconds:
            _queue_code_task(None)
            break
        done = code_tasks_run(action=action, limit=limit)
        if not done:
            # Another worker is claiming those (or recording their work orders): a moment, then
            # what is due then; a run that keeps finding them held leaves them to it.
            busy += 1
            if busy > BUSY_TRIES:
                break
            time.sleep(BUSY_PAUSE)
            continue
        busy = 0
        ran += done
    if first is not None and Task.objects.filter(_due(clock.now()), pk=first).exists():
        # Its work order was busy (a person, another worker recording): wait for it, so that
        # no queued task is left behind.
        ran += code_tasks_run_one(first)
    return ran


def code_tasks_run_one(task_id: int) -> int:
    """`task_run_code`, saying how many ran (0 or 1)."""
    claimed = _claim(task_id)
    return len(_run([claimed])) if claimed else 0


def _next_due_action() -> str | None:
    """The action of the oldest due code task whose work is open."""
    return (
        Task.objects.filter(_due(clock.now()))
        .exclude(work_order__status__in=WORK_ORDER_DONE)
        .order_by("pk")
        .values_list("code_action", flat=True)
        .first()
    )


def _run(claimed: Sequence[tuple[Task, CodeAttempt]]) -> list[_Run]:
    """Run the action of claimed tasks (one action; one batch per requester, in whose name it
    acts) and record the attempts, each batch in one transaction."""
    # The claim read the tasks and their work orders under their locks and wrote what it
    # changed in them; the services (which the claim may have moved to provisioning) are read
    # afresh, in one query. Code tasks are a service's work (a survey's template has none to run).
    services = Service.objects.select_related("product_version__product", "account", "location").in_bulk(
        [task.work_order.service_id for task, _ in claimed]
    )
    runs = []
    for task, attempt in claimed:
        assert task.work_order.service_id is not None
        task.work_order.service = services[task.work_order.service_id]
        params = dict(task.code_params or {})
        runs.append(_Run(task, attempt, code_actions.ActionContext(task=task, params=params, attempt=attempt.number)))
    for requester, work_orders in _by_requester(
        list({run.task.work_order_id: run.task.work_order for run in runs}.values())
    ):
        keys = {work_order.pk for work_order in work_orders}
        batch = [run for run in runs if run.task.work_order_id in keys]
        with audit.acting_for(requester):
            _act(batch)
            _record(batch)
    return runs


def _record(runs: Sequence[_Run]) -> None:
    """Record a batch's attempts; if one cannot be (its turn-up refused), each alone, so that
    only that one waits for its lease to run out and be tried again."""
    try:
        _record_many(runs)
    except DomainError:
        if len(runs) == 1:
            raise
        logger.warning("A batch's outcomes could not be recorded together; recording each alone.", exc_info=True)
        for run in runs:
            try:
                _record_many([run])
            except DomainError:
                logger.exception("Code task %s: its outcome could not be recorded.", run.task.pk)


def _act(runs: Sequence[_Run]) -> None:
    """Run the action for every claimed task of one action at once, outside any transaction,
    keeping each one's outcome."""
    name = runs[0].task.code_action
    started = time.monotonic()
    if not code_actions.is_registered(name):
        outcomes: list[code_actions.Outcome] = [
            code_actions.PermanentError(f"Unknown code action {name!r}.") for _ in runs
        ]
    else:
        outcomes = code_actions.run_many(name, [run.context for run in runs])
    elapsed_ms = round((time.monotonic() - started) * 1000)
    for run, outcome in zip(runs, outcomes, strict=True):
        run.ms = elapsed_ms
        if isinstance(outcome, code_actions.PermanentError):
            run.error, run.permanent = str(outcome), True
        elif isinstance(outcome, Exception):
            logger.warning("code task %s (%s) attempt %s failed: %s", run.task.pk, name, run.attempt.number, outcome)
            run.error = (
                str(outcome)
                if isinstance(outcome, code_actions.ActionError)
                else f"{type(outcome).__name__}: {outcome}"
            )
        else:
            run.result = outcome


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
    """Record one attempt (`_record_many` of one); the task as it is now."""
    run = _Run(task, attempt, context, result=result, error=error, permanent=permanent, ms=ms)
    _record_many([run])
    assert run.recorded is not None
    return run.recorded


def _record_many(runs: Sequence[_Run]) -> None:
    """Record the attempts of a batch in one transaction: each attempt's log; each task done,
    back in the queue after its back-off, or failed (its work order flagged); the successors,
    turn-ups and completions of the tasks done; one forecast per order whose work pauses."""
    with transaction.atomic():
        work_orders, tasks = task_flow.lock_many([run.task.pk for run in runs])
        now = clock.now()
        # An attempt is still running unless another worker took its task over (this one
        # outlived its lease) or a person settled it; the tasks' locks, held here, serialise
        # every change of their attempts.
        running = set(
            CodeAttempt.objects.filter(
                pk__in=[run.attempt.pk for run in runs], outcome=CodeAttempt.Outcome.RUNNING
            ).values_list("pk", flat=True)
        )
        done, failed, retrying = [], [], []
        for run in runs:
            task = run.recorded = tasks[run.task.pk]
            attempt = run.attempt
            attempt.finished_at, attempt.duration_ms, attempt.exchanges = now, run.ms, run.context.exchanges
            if task.status != Task.Status.IN_PROGRESS or attempt.pk not in running:
                # Keep the log, change nothing else.
                attempt.outcome = CodeAttempt.Outcome.ABANDONED
                attempt.error = run.error or "Finished after another worker or a person took the task over."
                continue
            attempt.error, attempt.result = run.error, {} if run.error else run.result or {}
            task.lease_until = None
            if not run.error:
                attempt.outcome = CodeAttempt.Outcome.SUCCEEDED
                done.append(run)
            elif run.permanent or task.attempts >= settings.HEADEND_CODE_TASK_MAX_ATTEMPTS:
                attempt.outcome = CodeAttempt.Outcome.FAILED
                failed.append(run)
            else:
                attempt.outcome = CodeAttempt.Outcome.RETRYING
                retrying.append(run)
        bulk.update_columns(CodeAttempt, [run.attempt for run in runs], ATTEMPT_FIELDS)
        _record_done(done, work_orders, now)
        _record_failed(failed, work_orders, now)
        _record_retrying(retrying, work_orders, now)


def _record_done(runs: Sequence[_Run], work_orders: dict[int, WorkOrder], now: dt.datetime) -> None:
    if not runs:
        return
    finished = []
    for run in runs:
        assert run.recorded is not None
        run.recorded.last_error = ""
        finished.append(
            task_flow.Finished(run.recorded, work_orders[run.recorded.work_order_id], result=run.result or {})
        )
    ready = task_flow.finish_many(finished, at=now, by=None, also=["lease_until", "last_error"])
    changed = list({item.work_order.pk: item.work_order for item in finished}.values())
    _clear_flags_if_settled(changed)
    # Work that goes straight on to another code task (a chain the worker runs within seconds)
    # is planned when it pauses: when that task is recorded, done, failed or back in the queue.
    going_on = {task.work_order_id for task in ready if task.kind == Task.Kind.CODE}
    forecast.reforecast_many(_one_per_order([wo for wo in changed if wo.pk not in going_on]), now)


def _one_per_order(work_orders: Sequence[WorkOrder]) -> list[WorkOrder]:
    """A work order of each order (and each work order outside an order): what to plan again."""
    chosen: dict[tuple[str, int], WorkOrder] = {}
    for work_order in work_orders:
        line = work_order.order_line
        key = ("order", line.order_id) if line is not None else ("work", work_order.pk)
        chosen.setdefault(key, work_order)
    return list(chosen.values())


def _record_failed(runs: Sequence[_Run], work_orders: dict[int, WorkOrder], now: dt.datetime) -> None:
    if not runs:
        return
    tasks, flagged = [], {}
    for run in runs:
        task = run.recorded
        assert task is not None
        task.status, task.last_error = Task.Status.FAILED, run.error
        tries = "" if run.permanent else f" after {task.attempts} attempts"
        work_order = work_orders[task.work_order_id]
        work_order.flagged_reason = f"{task.position}. {task.name} failed{tries}: {run.error}"[:300]
        tasks.append(task)
        flagged[work_order.pk] = work_order
    bulk.update_columns(Task, tasks, ["status", "last_error", "lease_until"], history=True)
    bulk.update_columns(WorkOrder, list(flagged.values()), ["flagged_reason"], history=True)
    events.emit_many(
        "task.failed",
        subjects=list(tasks),
        data=[{"error": task.last_error, "attempts": task.attempts} for task in tasks],
    )
    forecast.reforecast_many(_one_per_order(list(flagged.values())), now)


def _record_retrying(runs: Sequence[_Run], work_orders: dict[int, WorkOrder], now: dt.datetime) -> None:
    if not runs:
        return
    tasks = []
    for run in runs:
        task = run.recorded
        assert task is not None
        task.status, task.last_error = Task.Status.READY, run.error
        task.next_attempt_at = now + code_task_backoff(task.attempts)
        tasks.append(task)
    bulk.update_columns(Task, tasks, ["status", "last_error", "next_attempt_at", "lease_until"], history=True)
    events.emit_many(
        "task.retrying",
        subjects=list(tasks),
        data=[
            {"error": task.last_error, "attempt": task.attempts, "next_attempt_at": task.next_attempt_at.isoformat()}
            for task in tasks
            if task.next_attempt_at is not None
        ],
    )
    # A first fault plans the order (the task before it, done, may have left that to this one's
    # record); later ones would only move the go-live, and tell the hub, at each retry.
    first_faults = {task.work_order_id: work_orders[task.work_order_id] for task in tasks if task.attempts == 1}
    forecast.reforecast_many(_one_per_order(list(first_faults.values())), now)
    for when in sorted({task.next_attempt_at for task in tasks if task.next_attempt_at is not None}):
        first = next(task.pk for task in tasks if task.next_attempt_at == when)
        transaction.on_commit(functools.partial(_queue_code_task, first, run_after=when))


def _queue_code_task(task_id: int | None, *, run_after: dt.datetime | None = None) -> None:
    """Hand the task to the worker (with it, the other due tasks of its action); a backend that
    cannot defer leaves a later try to the sweep."""
    from headend.fulfillment.tasks import run_code_task

    if run_after is None:
        run_code_task.enqueue(task_id)
    elif run_code_task.get_backend().supports_defer:
        run_code_task.using(run_after=run_after).enqueue(task_id)


def code_tasks_sweep(*, at: dt.datetime | None = None) -> int:
    """Queue the code tasks that are due and that nobody runs: a retry whose back-off has
    passed, a task whose worker died (its lease ran out; the attempt is marked abandoned), a
    task queued by an earlier sweep that no worker took within a lease. The worker loop
    (`relay_outbox --follow`) calls it after each relay; returns how many it queued (in one
    transaction, a queued run per action: each runs its tasks in batches)."""
    now = at or clock.now()
    lease = dt.timedelta(seconds=settings.HEADEND_CODE_TASK_LEASE)
    due = models.Q(status=Task.Status.READY, next_attempt_at__lte=now)
    lost = models.Q(status=Task.Status.READY, next_attempt_at=None, lease_until__lte=now)
    dead = models.Q(status=Task.Status.IN_PROGRESS, lease_until__lte=now)
    code_tasks = Task.objects.filter(kind=Task.Kind.CODE).exclude(work_order__status__in=WORK_ORDER_DONE)
    found = list(code_tasks.filter(due | lost | dead).order_by("pk").values_list("pk", flat=True)[:500])
    if not found:
        return 0
    with transaction.atomic():
        # A task a worker is claiming or recording now is skipped: it is being run.
        tasks = list(
            Task.objects.select_for_update(skip_locked=True).filter(due | lost | dead, pk__in=found).order_by("pk")
        )
        _abandon_running_attempts([task for task in tasks if task.status == Task.Status.IN_PROGRESS], now)
        for task in tasks:
            # Queued now; swept again only if no worker has taken it within a lease.
            task.status, task.next_attempt_at, task.lease_until = Task.Status.READY, None, now + lease
        bulk.update_columns(Task, tasks, ["status", "next_attempt_at", "lease_until"], history=True)
        for first in {task.code_action: task.pk for task in reversed(tasks)}.values():
            transaction.on_commit(functools.partial(_queue_code_task, first))
    return len(tasks)


def _clear_flag_if_settled(work_order: WorkOrder) -> None:
    _clear_flags_if_settled([work_order])


def _clear_flags_if_settled(work_orders: Sequence[WorkOrder]) -> None:
    """A flagged work order with no failed task left needs nobody's attention any more."""
    flagged = [work_order for work_order in work_orders if work_order.flagged_reason]
    if not flagged:
        return
    failing = set(
        Task.objects.filter(work_order__in=flagged, status=Task.Status.FAILED).values_list("work_order_id", flat=True)
    )
    settled = [work_order for work_order in flagged if work_order.pk not in failing]
    for work_order in settled:
        work_order.flagged_reason = ""
    bulk.update_columns(WorkOrder, settled, ["flagged_reason"], history=True)


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
