"""The task routes for a code task the worker gave up on: retry, skip, complete by hand."""

import pytest

from headend.catalog import code_actions
from headend.catalog.services import TaskSpec
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Task, WorkOrder
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_product, make_quote

pytestmark = pytest.mark.django_db

PATH = "/workOrderManagement/v4/workOrder"
outcomes: list[Exception | None] = []


@code_actions.register("test.api_flaky", "Test: fails while told to")
def flaky(context: code_actions.ActionContext) -> dict:
    outcome = outcomes.pop(0) if outcomes else None
    if outcome is not None:
        raise outcome
    return {"ok": True}


@pytest.fixture
def failed():
    """A work order whose code task failed for good, and the task."""
    outcomes[:] = [code_actions.PermanentError("The ACS does not know serial ZX-1.")]
    version = make_product(
        tasks=[
            TaskSpec("Configure router", kind="code", code_action="test.api_flaky"),
            TaskSpec("Call the customer", role="provisioning", depends_on=["Configure router"]),
        ]
    )
    work_order = WorkOrder.objects.get(order_line__order__quote=make_quote(status="accepted", version=version))
    task = work_order.tasks.get(name="Configure router")
    fulfillment_services.task_run_code(task_id=task.pk)
    assert Task.objects.get(pk=task.pk).status == "failed"
    return work_order, task


def test_retry_queues_the_failed_task_again(fulfil_api, failed):
    work_order, task = failed

    item = body(fulfil_api.post(f"{PATH}/{work_order.pk}/task/{task.pk}/retry"))

    assert_valid(item, api="697", definition="WorkOrderItem")
    assert Task.objects.get(pk=task.pk).status == "ready"
    fulfillment_services.task_run_code(task_id=task.pk)
    assert Task.objects.get(pk=task.pk).status == "done"


def test_skip_needs_a_reason_and_lets_the_work_go_on(fulfil_api, failed):
    work_order, task = failed
    path = f"{PATH}/{work_order.pk}/task/{task.pk}/skip"

    assert_error(fulfil_api.post(path, {}), status=400, field="reason", api="697")
    item = body(fulfil_api.post(path, {"reason": "The customer brings their own router"}))

    assert_valid(item, api="697", definition="WorkOrderItem")
    assert Task.objects.get(pk=task.pk).skipped_reason == "The customer brings their own router"
    assert work_order.tasks.get(name="Call the customer").status == "ready"


def test_complete_by_hand_keeps_the_note(fulfil_api, failed):
    work_order, task = failed
    path = f"{PATH}/{work_order.pk}/task/{task.pk}/completeByHand"

    assert_error(fulfil_api.post(path, {}), status=400, field="note", api="697")
    fulfil_api.post(path, {"note": "Configured on site"})

    assert Task.objects.get(pk=task.pk).notes == "Configured on site"


def test_a_task_that_did_not_fail_is_a_409(fulfil_api, failed):
    work_order, _ = failed
    other = work_order.tasks.get(name="Call the customer")
    response = fulfil_api.post(f"{PATH}/{work_order.pk}/task/{other.pk}/skip", {"reason": "x"})
    assert_error(response, status=409, field="work.workType", api="697")


def test_sales_may_not_retry(sales_api, failed):
    work_order, task = failed
    assert sales_api.post(f"{PATH}/{work_order.pk}/task/{task.pk}/retry").status_code == 403
