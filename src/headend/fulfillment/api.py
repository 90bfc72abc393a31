"""Work orders and their tasks, in a TMF697 shape, and the routes that move tasks along.

`/tmf-api/workOrderManagement/v4/workOrder` (filters `?state=`, `?order.id=` = a productOrder
id), `/workOrder/{id}`, and (not TMF) `POST /workOrder/{id}/task/{task_id}/start`,
`/complete`, `/block`, `/unblock` and `/assign`, each answering with the task.

A WorkOrder is the work for one order line. Its tasks are its `workOrderItem`s, one each:
the item's `id` is the task's id, `work` describes the task: name, `workType` ("manual",
"code", "milestone" or "approval"), `state`, `completionDate`, `expectedCompletionDate` (the
forecast finish), `plannedDuration` in minutes, `deliveryTimeSlot` (the booked visit window, if
any), `relatedParty` (role "assignee": the person it is given to), `workRelationship` entries of
relationshipType "dependsOn" naming the tasks it waits for (with `lagMinutes` as a
workRelationshipCharacteristic when the wait is longer than the predecessor's finish), and the
schedule as `workCharacteristic`s: plannedStart, plannedFinish (the baseline, as first
scheduled), forecastStart, forecastFinish, slackMinutes, critical, notBefore, and role, skill,
blockedReason, checklist, notes, lastError.

Work order state (ours -> TMF): pending -> acknowledged, in_progress -> inProgress,
completed -> completed, cancelled -> cancelled; a work order whose order is being cancelled
keeps its state until its undo tasks are done and shows `cancellationDate` and
`cancellationReason`. `expectedCompletionDate` is its forecast finish.
Task state (ours -> TMF): pending (waiting for its predecessors) -> held, ready -> acknowledged,
in_progress -> inProgress, blocked -> held (with blockedReason), done -> completed,
failed -> failed, cancelled -> cancelled.
So the manual tasks someone can start or complete now are the items in state "acknowledged"
whose `work.workType` is "manual"; code tasks are run by the worker.
Moving tasks needs the provisioning role or the role the task names (core/permissions, "task.work").
"""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import (
    ERRORS,
    CharacteristicOut,
    Id,
    In,
    Out,
    QuantityOut,
    RefOut,
    Text200,
    Text5000,
    TimePeriodOut,
    characteristics,
    customer_ref,
    order_ref,
    service_ref,
    site_ref,
)
from headend.core.errors import NotFound, ValidationError
from headend.core.permissions import require
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Appointment, Task, WorkOrder

router = Router(tags=["TMF697 workOrder and tasks"], by_alias=True, exclude_none=True)

WORK_ORDER_STATE: dict[str, str] = {
    WorkOrder.Status.PENDING: "acknowledged",
    WorkOrder.Status.IN_PROGRESS: "inProgress",
    WorkOrder.Status.COMPLETED: "completed",
    WorkOrder.Status.CANCELLED: "cancelled",
}
TASK_STATE: dict[str, str] = {
    Task.Status.PENDING: "held",
    Task.Status.READY: "acknowledged",
    Task.Status.IN_PROGRESS: "inProgress",
    Task.Status.BLOCKED: "held",
    Task.Status.DONE: "completed",
    Task.Status.FAILED: "failed",
    Task.Status.CANCELLED: "cancelled",
}
WorkOrderState = Literal[
    "acknowledged",
    "rejected",
    "pending",
    "held",
    "inProgress",
    "cancelled",
    "completed",
    "failed",
    "partial",
    "assessingCancellation",
    "pendingCancellation",
]
# Where the task use cases' fields are in a workOrderItem.
TASK_FIELDS = {"status": "state", "kind": "work.workType", "early_reason": "earlyReason"}


class WorkRelationshipOut(Out):
    relationship_type: str = Field(serialization_alias="relationshipType")
    work: RefOut
    work_relationship_characteristic: list[CharacteristicOut] | None = Field(
        default=None, serialization_alias="workRelationshipCharacteristic"
    )


class WorkOut(Out):
    id: str
    type: str = Field(default="Work", serialization_alias="@type")
    name: str
    work_type: str = Field(serialization_alias="workType")
    state: str
    completion_date: dt.datetime | None = Field(default=None, serialization_alias="completionDate")
    expected_completion_date: dt.datetime | None = Field(default=None, serialization_alias="expectedCompletionDate")
    planned_duration: QuantityOut = Field(serialization_alias="plannedDuration")
    delivery_time_slot: TimePeriodOut | None = Field(default=None, serialization_alias="deliveryTimeSlot")
    related_party: list[RefOut] | None = Field(default=None, serialization_alias="relatedParty")
    work_characteristic: list[CharacteristicOut] = Field(serialization_alias="workCharacteristic")
    work_relationship: list[WorkRelationshipOut] = Field(serialization_alias="workRelationship")


def _assignee_ref(user: Any) -> RefOut:
    return RefOut(
        id=str(user.pk), name=user.get_full_name() or user.get_username(), role="assignee", referred_type="Individual"
    )


def _booked_visit(task: Task) -> Appointment | None:
    return next((visit for visit in task.appointments.all() if visit.status == Appointment.Status.BOOKED), None)


class WorkOrderItemOut(Out):
    """One task of a work order."""

    id: str
    type: str = Field(default="WorkOrderItem", serialization_alias="@type")
    action: str
    state: str
    description: str
    work: WorkOut

    @classmethod
    def of(cls, task: Task, *, action: str) -> "WorkOrderItemOut":
        state = TASK_STATE[task.status]
        lags = {dependency.predecessor_id: dependency.lag_minutes for dependency in task.dependencies.all()}
        visit = _booked_visit(task)
        return cls(
            id=str(task.pk),
            action=action,
            state=state,
            description=f"{task.position}. {task.name}",
            work=WorkOut(
                id=str(task.pk),
                name=task.name,
                work_type=task.kind,
                state=state,
                completion_date=task.completed_at,
                expected_completion_date=task.forecast_finish,
                planned_duration=QuantityOut(amount=task.planned_minutes, units="minute"),
                delivery_time_slot=TimePeriodOut(start_date_time=visit.start, end_date_time=visit.end)
                if visit
                else None,
                related_party=[_assignee_ref(task.assignee)] if task.assignee is not None else None,
                work_characteristic=characteristics(
                    [
                        ("plannedStart", task.planned_start, "dateTime"),
                        ("plannedFinish", task.planned_finish, "dateTime"),
                        ("forecastStart", task.forecast_start, "dateTime"),
                        ("forecastFinish", task.forecast_finish, "dateTime"),
                        ("slackMinutes", task.slack_minutes if task.forecast_start else None, "integer"),
                        ("critical", task.critical if task.forecast_start else None, "boolean"),
                        ("notBefore", task.not_before, "dateTime"),
                        ("role", task.role, "string"),
                        ("skill", task.skill.code if task.skill else None, "string"),
                        ("blockedReason", task.blocked_reason, "string"),
                        ("checklist", task.checklist or None, "array"),
                        ("notes", task.notes, "string"),
                        ("lastError", task.last_error, "string"),
                    ]
                ),
                work_relationship=[
                    WorkRelationshipOut(
                        relationship_type="dependsOn",
                        work=RefOut(id=str(dependency.pk), name=dependency.name, referred_type="Work"),
                        work_relationship_characteristic=characteristics(
                            [("lagMinutes", lags.get(dependency.pk) or None, "integer")]
                        )
                        or None,
                    )
                    for dependency in sorted(task.depends_on.all(), key=lambda dependency: dependency.position)
                ],
            ),
        )


class WorkOrderOut(Out):
    id: str
    href: str
    type: str = Field(default="WorkOrder", serialization_alias="@type")
    description: str
    state: str
    order_date: dt.datetime = Field(serialization_alias="orderDate")
    start_date: dt.datetime | None = Field(default=None, serialization_alias="startDate")
    expected_completion_date: dt.datetime | None = Field(default=None, serialization_alias="expectedCompletionDate")
    completion_date: dt.datetime | None = Field(default=None, serialization_alias="completionDate")
    cancellation_date: dt.datetime | None = Field(default=None, serialization_alias="cancellationDate")
    cancellation_reason: str | None = Field(default=None, serialization_alias="cancellationReason")
    order: list[RefOut]
    place: RefOut
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    related_entity: list[RefOut] = Field(serialization_alias="relatedEntity")
    work_order_item: list[WorkOrderItemOut] = Field(serialization_alias="workOrderItem")

    @classmethod
    def of(cls, request: HttpRequest, work_order: WorkOrder) -> "WorkOrderOut":
        order, service = work_order.order, work_order.service
        cancelling = work_order.cancel_requested_at is not None and order is not None
        return cls(
            id=str(work_order.pk),
            href=links.WORK_ORDER.href(request, work_order.pk),
            description=work_order.name,
            state=WORK_ORDER_STATE[work_order.status],
            order_date=work_order.created_at,
            start_date=work_order.started_at,
            expected_completion_date=work_order.forecast_finish,
            completion_date=work_order.completed_at,
            cancellation_date=work_order.cancel_requested_at,
            cancellation_reason=(order.cancel_reason or None) if cancelling else None,
            order=[order_ref(request, order)] if order is not None else [],
            place=site_ref(request, service.location if service is not None else work_order.location).model_copy(
                update={"role": None}
            ),
            related_party=[customer_ref(request, work_order.account)],
            # A site survey's work order has no service yet.
            related_entity=[service_ref(request, service, role="service")] if service is not None else [],
            work_order_item=[
                WorkOrderItemOut.of(task, action=work_order.item_action) for task in work_order.tasks.all()
            ],
        )


class TaskCompleteIn(In):
    note: Text5000 = ""
    early_reason: Text200 = Field(
        default="", alias="earlyReason", description="Why the task is done before its booked appointment."
    )
    checklist: list[Text200] | None = Field(
        default=None, description="The checklist items ticked (all must be); left out: those ticked before."
    )


class TaskBlockIn(In):
    reason: Text200 = ""


class UserRefIn(In):
    id: Id


class TaskAssignIn(In):
    """`{"assignee": {"id": "12"}}` gives the task to that person, `{"assignee": null}` to
    nobody, and `{"automatic": true}` to the qualified technician free the earliest."""

    assignee: UserRefIn | None = None
    automatic: bool = False


@router.get("/workOrder", response={200: list[WorkOrderOut], **ERRORS}, summary="List work orders")
def work_order_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    state: WorkOrderState | None = None,
    order_id: str | None = Query(None, alias="order.id", description="The productOrder's id."),
) -> list[WorkOrderOut]:
    work_orders = fulfillment_selectors.work_order_list_scheduled(
        user=request.auth, order_id=order_id, statuses=matching(WORK_ORDER_STATE, state)
    )
    return [WorkOrderOut.of(request, work_order) for work_order in paginate(response, work_orders, page)]


@router.get("/workOrder/{id}", response={200: WorkOrderOut, **ERRORS}, summary="Retrieve a work order")
def work_order_get(request: ApiRequest, id: str, fields: str | None = None) -> WorkOrderOut:
    return WorkOrderOut.of(request, fulfillment_selectors.work_order_get_scheduled(user=request.auth, work_order_id=id))


def _task_of(request: ApiRequest, work_order_id: str, task_id: str) -> tuple[WorkOrder, Task]:
    """The task, if it is one of this work order's (404 otherwise), for someone who may work it:
    "task.work" in core/permissions (provisioning, and the role the task names), as on the pages."""
    work_order = fulfillment_selectors.work_order_get_for(user=request.auth, work_order_id=work_order_id)
    task = fulfillment_selectors.task_get_for(user=request.auth, task_id=task_id)
    if task.work_order_id != work_order.pk:
        raise NotFound("No such task on this work order.", field="task_id")
    require(request.auth, "task.work", named=task.role)
    return work_order, task


def _item(request: ApiRequest, work_order: WorkOrder, task: Task) -> WorkOrderItemOut:
    task = fulfillment_selectors.task_get_for(user=request.auth, task_id=task.pk)
    return WorkOrderItemOut.of(task, action=work_order.item_action)


@router.post(
    "/workOrder/{id}/task/{task_id}/start", response={200: WorkOrderItemOut, **ERRORS}, summary="Start a manual task"
)
def task_start(request: ApiRequest, id: str, task_id: str) -> WorkOrderItemOut:
    """Start a ready manual task (not TMF); it is given to you if it was given to nobody. 409
    `task_blocked` while a task it depends on is open or it is blocked. Needs provisioning or the task's role."""
    work_order, task = _task_of(request, id, task_id)
    with body_fields(TASK_FIELDS):
        fulfillment_services.task_start(task=task, started_by=request.auth)
    return _item(request, work_order, task)


@router.post(
    "/workOrder/{id}/task/{task_id}/complete",
    response={200: WorkOrderItemOut, **ERRORS},
    summary="Complete a manual task",
)
def task_complete(
    request: ApiRequest, id: str, task_id: str, payload: TaskCompleteIn | None = None
) -> WorkOrderItemOut:
    """Mark a ready or started manual task done (not TMF). 409 `task_blocked` while a task it
    depends on is open; completing the last task turns the service up. Needs provisioning or the task's role."""
    work_order, task = _task_of(request, id, task_id)
    payload = payload or TaskCompleteIn()
    with body_fields(TASK_FIELDS):
        fulfillment_services.task_complete(
            task=task,
            completed_by=request.auth,
            notes=payload.note,
            checklist=payload.checklist,
            early_reason=payload.early_reason,
        )
    return _item(request, work_order, task)


@router.post("/workOrder/{id}/task/{task_id}/block", response={200: WorkOrderItemOut, **ERRORS}, summary="Block a task")
def task_block(request: ApiRequest, id: str, task_id: str, payload: TaskBlockIn | None = None) -> WorkOrderItemOut:
    """Stop work on a ready or started task, saying why (`{"reason": ...}`, required); its
    state becomes `held` with the reason as `blockedReason`. Needs provisioning or the task's role."""
    work_order, task = _task_of(request, id, task_id)
    with body_fields(TASK_FIELDS):
        fulfillment_services.task_block(task=task, reason=(payload or TaskBlockIn()).reason, blocked_by=request.auth)
    return _item(request, work_order, task)


@router.post(
    "/workOrder/{id}/task/{task_id}/unblock", response={200: WorkOrderItemOut, **ERRORS}, summary="Unblock a task"
)
def task_unblock(request: ApiRequest, id: str, task_id: str) -> WorkOrderItemOut:
    """Let work go on: back to `inProgress` if it had started, else `acknowledged`. 409 for a
    task that is not blocked. Needs provisioning or the task's role."""
    work_order, task = _task_of(request, id, task_id)
    with body_fields(TASK_FIELDS):
        fulfillment_services.task_unblock(task=task, unblocked_by=request.auth)
    return _item(request, work_order, task)


@router.post(
    "/workOrder/{id}/task/{task_id}/assign", response={200: WorkOrderItemOut, **ERRORS}, summary="Assign a task"
)
def task_assign(request: ApiRequest, id: str, task_id: str, payload: TaskAssignIn) -> WorkOrderItemOut:
    """Give an open task to someone: `{"assignee": {"id": ...}}` (a technician must have the
    task's skill and work at its forecast start: 400 on `assignee`), `{"assignee": null}` to take
    it back, or `{"automatic": true}` (409 `no_technician` when nobody qualifies). Needs the
    provisioning role or the task's own."""
    work_order, task = _task_of(request, id, task_id)
    named = "assignee" in payload.model_fields_set
    if payload.automatic == named:
        raise ValidationError(
            'Give either "assignee" ({"id": ...} or null) or "automatic": true.', field="assignee", code="required"
        )
    with body_fields({**TASK_FIELDS, "assignee": "assignee"}):
        if payload.automatic:
            fulfillment_services.task_assign_automatically(task=task, assigned_by=request.auth)
        else:
            with body_fields({"assignee": "assignee.id"}):
                assignee = fulfillment_selectors.assignable_user_get(
                    user_id=payload.assignee.id if payload.assignee else None
                )
            fulfillment_services.task_assign(task=task, assignee=assignee, assigned_by=request.auth)
    return _item(request, work_order, task)


class TaskSkipIn(In):
    reason: Text200 = ""


@router.post(
    "/workOrder/{id}/task/{task_id}/retry", response={200: WorkOrderItemOut, **ERRORS}, summary="Retry a code task"
)
def task_retry(request: ApiRequest, id: str, task_id: str) -> WorkOrderItemOut:
    """Put a failed code task back in the worker's queue with a fresh set of attempts (not
    TMF). 409 for a task that has not failed. Needs provisioning or the task's role."""
    work_order, task = _task_of(request, id, task_id)
    with body_fields(TASK_FIELDS):
        fulfillment_services.task_retry(task=task, retried_by=request.auth)
    return _item(request, work_order, task)


@router.post(
    "/workOrder/{id}/task/{task_id}/skip", response={200: WorkOrderItemOut, **ERRORS}, summary="Skip a failed code task"
)
def task_skip(request: ApiRequest, id: str, task_id: str, payload: TaskSkipIn | None = None) -> WorkOrderItemOut:
    """Go on without a failed code task, saying why (`{"reason": ...}`, required): it counts as
    done and its successors become ready (not TMF). 409 `not_failed`. Needs provisioning or the task's role."""
    work_order, task = _task_of(request, id, task_id)
    with body_fields(TASK_FIELDS):
        fulfillment_services.task_skip(task=task, reason=(payload or TaskSkipIn()).reason, skipped_by=request.auth)
    return _item(request, work_order, task)


@router.post(
    "/workOrder/{id}/task/{task_id}/completeByHand",
    response={200: WorkOrderItemOut, **ERRORS},
    summary="Complete a failed code task by hand",
)
def task_complete_by_hand(
    request: ApiRequest, id: str, task_id: str, payload: TaskCompleteIn | None = None
) -> WorkOrderItemOut:
    """A person did what the failed code task could not (`{"note": ...}`, required): it is
    done (not TMF). 409 `not_failed`. Needs provisioning or the task's role."""
    work_order, task = _task_of(request, id, task_id)
    with body_fields({**TASK_FIELDS, "notes": "note"}):
        fulfillment_services.task_complete_by_hand(
            task=task, notes=(payload or TaskCompleteIn()).note, completed_by=request.auth
        )
    return _item(request, work_order, task)
