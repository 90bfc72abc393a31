"""The TMF648 quote's bodies: what the routes answer (`QuoteOut`, its items and authorizations)
and read (`QuoteIn`, `QuoteUpdateIn`, `AuthorizationDecisionIn`), and our states and actions in
TMF's words. api.py's docstring is the mapping in short; docs/api.md the reference."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field

from headend.api import links
from headend.api.schemas import (
    MONTH_UNITS,
    RELIES_ON,
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
    customer_ref,
    end_of_day,
    offering_ref,
    order_ref,
    site_ref,
    term,
)
from headend.catalog.models import Term
from headend.core.errors import ValidationError
from headend.quoting.api_prices import QuotePriceOut, item_prices, total_prices
from headend.quoting.models import Quote, QuoteApproval, QuoteLine

# A term's name, as get_term_months_display() gives it (which works the choices out afresh on
# each call, some 7 % of the time of a page of quotes).
TERM_NAMES: dict[int, str] = dict(Term.choices)


QUOTE_STATE: dict[str, str] = {
    Quote.Status.DRAFT: "inProgress",
    Quote.Status.PRESENTED: "approved",
    Quote.Status.ACCEPTED: "accepted",
    Quote.Status.REJECTED: "rejected",
    Quote.Status.EXPIRED: "cancelled",
    Quote.Status.SUPERSEDED: "cancelled",
}


QuoteState = Literal["rejected", "pending", "inProgress", "cancelled", "approved", "accepted"]


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


# --- Responses ---------------------------------------------------------------------------------


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
    def of(
        cls, request: HttpRequest, line: QuoteLine, *, state: str, base_position: int | None = None
    ) -> "QuoteItemOut":
        """`base_position`: the position of the item of this quote the line rides on (read from
        `line.base_line` when not given)."""
        product = ProductOut(
            name=line.product_version.product.name,
            place=[site_ref(request, line.location)],
            product_term=[
                term(line.term_months, TERM_NAMES.get(line.term_months, str(line.term_months)), "ProductTerm")
            ],
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
        if base_position is None and line.base_line_id is not None:
            base_position = line.base_line.position  # type: ignore[union-attr]
        return cls(
            id=str(line.position),
            action=ITEM_ACTION[line.action],
            quote_item_relationship=[QuoteItemRelationshipOut(id=str(base_position), relationship_type=RELIES_ON)]
            if base_position is not None
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
    def of(
        cls,
        request: HttpRequest,
        quote: Quote,
        *,
        items: list[QuoteLine] | None = None,
        approvals: list[QuoteApproval] | None = None,
    ) -> "QuoteOut":
        """The quote with its `items` and `approvals` in order, as loaded for many quotes at once
        (quoting/api.py); without them, its `lines` and `approvals` are read."""
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
        lines = list(quote.lines.all()) if items is None else items
        positions: dict[int | None, int] = {line.pk: line.position for line in lines}
        approvals = [
            approval
            for approval in (quote.approvals.all() if approvals is None else approvals)
            if approval.status != QuoteApproval.Status.VOID
        ]
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
            quote_item=[
                QuoteItemOut.of(request, line, state=state, base_position=positions.get(line.base_line_id))
                for line in lines
            ],
            quote_total_price=total_prices(quote, lines),
            authorization=[AuthorizationOut.of(approval) for approval in approvals] or None,
            related_entity=related or None,
        )


# --- Requests ----------------------------------------------------------------------------------


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
