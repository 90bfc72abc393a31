"""The TMF622 productOrder's and cancelProductOrder's bodies: what the routes answer
(`ProductOrderOut`, `CancelProductOrderOut`) and read (`ProductOrderIn`, `CancelProductOrderIn`),
and our states in TMF's words. api.py's docstring is the mapping in short; docs/api.md the
reference."""

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field

from headend.api import links
from headend.api.schemas import (
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
    charges,
    customer_ref,
    offering_ref,
    order_ref,
    quote_ref,
    site_ref,
    term,
)
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.money import total
from headend.orders.models import Order, OrderLine
from headend.quoting.api_prices import QuotePriceOut, promotion_alterations

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
    """A request to cancel an order; it is the order itself (see api.py's docstring)."""

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
