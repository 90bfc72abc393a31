"""TMF value types shared by the resources (Money, Price, references, characteristics, Error).

Python names are snake_case; the spec's names are aliases (`@type`, `dutyFreeAmount`).
Output schemas (`...Out`) are built with Python names by the resources' `of()` constructors;
input schemas (`...In`) accept the spec's names only."""

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Annotated, Any, TypeVar, overload

from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from headend.api import links
from headend.core import clock, numbers
from headend.core.errors import ValidationError


class Out(BaseModel):
    """A response body: built with Python names, written with the spec's (serialization aliases).

    A plain pydantic model, not ninja's Schema: the resources build their bodies from values
    (`of()`), and Schema's validator, made to read ORM objects, wraps every value in a getter
    first, a cost paid for each of the hundreds of objects in a list's body."""


# How an add-on names the service or item it rides on (TMF productRelationship, item relationships).
RELIES_ON = "reliesOn"


class In(Schema):
    """A request body; attributes the spec has and we do not use are ignored."""


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters")
    return value


# Strings of at most N characters (the model's column width), surrounding spaces removed.
Text20 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(_no_nul)]
Text40 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_no_nul)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(_no_nul)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_no_nul)]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(_no_nul)]
Id = Text40


def _parsed_by(parse: Callable[..., Any], **options: Any) -> BeforeValidator:
    """A schema check by one of core.numbers' parsers: its message and code, and pydantic's path
    to the attribute (`quoteItem[0].quantity`) in the TMF Error."""

    def check(value: Any) -> Any:
        try:
            return parse(value, field=None, **options)
        except ValidationError as exc:
            raise PydanticCustomError(exc.code, exc.message) from None

    return BeforeValidator(check)


# Numbers in bodies and queries, by the shared parsers (core/numbers.py): finite, no wider than
# their column, ASCII digits. Ranges that are the domain's rules (a discount up to 100 %, a
# quantity up to 10,000) are checked by the use cases, with their own codes.
Amount = Annotated[Decimal, _parsed_by(numbers.parse_amount, minimum=None)]
Percent = Annotated[
    Decimal,
    _parsed_by(
        numbers.parse_decimal,
        max_digits=numbers.PERCENT_DIGITS,
        decimal_places=numbers.PERCENT_PLACES,
        code="invalid_percent",
        example="12.5",
    ),
]


# An integer in ASCII digits; give each attribute its range with Field(ge=, le=), which the
# OpenAPI document shows too.
WholeNumber = Annotated[int, _parsed_by(numbers.parse_int, minimum=None, maximum=None, code="int_parsing")]


class MoneyOut(Out):
    unit: str = Field(description="ISO 4217 currency code.")
    value: Decimal = Field(description="Exact decimal amount, written as a JSON number.")


class PriceOut(Out):
    duty_free_amount: MoneyOut = Field(serialization_alias="dutyFreeAmount")


class PriceEntryOut(Out):
    """A QuotePrice, OrderPrice or ProductOfferingPrice value: one charge of a line or a total."""

    name: str
    description: str | None = None
    price_type: str = Field(serialization_alias="priceType")
    recurring_charge_period: str | None = Field(default=None, serialization_alias="recurringChargePeriod")
    price: PriceOut
    type: str = Field(serialization_alias="@type")


Entry = TypeVar("Entry", bound=PriceEntryOut)


class AlterationPriceOut(Out):
    """The Price of a price alteration: a percentage, an amount, or both."""

    percentage: Decimal | None = None
    duty_free_amount: MoneyOut | None = Field(default=None, serialization_alias="dutyFreeAmount")


class PriceAlterationOut(Out):
    """A TMF648/TMF622 PriceAlteration: what modifies a QuotePrice or OrderPrice (a discount)."""

    name: str
    description: str | None = None
    price_type: str = Field(serialization_alias="priceType")
    recurring_charge_period: str | None = Field(default=None, serialization_alias="recurringChargePeriod")
    application_duration: int | None = Field(default=None, serialization_alias="applicationDuration")
    price: AlterationPriceOut
    type: str = Field(default="PriceAlteration", serialization_alias="@type")


class QuantityOut(Out):
    amount: int
    units: str


class TermOut(Out):
    """A contract term: ProductTerm / OrderTerm / ProductOfferingTerm."""

    name: str
    duration: QuantityOut
    type: str | None = Field(default=None, serialization_alias="@type")


class TimePeriodOut(Out):
    start_date_time: dt.datetime | None = Field(default=None, serialization_alias="startDateTime")
    end_date_time: dt.datetime | None = Field(default=None, serialization_alias="endDateTime")


class CharacteristicOut(Out):
    name: str
    value_type: str = Field(serialization_alias="valueType")
    value: Any


class RefOut(Out):
    """A reference: XxxRef, RelatedParty, RelatedPlaceRefOrValue, RelatedEntity (with `role`)."""

    id: str
    href: str | None = None
    name: str | None = None
    role: str | None = None
    referred_type: str | None = Field(default=None, serialization_alias="@referredType")


class ErrorOut(Out):
    code: str
    reason: str
    message: str | None = None
    status: str | None = None
    type: str = Field(default="Error", serialization_alias="@type")


ERRORS: dict[int, type[ErrorOut]] = {status: ErrorOut for status in (400, 401, 403, 404, 409)}


def money(amount: Decimal, currency: str) -> MoneyOut:
    return MoneyOut(unit=currency, value=amount)


@overload
def charges(
    *, mrc: Decimal, nrc: Decimal, currency: str, type_: str, contract_value: Decimal | None = None
) -> list[PriceEntryOut]: ...


@overload
def charges(
    *, mrc: Decimal, nrc: Decimal, currency: str, type_: str, contract_value: Decimal | None = None, entry: type[Entry]
) -> list[Entry]: ...


def charges(
    *,
    mrc: Decimal,
    nrc: Decimal,
    currency: str,
    type_: str,
    contract_value: Decimal | None = None,
    entry: type[PriceEntryOut] = PriceEntryOut,
) -> list[Any]:
    """The charges of a line or a whole quote/order: monthly recurring, one-time and, when
    given, the total contract value (monthly x committed months + one-time), each an `entry`
    (a PriceEntryOut, or a resource's own kind of it such as QuotePriceOut).

    Amounts are before tax: tax is worked out at billing, so only `dutyFreeAmount` is given."""
    entries = [
        entry(
            name="Monthly recurring charge",
            price_type="recurring",
            recurring_charge_period="month",
            price=PriceOut(duty_free_amount=money(mrc, currency)),
            type=type_,
        ),
        entry(
            name="One-time charge",
            price_type="oneTime",
            price=PriceOut(duty_free_amount=money(nrc, currency)),
            type=type_,
        ),
    ]
    if contract_value is not None:
        entries.append(
            entry(
                name="Total contract value",
                price_type="total",
                description="Monthly recurring charge times committed months (at least one) + one-time charge.",
                price=PriceOut(duty_free_amount=money(contract_value, currency)),
                type=type_,
            )
        )
    return entries


def term(months: int, name: str, type_: str | None = None) -> TermOut:
    """A contract term in months, named as the catalog names it (`get_term_months_display()`);
    month-to-month is a duration of 0 months."""
    return TermOut(name=name, duration=QuantityOut(amount=months, units="month"), type=type_)


def characteristics(values: Iterable[tuple[str, Any, str]]) -> list[CharacteristicOut]:
    """(name, value, valueType) triples; those without a value are left out."""
    return [
        CharacteristicOut(name=name, value=value, value_type=value_type)
        for name, value, value_type in values
        if value not in (None, "")
    ]


def start_of_day(day: dt.date) -> dt.datetime:
    """The instant a calendar day begins where the provider is."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.provider_zone())


def end_of_day(day: dt.date) -> dt.datetime:
    """The last second of a calendar day where the provider is."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=clock.provider_zone())


# References to our objects, shared by the resources that point at them.


def customer_ref(request: HttpRequest, account: Any) -> RefOut:
    return RefOut(
        id=str(account.pk),
        href=links.CUSTOMER.href(request, account.pk),
        name=account.name,
        role="customer",
        referred_type="Customer",
    )


def site_ref(request: HttpRequest, location: Any) -> RefOut:
    """A service location as a related place (RelatedPlaceRefOrValue, `role` required)."""
    return RefOut(
        id=str(location.pk),
        href=links.GEOGRAPHIC_SITE.href(request, location.pk),
        name=location.label,
        role="installationAddress",
        referred_type="GeographicSite",
    )


def offering_ref(request: HttpRequest, version: Any) -> RefOut:
    return RefOut(
        id=str(version.pk),
        href=links.PRODUCT_OFFERING.href(request, version.pk),
        name=str(version),
        referred_type="ProductOffering",
    )


def order_ref(request: HttpRequest, order: Any, *, role: str | None = None) -> RefOut:
    return RefOut(
        id=str(order.pk),
        href=links.PRODUCT_ORDER.href(request, order.pk),
        name=order.number,
        role=role,
        referred_type="ProductOrder",
    )


def service_ref(request: HttpRequest, service: Any, *, role: str | None = None) -> RefOut:
    return RefOut(
        id=str(service.pk),
        href=links.SERVICE.href(request, service.pk),
        name=str(service),
        role=role,
        referred_type="Service",
    )


def quote_ref(request: HttpRequest, quote: Any) -> RefOut:
    return RefOut(id=str(quote.pk), href=links.QUOTE.href(request, quote.pk), name=quote.number, referred_type="Quote")


MONTH_UNITS = {"month", "months"}


class MoneyIn(In):
    unit: Text20 | None = None
    value: Amount


class CharacteristicIn(In):
    """A Characteristic `{name, value, valueType}`; each resource says which names it takes."""

    name: Text100
    value: Any = None
    value_type: Text40 | None = Field(default=None, alias="valueType")


class DurationIn(In):
    amount: WholeNumber
    units: Text20


class ProductTermIn(In):
    """A contract term given as a Quantity in months (ProductTerm, OrderTerm)."""

    name: Text200 | None = None
    duration: DurationIn


class ProductRefIn(In):
    id: Id


class ProductRelationshipIn(In):
    """An add-on's base among the customer's services: `reliesOn` a TMF638 service id."""

    relationship_type: Text40 = Field(alias="relationshipType")
    product: ProductRefIn


class ItemRelationshipIn(In):
    """An add-on's base among the body's items: `reliesOn` the id of an earlier item."""

    id: Text40
    relationship_type: Text40 = Field(alias="relationshipType")


def base_named(
    *,
    at: str,
    item_relations: list[ItemRelationshipIn],
    item_key: str,
    product_relations: list[ProductRelationshipIn],
    earlier: dict[str, Any],
    find_service: Callable[[str, str], Any],
) -> tuple[Any, str]:
    """The base an add-on item names, with where it is named: an earlier item of the body (its
    value in `earlier`, by the item's `id`, under `item_key`) or a service of the customer's
    (`find_service(id, path)`, under `product.productRelationship`); (None, path) for none."""
    named: list[tuple[Any, str]] = []
    relations = [(f"{at}.{item_key}[{i}]", "id", r.relationship_type, r.id) for i, r in enumerate(item_relations)]
    relations += [
        (f"{at}.product.productRelationship[{i}]", "product.id", r.relationship_type, r.product.id)
        for i, r in enumerate(product_relations)
    ]
    for where, key, kind, ref in relations:
        if kind != RELIES_ON:
            raise ValidationError(
                f"An add-on relates to its base only as {RELIES_ON!r}.",
                field=f"{where}.relationshipType",
                code="unsupported_relationship",
            )
        if key == "id":
            if ref not in earlier:
                raise ValidationError(
                    "Name an earlier item of this body by its id.", field=f"{where}.id", code="unknown_reference"
                )
            named.append((earlier[ref], f"{where}.id"))
        else:
            named.append((find_service(ref, f"{where}.product.id"), f"{where}.product.id"))
    if len(named) > 1:
        raise ValidationError("An add-on rides on one base.", field=named[1][1], code="one_base")
    return named[0] if named else (None, f"{at}.{item_key}")


class PlaceRefIn(In):
    id: Id
    role: Text40 | None = None
    referred_type: Text40 | None = Field(default=None, alias="@referredType")


class OfferingRefIn(In):
    id: Id


class RelatedPartyIn(In):
    id: Id
    role: Text40 | None = None
    referred_type: Text40 | None = Field(default=None, alias="@referredType")


def customer_id_in(parties: list[RelatedPartyIn], *, at: str = "relatedParty") -> tuple[str, str]:
    """The id of the one related party whose role is `customer`, and where it is in the body."""
    found = [(index, party) for index, party in enumerate(parties) if (party.role or "").lower() == "customer"]
    if len(found) != 1:
        raise ValidationError(
            "Name the customer: exactly one related party with role 'customer' and its id.",
            field=at,
            code="customer_required",
        )
    index, party = found[0]
    return party.id, f"{at}[{index}].id"
