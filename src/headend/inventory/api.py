"""TMF638 service: the service inventory (read only).

`/tmf-api/serviceInventory/v4/service`, filters `?state=`, `?relatedParty.id=`, `?place.id=`.

State (ours -> TMF638 Service.state, whose lifecycle runs feasibilityChecked -> designed ->
reserved -> inactive -> active -> terminated):
- pending -> designed: the order made the record; no work has started.
- provisioning -> reserved: work is under way and network resources are being assigned.
- active -> active: turned up and billable.
- suspended -> inactive: installed but switched off (non-payment, customer request).
- pending_disconnect -> active: still running until the disconnect is done.
- disconnected -> terminated.
`?state=active` therefore finds active and pending-disconnect services.

`startDate` is when it was turned up, `endDate` when it was disconnected. Our own attributes
are `serviceCharacteristic`s: downloadSpeedMbps, uploadSpeedMbps, technology,
staticIpAddresses, circuitId, contractTermMonths, termStartDate, termEndDate, billableFrom and
billableUntil (instants, ISO 8601 UTC), and availability30d, availability90d and
availability365d (valueType number: the percent over the last 30, 90 or 365 days of the time
the service existed, four decimals, planned maintenance not counted; inventory/availability.py;
left out while it has never been turned up). `serviceSpecification` is the product, `place` the
site, `relatedParty` the customer, and `relatedEntity` the product offering (version) and the
product order that created it.

PATCH `/service/{id}` with `{"state": "inactive"}` suspends an active service, `{"state":
"active"}` restores a suspended one and `{"state": "terminated"}` disconnects it: each asks for
a work order from the product's template for that action, whose code tasks change the network
(RADIUS walled garden, CoA/Disconnect to the NAS); the answer is 202 with the service as it is
now (its state changes when the work order's turn-up task is done) and the work order among its
`relatedEntity` (role `workOrder`). The reason is the extension `stateChangeReason`. 409
`invalid_transition`, `change_in_flight` (another work order is open) or `no_template`.

`stateChange` is the service's state history, oldest first: one entry per move of our status,
`{"@type": "StateChange", "state", "changeDate", "changeReason"}`. TMF638 v4 Service has no
attribute for it; this extension takes the shape of TMF621's StatusChange (`status`,
`changeDate`, `changeReason`) with Service's word, `state`. Because pending_disconnect shows
as `active`, a disconnect request is an entry whose state stays `active` (its reason says why).
"""

import datetime as dt
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Status

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import (
    ERRORS,
    CharacteristicOut,
    In,
    Out,
    RefOut,
    Text200,
    characteristics,
    customer_ref,
    offering_ref,
    order_ref,
    site_ref,
)
from headend.catalog.models import WorkAction
from headend.core.permissions import require
from headend.inventory import availability
from headend.inventory import selectors as inventory_selectors
from headend.inventory.hooks import service_work
from headend.inventory.models import Service

router = Router(tags=["TMF638 service"], by_alias=True, exclude_none=True)

SERVICE_STATE: dict[str, str] = {
    Service.Status.PENDING: "designed",
    Service.Status.PROVISIONING: "reserved",
    Service.Status.ACTIVE: "active",
    Service.Status.SUSPENDED: "inactive",
    Service.Status.PENDING_DISCONNECT: "active",
    Service.Status.DISCONNECTED: "terminated",
}
ServiceState = Literal["feasibilityChecked", "designed", "reserved", "inactive", "active", "terminated"]
RUNNING = {Service.Status.ACTIVE, Service.Status.PENDING_DISCONNECT}


class StateChangeOut(Out):
    """One move of a service's state (an extension; see the module docstring)."""

    type: str = Field(default="StateChange", serialization_alias="@type")
    state: str
    change_date: dt.datetime = Field(serialization_alias="changeDate")
    change_reason: str | None = Field(default=None, serialization_alias="changeReason")


class ServiceOut(Out):
    id: str
    href: str
    type: str = Field(default="Service", serialization_alias="@type")
    name: str
    description: str
    category: str
    state: str
    is_service_enabled: bool = Field(serialization_alias="isServiceEnabled")
    has_started: bool = Field(serialization_alias="hasStarted")
    is_stateful: bool = Field(default=True, serialization_alias="isStateful")
    start_date: dt.datetime | None = Field(default=None, serialization_alias="startDate")
    end_date: dt.datetime | None = Field(default=None, serialization_alias="endDate")
    service_specification: RefOut = Field(serialization_alias="serviceSpecification")
    service_characteristic: list[CharacteristicOut] = Field(serialization_alias="serviceCharacteristic")
    place: list[RefOut]
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    related_entity: list[RefOut] = Field(serialization_alias="relatedEntity")
    state_change: list[StateChangeOut] = Field(serialization_alias="stateChange")

    @classmethod
    def of(
        cls, request: HttpRequest, service: Service, figures: list[availability.Availability] | None = None
    ) -> "ServiceOut":
        version, product = service.product_version, service.product_version.product
        if figures is None:
            figures = availability.service_availability(service=service)
        percent = {figure.days: figure.percent for figure in figures}
        entities = [offering_ref(request, version).model_copy(update={"role": "productOffering"})]
        if service.order_line is not None:
            entities.append(order_ref(request, service.order_line.order, role="productOrder"))
        for work_order in getattr(service, "open_work_orders", ()):
            entities.append(
                RefOut(
                    id=str(work_order.pk),
                    href=links.WORK_ORDER.href(request, work_order.pk),
                    name=work_order.name,
                    role="workOrder",
                    referred_type="WorkOrder",
                )
            )
        return cls(
            id=str(service.pk),
            href=links.SERVICE.href(request, service.pk),
            name=f"{product.name} {service.number}",
            description=f"{product.name} at {service.location.one_line}",
            category=product.kind,
            state=SERVICE_STATE[service.status],
            is_service_enabled=service.status in RUNNING,
            has_started=service.activated_at is not None,
            start_date=service.activated_at,
            end_date=service.status_changed_at if service.status == Service.Status.DISCONNECTED else None,
            service_specification=RefOut(
                id=str(product.pk),
                name=product.name,
                referred_type="ServiceSpecification",
            ),
            service_characteristic=characteristics(
                [
                    ("downloadSpeedMbps", version.download_mbps, "integer"),
                    ("uploadSpeedMbps", version.upload_mbps, "integer"),
                    ("technology", version.technology, "string"),
                    ("staticIpAddresses", version.static_ips, "integer"),
                    ("circuitId", service.circuit_id, "string"),
                    ("contractTermMonths", service.term_months, "integer"),
                    ("termStartDate", service.term_start_date, "date"),
                    ("termEndDate", service.term_end_date, "date"),
                    ("billableFrom", service.billable_from, "dateTime"),
                    ("billableUntil", service.billable_until, "dateTime"),
                    *((f"availability{days}d", percent.get(days), "number") for days in availability.WINDOWS),
                ]
            ),
            place=[site_ref(request, service.location)],
            related_party=[customer_ref(request, service.account)],
            related_entity=entities,
            state_change=[
                StateChangeOut(
                    state=SERVICE_STATE[change.to_status], change_date=change.at, change_reason=change.reason or None
                )
                for change in service.status_changes.all()
            ],
        )


@router.get("/service", response={200: list[ServiceOut], **ERRORS}, summary="List services")
def service_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    state: ServiceState | None = None,
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
    place_id: str | None = Query(None, alias="place.id", description="The geographicSite's id."),
) -> list[ServiceOut]:
    services = inventory_selectors.service_list_with_history(
        user=request.auth,
        account_id=related_party_id,
        location_id=place_id,
        statuses=matching(SERVICE_STATE, state),
    )
    chunk = paginate(response, services, page)
    figures = availability.services_availability(services=chunk)  # one query for the page
    return [ServiceOut.of(request, service, figures[service.pk]) for service in chunk]


@router.get("/service/{id}", response={200: ServiceOut, **ERRORS}, summary="Retrieve a service")
def service_get(request: ApiRequest, id: str, fields: str | None = None) -> ServiceOut:
    return ServiceOut.of(request, inventory_selectors.service_get_for(user=request.auth, service_id=id))


class ServiceUpdateIn(In):
    """Service_Update: `state` (see the module docstring), with a reason (extension)."""

    model_config = {"extra": "forbid"}

    state: Literal["active", "inactive", "terminated"]
    state_change_reason: Text200 = Field(default="", alias="stateChangeReason")


ACTION_FOR_STATE = {"inactive": WorkAction.SUSPEND, "active": WorkAction.RESTORE, "terminated": WorkAction.DELETE}


@router.patch(
    "/service/{id}",
    response={202: ServiceOut, **ERRORS},
    summary="Suspend, restore or disconnect a service",
    openapi_extra={
        "requestBody": {
            "content": {"application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/ServiceUpdateIn"}}}
        }
    },
)
def service_patch(request: ApiRequest, id: str, payload: ServiceUpdateIn) -> Status:
    """`inactive` suspends, `active` restores, `terminated` disconnects, through a work order
    (202; see the module docstring). Needs a provisioning, support or billing role."""
    require(request.auth, "service.action")
    service = inventory_selectors.service_get_for(user=request.auth, service_id=id)
    reason = payload.state_change_reason or f"asked through the API by {request.auth.get_username()}"
    with body_fields({"status": "state", "reason": "stateChangeReason", "action": "state", "service": "id"}):
        work_order = service_work().request_action(
            service=service, action=ACTION_FOR_STATE[payload.state], reason=reason, requested_by=request.auth
        )
    service = inventory_selectors.service_get_for(user=request.auth, service_id=service.pk)
    service.open_work_orders = [work_order]  # type: ignore[attr-defined]
    return Status(202, ServiceOut.of(request, service))
