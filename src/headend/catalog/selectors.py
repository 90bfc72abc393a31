"""Reads of the catalog: what is sellable, on which version, at what price."""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

from headend.catalog import pricing_rules
from headend.catalog.models import (
    Price,
    Product,
    ProductRelation,
    ProductVersion,
    Promotion,
    Term,
    WorkOrderTemplate,
)
from headend.core.errors import NotFound, ValidationError
from headend.core.ids import parse_id
from headend.core.permissions import is_staff_member, may


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


def template_actions(*, product_id: int) -> set[str]:
    """The actions (add, modify, suspend ...) the product has a work-order template for."""
    return set(WorkOrderTemplate.objects.filter(product_id=product_id).values_list("action", flat=True))


def templates_defined(*, product_ids: Collection[int]) -> set[tuple[int, str]]:
    """(product id, action) for every work-order template these products have."""
    return set(WorkOrderTemplate.objects.filter(product_id__in=product_ids).values_list("product_id", "action"))


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


def offering_list_for(*, user: Any, statuses: Collection[str] | None = None) -> models.QuerySet[ProductVersion]:
    """The versions a staff member sees in the API: released ones, and drafts too for those who
    manage the catalog (their work in progress)."""
    shown = (*RELEASED, ProductVersion.Status.DRAFT) if may(user, "catalog.manage") else RELEASED
    wanted = shown if statuses is None else [status for status in statuses if status in shown]
    return (
        ProductVersion.objects.filter(status__in=wanted if is_staff_member(user) else [])
        .select_related("product")
        .prefetch_related("prices")
        .order_by("product__name", "-version", "id")
    )


def offering_get_for(*, user: Any, version_id: Any) -> ProductVersion:
    """A version `offering_list_for` shows `user`; NotFound otherwise."""
    version = offering_list_for(user=user).filter(pk=parse_id(version_id)).first()
    if version is None:
        raise NotFound("No such product offering.", field="id")
    return version


def price_get_for(*, user: Any, price_id: Any) -> Price:
    """A term's price of a version `offering_list_for` shows `user`; NotFound otherwise."""
    versions = offering_list_for(user=user)
    price = (
        Price.objects.filter(pk=parse_id(price_id), version__in=versions.values("pk"))
        .select_related("version__product")
        .first()
    )
    if price is None:
        raise NotFound("No such product offering price.", field="id")
    return price


def version_pricing(*, version: ProductVersion) -> pricing_rules.VersionPricing:
    """The version's prices, tiers and rules as the plain values of catalog/pricing_rules.py
    (prefetch `prices` and `tiers` when pricing many lines)."""
    return pricing_rules.VersionPricing(
        prices=tuple(
            pricing_rules.TermPrice(price.term_months, price.mrc_amount, price.nrc_amount)
            for price in version.prices.all()
        ),
        tiers=tuple(
            pricing_rules.Tier(tier.term_months, tier.min_quantity, tier.max_quantity, tier.mrc_amount)
            for tier in version.tiers.all()
        ),
        floor_mrc_amount=version.floor_mrc_amount,
        etf=pricing_rules.EtfRule(
            kind=version.etf_kind,
            percent=version.etf_percent or Decimal(0),
            amount=version.etf_amount or Decimal(0),
            cap_amount=version.etf_cap_amount,
            cap_months=version.etf_cap_months,
            on_downgrade=version.etf_on_downgrade,
            on_replace=version.etf_on_replace,
        ),
        move_fee_amount=version.move_fee_amount,
        installation_waivable=version.installation_waivable,
    )


def promotions_for(*, version: ProductVersion, term_months: int, on: dt.date) -> list[Promotion]:
    """The promotions that can be quoted on `version` on a term on the day `on`: those of its
    product (all versions, or this one) valid that day and open to that term."""
    promotions = (
        Promotion.objects.filter(product_id=version.product_id, valid_from__lte=on)
        .filter(models.Q(version__isnull=True) | models.Q(version=version))
        .filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=on))
        .order_by("valid_from", "code")
    )
    return [promotion for promotion in promotions if not promotion.terms or term_months in promotion.terms]


def promotion_offer(*, promotion: Promotion) -> pricing_rules.PromotionOffer:
    """A promotion as the plain offer (catalog/pricing_rules.py) the pricing engine applies."""
    return pricing_rules.PromotionOffer(
        code=promotion.code,
        mrc_off_kind=promotion.mrc_off_kind,
        mrc_off_value=promotion.mrc_off_value,
        months=promotion.mrc_off_months,
        waives_installation=promotion.waives_installation,
        terms=tuple(promotion.terms),
        valid_from=promotion.valid_from,
        valid_to=promotion.valid_to,
    )


def promotion_list(*, product: Product, on: dt.date) -> list[dict[str, Any]]:
    """Every promotion of a product, newest first, with the version it is limited to and its
    state on `on` (upcoming, current, ended)."""
    promotions = product.promotions.select_related("version").order_by("-valid_from", "code")
    return [{"promotion": promotion, "state": promotion.state_on(on)} for promotion in promotions]


def upgrade_targets(*, product: Product) -> list[ProductRelation]:
    """Where a customer on `product` can move: upgrades, then downgrades (`relation.kind` says
    which), each with its target product loaded."""
    kinds = [ProductRelation.Kind.UPGRADE, ProductRelation.Kind.DOWNGRADE]
    relations = product.relations.filter(kind__in=kinds).select_related("target")
    return sorted(relations, key=lambda relation: (kinds.index(relation.kind), relation.target.name))  # type: ignore[arg-type]


def path_between(*, product: Product, target: Product) -> str | None:
    """ "upgrade", "downgrade" or "replaced_by" from `product` to `target`, or None if the catalog
    has no such path."""
    return product.relations.filter(target=target).values_list("kind", flat=True).first()


def replacements(*, product: Product) -> list[Product]:
    """The products that replace `product` (what to move its customers to)."""
    return list(
        Product.objects.filter(
            relations_in__product=product, relations_in__kind=ProductRelation.Kind.REPLACED_BY
        ).order_by("name")
    )


def replaced_products(*, product: Product) -> list[Product]:
    """The products `product` replaces."""
    return list(
        Product.objects.filter(relations__target=product, relations__kind=ProductRelation.Kind.REPLACED_BY).order_by(
            "name"
        )
    )


def product_paths(*, product: Product) -> list[tuple[str, list[Product]]]:
    """The product's relations for its page, each kind with its products: upgrade to, downgrade
    to, replaced by, replaces (kinds without products left out)."""
    by_kind: dict[str, list[Product]] = {kind: [] for kind in ProductRelation.Kind.values}
    for relation in product.relations.select_related("target").order_by("target__name"):
        by_kind[relation.kind].append(relation.target)
    paths = [(str(label), by_kind[kind]) for kind, label in ProductRelation.Kind.choices]
    paths.append(("Replaces", replaced_products(product=product)))
    return [(label, products) for label, products in paths if products]


def is_addon_allowed(*, addon: Product, base_products: Collection[Product]) -> bool:
    """Whether `addon` may be sold on top of one of `base_products` (its `addon_of` names one)."""
    ids = [base.pk for base in base_products]
    return bool(ids) and addon.addon_of.filter(pk__in=ids).exists()


@dataclass(frozen=True)
class PreviewRequest:
    """A version's preview quote (its page's "catalog.version_preview" slot, which quoting draws):
    one add line of `quantity` units on `term_months`, priced on `on`."""

    version: ProductVersion
    term_months: int
    quantity: int
    on: dt.date


# Reach (issue 17): what is sold where the network does not reach.


def construction_version(*, on: dt.date) -> ProductVersion | None:
    """The construction charge on sale on `on` (the first construction product by name), with
    its prices loaded; None when the catalog sells none."""
    for version in sellable_versions(on=on):
        if version.product.kind == Product.Kind.CONSTRUCTION:
            return version
    return None


def wholesale_versions(*, on: dt.date, customer_type: str = "") -> list[ProductVersion]:
    """The wholesale-partner offerings on sale on `on` to this kind of customer (sold where our
    own network does not reach)."""
    return [
        version
        for version in sellable_versions(on=on, customer_type=customer_type)
        if version.product.delivery == Product.Delivery.WHOLESALE
    ]
