"""The code-task runner: attempts logged, back-off and retries, permanent faults, leases, and
what a person does with a failed task (retry, skip, complete by hand)."""

import datetime as dt
import threading

import pytest
from django.test import override_settings

from headend.catalog import code_actions
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.fulfillment import code_tasks, services
from headend.fulfillment.models import CodeAttempt, Task, WorkOrder
from headend.inventory.models import Service
from headend.orders.models import Order
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_product, make_quote, make_user

pytestmark = pytest.mark.django_db

calls: list[int] = []
script: list[Exception | None] = []  # what the test action does on each call: raise, or succeed


@code_actions.register("test.scripted", "Test: follows the script")
def scripted(context: code_actions.ActionContext) -> dict:
    calls.append(context.attempt)
    context.record(request={"attempt": context.attempt, "param": context.params.get("x")}, response={"ok": True})
    outcome = script.pop(0) if script else None
    if outcome is not None:
        raise outcome
    return {"done_on": context.attempt}


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    script.clear()


def code_work_order(**spec) -> tuple[WorkOrder, Task]:
    quote = make_quote(
        status="accepted",
        version=make_product(
            tasks=[
                TaskSpec("Provision", kind="code", code_action="test.scripted", code_params={"x": 7}, **spec),
                TaskSpec("Call the customer", role="provisioning", depends_on=["Provision"]),
            ]
        ),
    )
    work_order = WorkOrder.objects.get(order_line__order__quote=quote)
    return work_order, work_order.tasks.get(name="Provision")


def run(task: Task) -> Task:
    services.task_run_code(task_id=task.pk)
    return Task.objects.get(pk=task.pk)


def test_a_successful_attempt_is_logged_and_finishes_the_task():
    work_order, task = code_work_order()

    task = run(task)

    assert (task.status, task.attempts, task.result) == ("done", 1, {"done_on": 1})
    attempt = task.code_attempts.get()
    assert (attempt.number, attempt.outcome, attempt.action) == (1, "succeeded", "test.scripted")
    assert attempt.exchanges == [{"request": {"attempt": 1, "param": 7}, "response": {"ok": True}}]
    assert attempt.duration_ms is not None
    assert attempt.finished_at == FROZEN_AT
    assert work_order.tasks.get(name="Call the customer").status == "ready"


def test_the_parameters_come_from_the_template():
    _, task = code_work_order()
    assert task.code_params == {"x": 7}


def test_a_fault_is_retried_after_a_doubling_back_off():
    _, task = code_work_order()
    script.extend([TimeoutError("RADIUS timed out"), ConnectionError("refused"), None])

    task = run(task)
    assert (task.status, task.attempts, task.next_attempt_at) == ("ready", 1, FROZEN_AT + dt.timedelta(seconds=30))
    assert task.last_error == "TimeoutError: RADIUS timed out"
    assert run(task).attempts == 1  # not due yet: nothing runs
    assert calls == [1]

    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=30)):
        task = run(task)
    assert (task.status, task.next_attempt_at) == ("ready", FROZEN_AT + dt.timedelta(seconds=30 + 60))
    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=90)):
        task = run(task)

    assert (task.status, task.attempts, task.last_error) == ("done", 3, "")
    assert list(task.code_attempts.values_list("outcome", flat=True)) == ["retrying", "retrying", "succeeded"]
    assert outbox_names(subject=task, name_prefix="task.retrying") == ["task.retrying", "task.retrying"]


def chain_order() -> tuple[Order, dict[str, Task]]:
    """An accepted order whose work is two code tasks, one after the other, then a person's."""
    quote = make_quote(
        status="accepted",
        version=make_product(
            tasks=[
                TaskSpec("Allocate", kind="code", code_action="test.scripted", planned_minutes=60),
                TaskSpec("Provision", kind="code", code_action="test.scripted", depends_on=["Allocate"]),
                TaskSpec("Call the customer", role="provisioning", depends_on=["Provision"]),
            ]
        ),
    )
    order = Order.objects.get(quote=quote)
    return order, {task.name: task for task in Task.objects.filter(work_order__order_line__order=order)}


def forecast_of(order: Order) -> tuple:
    order.refresh_from_db()
    provision = Task.objects.get(work_order__order_line__order=order, name="Provision")
    return order.forecast_go_live, provision.forecast_start, provision.forecast_finish


def test_the_forecast_is_planned_when_code_work_pauses_not_between_two_code_tasks():
    order, tasks = chain_order()
    planned = forecast_of(order)
    late = FROZEN_AT + dt.timedelta(days=2)  # the worker runs them two days late

    with clock.frozen(late):
        assert run(tasks["Allocate"]).status == "done"
        # The next code task is ready: the worker runs it within seconds, its record plans.
        assert forecast_of(order) == planned
        assert outbox_names(subject=order, name_prefix="order.forecast") == []

        script.append(TimeoutError("RADIUS timed out"))
        assert run(tasks["Provision"]).status == "ready"  # back in the queue: the work pauses

    go_live, provision_start, _ = forecast_of(order)
    assert provision_start == late
    assert go_live > planned[0]
    assert outbox_names(subject=order, name_prefix="order.forecast") == ["order.forecast_changed"]

    with clock.frozen(late + dt.timedelta(hours=3)):
        script.append(TimeoutError("RADIUS timed out"))
        assert run(tasks["Provision"]).status == "ready"  # a second fault: not planned (nor the hub told) again
    assert outbox_names(subject=order, name_prefix="order.forecast") == ["order.forecast_changed"]

    with clock.frozen(late + dt.timedelta(hours=4)):
        assert run(tasks["Provision"]).status == "done"  # the chain ends at a person's task
    assert forecast_of(order)[2] == late + dt.timedelta(hours=4)


@override_settings(HEADEND_CODE_TASK_MAX_ATTEMPTS=1)
def test_a_code_task_that_fails_after_another_plans_the_order():
    order, tasks = chain_order()
    planned = forecast_of(order)
    late = FROZEN_AT + dt.timedelta(days=2)

    with clock.frozen(late):
        run(tasks["Allocate"])
        script.append(RuntimeError("NAS down"))
        assert run(tasks["Provision"]).status == "failed"

    go_live, provision_start, _ = forecast_of(order)
    assert provision_start == late
    assert go_live > planned[0]


def test_back_off_doubles_up_to_the_cap():
    with override_settings(HEADEND_CODE_TASK_BACKOFF=30, HEADEND_CODE_TASK_MAX_DELAY=100):
        assert [services.code_task_backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


@override_settings(HEADEND_CODE_TASK_MAX_ATTEMPTS=2)
def test_after_the_last_attempt_the_task_fails_and_its_work_order_is_flagged():
    work_order, task = code_work_order()
    script.extend([RuntimeError("NAS down"), RuntimeError("NAS still down")])

    run(task)
    with clock.frozen(FROZEN_AT + dt.timedelta(minutes=1)):
        task = run(task)

    work_order.refresh_from_db()
    assert (task.status, task.attempts) == ("failed", 2)
    assert work_order.flagged_reason == "1. Provision failed after 2 attempts: RuntimeError: NAS still down"
    assert list(task.code_attempts.values_list("outcome", flat=True)) == ["retrying", "failed"]
    assert outbox_names(subject=task, name_prefix="task.failed") == ["task.failed"]


def test_a_permanent_fault_fails_at_once():
    work_order, task = code_work_order()
    script.append(code_actions.PermanentError("Username jdoe belongs to S-000001."))

    task = run(task)

    assert (task.status, task.attempts, task.last_error) == ("failed", 1, "Username jdoe belongs to S-000001.")
    assert WorkOrder.objects.get(pk=work_order.pk).flagged_reason.endswith("Username jdoe belongs to S-000001.")


def test_a_failed_task_retried_by_a_person_gets_fresh_attempts_and_clears_the_flag():
    work_order, task = code_work_order()
    script.append(code_actions.PermanentError("no pool"))
    task = run(task)

    services.task_retry(task=task, retried_by=make_user("provisioning"))
    task.refresh_from_db()
    assert (task.status, task.attempts, task.last_error) == ("ready", 0, "")
    assert WorkOrder.objects.get(pk=work_order.pk).flagged_reason == ""
    task = run(task)
    assert (task.status, [a.number for a in task.code_attempts.all()]) == ("done", [1, 2])


def test_a_failed_task_is_skipped_with_a_reason():
    work_order, task = code_work_order()
    script.append(code_actions.PermanentError("ACS unreachable"))
    task = run(task)
    person = make_user("provisioning")

    with pytest.raises(ValidationError) as error:
        services.task_skip(task=task, reason=" ", skipped_by=person)
    assert error.value.field == "reason"

    services.task_skip(task=task, reason="Customer brings their own router", skipped_by=person)

    task.refresh_from_db()
    assert (task.status, task.skipped_reason, task.completed_by) == ("done", "Customer brings their own router", person)
    assert task.notes == "Skipped: Customer brings their own router"
    assert WorkOrder.objects.get(pk=work_order.pk).flagged_reason == ""
    assert work_order.tasks.get(name="Call the customer").status == "ready"


def test_a_failed_task_is_completed_by_hand_with_notes():
    _, task = code_work_order()
    script.append(code_actions.PermanentError("RADIUS refused"))
    task = run(task)

    services.task_complete_by_hand(task=task, notes="Entered in RADIUS by hand", completed_by=make_user("provisioning"))

    task.refresh_from_db()
    assert (task.status, task.notes, task.result) == ("done", "Entered in RADIUS by hand", {"by_hand": True})


def test_only_a_failed_code_task_is_skipped_or_completed_by_hand():
    _, task = code_work_order()
    with pytest.raises(Conflict) as error:
        services.task_skip(task=task, reason="why not", skipped_by=None)
    assert error.value.code == "not_failed"


def test_a_task_whose_worker_died_is_taken_over_after_its_lease():
    _, task = code_work_order()
    claimed = code_tasks._claim(task.pk)  # a worker claims it, then dies before finishing
    assert claimed is not None

    assert run(task).status == "in_progress"  # the lease holds: nobody else runs it
    assert calls == []
    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=301)):
        assert services.code_tasks_sweep() == 1
        task = run(task)

    assert task.status == "done"
    assert list(task.code_attempts.values_list("number", "outcome")) == [(1, "abandoned"), (2, "succeeded")]


def test_the_sweep_queues_only_due_tasks(django_capture_on_commit_callbacks):
    _, task = code_work_order()
    script.append(RuntimeError("flaky"))
    run(task)

    assert services.code_tasks_sweep() == 0
    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=30)), django_capture_on_commit_callbacks(execute=True):
        assert services.code_tasks_sweep() == 1  # ImmediateBackend: queued means run
    assert Task.objects.get(pk=task.pk).status == "done"


def test_a_task_queued_by_the_sweep_is_not_queued_again_within_a_lease():
    _, task = code_work_order()
    script.append(RuntimeError("flaky"))
    run(task)

    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=30)):
        assert services.code_tasks_sweep() == 1  # queued (not run: nothing commits here)
        assert services.code_tasks_sweep() == 0
    with clock.frozen(FROZEN_AT + dt.timedelta(seconds=30 + 301)):
        assert services.code_tasks_sweep() == 1  # no worker took it: queued once more


def test_a_late_worker_does_not_overwrite_a_person_who_settled_the_task():
    _, task = code_work_order()
    _, attempt = code_tasks._claim(task.pk)
    Task.objects.filter(pk=task.pk).update(status="failed")  # a person acted meanwhile (simplified)
    context = code_actions.ActionContext(task=task, params={})

    code_tasks._record_attempt(task, attempt, context, result={"late": True}, error="", permanent=False, ms=5)

    attempt.refresh_from_db()
    assert attempt.outcome == "abandoned"
    assert Task.objects.get(pk=task.pk).status == "failed"


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}})  # queue, don't run
def test_two_workers_running_the_same_task_at_once_run_the_action_once():
    _, task = code_work_order()
    entered, release = threading.Event(), threading.Event()

    @code_actions.register("test.slow", "Test: slow")
    def slow(context):
        calls.append(context.attempt)
        entered.set()
        release.wait(10)
        return {}

    Task.objects.filter(pk=task.pk).update(code_action="test.slow")
    results = []

    def worker():
        from django.db import connection

        try:
            results.append(services.task_run_code(task_id=task.pk).status)
        finally:
            connection.close()

    first = threading.Thread(target=worker)
    first.start()
    assert entered.wait(10)
    worker()  # the second worker, while the first is inside the action
    release.set()
    first.join(10)

    assert calls == [1]
    assert sorted(results) == ["done", "in_progress"]
    assert CodeAttempt.objects.filter(task=task).count() == 1


def test_unknown_action_fails_permanently():
    _, task = code_work_order()
    Task.objects.filter(pk=task.pk).update(code_action="nope.missing")
    task = run(task)
    assert (task.status, task.last_error) == ("failed", "Unknown code action 'nope.missing'.")


def test_template_parameters_are_checked_by_the_action():
    from headend.catalog.services import check_template_tasks
    from headend.core.errors import ValidationError as VE

    def must_have_pool(params):
        if "pool" not in params:
            raise VE("Name the pool.", field="pool")

    code_actions.register("test.needs_pool", "Test: needs a pool", check_params=must_have_pool)(lambda c: {})
    with pytest.raises(VE) as error:
        check_template_tasks([TaskSpec("Allocate", kind="code", code_action="test.needs_pool", code_params={})])
    assert error.value.field == "tasks[1].code_params.pool"
    with pytest.raises(VE) as error:
        check_template_tasks([TaskSpec("Visit", code_params={"x": 1})])
    assert error.value.field == "tasks[1].code_params"


def test_service_status_is_untouched_while_a_code_task_retries():
    work_order, task = code_work_order(turns_up=True)
    script.append(RuntimeError("down"))
    run(task)
    assert Service.objects.get(pk=work_order.service_id).status == "provisioning"


def test_the_work_order_page_shows_the_attempt_log_and_the_list_filters_flagged(client):
    work_order, task = code_work_order()
    script.append(code_actions.PermanentError("Pool res-v4 is exhausted."))
    run(task)
    client.force_login(make_user("provisioning"))

    page = client.get(f"/work/{work_order.pk}/").content.decode()
    assert "Needs attention: 1. Provision failed: Pool res-v4 is exhausted." in page
    assert "Attempt log (1)" in page
    assert "retry, skip or complete by hand" in page
    listing = client.get("/work/?flagged=1").content.decode()
    assert work_order.number in listing
    assert "needs attention" in listing

    response = client.post(f"/work/tasks/{task.pk}/skip/", {"reason": "Customer has a static IP already"})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == "done"
    assert work_order.number not in client.get("/work/?flagged=1").content.decode()


# Batches (issue 19): the worker claims due tasks of one action together and hands them to the
# action's batch entry at once; one task's fault is its own.

batches: list[int] = []
batch_script: dict[int, Exception] = {}  # position in the batch -> what that item raises


@code_actions.register("test.batched", "Test: a batch at a time")
def batched_one(context: code_actions.ActionContext) -> dict:
    return batched_many([context])[0]


@code_actions.register_batch("test.batched")
def batched_many(contexts: list[code_actions.ActionContext]) -> list:
    batches.append(len(contexts))
    return [batch_script.get(n) or {"in_batch_of": len(contexts)} for n in range(len(contexts))]


def batched_work_orders(count: int) -> list[WorkOrder]:
    version = make_product(tasks=[TaskSpec("Provision", kind="code", code_action="test.batched", turns_up=True)])
    quotes = [make_quote(status="accepted", version=version) for _ in range(count)]
    return [WorkOrder.objects.get(order_line__order__quote=quote) for quote in quotes]


def test_due_tasks_of_one_action_run_as_one_batch():
    batches.clear()
    work_orders = batched_work_orders(3)

    assert code_tasks.code_tasks_work() == 3

    assert batches == [3]
    tasks = Task.objects.filter(work_order__in=work_orders)
    assert [task.result for task in tasks] == [{"in_batch_of": 3}] * 3
    assert set(Service.objects.filter(work_orders__in=work_orders).values_list("status", flat=True)) == {"active"}


def test_one_tasks_fault_in_a_batch_is_its_own():
    batches.clear()
    batch_script.update({1: code_actions.PermanentError("Username taken."), 2: RuntimeError("RADIUS down")})
    try:
        work_orders = batched_work_orders(3)
        code_tasks.code_tasks_work()
    finally:
        batch_script.clear()

    tasks = list(Task.objects.filter(work_order__in=work_orders).order_by("pk"))
    assert [(task.status, task.last_error) for task in tasks] == [
        ("done", ""),
        ("failed", "Username taken."),
        ("ready", "RuntimeError: RADIUS down"),
    ]
    assert tasks[2].next_attempt_at == FROZEN_AT + dt.timedelta(seconds=30)
    flagged = WorkOrder.objects.filter(pk__in=[wo.pk for wo in work_orders]).exclude(flagged_reason="")
    assert list(flagged.values_list("pk", flat=True)) == [work_orders[1].pk]


def test_a_task_whose_work_cannot_start_fails_alone_not_its_batch():
    batches.clear()
    work_orders = batched_work_orders(3)
    Service.objects.filter(pk=work_orders[1].service_id).update(status="disconnected")  # arrangement

    assert code_tasks.code_tasks_work() == 2

    tasks = list(Task.objects.filter(work_order__in=work_orders).order_by("pk"))
    assert [task.status for task in tasks] == ["done", "failed", "done"]
    assert tasks[1].last_error == "A service that is Disconnected cannot become provisioning."
    assert WorkOrder.objects.get(pk=work_orders[1].pk).flagged_reason.startswith("1. Provision failed: ")
