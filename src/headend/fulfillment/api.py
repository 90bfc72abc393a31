"""Work orders and their tasks, in a TMF697-like shape, and the route that completes a task.

`/tmf-api/workOrderManagement/v4/workOrder` (filters `?state=`, `?order.id=` = a productOrder
id), `/workOrder/{id}`, and (not TMF) `POST /workOrder/{id}/task/{task_id}/complete`.

A WorkOrder is the work for one order line. Its tasks are its `workOrderItem`s, one each:
the item's `id` is the task's id, `work` describes the task (name, `workType` "manual" or
"code", `state`, `completionDate`, `plannedDuration` in minutes, the role as a
`workCharacteristic`, and `workRelationship` entries of relationshipType "dependsOn" naming
the tasks it waits for).

Work order state (ours -> TMF): pending -> acknowledged, in_progress -> inProgress,
completed -> completed, cancelled -> cancelled.
Task state (ours -> TMF): pending (waiting for its predecessors) -> held, ready -> acknowledged,
in_progress -> inProgress, done -> completed, failed -> failed, cancelled -> cancelled.
So the manual tasks someone can complete now are the items in state "acknowledged" whose
`work.workType` is "manual"; code tasks are run by the worker.
"""

import datetime as dt
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import (
    ERRORS,
    CharacteristicOut,
    In,
    Out,
    QuantityOut,
    RefOut,
    Text5000,
    characteristics,
    customer_ref,
    order_ref,
    service_ref,
    site_ref,
)
from headend.core.errors import NotFound
from headend.core.permissions import FULFIL, require_role
from headend.fulfillment import selectors as fulfillment_selectors
from headend.fulfillment import services as fulfillment_services
from headend.fulfillment.models import Task, WorkOrder

router = Router(tags=["TMF697 workOrder (subset) and tasks"], by_alias=True, exclude_none=True)

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


class WorkRelationshipOut(Out):
    relationship_type: str = Field(serialization_alias="relationshipType")
    work: RefOut


class WorkOut(Out):
    id: str
    type: str = Field(default="Work", serialization_alias="@type")
    name: str
    work_type: str = Field(serialization_alias="workType")
    state: str
    completion_date: dt.datetime | None = Field(default=None, serialization_alias="completionDate")
    planned_duration: QuantityOut = Field(serialization_alias="plannedDuration")
    work_characteristic: list[CharacteristicOut] = Field(serialization_alias="workCharacteristic")
    work_relationship: list[WorkRelationshipOut] = Field(serialization_alias="workRelationship")


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
                planned_duration=QuantityOut(amount=task.planned_minutes, units="minute"),
                work_characteristic=characteristics(
                    [
                        ("role", task.role, "string"),
                        ("notes", task.notes, "string"),
                        ("lastError", task.last_error, "string"),
                    ]
                ),
                work_relationship=[
                    WorkRelationshipOut(
                        relationship_type="dependsOn",
                        work=RefOut(id=str(dependency.pk), name=dependency.name, referred_type="Work"),
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
    completion_date: dt.datetime | None = Field(default=None, serialization_alias="completionDate")
    order: list[RefOut]
    place: RefOut
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    related_entity: list[RefOut] = Field(serialization_alias="relatedEntity")
    work_order_item: list[WorkOrderItemOut] = Field(serialization_alias="workOrderItem")

    @classmethod
    def of(cls, request: HttpRequest, work_order: WorkOrder) -> "WorkOrderOut":
        line, service = work_order.order_line, work_order.service
        return cls(
            id=str(work_order.pk),
            href=links.WORK_ORDER.href(request, work_order.pk),
            description=work_order.name,
            state=WORK_ORDER_STATE[work_order.status],
            order_date=work_order.created_at,
            start_date=work_order.started_at,
            completion_date=work_order.completed_at,
            order=[order_ref(request, line.order)],
            place=site_ref(request, service.location).model_copy(update={"role": None}),
            related_party=[customer_ref(request, service.account)],
            related_entity=[service_ref(request, service, role="service")],
            work_order_item=[WorkOrderItemOut.of(task, action=line.action) for task in work_order.tasks.all()],
        )


class TaskCompleteIn(In):
    note: Text5000 = ""


@router.get("/workOrder", response={200: list[WorkOrderOut], **ERRORS}, summary="List work orders")
def work_order_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    state: WorkOrderState | None = None,
    order_id: str | None = Query(None, alias="order.id", description="The productOrder's id."),
) -> list[WorkOrderOut]:
    work_orders = fulfillment_selectors.work_order_list(
        user=request.auth, order_id=order_id, statuses=matching(WORK_ORDER_STATE, state), detailed=True
    )
    return [WorkOrderOut.of(request, work_order) for work_order in paginate(response, work_orders, page)]


@router.get("/workOrder/{id}", response={200: WorkOrderOut, **ERRORS}, summary="Retrieve a work order")
def work_order_get(request: ApiRequest, id: str, fields: str | None = None) -> WorkOrderOut:
    return WorkOrderOut.of(request, fulfillment_selectors.work_order_get_for(user=request.auth, work_order_id=id))


@router.post(
    "/workOrder/{id}/task/{task_id}/complete",
    response={200: WorkOrderItemOut, **ERRORS},
    summary="Complete a manual task",
)
def task_complete(
    request: ApiRequest, id: str, task_id: str, payload: TaskCompleteIn | None = None
) -> WorkOrderItemOut:
    """Mark a ready manual task done (not TMF). 409 `task_blocked` while a task it depends on is
    open; completing the last task turns the service up. Needs the provisioning role."""
    require_role(request.auth, *FULFIL)
    work_order = fulfillment_selectors.work_order_get_for(user=request.auth, work_order_id=id)
    task = fulfillment_selectors.task_get_for(user=request.auth, task_id=task_id)
    if task.work_order_id != work_order.pk:
        raise NotFound("No such task on this work order.", field="task_id")
    with body_fields({"status": "state", "kind": "work.workType"}):
        fulfillment_services.task_complete(task=task, completed_by=request.auth, notes=payload.note if payload else "")
    task = fulfillment_selectors.task_get_for(user=request.auth, task_id=task.pk)
    return WorkOrderItemOut.of(task, action=work_order.order_line.action)
