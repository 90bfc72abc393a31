"""TMF622 productOrder: the order an accepted quote became (read only).

`/tmf-api/productOrderingManagement/v4/productOrder`, filters `?state=` and `?relatedParty.id=`.

State (ours -> TMF ProductOrder.state): acknowledged -> acknowledged, in_progress -> inProgress,
completed -> completed, partial -> partial, failed -> failed, cancelled -> cancelled; an item's
state maps the same way.
Each `productOrderItem` (id = its position, as the quote item's) has `action`, `state`,
`quantity`, `productOffering`, `itemTerm`, `itemPrice` (recurring monthly and one-time, before
tax) and `quoteItem` (the quote item it came from); `product` refers to the service the item
creates in the TMF638 inventory (id and href of the service, `@referredType` "Service"), with
its site in `product.place`. `quote` refers to the accepted quote, `relatedParty` to the customer.
"""

import datetime as dt
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import (
    ERRORS,
    Out,
    PriceEntryOut,
    RefOut,
    TermOut,
    charges,
    customer_ref,
    offering_ref,
    quote_ref,
    site_ref,
    term,
)
from headend.core.money import total
from headend.orders import selectors as orders_selectors
from headend.orders.models import Order, OrderLine

router = Router(tags=["TMF622 productOrder"], by_alias=True, exclude_none=True)

ORDER_STATE: dict[str, str] = {
    Order.Status.ACKNOWLEDGED: "acknowledged",
    Order.Status.IN_PROGRESS: "inProgress",
    Order.Status.COMPLETED: "completed",
    Order.Status.PARTIAL: "partial",
    Order.Status.FAILED: "failed",
    Order.Status.CANCELLED: "cancelled",
}
ITEM_STATE: dict[str, str] = {
    OrderLine.Status.ACKNOWLEDGED: "acknowledged",
    OrderLine.Status.IN_PROGRESS: "inProgress",
    OrderLine.Status.COMPLETED: "completed",
    OrderLine.Status.FAILED: "failed",
    OrderLine.Status.CANCELLED: "cancelled",
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


class ProductOrderItemOut(Out):
    id: str
    type: str = Field(default="ProductOrderItem", serialization_alias="@type")
    action: str
    state: str
    quantity: int
    product_offering: RefOut = Field(serialization_alias="productOffering")
    product: OrderProductOut
    item_term: list[TermOut] = Field(serialization_alias="itemTerm")
    item_price: list[PriceEntryOut] = Field(serialization_alias="itemPrice")
    quote_item: QuoteItemRefOut | None = Field(default=None, serialization_alias="quoteItem")

    @classmethod
    def of(cls, request: HttpRequest, order: Order, line: OrderLine) -> "ProductOrderItemOut":
        service = getattr(line, "created_service", None)
        return cls(
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
                product_term=[term(line.term_months, "ProductTerm")],
            ),
            item_term=[term(line.term_months, "OrderTerm")],
            item_price=charges(mrc=line.mrc_amount, nrc=line.nrc_amount, currency=order.currency, type_="OrderPrice"),
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
    completion_date: dt.datetime | None = Field(default=None, serialization_alias="completionDate")
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
            completion_date=order.completed_at,
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


@router.get("/productOrder", response={200: list[ProductOrderOut], **ERRORS}, summary="List product orders")
def order_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    state: OrderState | None = None,
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
) -> list[ProductOrderOut]:
    orders = orders_selectors.order_list(
        user=request.auth, account_id=related_party_id, statuses=matching(ORDER_STATE, state), detailed=True
    )
    return [ProductOrderOut.of(request, order) for order in paginate(response, orders, page)]


@router.get("/productOrder/{id}", response={200: ProductOrderOut, **ERRORS}, summary="Retrieve a product order")
def order_get(request: ApiRequest, id: str, fields: str | None = None) -> ProductOrderOut:
    return ProductOrderOut.of(request, orders_selectors.order_get_for(user=request.auth, order_id=id))
