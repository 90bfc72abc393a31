"""TMF622 productOrder and cancelProductOrder: orders placed from accepted quotes or directly.

`/tmf-api/productOrderingManagement/v4/productOrder`: create, list (filters `?state=`,
`?relatedParty.id=`, `?quote.id=`), retrieve.
`/tmf-api/productOrderingManagement/v4/cancelProductOrder`: create, list (`?state=`), retrieve.

State (ours -> TMF ProductOrder.state): acknowledged -> acknowledged, in_progress -> inProgress,
completed -> completed, partial -> partial, failed -> failed, pending_cancellation ->
pendingCancellation, cancelled -> cancelled; an item's state maps the same way.
Each `productOrderItem` (id = its position, as the quote item's) has `action`, `state`,
`quantity`, `productOffering`, `itemTerm`, `itemPrice` (recurring monthly and one-time, before
tax) and `quoteItem` (the quote item it came from, for an order from a quote); `product` refers
to the service the item creates in the TMF638 inventory (id and href of the service,
`@referredType` "Service"), with its site in `product.place`. `quote` refers to the accepted
quote, `relatedParty` to the customer. `expectedCompletionDate` is the forecast go-live (the
last task's forecast finish), `completionDate` when the order finished, `cancellationDate`
when its cancellation was asked for and `cancellationReason` why.

Creating (POST productOrder, sales roles):
- with `quote: [{"id": ...}]`: accepting a quote already made its order, so this answers 200
  with that order and a `Location` header; 409 `quote_not_accepted` if the quote is not
  accepted. The quote decides the customer and the items; other attributes are not used.
- otherwise from `relatedParty` (role "customer") and `productOrderItem`s, each `action` "add",
  `quantity` (default 1), `productOffering.id` (a product version), `product.place[0].id` (one
  of the customer's sites) and the term in months in `itemTerm[0].duration` (or, as quote
  items give it, `product.productTerm[0].duration`). Items are checked and priced as quote
  lines are, all or nothing; 201 with the order and a `Location` header.

CancelProductOrder has no table of its own: a cancellation request is the order it cancels,
so its `id` is the order's id, and only orders whose cancellation was asked for are listed.
Its state (TMF TaskStateType) follows the order: pending_cancellation -> inProgress (undo
work remains), cancelled -> done, partial/completed/failed -> terminatedWithError (work that
had finished before the request stands). Cancelling needs a sales or the provisioning role.
"""

from typing import Any

from django.http import HttpResponse
from ninja import Query, Router, Status

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import (
    ERRORS,
    base_named,
    customer_id_in,
)
from headend.catalog import selectors as catalog_selectors
from headend.core.errors import ValidationError
from headend.core.permissions import require
from headend.crm import selectors as crm_selectors
from headend.inventory import selectors as inventory_selectors
from headend.orders import selectors as orders_selectors
from headend.orders import services as orders_services
from headend.orders.api_schemas import (
    CANCELLATION_STATE,
    ORDER_STATE,
    CancellationState,
    CancelProductOrderIn,
    CancelProductOrderOut,
    OrderState,
    ProductOrderIn,
    ProductOrderItemIn,
    ProductOrderOut,
)
from headend.orders.models import Order

router = Router(tags=["TMF622 productOrder"], by_alias=True, exclude_none=True)


# --- Routes -------------------------------------------------------------------------------------


def _created(request: ApiRequest, response: HttpResponse, order: Order, status: int) -> Status:
    order = orders_selectors.order_get_for(user=request.auth, order_id=order.pk)
    response["Location"] = links.PRODUCT_ORDER.href(request, order.pk)
    return Status(status, ProductOrderOut.of(request, order))


@router.post(
    "/productOrder",
    response={200: ProductOrderOut, 201: ProductOrderOut, **ERRORS},
    summary="Create a product order (or find an accepted quote's)",
)
def order_create(request: ApiRequest, response: HttpResponse, payload: ProductOrderIn) -> Status:
    """With `quote`: the order the accepted quote became (200; 409 `quote_not_accepted`).
    Otherwise: a new order for the customer's `productOrderItem`s, checked and priced as quote
    items are, all or nothing (201). Both answer with a `Location` header. Needs a sales role."""
    require(request.auth, "order.place")
    if payload.quote:
        if len(payload.quote) != 1:
            raise ValidationError("Refer to one quote.", field="quote", code="one_quote")
        with body_fields({"id": "quote[0].id", "status": "quote[0].id"}):
            order = orders_selectors.order_for_quote(user=request.auth, quote_id=payload.quote[0].id)
        return _created(request, response, order, 200)
    if not payload.product_order_item:
        raise ValidationError(
            "Order at least one productOrderItem, or refer to an accepted quote.",
            field="productOrderItem",
            code="required",
        )
    customer_id, customer_at = customer_id_in(payload.related_party)
    with body_fields({"id": customer_at}):
        account = crm_selectors.account_get_for(user=request.auth, account_id=customer_id)
    items: list[orders_services.OrderItem] = []
    paths = {"items": "productOrderItem"}
    earlier: dict[str, int] = {}
    for index, item in enumerate(payload.product_order_item):
        at = f"productOrderItem[{index}]"
        item.check_action(at)
        with body_fields({"id": f"{at}.productOffering.id"}):
            version = catalog_selectors.version_get_for(user=request.auth, version_id=item.offering_id(at))
        with body_fields({"id": f"{at}.product.place[0].id"}):
            location = crm_selectors.location_get_for(user=request.auth, location_id=item.site_id(at))
        rides_on, rides_on_at = _rides_on(request, item, at, earlier)
        items.append(
            orders_services.OrderItem(
                location=location,
                product_version=version,
                term_months=item.term_months(at),
                quantity=item.quantity,
                rides_on=rides_on,
            )
        )
        if item.id:
            earlier[item.id] = index
        paths |= {
            f"items[{index}].rides_on": rides_on_at,
            f"items[{index}].quantity": f"{at}.quantity",
            f"items[{index}].location": f"{at}.product.place[0].id",
            f"items[{index}].product_version": f"{at}.productOffering.id",
            f"items[{index}].term_months": f"{item.term_at(at)}.duration.amount",
            f"items[{index}]": at,
        }
    with body_fields(paths):
        order = orders_services.order_create(account=account, items=items, created_by=request.auth)
    return _created(request, response, order, 201)


def _rides_on(request: ApiRequest, item: ProductOrderItemIn, at: str, earlier: dict[str, int]) -> tuple[Any, str]:
    def find_service(service_id: str, where: str) -> Any:
        with body_fields({"id": where}):
            return inventory_selectors.service_get_for(user=request.auth, service_id=service_id)

    return base_named(
        at=at,
        item_relations=item.product_order_item_relationship,
        item_key="productOrderItemRelationship",
        product_relations=item.product.product_relationship,
        earlier=earlier,
        find_service=find_service,
    )


@router.get("/productOrder", response={200: list[ProductOrderOut], **ERRORS}, summary="List product orders")
def order_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    state: OrderState | None = None,
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
    quote_id: str | None = Query(None, alias="quote.id", description="The quote's id."),
) -> list[ProductOrderOut]:
    orders = orders_selectors.order_search(
        user=request.auth, account_id=related_party_id, quote_id=quote_id, statuses=matching(ORDER_STATE, state)
    )
    return [ProductOrderOut.of(request, order) for order in paginate(response, orders, page)]


@router.get("/productOrder/{id}", response={200: ProductOrderOut, **ERRORS}, summary="Retrieve a product order")
def order_get(request: ApiRequest, id: str, fields: str | None = None) -> ProductOrderOut:
    return ProductOrderOut.of(request, orders_selectors.order_get_for(user=request.auth, order_id=id))


@router.post(
    f"/{links.CANCEL_PRODUCT_ORDER.name}",
    response={201: CancelProductOrderOut, **ERRORS},
    summary="Cancel a product order",
)
def order_cancel(request: ApiRequest, response: HttpResponse, payload: CancelProductOrderIn) -> Status:
    """Cancel an order that is not finished: open tasks are cancelled, done ones with an undo
    get undo tasks (state `inProgress` until they are done), services never turned up are
    cancelled. 400 without `cancellationReason`; 409 `order_not_cancellable` for an order that
    is finished or already being cancelled. Needs a sales or the provisioning role."""
    require(request.auth, "order.cancel")
    payload.check_now()
    with body_fields({"id": "productOrder.id"}):
        order = orders_selectors.order_get_for(user=request.auth, order_id=payload.product_order.id)
    with body_fields({"reason": "cancellationReason", "status": "productOrder.id"}):
        orders_services.order_cancel(order=order, reason=payload.cancellation_reason, cancelled_by=request.auth)
    cancellation = CancelProductOrderOut.of(
        request, orders_selectors.order_cancellation_get_for(user=request.auth, order_id=order.pk)
    )
    response["Location"] = cancellation.href
    return Status(201, cancellation)


@router.get(
    f"/{links.CANCEL_PRODUCT_ORDER.name}",
    response={200: list[CancelProductOrderOut], **ERRORS},
    summary="List order cancellations",
)
def order_cancellation_list(
    request: ApiRequest, response: HttpResponse, page: Query[ListParams], state: CancellationState | None = None
) -> list[CancelProductOrderOut]:
    orders = orders_selectors.order_search(
        user=request.auth, statuses=matching(CANCELLATION_STATE, state), cancel_requested=True
    )
    return [CancelProductOrderOut.of(request, order) for order in paginate(response, orders, page)]


@router.get(
    f"/{links.CANCEL_PRODUCT_ORDER.name}/{{id}}",
    response={200: CancelProductOrderOut, **ERRORS},
    summary="Retrieve an order cancellation",
)
def order_cancellation_get(request: ApiRequest, id: str, fields: str | None = None) -> CancelProductOrderOut:
    return CancelProductOrderOut.of(
        request, orders_selectors.order_cancellation_get_for(user=request.auth, order_id=id)
    )
