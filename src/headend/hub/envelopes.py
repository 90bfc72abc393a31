"""Which TMF event an outbox event is, and the envelope a listener receives for it.

Outbox name -> TMF eventType (the resource in `event` is built by the API's own schema, as
`GET` of that resource returns it when the event is relayed). Each type is sent to the hub of
its API: Service* at serviceInventory/v4, ProductOrder* and CancelProductOrder* at
productOrderingManagement/v4, Quote* at quoteManagement/v4, WorkOrder* at workOrderManagement/v4.

| outbox event | eventType | fieldPath |
|---|---|---|
| service.created | ServiceCreateEvent | |
| service.<status> (provisioning, active, suspended, ...) | ServiceStateChangeEvent | |
| service.changed, service.identified | ServiceAttributeValueChangeEvent | |
| order.created | ProductOrderCreateEvent | |
| order.<status> (in_progress, completed, ...) | ProductOrderStateChangeEvent | |
| order.forecast_changed | ProductOrderAttributeValueChangeEvent | expectedCompletionDate |
| order.cancel_requested | CancelProductOrderCreateEvent | |
| quote.created | QuoteCreateEvent | |
| quote.presented, accepted, rejected, expired, superseded | QuoteStateChangeEvent | |
| quote.approval_* | QuoteAttributeValueChangeEvent | authorization |
| quote.sites_imported | QuoteAttributeValueChangeEvent | quoteItem |
| work_order.created | WorkOrderCreateEvent | |
| work_order.started, completed, cancelled | WorkOrderStateChangeEvent | |
| work_order.cancelling | WorkOrderAttributeValueChangeEvent | cancellationDate |
| task.* (of the work order) | WorkOrderAttributeValueChangeEvent | workOrderItem |

The TMF688 hub (`event/v4`) receives all of them. Other outbox events are not sent.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest

from headend.api import links
from headend.api.renderers import dumps
from headend.api.schemas import Out
from headend.core.models import OutboxEvent
from headend.fulfillment import selectors as fulfillment_selectors
from headend.inventory import selectors as inventory_selectors
from headend.inventory.models import Service
from headend.orders import selectors as orders_selectors
from headend.orders.models import Order
from headend.quoting import selectors as quoting_selectors

# The API modules are imported when a body is built, not at start-up: they import the API's
# plumbing, which mounts the hub's own routes.

# What `load` gives: the resource's id and its TMF body (an API output schema).
Loader = Callable[[HttpRequest, Any, OutboxEvent], tuple[str, Out]]


@dataclass(frozen=True)
class Resource:
    """A TMF resource whose events we send: `name` is its key in the event payload
    (`{"service": {...}}`), `record` the record it is (a cancelProductOrder is its order), and
    `load` reads it as `user` may see it."""

    name: str
    api: str
    domain: str
    load: Loader
    record: str = ""


@dataclass(frozen=True)
class Notification:
    """What one outbox event is for listeners."""

    resource: Resource
    event_type: str
    field_path: str | None = None

    @property
    def listener_name(self) -> str:
        """The TMF listener operation: ServiceStateChangeEvent -> serviceStateChangeEvent."""
        return self.event_type[0].lower() + self.event_type[1:]


def _service(request: HttpRequest, user: Any, event: OutboxEvent) -> tuple[str, Out]:
    from headend.inventory.api import ServiceOut

    service = inventory_selectors.service_get_for(user=user, service_id=event.subject_id)
    return str(service.pk), ServiceOut.of(request, service)


def _order(request: HttpRequest, user: Any, event: OutboxEvent) -> tuple[str, Out]:
    from headend.orders.api_schemas import ProductOrderOut

    order = orders_selectors.order_get_for(user=user, order_id=event.subject_id)
    return str(order.pk), ProductOrderOut.of(request, order)


def _cancellation(request: HttpRequest, user: Any, event: OutboxEvent) -> tuple[str, Out]:
    from headend.orders.api_schemas import CancelProductOrderOut

    order = orders_selectors.order_cancellation_get_for(user=user, order_id=event.subject_id)
    return str(order.pk), CancelProductOrderOut.of(request, order)


def _quote(request: HttpRequest, user: Any, event: OutboxEvent) -> tuple[str, Out]:
    from headend.quoting.api_schemas import QuoteOut

    quote = quoting_selectors.quote_get_for(user=user, quote_id=event.subject_id)
    return str(quote.pk), QuoteOut.of(request, quote)


def _work_order(request: HttpRequest, user: Any, event: OutboxEvent) -> tuple[str, Out]:
    from headend.fulfillment.api import WorkOrderOut

    work_order_id: Any = event.subject_id
    if event.subject_type == "fulfillment.task":
        work_order_id = fulfillment_selectors.task_get_for(user=user, task_id=event.subject_id).work_order_id
    work_order = fulfillment_selectors.work_order_get_scheduled(user=user, work_order_id=work_order_id)
    return str(work_order.pk), WorkOrderOut.of(request, work_order)


SERVICE_API, ORDER_API, QUOTE_API, WORK_ORDER_API = (
    links.SERVICE.api.rstrip("/"),
    links.PRODUCT_ORDER.api.rstrip("/"),
    links.QUOTE.api.rstrip("/"),
    links.WORK_ORDER.api.rstrip("/"),
)
EVENT_API = "event/v4"  # TMF688: every event

SERVICE = Resource("service", SERVICE_API, "serviceInventory", _service)
PRODUCT_ORDER = Resource("productOrder", ORDER_API, "productOrderingManagement", _order)
CANCEL_PRODUCT_ORDER = Resource(
    "cancelProductOrder", ORDER_API, "productOrderingManagement", _cancellation, record="productOrder"
)
QUOTE = Resource("quote", QUOTE_API, "quoteManagement", _quote)
WORK_ORDER = Resource("workOrder", WORK_ORDER_API, "workOrderManagement", _work_order)

# The APIs with a hub, by basePath, with the TM Forum number shown in the API docs.
HUBS: dict[str, str] = {
    SERVICE_API: "TMF638",
    ORDER_API: "TMF622",
    QUOTE_API: "TMF648",
    WORK_ORDER_API: "TMF697",
    EVENT_API: "TMF688",
}


NOTIFICATIONS: dict[str, Notification] = {
    "service.created": Notification(SERVICE, "ServiceCreateEvent"),
    "service.changed": Notification(SERVICE, "ServiceAttributeValueChangeEvent"),
    "service.identified": Notification(SERVICE, "ServiceAttributeValueChangeEvent"),
    **{f"service.{status}": Notification(SERVICE, "ServiceStateChangeEvent") for status in Service.Status.values},
    "order.created": Notification(PRODUCT_ORDER, "ProductOrderCreateEvent"),
    "order.forecast_changed": Notification(
        PRODUCT_ORDER, "ProductOrderAttributeValueChangeEvent", "expectedCompletionDate"
    ),
    "order.cancel_requested": Notification(CANCEL_PRODUCT_ORDER, "CancelProductOrderCreateEvent"),
    **{
        f"order.{status}": Notification(PRODUCT_ORDER, "ProductOrderStateChangeEvent") for status in Order.Status.values
    },
    "quote.created": Notification(QUOTE, "QuoteCreateEvent"),
    **{
        f"quote.{status}": Notification(QUOTE, "QuoteStateChangeEvent")
        for status in ("presented", "accepted", "rejected", "expired", "superseded")
    },
    "quote.sites_imported": Notification(QUOTE, "QuoteAttributeValueChangeEvent", "quoteItem"),
    "work_order.created": Notification(WORK_ORDER, "WorkOrderCreateEvent"),
    **{
        f"work_order.{status}": Notification(WORK_ORDER, "WorkOrderStateChangeEvent")
        for status in ("started", "completed", "cancelled")
    },
    "work_order.cancelling": Notification(WORK_ORDER, "WorkOrderAttributeValueChangeEvent", "cancellationDate"),
}
# Families of events by the start of their name: each approval decision, each task move.
PREFIXES: dict[str, Notification] = {
    "quote.approval_": Notification(QUOTE, "QuoteAttributeValueChangeEvent", "authorization"),
    "task.": Notification(WORK_ORDER, "WorkOrderAttributeValueChangeEvent", "workOrderItem"),
}


def notification_for(name: str) -> Notification | None:
    """The TMF event an outbox event name is, or None for events listeners are not sent."""
    if name in NOTIFICATIONS:
        return NOTIFICATIONS[name]
    return next((notification for prefix, notification in PREFIXES.items() if name.startswith(prefix)), None)


@functools.cache
def event_types(api: str) -> tuple[str, ...]:
    """The eventTypes a hub's listeners may be sent, sorted (TMF688's: all of them)."""
    every = [*NOTIFICATIONS.values(), *PREFIXES.values()]
    return tuple(sorted({n.event_type for n in every if api in (EVENT_API, n.resource.api)}))


class _SiteRequest(HttpRequest):
    """Stands in for a request when building hrefs in the worker: HEADEND_SITE_URL's host."""

    def __init__(self, site_url: str):
        super().__init__()
        parts = urlsplit(site_url)
        self._scheme, self._host = parts.scheme or "http", parts.netloc or "localhost"

    def _get_scheme(self) -> str:
        return self._scheme

    def get_host(self) -> str:
        return self._host


def site_request() -> HttpRequest:
    return _SiteRequest(settings.HEADEND_SITE_URL or "http://localhost:8000")


def envelope(event: OutboxEvent, notification: Notification, *, user: Any, request: HttpRequest) -> tuple[str, str]:
    """The record's key ("service/12", "productOrder/3") and the JSON envelope for one event, as `user`
    may see the resource. Raises NotFound when they may not (or it is gone)."""
    resource = notification.resource
    resource_id, body = resource.load(request, user, event)
    source = {
        "id": resource_id,
        "href": links.Resource(resource.api, resource.name).href(request, resource_id),
        "@referredType": resource.name[0].upper() + resource.name[1:],
    }
    data: dict[str, Any] = {
        "eventId": str(event.event_id),
        "eventTime": event.occurred_at,
        "eventType": notification.event_type,
        "timeOcurred": event.occurred_at,  # sic: the TMF spelling
        "title": event.name,
        "domain": resource.domain,
        **({"fieldPath": notification.field_path} if notification.field_path else {}),
        "source": source,
        "reportingSystem": {"id": "headend", "name": settings.HEADEND_PROVIDER_NAME},
        "event": {resource.name: body.model_dump(by_alias=True, exclude_none=True)},
    }
    return f"{resource.record or resource.name}/{resource_id}", dumps(data)
