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

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Status

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import (
    ERRORS,
    MONTH_UNITS,
    RELIES_ON,
    Id,
    In,
    ItemRelationshipIn,
    OfferingRefIn,
    Out,
    PlaceRefIn,
    PriceEntryOut,
    ProductRelationshipIn,
    ProductTermIn,
    RefOut,
    RelatedPartyIn,
    TermOut,
    Text20,
    Text40,
    Text200,
    base_named,
    charges,
    customer_id_in,
    customer_ref,
    offering_ref,
    order_ref,
    quote_ref,
    site_ref,
    term,
)
from headend.catalog import selectors as catalog_selectors
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.money import total
from headend.core.permissions import require
from headend.crm import selectors as crm_selectors
from headend.inventory import selectors as inventory_selectors
from headend.orders import selectors as orders_selectors
from headend.orders import services as orders_services
from headend.orders.models import Order, OrderLine
from headend.quoting.api_prices import QuotePriceOut, promotion_alterations

router = Router(tags=["TMF622 productOrder"], by_alias=True, exclude_none=True)

ORDER_STATE: dict[str, str] = {
    Order.Status.ACKNOWLEDGED: "acknowledged",
    Order.Status.IN_PROGRESS: "inProgress",
    Order.Status.COMPLETED: "completed",
    Order.Status.PARTIAL: "partial",
    Order.Status.FAILED: "failed",
    Order.Status.PENDING_CANCELLATION: "pendingCancellation",
    Order.Status.CANCELLED: "cancelled",
}
ITEM_STATE: dict[str, str] = {
    OrderLine.Status.ACKNOWLEDGED: "acknowledged",
    OrderLine.Status.IN_PROGRESS: "inProgress",
    OrderLine.Status.COMPLETED: "completed",
    OrderLine.Status.FAILED: "failed",
    OrderLine.Status.CANCELLED: "cancelled",
}
# A cancellation request's state (TMF TaskStateType) by the status of the order it cancels.
CANCELLATION_STATE: dict[str, str] = {
    Order.Status.ACKNOWLEDGED: "acknowledged",
    Order.Status.IN_PROGRESS: "acknowledged",
    Order.Status.PENDING_CANCELLATION: "inProgress",
    Order.Status.CANCELLED: "done",
    Order.Status.PARTIAL: "terminatedWithError",
    Order.Status.COMPLETED: "terminatedWithError",
    Order.Status.FAILED: "terminatedWithError",
}
OrderState = Literal[
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
CancellationState = Literal["acknowledged", "terminatedWithError", "inProgress", "done"]


class OrderProductOut(Out):
    """ProductRefOrValue: a reference to the service the item creates, with its site and term."""

    id: str | None = None
    href: str | None = None
    name: str
    referred_type: str | None = Field(default=None, serialization_alias="@referredType")
    place: list[RefOut]
    product_term: list[TermOut] = Field(serialization_alias="productTerm")


class QuoteItemRefOut(Out):
    id: str
    quote_id: str = Field(serialization_alias="quoteId")
    quote_href: str = Field(serialization_alias="quoteHref")


class OrderItemRelationshipOut(Out):
    """The item of this order an add-on rides on (`reliesOn`)."""

    id: str
    relationship_type: str = Field(serialization_alias="relationshipType")


def item_prices(line: OrderLine, currency: str) -> list[QuotePriceOut]:
    """The item's monthly and one-time charges; a promotion it carries alters the monthly one."""
    monthly, one_time = (
        QuotePriceOut(**entry.model_dump())
        for entry in charges(mrc=line.mrc_amount, nrc=line.nrc_amount, currency=currency, type_="OrderPrice")
    )
    monthly.price_alteration = promotion_alterations(line, currency) or None
    return [monthly, one_time]


class ProductOrderItemOut(Out):
    id: str
    type: str = Field(default="ProductOrderItem", serialization_alias="@type")
    action: str
    state: str
    quantity: int
    product_offering: RefOut = Field(serialization_alias="productOffering")
    product: OrderProductOut
    item_term: list[TermOut] = Field(serialization_alias="itemTerm")
    item_price: list[QuotePriceOut] = Field(serialization_alias="itemPrice")
    quote_item: QuoteItemRefOut | None = Field(default=None, serialization_alias="quoteItem")
    product_order_item_relationship: list[OrderItemRelationshipOut] | None = Field(
        default=None, serialization_alias="productOrderItemRelationship"
    )

    @classmethod
    def of(cls, request: HttpRequest, order: Order, line: OrderLine) -> "ProductOrderItemOut":
        service = getattr(line, "created_service", None) or line.target_service
        base = line.base_line
        return cls(
            product_order_item_relationship=[
                OrderItemRelationshipOut(id=str(base.position), relationship_type=RELIES_ON)
            ]
            if base is not None
            else None,
            id=str(line.position),
            action=line.action,
            state=ITEM_STATE[line.status],
            quantity=line.quantity,
            product_offering=offering_ref(request, line.product_version),
            product=OrderProductOut(
                id=str(service.pk) if service else None,
                href=links.SERVICE.href(request, service.pk) if service else None,
                name=line.product_version.product.name,
                referred_type="Service" if service else None,
                place=[site_ref(request, line.location)],
                product_term=[term(line.term_months, line.get_term_months_display(), "ProductTerm")],
            ),
            item_term=[term(line.term_months, line.get_term_months_display(), "OrderTerm")],
            item_price=item_prices(line, order.currency),
            quote_item=QuoteItemRefOut(
                id=str(line.position),
                quote_id=str(order.quote_id),
                quote_href=links.QUOTE.href(request, order.quote_id),
            )
            if order.quote_id
            else None,
        )


class ProductOrderOut(Out):
    id: str
    href: str
    type: str = Field(default="ProductOrder", serialization_alias="@type")
    state: str
    order_date: dt.datetime = Field(serialization_alias="orderDate")
    expected_completion_date: dt.datetime | None = Field(default=None, serialization_alias="expectedCompletionDate")
    completion_date: dt.datetime | None = Field(default=None, serialization_alias="completionDate")
    cancellation_date: dt.datetime | None = Field(default=None, serialization_alias="cancellationDate")
    cancellation_reason: str | None = Field(default=None, serialization_alias="cancellationReason")
    quote: list[RefOut] | None = None
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    product_order_item: list[ProductOrderItemOut] = Field(serialization_alias="productOrderItem")
    order_total_price: list[PriceEntryOut] = Field(serialization_alias="orderTotalPrice")

    @classmethod
    def of(cls, request: HttpRequest, order: Order) -> "ProductOrderOut":
        lines = list(order.lines.all())
        return cls(
            id=str(order.pk),
            href=links.PRODUCT_ORDER.href(request, order.pk),
            state=ORDER_STATE[order.status],
            order_date=order.created_at,
            expected_completion_date=order.forecast_go_live,
            completion_date=order.completed_at,
            cancellation_date=order.cancel_requested_at,
            cancellation_reason=order.cancel_reason or None,
            quote=[quote_ref(request, order.quote)] if order.quote else None,
            related_party=[customer_ref(request, order.account)],
            product_order_item=[ProductOrderItemOut.of(request, order, line) for line in lines],
            order_total_price=charges(
                mrc=total(line.mrc_amount for line in lines),
                nrc=total(line.nrc_amount for line in lines),
                currency=order.currency,
                type_="OrderPrice",
            ),
        )


class CancelProductOrderOut(Out):
    """A request to cancel an order; it is the order itself (see the module docstring)."""

    id: str
    href: str
    type: str = Field(default="CancelProductOrder", serialization_alias="@type")
    state: str
    cancellation_reason: str = Field(serialization_alias="cancellationReason")
    requested_cancellation_date: dt.datetime | None = Field(
        default=None, serialization_alias="requestedCancellationDate"
    )
    effective_cancellation_date: dt.datetime | None = Field(
        default=None, serialization_alias="effectiveCancellationDate"
    )
    product_order: RefOut = Field(serialization_alias="productOrder")

    @classmethod
    def of(cls, request: HttpRequest, order: Order) -> "CancelProductOrderOut":
        return cls(
            id=str(order.pk),
            href=links.CANCEL_PRODUCT_ORDER.href(request, order.pk),
            state=CANCELLATION_STATE[order.status],
            cancellation_reason=order.cancel_reason,
            requested_cancellation_date=order.cancel_requested_at,
            effective_cancellation_date=order.completed_at if order.status == Order.Status.CANCELLED else None,
            product_order=order_ref(request, order),
        )


# --- Input ------------------------------------------------------------------------------------


class RefIn(In):
    id: Id


class OrderProductIn(In):
    place: list[PlaceRefIn] = Field(default_factory=list)
    product_term: list[ProductTermIn] = Field(default_factory=list, alias="productTerm")
    product_relationship: list[ProductRelationshipIn] = Field(default_factory=list, alias="productRelationship")


class ProductOrderItemIn(In):
    id: Text40 | None = None
    action: Text20 = "add"
    quantity: int = 1
    product_offering: OfferingRefIn | None = Field(default=None, alias="productOffering")
    product: OrderProductIn = Field(default_factory=OrderProductIn)
    item_term: list[ProductTermIn] = Field(default_factory=list, alias="itemTerm")
    product_order_item_relationship: list[ItemRelationshipIn] = Field(
        default_factory=list, alias="productOrderItemRelationship"
    )

    def check_action(self, at: str) -> None:
        if self.action != "add":
            raise ValidationError(
                f"Only 'add' items can be ordered here, not {self.action!r}.",
                field=f"{at}.action",
                code="unsupported_action",
            )

    def offering_id(self, at: str) -> str:
        if self.product_offering is None:
            raise ValidationError(
                "Name the product offering to order.", field=f"{at}.productOffering.id", code="required"
            )
        return self.product_offering.id

    def site_id(self, at: str) -> str:
        if len(self.product.place) != 1:
            raise ValidationError(
                "Give the site as exactly one place: the id of one of the customer's geographic sites.",
                field=f"{at}.product.place",
                code="one_place",
            )
        return self.product.place[0].id

    def term_at(self, at: str) -> str:
        """Where the term is: `itemTerm[0]` (TMF622's own), else `product.productTerm[0]`."""
        if self.item_term:
            if len(self.item_term) != 1:
                raise ValidationError("Give one itemTerm.", field=f"{at}.itemTerm", code="term_required")
            return f"{at}.itemTerm[0]"
        if len(self.product.product_term) == 1:
            return f"{at}.product.productTerm[0]"
        raise ValidationError(
            'Give the contract term as one itemTerm, e.g. {"duration": {"amount": 12, "units": "month"}}.',
            field=f"{at}.itemTerm",
            code="term_required",
        )

    def term_months(self, at: str) -> int:
        where = self.term_at(at)
        duration = (self.item_term or self.product.product_term)[0].duration
        if duration.units.lower() not in MONTH_UNITS:
            raise ValidationError("Give the term in months.", field=f"{where}.duration.units", code="invalid_units")
        return duration.amount


class ProductOrderIn(In):
    """ProductOrder_Create: either `quote` (an accepted quote's order), or the customer in
    `relatedParty` and one or more `productOrderItem`s."""

    description: Text200 | None = None
    quote: list[RefIn] = Field(default_factory=list)
    related_party: list[RelatedPartyIn] = Field(default_factory=list, alias="relatedParty")
    product_order_item: list[ProductOrderItemIn] = Field(default_factory=list, alias="productOrderItem")


class CancelProductOrderIn(In):
    """CancelProductOrder_Create: the order and why. The cancellation is asked for at once."""

    product_order: RefIn = Field(alias="productOrder")
    cancellation_reason: Text200 = Field(default="", alias="cancellationReason")
    requested_cancellation_date: dt.datetime | None = Field(default=None, alias="requestedCancellationDate")

    def check_now(self) -> None:
        """Cancellations take effect when asked for, so a later date cannot be honoured."""
        if self.requested_cancellation_date is not None and self.requested_cancellation_date > clock.now():
            raise ValidationError(
                "Orders are cancelled when asked; leave out requestedCancellationDate or give a past instant.",
                field="requestedCancellationDate",
                code="future_cancellation",
            )


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
