"""Work orders with their schedule, and the task routes: start, block, unblock, assign."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Skill, Task, Technician, WorkOrder
from headend.orders import services as orders_services
from tests.api.client import assert_error, body
from tests.api.tmf_schema import assert_valid
from tests.conftest import FROZEN_AT, outbox_names
from tests.factories import make_product, make_quote, make_user

pytestmark = pytest.mark.django_db

PATH = "/workOrderManagement/v4/workOrder"


def ordered_work_order(**product) -> WorkOrder:
    quote = make_quote(status="accepted", version=make_product(**product) if product else None)
    return WorkOrder.objects.get(order_line__order__quote=quote)


def task_path(work_order: WorkOrder, name: str, action: str) -> str:
    return f"{PATH}/{work_order.pk}/task/{work_order.tasks.get(name=name).pk}/{action}"


def characteristic(item: dict, name: str):
    return {entry["name"]: entry["value"] for entry in item["work"]["workCharacteristic"]}.get(name)


def status_of(work_order: WorkOrder, name: str) -> str:
    return work_order.tasks.get(name=name).status


# --- The schedule in the body ----------------------------------------------------------------------


def test_a_work_order_shows_each_tasks_planned_and_forecast_dates(fulfil_api):
    work_order = ordered_work_order()
    schedule, install, activate = work_order.tasks.order_by("position")

    got = body(fulfil_api.get(f"{PATH}/{work_order.pk}"))

    assert_valid(got, api="697", definition="WorkOrder")
    assert got["expectedCompletionDate"] == "2026-03-02T17:35:00Z"  # Monday 10:00 in Maine + 155 minutes
    item = got["workOrderItem"][1]
    assert (item["id"], item["work"]["expectedCompletionDate"]) == (str(install.pk), "2026-03-02T17:15:00Z")
    assert {entry["name"]: entry["value"] for entry in item["work"]["workCharacteristic"]} == {
        "plannedStart": "2026-03-02T15:15:00Z",
        "plannedFinish": "2026-03-02T17:15:00Z",
        "forecastStart": "2026-03-02T15:15:00Z",
        "forecastFinish": "2026-03-02T17:15:00Z",
        "slackMinutes": 0,
        "critical": True,
        "role": "provisioning",
    }
    assert (schedule.forecast_finish, activate.forecast_finish) == (
        dt.datetime(2026, 3, 2, 15, 15, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 2, 17, 35, tzinfo=dt.UTC),
    )


def test_a_late_task_shows_its_forecast_apart_from_its_plan(fulfil_api):
    work_order = ordered_work_order()

    with clock.frozen(dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)):  # a day late
        fulfillment_services.task_complete(task=work_order.tasks.get(name="Schedule"), completed_by=None)

    item = body(fulfil_api.get(f"{PATH}/{work_order.pk}"))["workOrderItem"][1]

    assert (characteristic(item, "plannedStart"), characteristic(item, "forecastStart")) == (
        "2026-03-02T15:15:00Z",
        "2026-03-03T15:00:00Z",
    )
    assert item["work"]["expectedCompletionDate"] == "2026-03-03T17:00:00Z"


def test_a_lagged_dependency_shows_its_lag(fulfil_api):
    work_order = ordered_work_order(
        tasks=[
            TaskSpec(name="Pour", planned_minutes=60),
            TaskSpec(name="Mount", planned_minutes=30, depends_on=[("Pour", 120)]),
        ]
    )

    got = body(fulfil_api.get(f"{PATH}/{work_order.pk}"))

    assert_valid(got, api="697", definition="WorkOrder")
    relation = got["workOrderItem"][1]["work"]["workRelationship"][0]
    assert relation == {
        "relationshipType": "dependsOn",
        "work": {"id": str(work_order.tasks.get(name="Pour").pk), "name": "Pour", "@referredType": "Work"},
        "workRelationshipCharacteristic": [{"name": "lagMinutes", "valueType": "integer", "value": 120}],
    }


def test_a_booked_visit_is_the_tasks_delivery_time_slot(fulfil_api):
    technician = Technician.objects.create(user=make_user("provisioning", first_name="Ines", last_name="Ortiz"))
    work_order = ordered_work_order(
        tasks=[TaskSpec(name="Install", role="provisioning", planned_minutes=120, needs_appointment=True)]
    )
    install = work_order.tasks.get()
    slot = fulfillment_selectors.appointment_slots(task=install)[0]
    fulfillment_services.appointment_book(task=install, start=slot.start, booked_by=None)

    got = body(fulfil_api.get(f"{PATH}/{work_order.pk}"))

    assert_valid(got, api="697", definition="WorkOrder")
    work = got["workOrderItem"][0]["work"]
    assert work["deliveryTimeSlot"] == {"startDateTime": "2026-03-02T17:00:00Z", "endDateTime": "2026-03-02T22:00:00Z"}
    assert work["relatedParty"] == [
        {"id": str(technician.user_id), "name": "Ines Ortiz", "role": "assignee", "@referredType": "Individual"}
    ]
    assert characteristic(got["workOrderItem"][0], "notBefore") == "2026-03-02T17:00:00Z"


def test_a_work_order_of_an_order_being_cancelled_says_so(fulfil_api):
    work_order = ordered_work_order(
        tasks=[
            TaskSpec(name="Splice drop", planned_minutes=60, undo="Remove drop"),
            TaskSpec(name="Activate", planned_minutes=20, depends_on=["Splice drop"]),
        ]
    )
    fulfillment_services.task_complete(task=work_order.tasks.get(name="Splice drop"), completed_by=None)
    orders_services.order_cancel(order=work_order.order_line.order, reason="Site sold", cancelled_by=None)

    got = body(fulfil_api.get(f"{PATH}/{work_order.pk}"))

    assert_valid(got, api="697", definition="WorkOrder")
    assert (got["state"], got["cancellationDate"], got["cancellationReason"]) == (
        "inProgress",
        "2026-03-02T15:00:00Z",
        "Site sold",
    )
    assert [(item["work"]["name"], item["state"]) for item in got["workOrderItem"]] == [
        ("Splice drop", "completed"),
        ("Activate", "cancelled"),
        ("Undo: Remove drop", "acknowledged"),
    ]


def test_listing_work_orders_with_assigned_tasks_takes_as_many_queries_for_many(fulfil_api):
    technician = make_user("provisioning")

    def assigned() -> None:
        work_order = ordered_work_order()
        fulfillment_services.task_assign(
            task=work_order.tasks.get(name="Schedule"), assignee=technician, assigned_by=None
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert fulfil_api.get(PATH).status_code == 200
        return len(captured.captured_queries)

    assigned()
    queries()  # the token's first use records when it was used
    one = queries()
    for _ in range(3):
        assigned()

    assert queries() == one


# --- start ---------------------------------------------------------------------------------------------


def test_start_a_ready_task(fulfil_api):
    work_order = ordered_work_order()

    response = fulfil_api.post(task_path(work_order, "Schedule", "start"))

    assert response.status_code == 200, response.content
    item = body(response)
    assert_valid(item, api="697", definition="WorkOrderItem")
    user = response.wsgi_request.user
    assert (item["state"], item["work"]["relatedParty"][0]["id"]) == ("inProgress", str(user.pk))
    task = work_order.tasks.get(name="Schedule")
    assert (task.status, task.started_at, task.assignee) == ("in_progress", FROZEN_AT, user)
    work_order.refresh_from_db()
    assert work_order.status == "in_progress"


def test_starting_a_task_that_waits_for_another_is_409(fulfil_api):
    work_order = ordered_work_order()

    response = fulfil_api.post(task_path(work_order, "Install", "start"))

    assert_error(response, status=409, code="task_blocked", field="state", api="697")
    assert status_of(work_order, "Install") == "pending"


def test_starting_a_code_task_is_409(fulfil_api):
    work_order = ordered_work_order(
        tasks=[TaskSpec(name="Circuit", kind="code", code_action="inventory.assign_circuit_id")]
    )

    response = fulfil_api.post(task_path(work_order, "Circuit", "start"))

    assert_error(response, status=409, code="code_task", field="work.workType", api="697")


def test_a_started_task_can_be_completed(fulfil_api):
    work_order = ordered_work_order()
    fulfil_api.post(task_path(work_order, "Schedule", "start"))

    response = fulfil_api.post(task_path(work_order, "Schedule", "complete"))

    assert (response.status_code, body(response)["state"]) == (200, "completed")


# --- block / unblock -----------------------------------------------------------------------------------


def test_block_a_task_with_a_reason(fulfil_api):
    work_order = ordered_work_order()

    response = fulfil_api.post(task_path(work_order, "Schedule", "block"), {"reason": "No access to the basement"})

    assert response.status_code == 200, response.content
    item = body(response)
    assert_valid(item, api="697", definition="WorkOrderItem")
    assert (item["state"], characteristic(item, "blockedReason")) == ("held", "No access to the basement")
    task = work_order.tasks.get(name="Schedule")
    assert (task.status, task.blocked_reason) == ("blocked", "No access to the basement")
    assert outbox_names(subject=task, name_prefix="task.blocked") == ["task.blocked"]


def test_a_blocked_task_cannot_be_started_or_completed(fulfil_api):
    work_order = ordered_work_order()
    fulfil_api.post(task_path(work_order, "Schedule", "block"), {"reason": "Permit pending"})

    assert_error(fulfil_api.post(task_path(work_order, "Schedule", "start")), status=409, code="task_blocked")
    assert_error(fulfil_api.post(task_path(work_order, "Schedule", "complete")), status=409, code="task_blocked")
    assert status_of(work_order, "Schedule") == "blocked"


@pytest.mark.parametrize("payload", [None, {}, {"reason": "   "}])
def test_blocking_without_a_reason_is_400_and_changes_nothing(fulfil_api, payload):
    work_order = ordered_work_order()

    response = fulfil_api.post(task_path(work_order, "Schedule", "block"), payload)

    assert_error(response, status=400, code="required", field="reason", api="697")
    assert status_of(work_order, "Schedule") == "ready"


def test_blocking_a_task_that_waits_is_409(fulfil_api):
    work_order = ordered_work_order()

    response = fulfil_api.post(task_path(work_order, "Install", "block"), {"reason": "Rain"})

    assert_error(response, status=409, code="invalid_transition", field="state", api="697")
    assert status_of(work_order, "Install") == "pending"


def test_unblock_a_task_that_had_not_started(fulfil_api):
    work_order = ordered_work_order()
    fulfil_api.post(task_path(work_order, "Schedule", "block"), {"reason": "Permit pending"})

    response = fulfil_api.post(task_path(work_order, "Schedule", "unblock"))

    assert response.status_code == 200, response.content
    item = body(response)
    assert_valid(item, api="697", definition="WorkOrderItem")
    assert (item["state"], characteristic(item, "blockedReason")) == ("acknowledged", None)
    assert status_of(work_order, "Schedule") == "ready"


def test_unblock_a_started_task_puts_it_back_in_progress(fulfil_api):
    work_order = ordered_work_order()
    fulfil_api.post(task_path(work_order, "Schedule", "start"))
    fulfil_api.post(task_path(work_order, "Schedule", "block"), {"reason": "Ladder broke"})

    assert body(fulfil_api.post(task_path(work_order, "Schedule", "unblock")))["state"] == "inProgress"


def test_unblocking_a_task_that_is_not_blocked_is_409(fulfil_api):
    work_order = ordered_work_order()

    response = fulfil_api.post(task_path(work_order, "Schedule", "unblock"))

    assert_error(response, status=409, code="invalid_transition", field="state", api="697")


# --- assign ---------------------------------------------------------------------------------------


@pytest.fixture
def splicing() -> Skill:
    return Skill.objects.create(code="splicing", name="Fiber splicing")


def splice_work_order() -> WorkOrder:
    return ordered_work_order(
        tasks=[TaskSpec(name="Splice", role="provisioning", planned_minutes=60, skill="splicing")]
    )


def test_assign_a_task_to_a_qualified_technician(fulfil_api, splicing):
    work_order = splice_work_order()
    technician = Technician.objects.create(user=make_user("provisioning", first_name="Bo", last_name="Tran"))
    technician.skills.add(splicing)

    response = fulfil_api.post(task_path(work_order, "Splice", "assign"), {"assignee": {"id": str(technician.user_id)}})

    assert response.status_code == 200, response.content
    item = body(response)
    assert_valid(item, api="697", definition="WorkOrderItem")
    assert item["work"]["relatedParty"] == [
        {"id": str(technician.user_id), "name": "Bo Tran", "role": "assignee", "@referredType": "Individual"}
    ]
    assert (characteristic(item, "skill"), work_order.tasks.get().assignee) == ("splicing", technician.user)


def test_assigning_a_technician_without_the_skill_is_400(fulfil_api, splicing):
    work_order = splice_work_order()
    technician = Technician.objects.create(user=make_user("provisioning"))

    response = fulfil_api.post(task_path(work_order, "Splice", "assign"), {"assignee": {"id": str(technician.user_id)}})

    assert_error(response, status=400, code="missing_skill", field="assignee", api="697")
    assert work_order.tasks.get().assignee is None


def test_assigning_a_technician_outside_their_hours_is_400(fulfil_api):
    work_order = ordered_work_order()  # Schedule starts Monday 10:00
    afternoons = Technician.objects.create(user=make_user("provisioning"), day_start=dt.time(13), day_end=dt.time(17))

    response = fulfil_api.post(
        task_path(work_order, "Schedule", "assign"), {"assignee": {"id": str(afternoons.user_id)}}
    )

    assert_error(response, status=400, code="outside_working_hours", field="assignee", api="697")
    assert work_order.tasks.get(name="Schedule").assignee is None


def test_assigning_someone_who_cannot_take_tasks_is_400(fulfil_api):
    work_order = ordered_work_order()
    salesperson = make_user("sales")

    for assignee in ({"id": str(salesperson.pk)}, {"id": "987654"}):
        response = fulfil_api.post(task_path(work_order, "Schedule", "assign"), {"assignee": assignee})

        assert_error(response, status=400, code="unknown_reference", field="assignee.id", api="697")
    assert work_order.tasks.get(name="Schedule").assignee is None


def test_assign_automatically_to_the_qualified_technician(fulfil_api, splicing):
    work_order = splice_work_order()
    Technician.objects.create(user=make_user("provisioning", username="unskilled"))
    skilled = Technician.objects.create(user=make_user("provisioning", username="skilled"))
    skilled.skills.add(splicing)

    response = fulfil_api.post(task_path(work_order, "Splice", "assign"), {"automatic": True})

    assert response.status_code == 200, response.content
    assert body(response)["work"]["relatedParty"][0]["id"] == str(skilled.user_id)
    assert work_order.tasks.get().assignee == skilled.user


def test_assign_automatically_with_nobody_qualified_is_409(fulfil_api, splicing):
    work_order = splice_work_order()

    response = fulfil_api.post(task_path(work_order, "Splice", "assign"), {"automatic": True})

    assert_error(response, status=409, code="no_technician", field="assignee", api="697")


def test_assign_to_nobody_takes_the_task_back(fulfil_api):
    work_order = ordered_work_order()
    fulfillment_services.task_assign(
        task=work_order.tasks.get(name="Schedule"), assignee=make_user("provisioning"), assigned_by=None
    )

    response = fulfil_api.post(task_path(work_order, "Schedule", "assign"), {"assignee": None})

    assert response.status_code == 200, response.content
    assert "relatedParty" not in body(response)["work"]
    assert work_order.tasks.get(name="Schedule").assignee is None


@pytest.mark.parametrize("payload", [{}, {"automatic": False}, {"assignee": {"id": "1"}, "automatic": True}])
def test_assign_needs_exactly_one_of_assignee_or_automatic(fulfil_api, payload):
    work_order = ordered_work_order()

    response = fulfil_api.post(task_path(work_order, "Schedule", "assign"), payload)

    assert_error(response, status=400, code="required", field="assignee", api="697")


def test_assigning_a_finished_task_is_409(fulfil_api):
    work_order = ordered_work_order()
    fulfillment_services.task_complete(task=work_order.tasks.get(name="Schedule"), completed_by=None)

    response = fulfil_api.post(
        task_path(work_order, "Schedule", "assign"), {"assignee": {"id": str(make_user("provisioning").pk)}}
    )

    assert_error(response, status=409, field="state", api="697")


# --- Who may, and which task ------------------------------------------------------------------------


ROUTES = [("start", None), ("block", {"reason": "Rain"}), ("unblock", None), ("assign", {"automatic": True})]


@pytest.mark.parametrize(("action", "payload"), ROUTES)
def test_moving_a_task_needs_the_provisioning_role(sales_api, action, payload):
    work_order = ordered_work_order()

    response = sales_api.post(task_path(work_order, "Schedule", action), payload)

    assert_error(response, status=403, code="role_required", api="697")
    task = work_order.tasks.get(name="Schedule")
    assert (task.status, task.assignee) == ("ready", None)


@pytest.mark.parametrize(("action", "payload"), ROUTES)
def test_moving_a_task_needs_a_token(anonymous_api, action, payload):
    work_order = ordered_work_order()

    assert_error(anonymous_api.post(task_path(work_order, "Schedule", action), payload), status=401, api="697")


@pytest.mark.parametrize(("action", "payload"), ROUTES)
def test_a_task_of_another_work_order_is_404(fulfil_api, action, payload):
    work_order, other = ordered_work_order(), ordered_work_order()
    task = other.tasks.get(name="Schedule")

    response = fulfil_api.post(f"{PATH}/{work_order.pk}/task/{task.pk}/{action}", payload)

    assert_error(response, status=404, field="task_id", api="697")
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("ready", None)


@pytest.mark.parametrize(("action", "payload"), ROUTES)
def test_an_unknown_task_is_404(fulfil_api, action, payload):
    work_order = ordered_work_order()

    response = fulfil_api.post(f"{PATH}/{work_order.pk}/task/999999/{action}", payload)

    assert_error(response, status=404, code="not_found", api="697")
    assert Task.objects.filter(status="ready", assignee=None).count() == 1
