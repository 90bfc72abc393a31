"""TMF620 productOffering: one offering per released product version.

`/tmf-api/productCatalogManagement/v4/productOffering`. The offering's id is the
ProductVersion's id: quotes and orders bind to the version they were priced on.
- `lifecycleStatus`: published -> "Launched", retired -> "Retired" (drafts are not shown).
- `isSellable`: published and in force today (`validFor.startDateTime` = effective date).
- `productSpecification`: the product (id, name, version number).
- `productOfferingTerm`: the contract terms it is sold on (months; month-to-month = 0).
- `productOfferingPrice`: by value, per term a recurring monthly and a one-time price, each
  carrying its `productOfferingTerm`; amounts are before tax (`price.dutyFreeAmount`).
  Volume tiers are more recurring entries of their term, per unit (`unitOfMeasure`
  `{"amount": 1, "units": "unit"}`), with the quantities they hold as a `prodSpecCharValueUse`
  `quantity` range (`valueFrom`, `valueTo`; no `valueTo` = and above).
  Promotions in force today are `priceAlteration`s (TMF620 POPAlteration) of the prices they
  alter: percent (`price.percentage`) or amount per unit off (`price.dutyFreeAmount`) the
  monthly charge for the first `applicationDuration` months, or installation waived
  (percentage 100 off the one-time price), each with the promotion's `validFor`.
- `prodSpecCharValueUse`: downloadSpeedMbps, uploadSpeedMbps, technology, staticIpAddresses.
- `marketSegment`: who may buy it (`residential`, `business`, or both).
- `productOfferingRelationship`: where a customer on it can go: `upgradeTo`, `downgradeTo` and
  `replacedBy`, each naming the target product's offering in force today.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Status

from headend.api import links
from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, matching, paginate
from headend.api.schemas import (
    ERRORS,
    AlterationPriceOut,
    Out,
    PriceEntryOut,
    PriceOut,
    QuantityOut,
    RefOut,
    TermOut,
    TimePeriodOut,
    charges,
    end_of_day,
    money,
    start_of_day,
    term,
)
from headend.catalog import pricing_rules
from headend.catalog import selectors as catalog_selectors
from headend.catalog import services as catalog_services
from headend.catalog.api_schemas import (
    OFFERING_PRICE,
    ProductOfferingIn,
    ProductOfferingPatchIn,
    char_values_in,
    check_name,
    price_id,
    prices_in,
    start_day,
    status_in,
)
from headend.catalog.models import (
    MrcOffKind,
    PriceTier,
    Product,
    ProductRelation,
    ProductVersion,
    Promotion,
)
from headend.core import clock
from headend.core.errors import ValidationError
from headend.core.permissions import require

router = Router(tags=["TMF620 productOffering"], by_alias=True, exclude_none=True)

LIFECYCLE_STATUS: dict[str, str] = {
    ProductVersion.Status.DRAFT: "In design",  # shown to those who manage the catalog
    ProductVersion.Status.PUBLISHED: "Launched",
    ProductVersion.Status.RETIRED: "Retired",
}


class CharacteristicValueOut(Out):
    value: Any
    value_type: str = Field(serialization_alias="valueType")
    unit_of_measure: str | None = Field(default=None, serialization_alias="unitOfMeasure")
    is_default: bool = Field(default=True, serialization_alias="isDefault")


class CharValueUseOut(Out):
    name: str
    value_type: str = Field(serialization_alias="valueType")
    min_cardinality: int = Field(default=1, serialization_alias="minCardinality")
    max_cardinality: int = Field(default=1, serialization_alias="maxCardinality")
    product_spec_characteristic_value: list[CharacteristicValueOut] = Field(
        serialization_alias="productSpecCharacteristicValue"
    )


class RangeValueOut(Out):
    """A CharacteristicValueSpecification giving a range of whole numbers."""

    value_type: str = Field(default="integer", serialization_alias="valueType")
    value_from: int = Field(serialization_alias="valueFrom")
    value_to: int | None = Field(default=None, serialization_alias="valueTo")
    range_interval: str = Field(serialization_alias="rangeInterval")


class PriceCharValueUseOut(Out):
    """The characteristic values a price applies to (a volume tier's quantities)."""

    name: str
    value_type: str = Field(default="integer", serialization_alias="valueType")
    product_spec_characteristic_value: list[RangeValueOut] = Field(serialization_alias="productSpecCharacteristicValue")


class OfferingAlterationOut(Out):
    """A TMF620 POPAlteration: a promotion that alters the price it is listed on."""

    id: str
    name: str
    description: str | None = None
    price_type: str = Field(serialization_alias="priceType")
    recurring_charge_period: str | None = Field(default=None, serialization_alias="recurringChargePeriod")
    application_duration: QuantityOut | None = Field(default=None, serialization_alias="applicationDuration")
    price: AlterationPriceOut
    valid_for: TimePeriodOut = Field(serialization_alias="validFor")
    type: str = Field(default="POPAlteration", serialization_alias="@type")


class OfferingPriceOut(PriceEntryOut):
    """A ProductOfferingPriceRefOrValue by value, with the term it applies to (a term's monthly
    and one-time prices carry the id of their productOfferingPrice)."""

    id: str | None = None
    href: str | None = None
    recurring_charge_period_length: int | None = Field(default=None, serialization_alias="recurringChargePeriodLength")
    unit_of_measure: QuantityOut | None = Field(default=None, serialization_alias="unitOfMeasure")
    product_offering_term: list[TermOut] = Field(serialization_alias="productOfferingTerm")
    prod_spec_char_value_use: list[PriceCharValueUseOut] | None = Field(
        default=None, serialization_alias="prodSpecCharValueUse"
    )
    price_alteration: list[OfferingAlterationOut] | None = Field(default=None, serialization_alias="priceAlteration")


class OfferingRelationshipOut(Out):
    id: str
    href: str
    name: str
    relationship_type: str = Field(serialization_alias="relationshipType")
    type: str = Field(default="ProductOfferingRelationship", serialization_alias="@type")
    referred_type: str = Field(default="ProductOffering", serialization_alias="@referredType")


MARKET_SEGMENTS: dict[str, tuple[str, ...]] = {
    Product.CustomerType.RESIDENTIAL: (Product.CustomerType.RESIDENTIAL,),
    Product.CustomerType.BUSINESS: (Product.CustomerType.BUSINESS,),
    Product.CustomerType.ANY: (Product.CustomerType.RESIDENTIAL, Product.CustomerType.BUSINESS),
}
SEGMENT_NAMES: dict[str, str] = {
    Product.CustomerType.RESIDENTIAL: "Residential customers",
    Product.CustomerType.BUSINESS: "Business customers",
}
RELATIONSHIP_TYPES: dict[str, str] = {
    ProductRelation.Kind.UPGRADE: "upgradeTo",
    ProductRelation.Kind.DOWNGRADE: "downgradeTo",
    ProductRelation.Kind.REPLACED_BY: "replacedBy",
}


def tier_price(tier: PriceTier) -> OfferingPriceOut:
    """A volume tier: a recurring price per unit for the quantities it holds."""
    upto = f"{tier.min_quantity}-{tier.max_quantity}" if tier.max_quantity is not None else f"{tier.min_quantity}+"
    holds = (
        f"{tier.min_quantity} to {tier.max_quantity} units"
        if tier.max_quantity is not None
        else f"{tier.min_quantity} or more units"
    )
    return OfferingPriceOut(
        name=f"{tier.get_term_months_display()}, {upto} units",
        description=f"Volume tier: a line of {holds} pays this monthly price for every unit.",
        price_type="recurring",
        recurring_charge_period="month",
        recurring_charge_period_length=1,
        price=PriceOut(duty_free_amount=money(tier.mrc_amount, tier.currency)),
        unit_of_measure=QuantityOut(amount=1, units="unit"),
        product_offering_term=[term(tier.term_months, tier.get_term_months_display(), "ProductOfferingTerm")],
        prod_spec_char_value_use=[
            PriceCharValueUseOut(
                name="quantity",
                product_spec_characteristic_value=[
                    RangeValueOut(
                        value_from=tier.min_quantity,
                        value_to=tier.max_quantity,
                        range_interval="closed" if tier.max_quantity is not None else "closedBottom",
                    )
                ],
            )
        ],
        type="ProductOfferingPrice",
    )


def promotion_alterations(
    promotion: Promotion, currency: str
) -> tuple[OfferingAlterationOut | None, OfferingAlterationOut | None]:
    """What a promotion takes off the monthly price and off the one-time price (None: nothing)."""
    valid_for = TimePeriodOut(
        start_date_time=start_of_day(promotion.valid_from),
        end_date_time=end_of_day(promotion.valid_to) if promotion.valid_to else None,
    )
    monthly = one_time = None
    if promotion.mrc_off_kind != MrcOffKind.NONE:
        months = promotion.mrc_off_months
        if promotion.mrc_off_kind == MrcOffKind.PERCENT:
            price = AlterationPriceOut(percentage=promotion.mrc_off_value)
            off = f"{promotion.mrc_off_value.normalize():f}% off the monthly charge"
        else:
            price = AlterationPriceOut(duty_free_amount=money(promotion.mrc_off_value, currency))
            off = f"{promotion.mrc_off_value} {currency} off the monthly charge per unit"
        monthly = OfferingAlterationOut(
            id=promotion.code,
            name=promotion.name,
            description=f"{off} for the first {months} months." if months != 1 else f"{off} for the first month.",
            price_type="recurring",
            recurring_charge_period="month",
            application_duration=QuantityOut(amount=months, units="month"),
            price=price,
            valid_for=valid_for,
        )
    if promotion.waives_installation:
        one_time = OfferingAlterationOut(
            id=promotion.code,
            name=promotion.name,
            description="Installation waived.",
            price_type="oneTime",
            price=AlterationPriceOut(percentage=Decimal(100)),
            valid_for=valid_for,
        )
    return monthly, one_time


def promotions_in_force(version: ProductVersion, term_months: int, on: dt.date) -> list[Promotion]:
    """The promotions that can be quoted on `version` on a term on `on` (as
    catalog_selectors.promotions_for, from the product's promotions, which a list prefetches)."""
    promotions = sorted(version.product.promotions.all(), key=lambda promotion: (promotion.valid_from, promotion.code))
    return [
        promotion
        for promotion in promotions
        if promotion.version_id in (None, version.pk)
        and pricing_rules.promotion_applies(
            catalog_selectors.promotion_offer(promotion=promotion), term_months=term_months, on=on
        )
    ]


def offering_prices(request: HttpRequest, version: ProductVersion) -> list[OfferingPriceOut]:
    """Per term: the recurring and one-time prices (with the promotions in force today), then
    the term's volume tiers."""
    today = clock.today()
    tiers = list(version.tiers.all())
    entries = []
    for price in sorted(version.prices.all(), key=lambda price: price.term_months):
        recurring, one_time = (
            OfferingPriceOut(
                **entry.model_dump(),
                id=price_id(price, entry.price_type),
                href=OFFERING_PRICE.href(request, price_id(price, entry.price_type)),
                recurring_charge_period_length=1 if entry.price_type == "recurring" else None,
                product_offering_term=[term(price.term_months, price.get_term_months_display(), "ProductOfferingTerm")],
            )
            for entry in charges(
                mrc=price.mrc_amount, nrc=price.nrc_amount, currency=price.currency, type_="ProductOfferingPrice"
            )
        )
        for promotion in promotions_in_force(version, price.term_months, today):
            off_monthly, off_once = promotion_alterations(promotion, price.currency)
            for entry, alteration in ((recurring, off_monthly), (one_time, off_once)):
                if alteration is not None:
                    entry.price_alteration = [*(entry.price_alteration or []), alteration]
        entries += [recurring, one_time]
        entries += [tier_price(tier) for tier in tiers if tier.term_months == price.term_months]
    return entries


def version_in_force(product: Product, on: dt.date) -> ProductVersion | None:
    """The product's published version in force on `on` (as catalog_selectors.version_current,
    from its versions, which a list prefetches)."""
    versions = [version for version in product.versions.all() if version.is_sellable_on(on)]
    return max(versions, key=lambda version: (version.effective_from, version.version), default=None)


def offering_relationships(request: HttpRequest, product: Product) -> list[OfferingRelationshipOut]:
    """Upgrade, downgrade and replacement paths, to each target's offering in force today."""
    today = clock.today()
    kinds = list(RELATIONSHIP_TYPES)
    relations = sorted(
        (relation for relation in product.relations.all() if relation.kind in RELATIONSHIP_TYPES),
        key=lambda relation: (kinds.index(relation.kind), relation.target.name, relation.target.pk),
    )
    relationships = []
    for relation in relations:
        version = version_in_force(relation.target, today)
        if version is not None:
            relationships.append(
                OfferingRelationshipOut(
                    id=str(version.pk),
                    href=links.PRODUCT_OFFERING.href(request, version.pk),
                    name=str(version),
                    relationship_type=RELATIONSHIP_TYPES[relation.kind],
                )
            )
    return relationships


def with_offering_details(versions: models.QuerySet[ProductVersion]) -> models.QuerySet[ProductVersion]:
    """Load what ProductOfferingOut reads beside the prices: tiers, promotions and paths."""
    return versions.prefetch_related(
        "tiers",
        "product__promotions",
        models.Prefetch(
            "product__relations",
            queryset=ProductRelation.objects.select_related("target").prefetch_related("target__versions__product"),
        ),
    )


class ProductOfferingOut(Out):
    id: str
    href: str
    type: str = Field(default="ProductOffering", serialization_alias="@type")
    name: str
    description: str | None = None
    version: str
    lifecycle_status: str = Field(serialization_alias="lifecycleStatus")
    is_bundle: bool = Field(default=False, serialization_alias="isBundle")
    is_sellable: bool = Field(serialization_alias="isSellable")
    last_update: dt.datetime | None = Field(default=None, serialization_alias="lastUpdate")
    valid_for: TimePeriodOut = Field(serialization_alias="validFor")
    product_specification: RefOut = Field(serialization_alias="productSpecification")
    product_offering_term: list[TermOut] = Field(serialization_alias="productOfferingTerm")
    product_offering_price: list[OfferingPriceOut] = Field(serialization_alias="productOfferingPrice")
    prod_spec_char_value_use: list[CharValueUseOut] = Field(serialization_alias="prodSpecCharValueUse")
    market_segment: list[RefOut] = Field(serialization_alias="marketSegment")
    product_offering_relationship: list[OfferingRelationshipOut] | None = Field(
        default=None, serialization_alias="productOfferingRelationship"
    )

    @classmethod
    def of(cls, request: HttpRequest, version: ProductVersion) -> "ProductOfferingOut":
        product = version.product
        prices = sorted(version.prices.all(), key=lambda price: price.term_months)
        uses = [
            ("downloadSpeedMbps", version.download_mbps, "integer", "Mbps"),
            ("uploadSpeedMbps", version.upload_mbps, "integer", "Mbps"),
            ("technology", version.technology, "string", None),
            ("staticIpAddresses", version.static_ips, "integer", None),
        ]
        return cls(
            id=str(version.pk),
            href=links.PRODUCT_OFFERING.href(request, version.pk),
            name=product.name,
            description=product.description or None,
            version=str(version.version),
            lifecycle_status=LIFECYCLE_STATUS.get(version.status, version.status),
            is_sellable=version.is_sellable_on(clock.today()),
            last_update=version.published_at,
            valid_for=TimePeriodOut(start_date_time=start_of_day(version.effective_from)),
            product_specification=RefOut(
                id=str(product.pk),
                name=product.name,
                referred_type="ProductSpecification",
            ),
            product_offering_term=[
                term(price.term_months, price.get_term_months_display(), "ProductOfferingTerm") for price in prices
            ],
            product_offering_price=offering_prices(request, version),
            prod_spec_char_value_use=[
                CharValueUseOut(
                    name=name,
                    value_type=value_type,
                    product_spec_characteristic_value=[
                        CharacteristicValueOut(value=value, value_type=value_type, unit_of_measure=unit)
                    ],
                )
                for name, value, value_type, unit in uses
                if value not in (None, "")
            ],
            market_segment=[
                RefOut(id=segment, name=SEGMENT_NAMES[segment], referred_type="MarketSegment")
                for segment in MARKET_SEGMENTS.get(product.customer_type, ())
            ],
            product_offering_relationship=offering_relationships(request, product) or None,
        )


@router.get("/productOffering", response={200: list[ProductOfferingOut], **ERRORS}, summary="List offerings")
def offering_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    lifecycle_status: str | None = Query(
        None, alias="lifecycleStatus", description="Launched, Retired, or In design (for catalog managers)"
    ),
) -> list[ProductOfferingOut]:
    versions = catalog_selectors.offering_list_for(
        user=request.auth, statuses=matching(LIFECYCLE_STATUS, lifecycle_status)
    )
    versions = with_offering_details(versions)
    return [ProductOfferingOut.of(request, version) for version in paginate(response, versions, page)]


@router.get("/productOffering/{id}", response={200: ProductOfferingOut, **ERRORS}, summary="Retrieve an offering")
def offering_get(request: ApiRequest, id: str, fields: str | None = None) -> ProductOfferingOut:
    return ProductOfferingOut.of(request, catalog_selectors.offering_get_for(user=request.auth, version_id=id))


def _offering_paths(payload: ProductOfferingIn | ProductOfferingPatchIn) -> tuple[dict[str, Any], dict[str, str]]:
    """version_create's characteristics from the body, and the body path of every field a use
    case may name."""
    characteristics, paths = char_values_in(payload.prod_spec_char_value_use or [])
    paths |= {
        "effective_from": "validFor.startDateTime",
        "floor_mrc": "productOfferingPrice",
        "tiers": "productOfferingPrice",
        "templates": "lifecycleStatus",
        "status": "lifecycleStatus",
    }
    return characteristics, paths


@router.post("/productOffering", response={201: ProductOfferingOut, **ERRORS}, summary="Create an offering")
def offering_create(request: ApiRequest, payload: ProductOfferingIn) -> Status:
    """A product's next version (`productSpecification.id`), copied from its newest version with
    what the body gives instead, as a draft ("In design") or launched at once ("Launched"):
    the staff pages' rules (effective today or later, no monthly price below the floor). Needs
    a role that manages the catalog."""
    require(request.auth, "catalog.manage")
    with body_fields({"id": "productSpecification.id"}):
        product = catalog_selectors.product_get(product_id=payload.product_specification.id)
    check_name(payload.name, product)
    status = status_in(payload.lifecycle_status) or ProductVersion.Status.DRAFT
    if status == ProductVersion.Status.RETIRED:
        raise ValidationError(
            "A new offering is In design or Launched.", field="lifecycleStatus", code="invalid_choice"
        )
    characteristics, paths = _offering_paths(payload)
    prices, price_paths = prices_in(payload.product_offering_price) if payload.product_offering_price else (None, {})
    with body_fields(paths | price_paths):
        version = catalog_services.offering_create(
            product=product,
            effective_from=start_day(payload.valid_for) or clock.today(),
            by=request.auth,
            prices=prices,
            launch=status == ProductVersion.Status.PUBLISHED,
            **characteristics,
        )
    created = catalog_selectors.offering_get_for(user=request.auth, version_id=version.pk)
    return Status(201, ProductOfferingOut.of(request, created))


@router.patch(
    "/productOffering/{id}",
    response={200: ProductOfferingOut, **ERRORS},
    summary="Update an offering",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/ProductOfferingPatchIn"}}
            }
        }
    },
)
def offering_patch(request: ApiRequest, id: str, payload: ProductOfferingPatchIn) -> ProductOfferingOut:
    """Change a draft's validFor, prices (the array replaces them) or characteristics, and launch
    ("Launched") or retire ("Retired") it, as a JSON merge patch (application/merge-patch+json or
    application/json). A launched offering's prices and dates do not change: create the next one.
    Needs a role that manages the catalog."""
    require(request.auth, "catalog.manage")
    version = catalog_selectors.offering_get_for(user=request.auth, version_id=id)
    check_name(payload.name, version.product)
    characteristics, paths = _offering_paths(payload)
    prices, price_paths = (
        prices_in(payload.product_offering_price) if payload.product_offering_price is not None else (None, {})
    )
    with body_fields(paths | price_paths):
        catalog_services.offering_change(
            version=version,
            by=request.auth,
            effective_from=start_day(payload.valid_for),
            prices=prices,
            status=status_in(payload.lifecycle_status),
            **characteristics,
        )
    return ProductOfferingOut.of(request, catalog_selectors.offering_get_for(user=request.auth, version_id=id))
