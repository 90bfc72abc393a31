"""Reads of the catalog: what is sellable, on which version, at what price."""

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db import models

from headend.catalog.models import Price, Product, ProductVersion, Term, WorkOrderTemplate
from headend.core.errors import NotFound, ValidationError
from headend.core.ids import parse_id
from headend.core.permissions import is_staff_member


def product_list(*, query: str = "", kind: str = "", customer_type: str = "") -> models.QuerySet[Product]:
    products = Product.objects.prefetch_related("versions")
    if query:
        products = products.filter(models.Q(name__icontains=query) | models.Q(code__icontains=query))
    if kind:
        products = products.filter(kind=kind)
    if customer_type:
        products = products.filter(customer_type__in=[customer_type, Product.CustomerType.ANY])
    return products.order_by("kind", "name")


def product_get(*, product_id: Any) -> Product:
    product = Product.objects.filter(pk=parse_id(product_id)).first()
    if product is None:
        raise NotFound("No such product.", field="id")
    return product


def version_current(*, product: Product, on: dt.date) -> ProductVersion | None:
    """The published version in force on `on`: the latest effective date not after it."""
    return (
        product.versions.filter(status=ProductVersion.Status.PUBLISHED, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def sellable_versions(*, on: dt.date, customer_type: str = "") -> list[ProductVersion]:
    """The version of each product that can be quoted on `on` (one per product)."""
    versions = (
        ProductVersion.objects.filter(status=ProductVersion.Status.PUBLISHED, effective_from__lte=on)
        .select_related("product")
        .prefetch_related("prices")
        .order_by("product__kind", "product__name", "-effective_from", "-version")
    )
    if customer_type:
        versions = versions.filter(product__customer_type__in=[customer_type, Product.CustomerType.ANY])
    seen: set[int] = set()
    current = []
    for version in versions:
        if version.product_id not in seen:
            seen.add(version.product_id)
            current.append(version)
    return current


def version_get(*, version_id: Any) -> ProductVersion:
    version = ProductVersion.objects.select_related("product").filter(pk=parse_id(version_id)).first()
    if version is None:
        raise NotFound("No such product version.", field="product_version")
    return version


def price_for(*, version: ProductVersion, term_months: Any) -> Price:
    """The price of `version` on a term; ValidationError for a term it is not sold on."""
    if term_months not in Term.values:
        raise ValidationError(
            f"Unknown term {term_months!r}; terms are month-to-month (0), 12, 24 or 36 months.",
            field="term_months",
            code="unknown_term",
        )
    for price in version.prices.all():  # prefetched by callers that price many lines
        if price.term_months == term_months:
            return price
    raise ValidationError(
        f"{version} is not sold on a {Term(term_months).label} term.", field="term_months", code="term_not_offered"
    )


def template_for(*, product_id: int, action: str) -> WorkOrderTemplate | None:
    return (
        WorkOrderTemplate.objects.filter(product_id=product_id, action=action)
        .prefetch_related("tasks__dependencies__predecessor", "tasks__skill")
        .first()
    )


RELEASED = (ProductVersion.Status.PUBLISHED, ProductVersion.Status.RETIRED)


def version_list_released(*, user: Any, statuses: Collection[str] | None = None) -> models.QuerySet[ProductVersion]:
    """Every version that has been put on sale (published or since retired), with its prices,
    for a staff member; drafts are the catalog team's work in progress and stay out."""
    wanted = RELEASED if statuses is None else [status for status in statuses if status in RELEASED]
    if not is_staff_member(user):
        wanted = []
    return (
        ProductVersion.objects.filter(status__in=wanted)
        .select_related("product")
        .prefetch_related("prices")
        .order_by("product__name", "-version", "id")
    )


def version_get_for(*, user: Any, version_id: Any) -> ProductVersion:
    """A published or retired version for a staff member; NotFound for drafts and unknown ids."""
    version = version_list_released(user=user).filter(pk=parse_id(version_id)).first()
    if version is None:
        raise NotFound("No such product offering.", field="id")
    return version
