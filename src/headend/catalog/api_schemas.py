"""TMF620 write bodies and the productSpecification and productOfferingPrice resources.

- productSpecification = a Product: `productNumber` its code, `name`, `description`, and as
  `productSpecCharacteristic` the product's `productKind` (internet, addon, voice),
  `customerType` (residential, business, any) and `delivery` (on_net: over our network, sold
  where coverage reaches; wholesale: through a wholesale partner, sold off our network too),
  which a body may set, and the speeds and
  technologies its versions are sold with (`downloadSpeedMbps`, `uploadSpeedMbps`,
  `technology`), which are per version: an offering's `prodSpecCharValueUse` sets them.
- productOfferingPrice = one charge of one term of a version: `{price id}-recurring` (the
  monthly price) and `{price id}-oneTime` (the installation), `price` a Money, the term its
  `productOfferingTerm` duration in months. A POST names the draft offering it prices in
  `productOffering` (Headend's extension: TMF620 v4 has no attribute for it).
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.text import slugify
from ninja import Field

from headend.api import links
from headend.api.schemas import (
    MONTH_UNITS,
    In,
    MoneyOut,
    Out,
    ProductTermIn,
    TermOut,
    Text20,
    Text40,
    Text100,
    Text200,
    Text5000,
    money,
    term,
)
from headend.catalog.models import Price, Product, ProductVersion, Term
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.numbers import parse_amount

SPECIFICATION = links.Resource(links.PRODUCT_OFFERING.api, "productSpecification")
OFFERING_PRICE = links.Resource(links.PRODUCT_OFFERING.api, "productOfferingPrice")

# lifecycleStatus <-> ProductVersion.status ("Active" is read as "Launched").
STATUSES_IN: dict[str, str] = {
    "In design": ProductVersion.Status.DRAFT,
    "Launched": ProductVersion.Status.PUBLISHED,
    "Active": ProductVersion.Status.PUBLISHED,
    "Retired": ProductVersion.Status.RETIRED,
}
PRODUCT_CHARACTERISTICS = {
    "productKind": ("kind", Product.Kind.values),
    "customerType": ("customer_type", Product.CustomerType.values),
    "delivery": ("delivery", Product.Delivery.values),
}
VERSION_CHARACTERISTICS = {
    "downloadSpeedMbps": "download_mbps",
    "uploadSpeedMbps": "upload_mbps",
    "technology": "technology",
    "staticIpAddresses": "static_ips",
}
PRICE_KINDS = ("recurring", "oneTime")


# productSpecification


class SpecValueOut(Out):
    value: Any
    value_type: str = Field(serialization_alias="valueType")
    is_default: bool = Field(default=False, serialization_alias="isDefault")


class SpecCharacteristicOut(Out):
    name: str
    value_type: str = Field(serialization_alias="valueType")
    configurable: bool
    description: str
    product_spec_characteristic_value: list[SpecValueOut] = Field(serialization_alias="productSpecCharacteristicValue")


class ProductSpecificationOut(Out):
    id: str
    href: str
    name: str
    product_number: str = Field(serialization_alias="productNumber")
    description: str | None = None
    is_bundle: bool = Field(default=False, serialization_alias="isBundle")
    lifecycle_status: str = Field(serialization_alias="lifecycleStatus")
    product_spec_characteristic: list[SpecCharacteristicOut] = Field(serialization_alias="productSpecCharacteristic")
    type: str = Field(default="ProductSpecification", serialization_alias="@type")

    @classmethod
    def of(cls, request: HttpRequest, product: Product) -> "ProductSpecificationOut":
        versions = list(product.versions.all())
        released = [version for version in versions if version.status != ProductVersion.Status.DRAFT]

        def values(attribute: str) -> list[Any]:
            return sorted({getattr(version, attribute) for version in versions} - {None, ""}, key=str)

        characteristics = [
            SpecCharacteristicOut(
                name="productKind",
                value_type="string",
                configurable=False,
                description="What the product is: internet access, an add-on or voice.",
                product_spec_characteristic_value=[
                    SpecValueOut(value=product.kind, value_type="string", is_default=True)
                ],
            ),
            SpecCharacteristicOut(
                name="customerType",
                value_type="string",
                configurable=False,
                description="Who may buy it: residential, business or any customer.",
                product_spec_characteristic_value=[
                    SpecValueOut(value=product.customer_type, value_type="string", is_default=True)
                ],
            ),
            SpecCharacteristicOut(
                name="delivery",
                value_type="string",
                configurable=False,
                description="How it reaches a site: on_net (our network, where our coverage reaches) or "
                "wholesale (a wholesale partner's, sold off our network too).",
                product_spec_characteristic_value=[
                    SpecValueOut(value=product.delivery, value_type="string", is_default=True)
                ],
            ),
        ]
        for name, attribute in VERSION_CHARACTERISTICS.items():
            value_type = "string" if attribute == "technology" else "integer"
            found = values(attribute)
            if found:
                characteristics.append(
                    SpecCharacteristicOut(
                        name=name,
                        value_type=value_type,
                        configurable=False,
                        description="Per version: each offering's prodSpecCharValueUse gives its value.",
                        product_spec_characteristic_value=[SpecValueOut(value=v, value_type=value_type) for v in found],
                    )
                )
        return cls(
            id=str(product.pk),
            href=SPECIFICATION.href(request, product.pk),
            name=product.name,
            product_number=product.code,
            description=product.description or None,
            lifecycle_status="Active"
            if any(v.status == "published" for v in released)
            else ("Retired" if released else "In design"),
            product_spec_characteristic=characteristics,
        )


class SpecValueIn(In):
    value: Any = None


class SpecCharacteristicIn(In):
    name: Text100
    product_spec_characteristic_value: list[SpecValueIn] = Field(default=[], alias="productSpecCharacteristicValue")


class ProductSpecificationIn(In):
    """ProductSpecification_Create: `name`; `productNumber` (the code; default: from the name)."""

    name: Text100
    product_number: Text40 | None = Field(default=None, alias="productNumber")
    description: Text5000 | None = None
    product_spec_characteristic: list[SpecCharacteristicIn] = Field(default=[], alias="productSpecCharacteristic")

    def product_values(self) -> dict[str, Any]:
        values = {
            "code": self.product_number or slugify(self.name),
            "name": self.name,
            "description": self.description or "",
            "kind": Product.Kind.INTERNET,
            "customer_type": Product.CustomerType.ANY,
        }
        return values | spec_characteristics(self.product_spec_characteristic)


class ProductSpecificationPatchIn(In):
    """ProductSpecification_Update as a JSON merge patch; `productNumber` (the code) stays."""

    name: Text100 | None = None
    product_number: Text40 | None = Field(default=None, alias="productNumber")
    description: Text5000 | None = None
    product_spec_characteristic: list[SpecCharacteristicIn] | None = Field(
        default=None, alias="productSpecCharacteristic"
    )

    def product_values(self, product: Product) -> dict[str, Any]:
        given = self.model_fields_set
        if "product_number" in given and self.product_number != product.code:
            raise ValidationError("A product's code cannot change.", field="productNumber", code="immutable")
        values: dict[str, Any] = {}
        if "name" in given:
            values["name"] = self.name or ""
        if "description" in given:
            values["description"] = self.description or ""
        if self.product_spec_characteristic is not None:
            values |= spec_characteristics(self.product_spec_characteristic)
        return values


def spec_characteristics(characteristics: list[SpecCharacteristicIn]) -> dict[str, Any]:
    """`productKind`, `customerType` and `delivery` as product_create's fields; the per-version
    ones refused."""
    values = {}
    for index, characteristic in enumerate(characteristics):
        at = f"productSpecCharacteristic[{index}]"
        if characteristic.name in VERSION_CHARACTERISTICS:
            raise ValidationError(
                f"{characteristic.name} is per version: give it in the productOffering's prodSpecCharValueUse.",
                field=f"{at}.name",
                code="per_offering",
            )
        if characteristic.name not in PRODUCT_CHARACTERISTICS:
            raise ValidationError(
                f"Unknown characteristic {characteristic.name!r}; a specification has "
                f"{', '.join(PRODUCT_CHARACTERISTICS)}.",
                field=f"{at}.name",
                code="unknown_characteristic",
            )
        attribute, allowed = PRODUCT_CHARACTERISTICS[characteristic.name]
        chosen = [value.value for value in characteristic.product_spec_characteristic_value]
        if len(chosen) != 1 or chosen[0] not in allowed:
            raise ValidationError(
                f"Give one value of {', '.join(allowed)}.",
                field=f"{at}.productSpecCharacteristicValue",
                code="invalid_choice",
            )
        values[attribute] = chosen[0]
    return values


SPEC_FIELD_PATHS = {
    "code": "productNumber",
    "kind": "productSpecCharacteristic",
    "customer_type": "productSpecCharacteristic",
    "delivery": "productSpecCharacteristic",
}


# productOffering bodies


class RefIn(In):
    id: Text40


class TimePeriodIn(In):
    start_date_time: dt.datetime | None = Field(default=None, alias="startDateTime")


class OfferingPriceValueIn(In):
    """A price by value: `price` a TMF620 Money, or `price.dutyFreeAmount` as the offering shows it."""

    name: Text200 | None = None
    price_type: Text20 = Field(alias="priceType")
    price: dict[str, Any]
    product_offering_term: list[ProductTermIn] = Field(default=[], alias="productOfferingTerm")

    def amount(self, at: str) -> Any:
        return money_value(self.price, f"{at}.price" if at else "price")

    def term_months(self, at: str) -> int:
        terms_at = f"{at}.productOfferingTerm" if at else "productOfferingTerm"
        if len(self.product_offering_term) != 1:
            raise ValidationError("Name the one contract term the price is for.", field=terms_at, code="required")
        duration = self.product_offering_term[0].duration
        where = f"{terms_at}[0].duration"
        if duration.units not in MONTH_UNITS:
            raise ValidationError("A term is given in months.", field=f"{where}.units", code="invalid_units")
        if duration.amount not in Term.values:
            raise ValidationError(
                f"Unknown term {duration.amount}; terms are {Term.values} months.",
                field=f"{where}.amount",
                code="unknown_term",
            )
        return duration.amount


def money_value(price: dict[str, Any], at: str) -> Any:
    """The amount of a Money `{unit, value}` (or of its `dutyFreeAmount`), to the cent."""
    money_in = price.get("dutyFreeAmount", price)
    if not isinstance(money_in, dict) or "value" not in money_in:
        raise ValidationError("Give the price as {unit, value}.", field=at, code="required")
    return parse_amount(money_in["value"], field=f"{at}.value")


def prices_in(entries: list[OfferingPriceValueIn]) -> tuple[dict[int, tuple[Any, Any]], dict[str, str]]:
    """{term: (monthly, one-time)} from recurring and oneTime entries (one-time default 0), and
    where each term's monthly price is in the body (for the errors)."""
    monthly: dict[int, Any] = {}
    once: dict[int, Any] = {}
    paths: dict[str, str] = {"prices": "productOfferingPrice"}
    for index, entry in enumerate(entries):
        at = f"productOfferingPrice[{index}]"
        if entry.price_type not in PRICE_KINDS:
            raise ValidationError(
                "A price is recurring (monthly) or oneTime.", field=f"{at}.priceType", code="invalid_choice"
            )
        term_months = entry.term_months(at)
        chosen = monthly if entry.price_type == "recurring" else once
        if term_months in chosen:
            raise ValidationError(f"Two {entry.price_type} prices for the same term.", field=at, code="duplicate_price")
        chosen[term_months] = entry.amount(at)
        if entry.price_type == "recurring":
            paths[f"prices[{term_months}]"] = f"{at}.price"
    for term_months in once:
        if term_months not in monthly:
            raise ValidationError(
                "Give the term's recurring price beside its oneTime price.",
                field="productOfferingPrice",
                code="required",
            )
    return {t: (mrc, once.get(t, "0")) for t, mrc in monthly.items()}, paths


def char_values_in(uses: list[SpecCharacteristicIn]) -> tuple[dict[str, Any], dict[str, str]]:
    """prodSpecCharValueUse as version_create's characteristics, and where each is in the body."""
    values: dict[str, Any] = {}
    paths: dict[str, str] = {}
    for index, use in enumerate(uses):
        at = f"prodSpecCharValueUse[{index}]"
        attribute = VERSION_CHARACTERISTICS.get(use.name)
        if attribute is None:
            raise ValidationError(
                f"Unknown characteristic {use.name!r}; an offering has {', '.join(VERSION_CHARACTERISTICS)}.",
                field=f"{at}.name",
                code="unknown_characteristic",
            )
        chosen = [value.value for value in use.product_spec_characteristic_value]
        if len(chosen) != 1:
            raise ValidationError("Give one value.", field=f"{at}.productSpecCharacteristicValue", code="required")
        value = chosen[0]
        if attribute == "technology":
            if value not in ProductVersion.Technology.values:
                raise ValidationError(
                    f"Unknown technology {value!r}.",
                    field=f"{at}.productSpecCharacteristicValue",
                    code="invalid_choice",
                )
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000_000:
            raise ValidationError(
                "Give a whole number.", field=f"{at}.productSpecCharacteristicValue", code="int_parsing"
            )
        values[attribute] = value
        paths[attribute] = f"{at}.productSpecCharacteristicValue"
    return values, paths


def start_day(period: TimePeriodIn | None) -> dt.date | None:
    """The provider's calendar day a validFor starts on (a time without offset: the provider's)."""
    if period is None or period.start_date_time is None:
        return None
    start = period.start_date_time
    if start.tzinfo is None:
        start = start.replace(tzinfo=clock.provider_zone())
    try:
        return start.astimezone(clock.provider_zone()).date()
    except (OverflowError, ValueError):  # a start at the edge of year 1 or 9999
        raise ValidationError(
            "Give a start between the years 1 and 9999.", field="validFor.startDateTime", code="invalid_date"
        ) from None


class ProductOfferingIn(In):
    """ProductOffering_Create: the product (`productSpecification.id`), its name, the day it is
    valid from (default today), prices and characteristics (default: the product's newest
    version's), and `lifecycleStatus` In design (default) or Launched."""

    name: Text100
    product_specification: RefIn = Field(alias="productSpecification")
    lifecycle_status: Text20 | None = Field(default=None, alias="lifecycleStatus")
    valid_for: TimePeriodIn | None = Field(default=None, alias="validFor")
    product_offering_price: list[OfferingPriceValueIn] | None = Field(default=None, alias="productOfferingPrice")
    prod_spec_char_value_use: list[SpecCharacteristicIn] = Field(default=[], alias="prodSpecCharValueUse")


class ProductOfferingPatchIn(In):
    """ProductOffering_Update as a JSON merge patch: a draft's validFor, prices (an array given
    replaces them all) and characteristics; `lifecycleStatus` Launched publishes, Retired retires."""

    name: Text100 | None = None
    lifecycle_status: Text20 | None = Field(default=None, alias="lifecycleStatus")
    valid_for: TimePeriodIn | None = Field(default=None, alias="validFor")
    product_offering_price: list[OfferingPriceValueIn] | None = Field(default=None, alias="productOfferingPrice")
    prod_spec_char_value_use: list[SpecCharacteristicIn] | None = Field(default=None, alias="prodSpecCharValueUse")


def status_in(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in STATUSES_IN:
        raise ValidationError(
            f"Unknown lifecycleStatus {value!r}; one of {', '.join(STATUSES_IN)}.",
            field="lifecycleStatus",
            code="invalid_choice",
        )
    return STATUSES_IN[value]


def check_name(name: str | None, product: Product) -> None:
    if name is not None and name != product.name:
        raise ValidationError(
            f"An offering is named after its product specification ({product.name}); rename the specification.",
            field="name",
            code="name_mismatch",
        )


# productOfferingPrice


class ProductOfferingPriceOut(Out):
    id: str
    href: str
    name: str
    price_type: str = Field(serialization_alias="priceType")
    recurring_charge_period_type: str | None = Field(default=None, serialization_alias="recurringChargePeriodType")
    recurring_charge_period_length: int | None = Field(default=None, serialization_alias="recurringChargePeriodLength")
    lifecycle_status: str = Field(serialization_alias="lifecycleStatus")
    is_bundle: bool = Field(default=False, serialization_alias="isBundle")
    price: MoneyOut
    product_offering_term: list[TermOut] = Field(serialization_alias="productOfferingTerm")
    type: str = Field(default="ProductOfferingPrice", serialization_alias="@type")

    @classmethod
    def of(cls, request: HttpRequest, price: Price, kind: str, lifecycle_status: str) -> "ProductOfferingPriceOut":
        recurring = kind == "recurring"
        label = price.get_term_months_display()
        return cls(
            id=price_id(price, kind),
            href=OFFERING_PRICE.href(request, price_id(price, kind)),
            name=f"{price.version.product.name}, {label}, {'monthly' if recurring else 'one-time'}",
            price_type=kind,
            recurring_charge_period_type="month" if recurring else None,
            recurring_charge_period_length=1 if recurring else None,
            lifecycle_status=lifecycle_status,
            price=money(price.mrc_amount if recurring else price.nrc_amount, price.currency),
            product_offering_term=[term(price.term_months, label, "ProductOfferingTerm")],
        )


def price_id(price: Price, kind: str) -> str:
    return f"{price.pk}-{kind}"


def parse_price_id(value: str) -> tuple[str, str]:
    """("123", "recurring") from "123-recurring"; ("", "") for anything else (a 404)."""
    number, _, kind = value.partition("-")
    return (number, kind) if kind in PRICE_KINDS and number.isascii() and number.isdigit() else ("", "")


class OfferingPriceIn(OfferingPriceValueIn):
    """ProductOfferingPrice_Create: a new term's monthly price (`recurring`; its one-time price
    starts at 0, PATCH its `-oneTime` price to set it) on the draft `productOffering` names."""

    product_offering: RefIn = Field(alias="productOffering")


class OfferingPricePatchIn(In):
    """ProductOfferingPrice_Update as a JSON merge patch: the `price` of a draft's charge."""

    price_type: Text20 | None = Field(default=None, alias="priceType")
    price: dict[str, Any] | None = None

    def amount(self, kind: str) -> Any:
        if self.price_type is not None and self.price_type != kind:
            raise ValidationError("A price's type cannot change.", field="priceType", code="immutable")
        if self.price is None:
            return None
        return money_value(self.price, "price")
