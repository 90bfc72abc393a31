"""TMF620 productSpecification and productOfferingPrice (catalog/api_schemas.py says how they map
to products and term prices): read by staff, created and changed by those who manage the catalog,
through the same use cases as the staff pages. Mounted beside catalog/api.py's productOffering."""

from typing import Any

from django.db import models
from django.http import HttpResponse
from ninja import Query, Router, Status

from headend.api.auth import ApiRequest
from headend.api.errors import body_fields
from headend.api.lists import ListParams, paginate
from headend.api.schemas import ERRORS
from headend.catalog import selectors as catalog_selectors
from headend.catalog import services as catalog_services
from headend.catalog.api import LIFECYCLE_STATUS
from headend.catalog.api_schemas import (
    SPEC_FIELD_PATHS,
    OfferingPriceIn,
    OfferingPricePatchIn,
    ProductOfferingPriceOut,
    ProductSpecificationIn,
    ProductSpecificationOut,
    ProductSpecificationPatchIn,
    parse_price_id,
)
from headend.catalog.models import Price, Product
from headend.core.errors import Conflict, NotFound
from headend.core.ids import parse_id
from headend.core.permissions import is_staff_member, require

router = Router(tags=["TMF620 productSpecification and productOfferingPrice"], by_alias=True, exclude_none=True)


# TMF620 productSpecification: a product (catalog/api_schemas.py).


def _specifications() -> models.QuerySet[Product]:
    return Product.objects.prefetch_related("versions").order_by("name", "id")


def _specification_get(request: ApiRequest, id: Any) -> Product:
    if not is_staff_member(request.auth):
        raise NotFound("No such product specification.", field="id")
    product = _specifications().filter(pk=parse_id(id)).first()
    if product is None:
        raise NotFound("No such product specification.", field="id")
    return product


@router.get(
    "/productSpecification", response={200: list[ProductSpecificationOut], **ERRORS}, summary="List specifications"
)
def specification_list(
    request: ApiRequest, response: HttpResponse, page: Query[ListParams]
) -> list[ProductSpecificationOut]:
    products = _specifications() if is_staff_member(request.auth) else Product.objects.none()
    return [ProductSpecificationOut.of(request, product) for product in paginate(response, products, page)]


@router.get(
    "/productSpecification/{id}", response={200: ProductSpecificationOut, **ERRORS}, summary="Retrieve a specification"
)
def specification_get(request: ApiRequest, id: str, fields: str | None = None) -> ProductSpecificationOut:
    return ProductSpecificationOut.of(request, _specification_get(request, id))


@router.post(
    "/productSpecification", response={201: ProductSpecificationOut, **ERRORS}, summary="Create a specification"
)
def specification_create(request: ApiRequest, payload: ProductSpecificationIn) -> Status:
    """A new product: `productNumber` its code (default: from the name), `name`, `description`,
    and the characteristics productKind, customerType and delivery (on_net, the default, or
    wholesale: a wholesale partner's product). It is sold once an offering of it is
    launched. Needs a role that manages the catalog."""
    require(request.auth, "catalog.manage")
    with body_fields(SPEC_FIELD_PATHS):
        product = catalog_services.product_create(**payload.product_values())
    return Status(201, ProductSpecificationOut.of(request, _specification_get(request, product.pk)))


@router.patch(
    "/productSpecification/{id}",
    response={200: ProductSpecificationOut, **ERRORS},
    summary="Update a specification",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/ProductSpecificationPatchIn"}}
            }
        }
    },
)
def specification_patch(request: ApiRequest, id: str, payload: ProductSpecificationPatchIn) -> ProductSpecificationOut:
    """Rename a product, change its description, its customerType or its delivery, as a JSON merge patch.
    Needs a role that manages the catalog."""
    require(request.auth, "catalog.manage")
    product = _specification_get(request, id)
    with body_fields(SPEC_FIELD_PATHS):
        catalog_services.product_update(product=product, by=request.auth, **payload.product_values(product))
    return ProductSpecificationOut.of(request, _specification_get(request, id))


# TMF620 productOfferingPrice: one charge of one term of a version (catalog/api_schemas.py).


def _price_get(request: ApiRequest, id: str) -> tuple[Price, str]:
    number, kind = parse_price_id(id)
    return catalog_selectors.price_get_for(user=request.auth, price_id=number), kind


def _price_out(request: ApiRequest, price: Price, kind: str) -> ProductOfferingPriceOut:
    status = LIFECYCLE_STATUS.get(price.version.status, price.version.status)
    return ProductOfferingPriceOut.of(request, price, kind, status)


@router.get(
    "/productOfferingPrice/{id}",
    response={200: ProductOfferingPriceOut, **ERRORS},
    summary="Retrieve an offering price",
)
def offering_price_get(request: ApiRequest, id: str, fields: str | None = None) -> ProductOfferingPriceOut:
    return _price_out(request, *_price_get(request, id))


@router.post(
    "/productOfferingPrice", response={201: ProductOfferingPriceOut, **ERRORS}, summary="Create an offering price"
)
def offering_price_create(request: ApiRequest, payload: OfferingPriceIn) -> Status:
    """Price a draft offering (`productOffering.id`) on a new term: a `recurring` monthly price
    (its one-time price starts at 0: PATCH its `-oneTime` price). Needs a role that manages the
    catalog."""
    require(request.auth, "catalog.manage")
    with body_fields({"id": "productOffering.id"}):
        version = catalog_selectors.offering_get_for(user=request.auth, version_id=payload.product_offering.id)
    if payload.price_type != "recurring":
        raise Conflict(
            "Every priced term has its oneTime price: PATCH /productOfferingPrice/{id}-oneTime to change it.",
            field="priceType",
            code="one_time_exists",
        )
    term_months = payload.term_months("")
    if version.prices.filter(term_months=term_months).exists():
        raise Conflict(
            "The offering is priced on this term: PATCH its productOfferingPrice.",
            field="productOfferingTerm",
            code="term_priced",
        )
    with body_fields({f"prices[{term_months}]": "price", "prices": "price", "status": "productOffering.id"}):
        catalog_services.version_prices_set(
            version=version,
            by=request.auth,
            prices={term_months: (payload.amount(""), "0")},
            keep_other_terms=True,
        )
    price = catalog_selectors.price_get_for(user=request.auth, price_id=version.prices.get(term_months=term_months).pk)
    return Status(201, _price_out(request, price, "recurring"))


@router.patch(
    "/productOfferingPrice/{id}",
    response={200: ProductOfferingPriceOut, **ERRORS},
    summary="Update an offering price",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/OfferingPricePatchIn"}}
            }
        }
    },
)
def offering_price_patch(request: ApiRequest, id: str, payload: OfferingPricePatchIn) -> ProductOfferingPriceOut:
    """Change a draft's monthly or one-time price on a term, as a JSON merge patch; checked
    against the floor as on the staff pages. Needs a role that manages the catalog."""
    require(request.auth, "catalog.manage")
    price, kind = _price_get(request, id)
    amount = payload.amount(kind)
    if amount is not None:
        mrc, nrc = (amount, price.nrc_amount) if kind == "recurring" else (price.mrc_amount, amount)
        with body_fields({f"prices[{price.term_months}]": "price", "prices": "price"}):
            catalog_services.version_prices_set(
                version=price.version, by=request.auth, prices={price.term_months: (mrc, nrc)}, keep_other_terms=True
            )
    return _price_out(request, *_price_get(request, id))
