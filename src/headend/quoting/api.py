"""TMF648 quote: create with its items, read, and drive its lifecycle with PATCH `state`.

`/tmf-api/quoteManagement/v4/quote`.

State (ours -> TMF Quote.state): draft -> inProgress, presented -> approved,
accepted -> accepted, rejected -> rejected, expired -> cancelled.
PATCH `{"state": ...}` moves it: approved presents the draft to the customer, accepted accepts
it (the order is created), rejected and cancelled close it. Any other move is a 409.

A quote item (`quoteItem[i]`) adds a service:
- `action` "add"; `quantity` (default 1);
- `productOffering.id`: a product offering (product version) id;
- `product.place[0].id`: the geographicSite (one of the customer's sites);
- `product.productTerm[0].duration`: the contract term, `{"amount": 12, "units": "month"}`
  (0 months = month-to-month). TMF648 QuoteItem has no term of its own; the product's
  ProductTerm is where the spec carries one.
Items are numbered 1, 2, ... in the order given. The customer is the `relatedParty` with role
"customer". Creation is all or nothing: one bad item and nothing is written.

Prices: `quoteItem[].quoteItemPrice` and `quoteTotalPrice` list the monthly recurring charge
(priceType "recurring", recurringChargePeriod "month"), the one-time charge (priceType
"oneTime") and the total contract value (priceType "total", name "Total contract value":
monthly x committed months + one-time), all before tax (`price.dutyFreeAmount`).
Once accepted, `relatedEntity` (an extension: TMF648 v4 has no place for it) refers to the
productOrder, role "productOrder".
"""

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Status

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import (
    ERRORS,
    MONTH_UNITS,
    In,
    OfferingRefIn,
    Out,
    PlaceRefIn,
    PriceEntryOut,
    ProductTermIn,
    RefOut,
    RelatedPartyIn,
    TermOut,
    Text20,
    Text40,
    Text200,
    TimePeriodOut,
    charges,
    customer_id_in,
    customer_ref,
    end_of_day,
    offering_ref,
    order_ref,
    site_ref,
    term,
)
from headend.catalog import selectors as catalog_selectors
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import SELL, require_role
from headend.crm import selectors as crm_selectors
from headend.quoting import selectors as quoting_selectors
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote, QuoteLine

router = Router(tags=["TMF648 quote"], by_alias=True, exclude_none=True)

QUOTE_STATE: dict[str, str] = {
    Quote.Status.DRAFT: "inProgress",
    Quote.Status.PRESENTED: "approved",
    Quote.Status.ACCEPTED: "accepted",
    Quote.Status.REJECTED: "rejected",
    Quote.Status.EXPIRED: "cancelled",
}
QuoteState = Literal["rejected", "pending", "inProgress", "cancelled", "approved", "accepted"]

STATE_CHANGES: dict[str, Callable[[Quote, Any], Quote]] = {
    "approved": lambda quote, by: quoting_services.quote_present(quote=quote, presented_by=by),
    "accepted": lambda quote, by: quoting_services.quote_accept(quote=quote, accepted_by=by),
    "rejected": lambda quote, by: quoting_services.quote_reject(quote=quote, rejected_by=by),
    "cancelled": lambda quote, by: quoting_services.quote_expire(quote=quote),
}


class ProductOut(Out):
    type: str = Field(default="Product", serialization_alias="@type")
    name: str
    place: list[RefOut]
    product_term: list[TermOut] = Field(serialization_alias="productTerm")


class QuoteItemOut(Out):
    id: str
    type: str = Field(default="QuoteItem", serialization_alias="@type")
    action: str
    quantity: int
    state: str
    product_offering: RefOut = Field(serialization_alias="productOffering")
    product: ProductOut
    quote_item_price: list[PriceEntryOut] = Field(serialization_alias="quoteItemPrice")

    @classmethod
    def of(cls, request: HttpRequest, line: QuoteLine, *, state: str) -> "QuoteItemOut":
        currency = line.quote.currency
        return cls(
            id=str(line.position),
            action=line.action,
            quantity=line.quantity,
            state=state,
            product_offering=offering_ref(request, line.product_version),
            product=ProductOut(
                name=line.product_version.product.name,
                place=[site_ref(request, line.location)],
                product_term=[term(line.term_months, "ProductTerm")],
            ),
            quote_item_price=charges(
                mrc=line.mrc_amount,
                nrc=line.nrc_amount,
                contract_value=line.contract_value_amount,
                currency=currency,
                type_="QuotePrice",
            ),
        )


class QuoteOut(Out):
    id: str
    href: str
    type: str = Field(default="Quote", serialization_alias="@type")
    description: str | None = None
    state: str
    quote_date: dt.datetime = Field(serialization_alias="quoteDate")
    effective_quote_completion_date: dt.datetime | None = Field(
        default=None, serialization_alias="effectiveQuoteCompletionDate"
    )
    valid_for: TimePeriodOut | None = Field(default=None, serialization_alias="validFor")
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    quote_item: list[QuoteItemOut] = Field(serialization_alias="quoteItem")
    quote_total_price: list[PriceEntryOut] = Field(serialization_alias="quoteTotalPrice")
    related_entity: list[RefOut] | None = Field(default=None, serialization_alias="relatedEntity")

    @classmethod
    def of(cls, request: HttpRequest, quote: Quote) -> "QuoteOut":
        state = QUOTE_STATE[quote.status]
        order = getattr(quote, "order", None)
        valid_for = None
        if quote.presented_at is not None:
            valid_for = TimePeriodOut(
                start_date_time=quote.presented_at,
                end_date_time=end_of_day(quote.valid_until) if quote.valid_until else None,
            )
        return cls(
            id=str(quote.pk),
            href=links.QUOTE.href(request, quote.pk),
            description=quote.name or None,
            state=state,
            quote_date=quote.created_at,
            effective_quote_completion_date=quote.decided_at,
            valid_for=valid_for,
            related_party=[customer_ref(request, quote.account)],
            quote_item=[QuoteItemOut.of(request, line, state=state) for line in quote.lines.all()],
            quote_total_price=charges(
                mrc=quote.mrr_amount,
                nrc=quote.one_time_amount,
                contract_value=quote.contract_value_amount,
                currency=quote.currency,
                type_="QuotePrice",
            ),
            related_entity=[order_ref(request, order, role="productOrder")] if order is not None else None,
        )


class ProductIn(In):
    place: list[PlaceRefIn] = Field(default_factory=list)
    product_term: list[ProductTermIn] = Field(default_factory=list, alias="productTerm")


class QuoteItemIn(In):
    id: Text40 | None = None
    action: Text20 = "add"
    quantity: int = 1
    product_offering: OfferingRefIn = Field(alias="productOffering")
    product: ProductIn

    def check_action(self, at: str) -> None:
        if self.action != "add":
            raise ValidationError(
                f"Only 'add' quote items can be created here, not {self.action!r}.",
                field=f"{at}.action",
                code="unsupported_action",
            )

    def site_id(self, at: str) -> str:
        if len(self.product.place) != 1:
            raise ValidationError(
                "Give the site as exactly one place: the id of one of the customer's geographic sites.",
                field=f"{at}.product.place",
                code="one_place",
            )
        return self.product.place[0].id

    def term_months(self, at: str) -> int:
        if len(self.product.product_term) != 1:
            raise ValidationError(
                'Give the contract term as one productTerm, e.g. {"duration": {"amount": 12, "units": "month"}}.',
                field=f"{at}.product.productTerm",
                code="term_required",
            )
        duration = self.product.product_term[0].duration
        if duration.units.lower() not in MONTH_UNITS:
            raise ValidationError(
                "Give the term in months.", field=f"{at}.product.productTerm[0].duration.units", code="invalid_units"
            )
        return duration.amount

    @staticmethod
    def field_paths(at: str) -> dict[str, str]:
        """Where `quote_line_add`'s fields are in the body, for the errors it raises."""
        return {
            "quantity": f"{at}.quantity",
            "location": f"{at}.product.place[0].id",
            "product_version": f"{at}.productOffering.id",
            "term_months": f"{at}.product.productTerm[0].duration.amount",
        }


class QuoteIn(In):
    """Quote_Create: the customer in `relatedParty`, one or more `quoteItem`s."""

    description: Text200 | None = None
    related_party: list[RelatedPartyIn] = Field(default_factory=list, alias="relatedParty")
    quote_item: list[QuoteItemIn] = Field(alias="quoteItem", min_length=1)


class QuoteUpdateIn(In):
    """Quote_Update: only `state` can change (see the module docstring for the moves)."""

    model_config = {"extra": "forbid"}

    state: QuoteState


@router.post("/quote", response={201: QuoteOut, **ERRORS}, summary="Create a quote")
def quote_create(request: ApiRequest, payload: QuoteIn) -> Status:
    """A draft quote with its items, priced from the catalog. Needs a sales role."""
    require_role(request.auth, *SELL)
    customer_id, customer_at = customer_id_in(payload.related_party)
    with transaction.atomic():
        with body_fields({"id": customer_at}):
            account = crm_selectors.account_get_for(user=request.auth, account_id=customer_id)
        quote = quoting_services.quote_create(account=account, created_by=request.auth, name=payload.description or "")
        for index, item in enumerate(payload.quote_item):
            at = f"quoteItem[{index}]"
            item.check_action(at)
            with body_fields({"id": f"{at}.productOffering.id"}):
                version = catalog_selectors.version_get_for(user=request.auth, version_id=item.product_offering.id)
            with body_fields({"id": f"{at}.product.place[0].id"}):
                location = crm_selectors.location_get_for(user=request.auth, location_id=item.site_id(at))
            with body_fields(item.field_paths(at)):
                quoting_services.quote_line_add(
                    quote=quote,
                    location=location,
                    product_version=version,
                    term_months=item.term_months(at),
                    quantity=item.quantity,
                    added_by=request.auth,
                )
    return Status(201, QuoteOut.of(request, quoting_selectors.quote_get_for(user=request.auth, quote_id=quote.pk)))


@router.get("/quote", response={200: list[QuoteOut], **ERRORS}, summary="List quotes")
def quote_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    state: QuoteState | None = None,
    related_party_id: str | None = Query(None, alias="relatedParty.id", description="The customer's id."),
) -> list[QuoteOut]:
    quotes = quoting_selectors.quote_list(
        user=request.auth, account_id=related_party_id, statuses=matching(QUOTE_STATE, state), detailed=True
    )
    return [QuoteOut.of(request, quote) for quote in paginate(response, quotes, page)]


@router.get("/quote/{id}", response={200: QuoteOut, **ERRORS}, summary="Retrieve a quote")
def quote_get(request: ApiRequest, id: str, fields: str | None = None) -> QuoteOut:
    return QuoteOut.of(request, quoting_selectors.quote_get_for(user=request.auth, quote_id=id))


@router.patch(
    "/quote/{id}",
    response={200: QuoteOut, **ERRORS},
    summary="Change a quote's state",
    openapi_extra={
        "requestBody": {
            "content": {"application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/QuoteUpdateIn"}}}
        }
    },
)
def quote_patch(request: ApiRequest, id: str, payload: QuoteUpdateIn) -> QuoteOut:
    """`{"state": "approved"}` presents a draft, `accepted` accepts it (creating the order),
    `rejected` and `cancelled` close it. Body as application/json or application/merge-patch+json.
    Needs a sales role."""
    require_role(request.auth, *SELL)
    quote = quoting_selectors.quote_get_for(user=request.auth, quote_id=id)
    current = QUOTE_STATE[quote.status]
    if payload.state != current:
        change = STATE_CHANGES.get(payload.state)
        if change is None:
            raise Conflict(
                f"A quote cannot be set to {payload.state}; it is {current}.", field="state", code="invalid_transition"
            )
        with body_fields({"status": "state"}):
            change(quote, request.auth)
    return QuoteOut.of(request, quoting_selectors.quote_get_for(user=request.auth, quote_id=quote.pk))
