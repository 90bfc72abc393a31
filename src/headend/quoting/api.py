"""TMF648 quote: create with its items, read, and drive its lifecycle with PATCH `state`.

`/tmf-api/quoteManagement/v4/quote`. docs/api.md ("Quote (TMF648)") is the reference; in short:

State (ours -> TMF Quote.state): draft -> inProgress, presented -> approved,
accepted -> accepted, rejected -> rejected, expired -> cancelled, superseded (an older version,
replaced by a revision) -> cancelled. PATCH `{"state": ...}` moves it: approved presents the
draft to the customer (409 `approvals_pending` / `approval_rejected` while an authorization is
open), accepted accepts it (the order is created), rejected and cancelled close it. Any other
move is a 409.

A quote item (`quoteItem[i]`) adds a service or changes one the customer has:
- `action` "add": `quantity` (default 1), `productOffering.id` (a product version),
  `product.place[0].id` (one of the customer's geographic sites), the term in
  `product.productTerm[0].duration` (`{"amount": 12, "units": "month"}`; 0 = month-to-month;
  TMF648 QuoteItem has no term of its own, the product's ProductTerm carries it).
- `action` "modify" or "delete": `product.id` names the TMF638 service it changes (the
  product instance: our inventory has no TMF637 product of its own, and the productOrder's
  `product` names the same service). Our finer change is the product characteristic
  `changeType`: upgrade, downgrade, re_term, re_rate, move, replace (modify) or cancel (delete,
  the default there). upgrade/downgrade/replace name the target in `productOffering.id`; move
  names the new site in `product.place[0].id`; re_term takes its term in `productTerm` (also
  optional on upgrade, downgrade, replace, re_rate); re_rate takes the negotiated monthly price
  in `quoteItemPrice[0].price.dutyFreeAmount` (priceType "recurring").
- A percent discount on an add item: `quoteItemPrice[].priceAlteration[].price.percentage`.
Items are numbered 1, 2, ... in the order given; the customer is the `relatedParty` with role
"customer". Creation is all or nothing: one bad item and nothing is written; the error names
the item's attribute (`quoteItem[2].product.id`).

Prices (`quoteItem[].quoteItemPrice`, `quoteTotalPrice`), by name: "Monthly recurring charge"
(the new monthly charge), "Current monthly charge" (change items: before the change),
"One-time charge", "Early-termination fee" (change items, oneTime), "Total contract value"
(priceType "total"), and on the quote "Monthly recurring charge change" when it changes
services. The quote's one-time charge includes the early-termination fees. An item's monthly
charge lists as `priceAlteration`s its discount, its share of the quote discount (an amount) and
its catalog promotion (the amount off for `applicationDuration` months; installation waived as
100% off the oneTime price); the quote's monthly total lists the quote discount (percentage).

`version` is the quote's version ("1", "2", ...); `relatedEntity` (an extension: TMF648 v4 has
no attribute for it) refers to the order (role "productOrder") and the previous and next
versions (roles "previousVersion", "nextVersion"). `authorization` lists the approvals the
quote needs, with `id`, `approverRole`, `reason` and `comment` as extensions.

Not TMF: `POST .../quote/{id}/revise` makes the next version (201), and
`POST .../quote/{id}/authorization/{authorization_id}` with `{"state": "approved"|"rejected",
"comment": ...}` decides an authorization (the approver's role is needed).
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from django.db import models, transaction
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
    AlterationPriceOut,
    CharacteristicIn,
    CharacteristicOut,
    Id,
    In,
    ItemRelationshipIn,
    MoneyIn,
    OfferingRefIn,
    Out,
    Percent,
    PlaceRefIn,
    PriceAlterationOut,
    PriceEntryOut,
    PriceOut,
    ProductRelationshipIn,
    ProductTermIn,
    RefOut,
    RelatedPartyIn,
    TermOut,
    Text20,
    Text40,
    Text200,
    Text5000,
    TimePeriodOut,
    base_named,
    charges,
    customer_id_in,
    customer_ref,
    end_of_day,
    money,
    offering_ref,
    order_ref,
    site_ref,
    term,
)
from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion
from headend.core.errors import Conflict, ValidationError
from headend.core.permissions import SELL, require_role
from headend.crm import selectors as crm_selectors
from headend.inventory import selectors as inventory_selectors
from headend.quoting import selectors as quoting_selectors
from headend.quoting import services as quoting_services
from headend.quoting.models import Quote, QuoteApproval, QuoteLine

router = Router(tags=["TMF648 quote"], by_alias=True, exclude_none=True)

QUOTE_STATE: dict[str, str] = {
    Quote.Status.DRAFT: "inProgress",
    Quote.Status.PRESENTED: "approved",
    Quote.Status.ACCEPTED: "accepted",
    Quote.Status.REJECTED: "rejected",
    Quote.Status.EXPIRED: "cancelled",
    Quote.Status.SUPERSEDED: "cancelled",
}
QuoteState = Literal["rejected", "pending", "inProgress", "cancelled", "approved", "accepted"]

STATE_CHANGES: dict[str, Callable[[Quote, Any], Quote]] = {
    "approved": lambda quote, by: quoting_services.quote_present(quote=quote, presented_by=by),
    "accepted": lambda quote, by: quoting_services.quote_accept(quote=quote, accepted_by=by),
    "rejected": lambda quote, by: quoting_services.quote_reject(quote=quote, rejected_by=by),
    "cancelled": lambda quote, by: quoting_services.quote_expire(quote=quote),
}
# Where the use cases' quote-level fields are in the body.
QUOTE_FIELDS = {"status": "state", "approvals": "authorization"}

AUTHORIZATION_STATE: dict[str, str] = {
    QuoteApproval.Status.PENDING: "pending",
    QuoteApproval.Status.APPROVED: "approved",
    QuoteApproval.Status.REJECTED: "rejected",
}

# quoteItem.action from our line action; the finer action travels as the characteristic
# `changeType` on the item's product.
ITEM_ACTION: dict[str, str] = QuoteLine.ORDER_ACTION
CHANGE_TYPE = "changeType"
MODIFY_TYPES = (
    QuoteLine.Action.UPGRADE,
    QuoteLine.Action.DOWNGRADE,
    QuoteLine.Action.RE_TERM,
    QuoteLine.Action.RE_RATE,
    QuoteLine.Action.MOVE,
    QuoteLine.Action.REPLACE,
)
TO_ANOTHER_OFFERING = (QuoteLine.Action.UPGRADE, QuoteLine.Action.DOWNGRADE, QuoteLine.Action.REPLACE)
NEW_TERM_ALLOWED = (*TO_ANOTHER_OFFERING, QuoteLine.Action.RE_TERM, QuoteLine.Action.RE_RATE)

# Price entry names (quoteItemPrice and quoteTotalPrice).
MONTHLY = "Monthly recurring charge"
CURRENT_MONTHLY = "Current monthly charge"
MONTHLY_CHANGE = "Monthly recurring charge change"
ETF = "Early-termination fee"
CHANGE_VALUE = (
    "The change's contract value: the new monthly charge over the months committed after the change, "
    "less the current monthly charge over the months of the current commitment it releases, "
    "plus the one-time charge and the early-termination fee."
)


# --- Responses -----------------------------------------------------------------------------


class QuotePriceOut(PriceEntryOut):
    """A QuotePrice; a discounted recurring charge lists its discount as a priceAlteration."""

    price_alteration: list[PriceAlterationOut] | None = Field(default=None, serialization_alias="priceAlteration")


class ProductOut(Out):
    """ProductRefOrValue: the new product by value (add), or the service it changes by reference."""

    id: str | None = None
    href: str | None = None
    type: str = Field(default="Product", serialization_alias="@type")
    referred_type: str | None = Field(default=None, serialization_alias="@referredType")
    name: str
    place: list[RefOut]
    product_term: list[TermOut] = Field(serialization_alias="productTerm")
    product_characteristic: list[CharacteristicOut] | None = Field(
        default=None, serialization_alias="productCharacteristic"
    )
    product_relationship: list["ProductRelationshipOut"] | None = Field(
        default=None, serialization_alias="productRelationship"
    )


class ServiceRefOut(Out):
    id: str
    href: str
    type: str = Field(default="ProductRef", serialization_alias="@type")
    referred_type: str = Field(default="Service", serialization_alias="@referredType")


class ProductRelationshipOut(Out):
    """The live service an add-on rides on (`reliesOn`)."""

    relationship_type: str = Field(serialization_alias="relationshipType")
    product: ServiceRefOut


class QuoteItemRelationshipOut(Out):
    """The item of this quote an add-on rides on (`reliesOn`), or that carries it (a base's cancel or move)."""

    id: str
    relationship_type: str = Field(serialization_alias="relationshipType")


def _price(
    name: str,
    price_type: str,
    amount: Decimal,
    currency: str,
    *,
    description: str | None = None,
) -> QuotePriceOut:
    return QuotePriceOut(
        name=name,
        description=description,
        price_type=price_type,
        recurring_charge_period="month" if price_type == "recurring" else None,
        price=PriceOut(duty_free_amount=money(amount, currency)),
        type="QuotePrice",
    )


def _quote_prices(entries: list[PriceEntryOut]) -> list[QuotePriceOut]:
    return [QuotePriceOut(**entry.model_dump()) for entry in entries]


def item_prices(line: QuoteLine, currency: str) -> list[QuotePriceOut]:
    """The new monthly charge (with its discount), for a change the current one, the one-time
    charge, for a change the early-termination fee, and the contract value."""
    monthly, one_time, value = _quote_prices(
        charges(
            mrc=line.mrc_amount,
            nrc=line.nrc_amount,
            contract_value=line.contract_value_amount,
            currency=currency,
            type_="QuotePrice",
        )
    )
    alterations = []
    if line.discount_percent:
        percent = line.discount_percent.normalize()
        alterations.append(
            PriceAlterationOut(
                name="Discount",
                description=f"{percent:f}% off the list monthly charge.",
                price_type="recurring",
                recurring_charge_period="month",
                price=AlterationPriceOut(percentage=line.discount_percent),
            )
        )
    if line.quote_discount_amount:
        alterations.append(
            PriceAlterationOut(
                name="Quote discount",
                description="This item's share of the quote discount.",
                price_type="recurring",
                recurring_charge_period="month",
                price=AlterationPriceOut(duty_free_amount=money(line.quote_discount_amount, currency)),
            )
        )
    alterations.extend(promotion_alterations(line, currency))
    monthly.price_alteration = alterations or None
    if not line.is_change:
        return [monthly, one_time, value]
    current = _price(
        CURRENT_MONTHLY,
        "recurring",
        line.mrc_before_amount,
        currency,
        description="The service's monthly charge before the change.",
    )
    etf = _price(
        ETF,
        "oneTime",
        line.etf_amount,
        currency,
        description="Charged when the change ends the service's commitment early.",
    )
    value.description = CHANGE_VALUE
    return [monthly, current, one_time, etf, value]


def promotion_alterations(line: Any, currency: str) -> list[PriceAlterationOut]:
    """A quote or order line's promotion as PriceAlterations of its monthly charge: the
    promotional charge for `applicationDuration` months, and/or installation waived (its
    `promotion` loaded)."""
    promotion = line.promotion
    if promotion is None:
        return []
    alterations = []
    if line.promo_months and line.promo_mrc_amount is not None:
        months = line.promo_months
        alterations.append(
            PriceAlterationOut(
                name=promotion.name,
                description=(
                    f"Promotion {promotion.code}: {line.promo_mrc_amount} {currency} a month "
                    f"for the first {months} month{'s' if months != 1 else ''}."
                ),
                price_type="recurring",
                recurring_charge_period="month",
                application_duration=months,
                price=AlterationPriceOut(duty_free_amount=money(line.mrc_amount - line.promo_mrc_amount, currency)),
            )
        )
    if promotion.waives_installation:
        alterations.append(
            PriceAlterationOut(
                name=promotion.name,
                description=f"Promotion {promotion.code}: installation waived.",
                price_type="oneTime",
                price=AlterationPriceOut(percentage=Decimal(100)),
            )
        )
    return alterations


def total_prices(quote: Quote, lines: list[QuoteLine]) -> list[QuotePriceOut]:
    """The quote's new monthly recurring charge, one-time charge (installation, move fees and
    early-termination fees), contract value and, when it changes services, the monthly change."""
    entries = _quote_prices(
        charges(
            mrc=quote.mrr_amount,
            nrc=quote.one_time_amount,
            contract_value=quote.contract_value_amount,
            currency=quote.currency,
            type_="QuotePrice",
        )
    )
    if quote.discount_percent:
        percent = quote.discount_percent.normalize()
        entries[0].price_alteration = [
            PriceAlterationOut(
                name="Quote discount",
                description=f"{percent:f}% off the monthly charges of the items priced from the catalog, "
                "spread over them (each item lists its share).",
                price_type="recurring",
                recurring_charge_period="month",
                price=AlterationPriceOut(percentage=quote.discount_percent),
            )
        ]
    if any(line.is_change for line in lines):
        entries[1].description = "Installation, move fees and early-termination fees."
        change = _price(
            MONTHLY_CHANGE,
            "recurring",
            quote.mrr_change_amount,
            quote.currency,
            description="The new monthly recurring charge less the current monthly charge of the services changed.",
        )
        entries.insert(1, change)
    return entries


class QuoteItemOut(Out):
    id: str
    type: str = Field(default="QuoteItem", serialization_alias="@type")
    action: str
    quantity: int
    state: str
    product_offering: RefOut = Field(serialization_alias="productOffering")
    product: ProductOut
    quote_item_price: list[QuotePriceOut] = Field(serialization_alias="quoteItemPrice")
    quote_item_relationship: list[QuoteItemRelationshipOut] | None = Field(
        default=None, serialization_alias="quoteItemRelationship"
    )

    @classmethod
    def of(cls, request: HttpRequest, line: QuoteLine, *, state: str) -> "QuoteItemOut":
        product = ProductOut(
            name=line.product_version.product.name,
            place=[site_ref(request, line.location)],
            product_term=[term(line.term_months, line.get_term_months_display(), "ProductTerm")],
        )
        if line.is_change and line.target_service_id is not None:
            product.id = str(line.target_service_id)
            product.href = links.SERVICE.href(request, line.target_service_id)
            product.referred_type = "Service"
            product.product_characteristic = [
                CharacteristicOut(name=CHANGE_TYPE, value_type="string", value=line.action)
            ]
        if line.base_service_id is not None:
            product.product_relationship = [
                ProductRelationshipOut(
                    relationship_type=RELIES_ON,
                    product=ServiceRefOut(
                        id=str(line.base_service_id), href=links.SERVICE.href(request, line.base_service_id)
                    ),
                )
            ]
        base = line.base_line
        return cls(
            id=str(line.position),
            action=ITEM_ACTION[line.action],
            quote_item_relationship=[QuoteItemRelationshipOut(id=str(base.position), relationship_type=RELIES_ON)]
            if base is not None
            else None,
            quantity=line.quantity,
            state=state,
            product_offering=offering_ref(request, line.product_version),
            product=product,
            quote_item_price=item_prices(line, line.quote.currency),
        )


class AuthorizationOut(Out):
    """A TMF648 Authorization: an approval the quote needs before it is presented.

    `id`, `approverRole`, `reason` and `comment` are extensions (Authorization has no id, and no
    place for why it is needed or what the approver said)."""

    id: str
    type: str = Field(default="Authorization", serialization_alias="@type")
    name: str
    state: str
    requested_date: dt.datetime = Field(serialization_alias="requestedDate")
    given_date: dt.datetime | None = Field(default=None, serialization_alias="givenDate")
    approver: list[RefOut] | None = None
    approver_role: str = Field(serialization_alias="approverRole")
    reason: str
    comment: str | None = None

    @classmethod
    def of(cls, approval: QuoteApproval) -> "AuthorizationOut":
        decided_by = approval.decided_by
        approver = None
        if decided_by is not None:
            approver = [
                RefOut(
                    id=str(decided_by.pk),
                    name=decided_by.get_full_name() or decided_by.get_username(),
                    role=approval.approver_role,
                    referred_type="Individual",
                )
            ]
        return cls(
            id=str(approval.pk),
            name=approval.rule.name,
            state=AUTHORIZATION_STATE.get(approval.status, approval.status),
            requested_date=approval.created_at,
            given_date=approval.decided_at,
            approver=approver,
            approver_role=approval.approver_role,
            reason=approval.reason,
            comment=approval.comment or None,
        )


def _version_ref(request: HttpRequest, quote: Quote, role: str) -> RefOut:
    return RefOut(
        id=str(quote.pk), href=links.QUOTE.href(request, quote.pk), name=quote.number, role=role, referred_type="Quote"
    )


class QuoteOut(Out):
    id: str
    href: str
    type: str = Field(default="Quote", serialization_alias="@type")
    description: str | None = None
    version: str
    state: str
    quote_date: dt.datetime = Field(serialization_alias="quoteDate")
    effective_quote_completion_date: dt.datetime | None = Field(
        default=None, serialization_alias="effectiveQuoteCompletionDate"
    )
    valid_for: TimePeriodOut | None = Field(default=None, serialization_alias="validFor")
    related_party: list[RefOut] = Field(serialization_alias="relatedParty")
    quote_item: list[QuoteItemOut] = Field(serialization_alias="quoteItem")
    quote_total_price: list[QuotePriceOut] = Field(serialization_alias="quoteTotalPrice")
    authorization: list[AuthorizationOut] | None = None
    related_entity: list[RefOut] | None = Field(default=None, serialization_alias="relatedEntity")

    @classmethod
    def of(cls, request: HttpRequest, quote: Quote) -> "QuoteOut":
        state = QUOTE_STATE[quote.status]
        valid_for = None
        if quote.presented_at is not None:
            valid_for = TimePeriodOut(
                start_date_time=quote.presented_at,
                end_date_time=end_of_day(quote.valid_until) if quote.valid_until else None,
            )
        related = []
        order = getattr(quote, "order", None)
        if order is not None:
            related.append(order_ref(request, order, role="productOrder"))
        if quote.previous_id is not None and quote.previous is not None:
            related.append(_version_ref(request, quote.previous, "previousVersion"))
        following = getattr(quote, "next_revision", None)
        if following is not None:
            related.append(_version_ref(request, following, "nextVersion"))
        lines = list(quote.lines.all())
        approvals = [approval for approval in quote.approvals.all() if approval.status != QuoteApproval.Status.VOID]
        return cls(
            id=str(quote.pk),
            href=links.QUOTE.href(request, quote.pk),
            description=quote.name or None,
            version=str(quote.revision),
            state=state,
            quote_date=quote.created_at,
            effective_quote_completion_date=quote.decided_at,
            valid_for=valid_for,
            related_party=[customer_ref(request, quote.account)],
            quote_item=[QuoteItemOut.of(request, line, state=state) for line in lines],
            quote_total_price=total_prices(quote, lines),
            authorization=[AuthorizationOut.of(approval) for approval in approvals] or None,
            related_entity=related or None,
        )


def _with_versions_and_approvals(quotes: models.QuerySet[Quote]) -> models.QuerySet[Quote]:
    """Load what QuoteOut reads beside the lines: the adjacent versions and the approvals."""
    return quotes.select_related("previous", "next_revision").prefetch_related(
        models.Prefetch(
            "approvals",
            queryset=QuoteApproval.objects.select_related("rule", "decided_by").order_by("created_at", "id"),
        )
    )


def _quote_out(request: ApiRequest, quote_id: Any) -> QuoteOut:
    return QuoteOut.of(request, quoting_selectors.quote_get_for(user=request.auth, quote_id=quote_id))


# --- Requests ------------------------------------------------------------------------------


class PriceIn(In):
    percentage: Percent | None = None
    duty_free_amount: MoneyIn | None = Field(default=None, alias="dutyFreeAmount")


class PriceAlterationIn(In):
    name: Text200 | None = None
    price_type: Text40 | None = Field(default=None, alias="priceType")
    price: PriceIn


class QuotePriceIn(In):
    name: Text200 | None = None
    price_type: Text40 | None = Field(default=None, alias="priceType")
    price: PriceIn | None = None
    price_alteration: list[PriceAlterationIn] = Field(default_factory=list, alias="priceAlteration")


class ProductIn(In):
    id: Id | None = None
    place: list[PlaceRefIn] = Field(default_factory=list)
    product_relationship: list[ProductRelationshipIn] = Field(default_factory=list, alias="productRelationship")
    product_term: list[ProductTermIn] = Field(default_factory=list, alias="productTerm")
    product_characteristic: list[CharacteristicIn] = Field(default_factory=list, alias="productCharacteristic")


class QuoteItemIn(In):
    id: Text40 | None = None
    action: Text20 = "add"
    quantity: int = 1
    product_offering: OfferingRefIn | None = Field(default=None, alias="productOffering")
    product: ProductIn
    quote_item_price: list[QuotePriceIn] = Field(default_factory=list, alias="quoteItemPrice")
    quote_item_relationship: list[ItemRelationshipIn] = Field(default_factory=list, alias="quoteItemRelationship")

    def change_type(self, at: str) -> tuple[str, str]:
        """Our line action ("add", "upgrade", ... "cancel") and where it is in the body."""
        if self.action not in ("add", "modify", "delete"):
            raise ValidationError(
                f"A quote item's action is add, modify or delete, not {self.action!r}.",
                field=f"{at}.action",
                code="unsupported_action",
            )
        found: tuple[int, Any] | None = None
        for index, characteristic in enumerate(self.product.product_characteristic):
            where = f"{at}.product.productCharacteristic[{index}]"
            if characteristic.name != CHANGE_TYPE:
                raise ValidationError(
                    f"Unknown product characteristic {characteristic.name!r}; a quote item takes only {CHANGE_TYPE!r}.",
                    field=f"{where}.name",
                    code="unknown_characteristic",
                )
            if found is not None:
                raise ValidationError(f"Give {CHANGE_TYPE!r} once.", field=f"{where}.name", code="duplicate")
            found = (index, characteristic.value)
        where = f"{at}.product.productCharacteristic"
        if found is not None:
            where = f"{where}[{found[0]}].value"
        allowed: tuple[str, ...] = {
            "add": (QuoteLine.Action.ADD,),
            "modify": MODIFY_TYPES,
            "delete": (QuoteLine.Action.CANCEL,),
        }[self.action]
        if found is None:
            if self.action == "modify":
                raise ValidationError(
                    f"Say what the modify item does: the product characteristic {CHANGE_TYPE!r}, one of "
                    f"{', '.join(allowed)}.",
                    field=where,
                    code="change_type_required",
                )
            return allowed[0], where
        if found[1] not in allowed:
            raise ValidationError(
                f"A {self.action} item's {CHANGE_TYPE} is {', '.join(allowed)}, not {found[1]!r}.",
                field=where,
                code="invalid_change_type",
            )
        return str(found[1]), where

    def offering_id(self, at: str) -> str:
        if self.product_offering is None:
            raise ValidationError("Give the product offering: its id.", field=f"{at}.productOffering", code="missing")
        return self.product_offering.id

    def service_id(self, at: str) -> str:
        if not self.product.id:
            raise ValidationError(
                "Name the service the item changes: its TMF638 service id in product.id.",
                field=f"{at}.product.id",
                code="service_required",
            )
        return self.product.id

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

    def term_path(self, at: str) -> str:
        if self.product.product_term:
            return f"{at}.product.productTerm[0].duration.amount"
        return f"{at}.product.productTerm"

    def negotiated_price(self, at: str, currency: str) -> tuple[Decimal | None, str]:
        """A re-rate's negotiated monthly price (None if not given) and where it is."""
        found: tuple[Decimal, str] | None = None
        for index, entry in enumerate(self.quote_item_price):
            where = f"{at}.quoteItemPrice[{index}]"
            if entry.price is not None and entry.price.percentage is not None:
                raise ValidationError(
                    "A re-rate takes the negotiated monthly price as an amount (price.dutyFreeAmount).",
                    field=f"{where}.price.percentage",
                    code="price_not_negotiable",
                )
            amount = entry.price.duty_free_amount if entry.price is not None else None
            if amount is None:
                continue
            if found is not None:
                raise ValidationError(
                    "Give one negotiated monthly price.", field=f"{where}.price.dutyFreeAmount", code="duplicate"
                )
            if entry.price_type not in (None, "recurring"):
                raise ValidationError(
                    "The negotiated price is the monthly recurring charge (priceType 'recurring').",
                    field=f"{where}.priceType",
                    code="recurring_only",
                )
            if amount.unit is not None and amount.unit.upper() != currency:
                raise ValidationError(
                    f"Prices are in {currency}.", field=f"{where}.price.dutyFreeAmount.unit", code="currency_mismatch"
                )
            found = (amount.value, f"{where}.price.dutyFreeAmount.value")
        if found is None:
            return None, f"{at}.quoteItemPrice"
        return found

    def check_no_price(self, at: str) -> None:
        """Only a re-rate's price is negotiated; any other price is the catalog's."""
        for index, entry in enumerate(self.quote_item_price):
            if entry.price is not None and (
                entry.price.duty_free_amount is not None or entry.price.percentage is not None
            ):
                raise ValidationError(
                    "Prices come from the catalog; only a re_rate change takes a negotiated price "
                    "(discount a new item with a priceAlteration).",
                    field=f"{at}.quoteItemPrice[{index}].price",
                    code="price_not_negotiable",
                )

    def discount_percent(self, at: str) -> tuple[Decimal, str] | None:
        """The percent discount asked for in a priceAlteration, and where it is."""
        found: tuple[Decimal, str] | None = None
        for index, entry in enumerate(self.quote_item_price):
            for number, alteration in enumerate(entry.price_alteration):
                where = f"{at}.quoteItemPrice[{index}].priceAlteration[{number}]"
                if found is not None:
                    raise ValidationError("Give one discount per item.", field=where, code="one_discount")
                if alteration.price.percentage is None:
                    raise ValidationError(
                        "A discount is a percentage off the monthly charge (price.percentage).",
                        field=f"{where}.price.percentage",
                        code="percentage_required",
                    )
                found = (alteration.price.percentage, f"{where}.price.percentage")
        return found


class QuoteIn(In):
    """Quote_Create: the customer in `relatedParty`, one or more `quoteItem`s. A `version` sent
    is not used: a new quote is version 1."""

    description: Text200 | None = None
    related_party: list[RelatedPartyIn] = Field(default_factory=list, alias="relatedParty")
    quote_item: list[QuoteItemIn] = Field(alias="quoteItem", min_length=1)


class QuoteUpdateIn(In):
    """Quote_Update: only `state` can change (see the module docstring for the moves)."""

    model_config = {"extra": "forbid"}

    state: QuoteState


class AuthorizationDecisionIn(In):
    """Not TMF: an approver's decision on one authorization of a quote."""

    model_config = {"extra": "forbid"}

    state: Literal["approved", "rejected"]
    comment: Text5000 = ""


# --- Use of the body -----------------------------------------------------------------------


def _rides_on(request: ApiRequest, item: QuoteItemIn, at: str, earlier: dict[str, QuoteLine]) -> tuple[Any, str]:
    def find_service(service_id: str, where: str) -> Any:
        with body_fields({"id": where}):
            return inventory_selectors.service_get_for(user=request.auth, service_id=service_id)

    return base_named(
        at=at,
        item_relations=item.quote_item_relationship,
        item_key="quoteItemRelationship",
        product_relations=item.product.product_relationship,
        earlier=earlier,
        find_service=find_service,
    )


def _add_item(
    request: ApiRequest, quote: Quote, item: QuoteItemIn, at: str, earlier: dict[str, QuoteLine] | None = None
) -> QuoteLine:
    item.check_no_price(at)
    rides_on, rides_on_at = _rides_on(request, item, at, earlier or {})
    with body_fields({"id": f"{at}.productOffering.id"}):
        version = catalog_selectors.version_get_for(user=request.auth, version_id=item.offering_id(at))
    with body_fields({"id": f"{at}.product.place[0].id"}):
        location = crm_selectors.location_get_for(user=request.auth, location_id=item.site_id(at))
    paths = {
        "quantity": f"{at}.quantity",
        "location": f"{at}.product.place[0].id",
        "product_version": f"{at}.productOffering.id",
        "term_months": f"{at}.product.productTerm[0].duration.amount",
        "rides_on": rides_on_at,
    }
    with body_fields(paths):
        return quoting_services.quote_line_add(
            quote=quote,
            location=location,
            product_version=version,
            term_months=item.term_months(at),
            quantity=item.quantity,
            rides_on=rides_on,
            added_by=request.auth,
        )


def _change_item(
    request: ApiRequest, quote: Quote, item: QuoteItemIn, at: str, change: str, change_at: str
) -> QuoteLine:
    with body_fields({"id": f"{at}.product.id"}):
        service = inventory_selectors.service_get_for(user=request.auth, service_id=item.service_id(at))
    version: ProductVersion | None = None
    if change in TO_ANOTHER_OFFERING:
        with body_fields({"id": f"{at}.productOffering.id", "product_version": f"{at}.productOffering.id"}):
            version = catalog_selectors.version_get_for(user=request.auth, version_id=item.offering_id(at))
    location = None
    if change == QuoteLine.Action.MOVE:
        with body_fields({"id": f"{at}.product.place[0].id"}):
            location = crm_selectors.location_get_for(user=request.auth, location_id=item.site_id(at))
    term_months = None
    if change == QuoteLine.Action.RE_TERM or (change in NEW_TERM_ALLOWED and item.product.product_term):
        term_months = item.term_months(at)
    negotiated, negotiated_at = None, f"{at}.quoteItemPrice"
    if change == QuoteLine.Action.RE_RATE:
        negotiated, negotiated_at = item.negotiated_price(at, quote.currency)
    else:
        item.check_no_price(at)
    paths = {
        "service": f"{at}.product.id",
        "action": change_at,
        "product_version": f"{at}.productOffering.id",
        "location": f"{at}.product.place[0].id",
        "term_months": item.term_path(at),
        "negotiated_mrc_amount": negotiated_at,
        "quantity": f"{at}.quantity",
    }
    with body_fields(paths):
        return quoting_services.quote_line_change(
            quote=quote,
            service=service,
            action=change,
            product_version=version,
            term_months=term_months,
            negotiated_mrc_amount=negotiated,
            location=location,
            added_by=request.auth,
        )


# --- Routes --------------------------------------------------------------------------------


@router.post("/quote", response={201: QuoteOut, **ERRORS}, summary="Create a quote")
def quote_create(request: ApiRequest, payload: QuoteIn) -> Status:
    """A draft quote with its items (adds and changes to the customer's services), priced from
    the catalog, all or nothing. Needs a sales role."""
    require_role(request.auth, *SELL)
    customer_id, customer_at = customer_id_in(payload.related_party)
    with transaction.atomic():
        with body_fields({"id": customer_at}):
            account = crm_selectors.account_get_for(user=request.auth, account_id=customer_id)
        quote = quoting_services.quote_create(account=account, created_by=request.auth, name=payload.description or "")
        earlier: dict[str, QuoteLine] = {}
        for index, item in enumerate(payload.quote_item):
            at = f"quoteItem[{index}]"
            change, change_at = item.change_type(at)
            discount = item.discount_percent(at)
            if change == QuoteLine.Action.ADD:
                line = _add_item(request, quote, item, at, earlier)
            else:
                line = _change_item(request, quote, item, at, change, change_at)
            if item.id:
                earlier[item.id] = line
            if discount is not None:
                percent, percent_at = discount
                with body_fields({"discount_percent": percent_at, "discount": percent_at}):
                    quoting_services.quote_line_discount(line=line, percent=percent, discounted_by=request.auth)
    return Status(201, _quote_out(request, quote.pk))


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
    return [QuoteOut.of(request, quote) for quote in paginate(response, _with_versions_and_approvals(quotes), page)]


@router.get("/quote/{id}", response={200: QuoteOut, **ERRORS}, summary="Retrieve a quote")
def quote_get(request: ApiRequest, id: str, fields: str | None = None) -> QuoteOut:
    return _quote_out(request, id)


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
    """`{"state": "approved"}` presents a draft (409 `approvals_pending` or `approval_rejected`
    while an authorization is open), `accepted` accepts it (creating the order), `rejected` and
    `cancelled` close it. Body as application/json or application/merge-patch+json. Needs a
    sales role."""
    require_role(request.auth, *SELL)
    quote = quoting_selectors.quote_get_for(user=request.auth, quote_id=id)
    current = QUOTE_STATE[quote.status]
    if payload.state != current:
        change = STATE_CHANGES.get(payload.state)
        if change is None:
            raise Conflict(
                f"A quote cannot be set to {payload.state}; it is {current}.", field="state", code="invalid_transition"
            )
        with body_fields(QUOTE_FIELDS):
            change(quote, request.auth)
    return _quote_out(request, quote.pk)


@router.post(
    "/quote/{id}/revise",
    response={201: QuoteOut, **ERRORS},
    summary="Revise a quote (not TMF): make its next version",
)
def quote_revise(request: ApiRequest, response: HttpResponse, id: str) -> Status:
    """A new draft version of a presented, rejected or expired quote, with its items; the old
    version becomes read-only and shows as `cancelled`. Answers 201 with the new version and a
    `Location` header. 409 `invalid_transition` for a draft or an accepted quote. Needs a sales
    role."""
    require_role(request.auth, *SELL)
    quote = quoting_selectors.quote_get_for(user=request.auth, quote_id=id)
    with body_fields(QUOTE_FIELDS):
        revision = quoting_services.quote_revise(quote=quote, revised_by=request.auth)
    response["Location"] = links.QUOTE.href(request, revision.pk)
    return Status(201, _quote_out(request, revision.pk))


@router.post(
    "/quote/{id}/authorization/{authorization_id}",
    response={200: QuoteOut, **ERRORS},
    summary="Approve or reject an authorization (not TMF)",
)
def quote_authorize(request: ApiRequest, id: str, authorization_id: str, payload: AuthorizationDecisionIn) -> QuoteOut:
    """`{"state": "approved"}` or `{"state": "rejected", "comment": "why"}` (a rejection needs
    a comment) on one of the quote's `authorization` entries; answers with the quote. 403
    `role_required` unless you hold the authorization's `approverRole`; 409 when it is already
    decided or void (the quote changed since)."""
    quote = quoting_selectors.quote_get_for(user=request.auth, quote_id=id)
    approval = quoting_selectors.approval_get(quote=quote, approval_id=authorization_id)
    with body_fields({"status": "state", "comment": "comment"}):
        quoting_services.quote_approval_decide(
            approval=approval,
            approve=payload.state == "approved",
            comment=payload.comment,
            decided_by=request.auth,
        )
    return _quote_out(request, quote.pk)
