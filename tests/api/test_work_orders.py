"""Work orders in a TMF697-like shape, and completing a task through the API."""

import pytest

from headend.catalog.services import TaskSpec
from headend.fulfillment.models import Task, WorkOrder
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.factories import make_product, make_quote

pytestmark = pytest.mark.django_db

PATH = "/workOrderManagement/v4/workOrder"


def ordered_work_order(**product) -> WorkOrder:
    quote = make_quote(status="accepted", version=make_product(**product) if product else None)
    return WorkOrder.objects.get(order_line__order__quote=quote)


def complete(api, work_order: WorkOrder, name: str, **note):
    task = work_order.tasks.get(name=name)
    return api.post(f"{PATH}/{work_order.pk}/task/{task.pk}/complete", note or None)


def test_get_work_order_with_its_tasks_and_dependencies(fulfil_api):
    work_order = ordered_work_order()
    schedule, install, activate = work_order.tasks.order_by("position")

    response = fulfil_api.get(f"{PATH}/{work_order.pk}")

    assert response.status_code == 200
    got = body(response)
    assert_valid(got, api="697", definition="WorkOrder")
    assert (got["id"], got["state"], got["order"][0]["id"]) == (
        str(work_order.pk),
        "acknowledged",
        str(work_order.order_line.order_id),
    )
    assert got["relatedEntity"][0]["id"] == str(work_order.service_id)
    items = [
        (
            item["id"],
            item["state"],
            item["work"]["name"],
            item["work"]["workType"],
            [relation["work"]["id"] for relation in item["work"]["workRelationship"]],
        )
        for item in got["workOrderItem"]
    ]
    assert items == [
        (str(schedule.pk), "acknowledged", "Schedule", "manual", []),
        (str(install.pk), "held", "Install", "manual", [str(schedule.pk)]),
        (str(activate.pk), "held", "Activate", "manual", [str(install.pk)]),
    ]


def test_complete_a_ready_task(fulfil_api):
    work_order = ordered_work_order()

    response = complete(fulfil_api, work_order, "Schedule", note="Booked for Tuesday 9am")

    assert response.status_code == 200
    item = body(response)
    assert_valid(item, api="697", definition="WorkOrderItem")
    assert (item["state"], item["work"]["state"], item["work"]["completionDate"]) == (
        "completed",
        "completed",
        "2026-03-02T15:00:00Z",
    )
    task = work_order.tasks.get(name="Schedule")
    assert (task.status, task.notes, task.completed_by.username) == (
        "done",
        "Booked for Tuesday 9am",
        response.wsgi_request.user.username,
    )
    assert work_order.tasks.get(name="Install").status == "ready"


def test_completing_a_task_whose_predecessor_is_open_is_409(fulfil_api):
    work_order = ordered_work_order()

    response = complete(fulfil_api, work_order, "Install")

    assert_error(response, status=409, code="task_blocked", field="state", api="697")
    assert work_order.tasks.get(name="Install").status == "pending"


def test_a_done_task_cannot_be_completed_twice(fulfil_api):
    work_order = ordered_work_order()
    complete(fulfil_api, work_order, "Schedule")

    assert_error(complete(fulfil_api, work_order, "Schedule"), status=409, field="state", api="697")


def test_a_code_task_is_run_by_the_worker_not_completed_by_hand(fulfil_api):
    circuit = TaskSpec(name="Circuit", kind="code", code_action="inventory.assign_circuit_id")
    work_order = ordered_work_order(tasks=[circuit])

    response = complete(fulfil_api, work_order, "Circuit")

    assert_error(response, status=409, code="code_task", field="work.workType", api="697")


def test_the_last_task_turns_the_service_up(fulfil_api):
    work_order = ordered_work_order()
    for name in ("Schedule", "Install", "Activate"):
        assert complete(fulfil_api, work_order, name).status_code == 200

    got = body(fulfil_api.get(f"{PATH}/{work_order.pk}"))

    assert got["state"] == "completed"
    work_order.service.refresh_from_db()
    assert work_order.service.status == "active"


def test_a_task_of_another_work_order_is_404(fulfil_api):
    work_order, other = ordered_work_order(), ordered_work_order()
    task = other.tasks.get(name="Schedule")

    response = fulfil_api.post(f"{PATH}/{work_order.pk}/task/{task.pk}/complete")

    assert_error(response, status=404, field="task_id", api="697")
    task.refresh_from_db()
    assert task.status == "ready"


def test_an_unknown_work_order_is_404(fulfil_api):
    assert_error(fulfil_api.get(f"{PATH}/999999"), status=404, api="697")
    assert_error(fulfil_api.post(f"{PATH}/999999/task/1/complete"), status=404, api="697")


def test_list_work_orders_of_an_order(fulfil_api):
    work_order = ordered_work_order()
    ordered_work_order()  # another order's

    response = fulfil_api.get(PATH, **{"order.id": work_order.order_line.order_id})

    assert [item["id"] for item in body(response)] == [str(work_order.pk)]
    assert response["X-Total-Count"] == "1"


def test_list_work_orders_by_state(fulfil_api):
    started, waiting = ordered_work_order(), ordered_work_order()
    complete(fulfil_api, started, "Schedule")

    response = fulfil_api.get(PATH, state="inProgress")

    assert [item["id"] for item in body(response)] == [str(started.pk)]
    assert waiting.pk != started.pk


def test_a_note_longer_than_5000_characters_is_400(fulfil_api):
    work_order = ordered_work_order()

    response = complete(fulfil_api, work_order, "Schedule", note="x" * 5001)

    assert_error(response, status=400, code="string_too_long", field="note", api="697")
    assert work_order.tasks.get(name="Schedule").status == "ready"


def test_completing_a_task_needs_the_provisioning_role(sales_api):
    work_order = ordered_work_order()

    assert_error(complete(sales_api, work_order, "Schedule"), status=403, code="role_required", api="697")
    assert Task.objects.get(work_order=work_order, name="Schedule").status == "ready"


def test_completing_a_task_needs_a_token(anonymous_api):
    work_order = ordered_work_order()

    assert_error(complete(anonymous_api, work_order, "Schedule"), status=401, api="697")
