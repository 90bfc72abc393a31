"""TMF620 productOffering: one offering per released product version.

`/tmf-api/productCatalogManagement/v4/productOffering`. The offering's id is the
ProductVersion's id: quotes and orders bind to the version they were priced on.
- `lifecycleStatus`: published -> "Launched", retired -> "Retired" (drafts are not shown).
- `isSellable`: published and in force today (`validFor.startDateTime` = effective date).
- `productSpecification`: the product (id, name, version number).
- `productOfferingTerm`: the contract terms it is sold on (months; month-to-month = 0).
- `productOfferingPrice`: by value, per term a recurring monthly and a one-time price, each
  carrying its `productOfferingTerm`; amounts are before tax (`price.dutyFreeAmount`).
- `prodSpecCharValueUse`: downloadSpeedMbps, uploadSpeedMbps, technology, staticIpAddresses.
"""

import datetime as dt
from typing import Any

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
    TimePeriodOut,
    charges,
    start_of_day,
    term,
)
from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import ProductVersion
from headend.core import clock

router = Router(tags=["TMF620 productOffering"], by_alias=True, exclude_none=True)

LIFECYCLE_STATUS: dict[str, str] = {
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


class OfferingPriceOut(PriceEntryOut):
    """A ProductOfferingPriceRefOrValue by value, with the term it applies to."""

    recurring_charge_period_length: int | None = Field(default=None, serialization_alias="recurringChargePeriodLength")
    product_offering_term: list[TermOut] = Field(serialization_alias="productOfferingTerm")


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

    @classmethod
    def of(cls, request: HttpRequest, version: ProductVersion) -> "ProductOfferingOut":
        product = version.product
        prices = sorted(version.prices.all(), key=lambda price: price.term_months)
        offering_prices = []
        for price in prices:
            recurring, one_time = charges(
                mrc=price.mrc_amount, nrc=price.nrc_amount, currency=price.currency, type_="ProductOfferingPrice"
            )
            for entry in (recurring, one_time):
                offering_prices.append(
                    OfferingPriceOut(
                        **entry.model_dump(),
                        recurring_charge_period_length=1 if entry.price_type == "recurring" else None,
                        product_offering_term=[term(price.term_months, "ProductOfferingTerm")],
                    )
                )
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
            product_offering_term=[term(price.term_months, "ProductOfferingTerm") for price in prices],
            product_offering_price=offering_prices,
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
        )


@router.get("/productOffering", response={200: list[ProductOfferingOut], **ERRORS}, summary="List offerings")
def offering_list(
    request: ApiRequest,
    response: HttpResponse,
    page: Query[ListParams],
    lifecycle_status: str | None = Query(None, alias="lifecycleStatus", description="Launched or Retired"),
) -> list[ProductOfferingOut]:
    versions = catalog_selectors.version_list_released(
        user=request.auth, statuses=matching(LIFECYCLE_STATUS, lifecycle_status)
    )
    return [ProductOfferingOut.of(request, version) for version in paginate(response, versions, page)]


@router.get("/productOffering/{id}", response={200: ProductOfferingOut, **ERRORS}, summary="Retrieve an offering")
def offering_get(request: ApiRequest, id: str, fields: str | None = None) -> ProductOfferingOut:
    return ProductOfferingOut.of(request, catalog_selectors.version_get_for(user=request.auth, version_id=id))
