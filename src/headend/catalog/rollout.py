"""Product rollout (issue 17): a new version from an existing one, a new product from a copy, and
the changes a product manager (or their product tool, through TMF620) makes to a draft before
publishing it. The same rules for the staff pages and the API: a version takes effect today or
later, no monthly price below the version's floor, and nothing written when either fails."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from headend.catalog.models import (
    Price,
    PriceTier,
    Product,
    ProductRelation,
    ProductVersion,
    Promotion,
    Term,
    WorkOrderTemplate,
)
from headend.catalog.products import (
    TierRows,
    _optional_amount,
    _prices,
    check_delivery,
    product_create,
    promotion_create,
    version_create,
    version_publish,
    version_retire,
)
from headend.catalog.work_templates import TaskSpec, template_define
from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.core.money import default_currency
from headend.core.permissions import require

# Left as they are unless a caller gives them: the characteristics and rules version_create takes.
KEEP: Any = object()
COPIED_RULES = (
    "download_mbps",
    "upload_mbps",
    "technology",
    "static_ips",
    "notes",
    "etf_kind",
    "etf_percent",
    "etf_amount",
    "etf_cap_months",
    "etf_on_downgrade",
    "etf_on_replace",
    "installation_waivable",
    "data_cap_action",
    "data_overage_block_gb",
    "data_overage_block_amount",
    "voice_included_minutes",
)
# The broadband label's facts (portal/labels.py), copied; the label's identifier is not: it is
# unique per plan version, generated from the FRN and version unless staff set one.
LABEL_FIELDS = (
    "typical_download_mbps",
    "typical_upload_mbps",
    "typical_latency_ms",
    "data_cap_gb",
    "data_policy",
    "monthly_fees",
)
PRODUCT_BILLING_FIELDS = ("billing_timing", "proration", "while_suspended", "hold_mrc_amount", "tax_category")


def check_effective_from(day: dt.date) -> None:
    """A version takes effect today or later: quotes priced before today keep what they had."""
    today = clock.today()
    if day < today:
        raise ValidationError(
            f"The effective date {day:%b %-d, %Y} is in the past; a new version takes effect today "
            f"({today:%b %-d, %Y}) or later.",
            field="effective_from",
            code="effective_in_past",
        )


def check_prices_above_floor(prices: list[tuple[int, Decimal, Decimal]], floor: Decimal | None) -> None:
    """Each term's monthly price is at or above the floor; ValidationError names `prices[term]`."""
    if floor is None:
        return
    for term, mrc, _ in prices:
        if mrc < floor:
            raise ValidationError(
                f"{Term(term).label}: the monthly price {mrc} is below the floor {floor}; "
                "raise the price or lower the floor.",
                field=f"prices[{term}]",
                code="below_floor",
            )


def _source_prices(source: ProductVersion) -> dict[int, tuple[Any, Any]]:
    return {price.term_months: (price.mrc_amount, price.nrc_amount) for price in source.prices.all()}


def _source_tiers(source: ProductVersion, terms: set[int]) -> dict[int, TierRows]:
    tiers: dict[int, TierRows] = {}
    for tier in source.tiers.order_by("term_months", "min_quantity"):
        if tier.term_months in terms:
            tiers.setdefault(tier.term_months, []).append((tier.min_quantity, tier.max_quantity, tier.mrc_amount))
    return tiers


def _promotion_create(version: ProductVersion, promotion: dict[str, Any]) -> Promotion:
    """The new version's own promotion; its errors name `promotion.<field>`."""
    values = {"valid_from": version.effective_from, **promotion}
    try:
        return promotion_create(product=version.product, version=version, **values)
    except ValidationError as exc:
        exc.field = f"promotion.{exc.field or 'code'}"
        raise


@transaction.atomic
def version_create_from(
    *,
    source: ProductVersion,
    effective_from: dt.date,
    by: Any,
    product: Product | None = None,
    prices: dict[int, tuple[Any, Any]] | None = None,
    floor_mrc: Any = KEEP,
    promotion: dict[str, Any] | None = None,
    **changes: Any,
) -> ProductVersion:
    """Draft the next version of a product as a copy of `source` (of it, or of another product for
    a copy: `product`): its characteristics, pricing rules, cost, availability promise, volume
    tiers and broadband label facts, with `prices` ({term: (monthly, one-time)}; default: the
    source's), `floor_mrc` and `changes` (version_create's characteristics and rules) instead where
    given, and `promotion` (promotion_create's fields) as the new version's own offer.

    Forbidden unless `by` manages the catalog; ValidationError for an effective date in the past
    (effective_from), a monthly price below the floor (prices[term]), and whatever version_create
    and promotion_create refuse."""
    require(by, "catalog.manage")
    check_effective_from(effective_from)
    given = prices if prices is not None else _source_prices(source)
    checked = _prices(given)
    floor = source.floor_mrc_amount if floor_mrc is KEEP else _optional_amount(floor_mrc, field="floor_mrc")
    check_prices_above_floor(checked, floor)
    unknown = set(changes) - set(COPIED_RULES) - {"move_fee", "etf_cap", "monthly_cost"}
    if unknown:
        raise TypeError(f"version_create_from() got unexpected arguments {sorted(unknown)}")
    rules = {name: getattr(source, name) for name in COPIED_RULES}
    rules |= {
        "move_fee": source.move_fee_amount,
        "etf_cap": source.etf_cap_amount,
        "monthly_cost": source.monthly_cost_amount,
    }
    version = version_create(
        product=product or source.product,
        effective_from=effective_from,
        prices=given,
        tiers=_source_tiers(source, {term for term, _, _ in checked}),
        floor_mrc=floor,
        availability_target=source.availability_target,
        availability_credits=source.availability_credits,
        **(rules | changes),
    )
    for name in LABEL_FIELDS:
        setattr(version, name, getattr(source, name))
    version.full_clean()
    version.save(update_fields=list(LABEL_FIELDS))
    if promotion:
        _promotion_create(version, promotion)
    return version


def _task_specs(template: WorkOrderTemplate) -> list[TaskSpec]:
    tasks = list(template.tasks.select_related("skill").prefetch_related("dependencies__predecessor"))
    return [
        TaskSpec(
            name=task.name,
            kind=task.kind,
            role=task.role,
            planned_minutes=task.planned_minutes,
            code_action=task.code_action,
            code_params=dict(task.code_params),
            depends_on=[(dep.predecessor.name, dep.lag_minutes) for dep in task.dependencies.all()],
            skill=task.skill.code if task.skill else "",
            turns_up=task.turns_up,
            needs_appointment=task.needs_appointment,
            undo=task.undo,
            checklist=list(task.checklist),
            equipment=list(task.equipment),
        )
        for task in tasks
    ]


@transaction.atomic
def product_create_from(
    *,
    source: ProductVersion,
    code: str,
    name: str,
    effective_from: dt.date,
    by: Any,
    prices: dict[int, tuple[Any, Any]] | None = None,
    floor_mrc: Any = KEEP,
    promotion: dict[str, Any] | None = None,
    delivery: Any = KEEP,
    **changes: Any,
) -> ProductVersion:
    """A new product as a copy of `source`'s product: its kind, customer type, delivery (our
    network or a wholesale partner; `delivery` instead where given), description, billing
    behaviour, the bases it is an add-on of, its upgrade, downgrade and replacement paths and its
    work-order templates; and its first version, a draft copied from `source` as
    version_create_from does. Returns the draft.

    Forbidden unless `by` manages the catalog; ValidationError as product_create (a code taken,
    an unknown delivery) and version_create_from."""
    require(by, "catalog.manage")
    original = source.product
    if not name.strip():
        raise ValidationError("Name the new product.", field="name", code="required")
    product = product_create(
        code=code,
        name=name.strip(),
        kind=original.kind,
        customer_type=original.customer_type,
        delivery=original.delivery if delivery is KEEP else delivery,
        description=original.description,
        addon_of=list(original.addon_of.all()),
    )
    for field in PRODUCT_BILLING_FIELDS:
        setattr(product, field, getattr(original, field))
    product.full_clean()
    product.save(update_fields=list(PRODUCT_BILLING_FIELDS))
    ProductRelation.objects.bulk_create(
        ProductRelation(product=product, target_id=relation.target_id, kind=relation.kind)
        for relation in original.relations.all()
    )
    for template in original.templates.all():
        template_define(
            product=product,
            action=template.action,
            name=template.name.replace(original.name, product.name),
            tasks=_task_specs(template),
        )
    return version_create_from(
        source=source,
        product=product,
        effective_from=effective_from,
        by=by,
        prices=prices,
        floor_mrc=floor_mrc,
        promotion=promotion,
        **changes,
    )


@transaction.atomic
def version_launch(*, version: ProductVersion, by: Any) -> ProductVersion:
    """Publish a draft from its effective date, which must not have passed (a draft left since
    a date now gone gets a new date first). Forbidden unless `by` manages the catalog;
    ValidationError (effective_from) or as version_publish (prices, templates); Conflict if it is
    not a draft."""
    require(by, "catalog.manage")
    version = ProductVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ProductVersion.Status.DRAFT:
        check_effective_from(version.effective_from)
    return version_publish(version=version)


def _draft(version: ProductVersion) -> ProductVersion:
    """The version, locked, if it is a draft; Conflict once it is on sale."""
    version = ProductVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ProductVersion.Status.DRAFT:
        raise Conflict(
            f"Version {version.version} of {version.product.name} is {version.get_status_display().lower()}; "
            "make a new version to change it.",
            field="lifecycleStatus",
            code="version_not_draft",
        )
    return version


CHARACTERISTICS = ("download_mbps", "upload_mbps", "technology", "static_ips")


@transaction.atomic
def version_update(
    *,
    version: ProductVersion,
    by: Any,
    effective_from: dt.date | None = None,
    **characteristics: Any,
) -> ProductVersion:
    """Change a draft's effective date (today or later) or its characteristics (speeds,
    technology, static IPs). Forbidden, Conflict once published, ValidationError naming the field."""
    require(by, "catalog.manage")
    version = _draft(version)
    unknown = set(characteristics) - set(CHARACTERISTICS)
    if unknown:
        raise TypeError(f"version_update() got unexpected arguments {sorted(unknown)}")
    if effective_from is not None:
        check_effective_from(effective_from)
        version.effective_from = effective_from
    for name, value in characteristics.items():
        setattr(version, name, value)
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def version_prices_set(
    *, version: ProductVersion, by: Any, prices: dict[int, tuple[Any, Any]], keep_other_terms: bool = False
) -> ProductVersion:
    """Set a draft's prices per term ({term: (monthly, one-time)}); the terms not given are dropped
    (with their tiers) unless `keep_other_terms`. Forbidden, Conflict once published,
    ValidationError for an unknown term, a bad amount or a monthly price below the floor."""
    require(by, "catalog.manage")
    version = _draft(version)
    current = {price.term_months: price for price in version.prices.all()}
    wanted = {**{term: (p.mrc_amount, p.nrc_amount) for term, p in current.items()}, **prices}
    if not keep_other_terms:
        wanted = dict(prices)
    checked = _prices(wanted)
    check_prices_above_floor(checked, version.floor_mrc_amount)
    tier_mrcs = list(version.tiers.filter(term_months__in=list(wanted)).values_list("mrc_amount", flat=True))
    if version.floor_mrc_amount is not None and tier_mrcs and min(tier_mrcs) < version.floor_mrc_amount:
        raise ValidationError("A volume tier is below the floor.", field="tiers", code="below_floor")
    PriceTier.objects.filter(version=version).exclude(term_months__in=list(wanted)).delete()
    Price.objects.filter(version=version).exclude(term_months__in=list(wanted)).delete()
    for term, mrc, nrc in checked:
        price = current.get(term)
        if price is None:
            Price.objects.create(
                version=version, term_months=term, mrc_amount=mrc, nrc_amount=nrc, currency=default_currency()
            )
        elif (price.mrc_amount, price.nrc_amount) != (mrc, nrc):
            price.mrc_amount, price.nrc_amount = mrc, nrc
            price.save(update_fields=["mrc_amount", "nrc_amount"])
    return version


@transaction.atomic
def product_update(*, product: Product, by: Any, **values: Any) -> Product:
    """Rename a product or change its description, who may buy it (customer type) or how it
    reaches a site (delivery: our network or a wholesale partner; quotes check it at each line).
    Forbidden unless `by` manages the catalog; ValidationError naming the field."""
    require(by, "catalog.manage")
    product = Product.objects.select_for_update().get(pk=product.pk)
    unknown = set(values) - {"name", "description", "customer_type", "kind", "delivery"}
    if unknown:
        raise TypeError(f"product_update() got unexpected arguments {sorted(unknown)}")
    if "delivery" in values:
        check_delivery(values["delivery"])
    if "kind" in values and values["kind"] != product.kind and product.versions.exists():
        raise Conflict("A product with versions stays the kind it is.", field="kind", code="immutable")
    if "name" in values and not str(values["name"]).strip():
        raise ValidationError("A product needs a name.", field="name", code="required")
    for name, value in values.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def offering_create(
    *,
    product: Product,
    effective_from: dt.date,
    by: Any,
    prices: dict[int, tuple[Any, Any]] | None = None,
    launch: bool = False,
    **characteristics: Any,
) -> ProductVersion:
    """A product's next version as a product tool sends it (TMF620 POST productOffering): copied
    from its newest version as version_create_from does, or its first version (prices needed),
    then published when `launch`. The rules and errors of version_create_from and version_launch;
    nothing is written when one fails."""
    require(by, "catalog.manage")
    source = product.versions.order_by("-version").first()
    if source is not None:
        version = version_create_from(
            source=source, effective_from=effective_from, by=by, prices=prices, **characteristics
        )
    else:
        check_effective_from(effective_from)
        if not prices:
            raise ValidationError("A product's first version needs its prices.", field="prices", code="required")
        version = version_create(product=product, effective_from=effective_from, prices=prices, **characteristics)
    return version_launch(version=version, by=by) if launch else version


LIFECYCLE = ("draft", "published", "retired")


@transaction.atomic
def offering_change(
    *,
    version: ProductVersion,
    by: Any,
    effective_from: dt.date | None = None,
    prices: dict[int, tuple[Any, Any]] | None = None,
    status: str | None = None,
    **characteristics: Any,
) -> ProductVersion:
    """What a product tool changes on a version (TMF620 PATCH productOffering): a draft's date,
    characteristics and prices, then its status (published: version_launch; retired:
    version_retire; unchanged: nothing). All or nothing; errors as the use cases named."""
    require(by, "catalog.manage")
    if status is not None and status not in LIFECYCLE:
        raise ValidationError(f"Unknown status {status!r}.", field="lifecycleStatus", code="invalid_choice")
    if effective_from is not None or characteristics:
        version = version_update(version=version, by=by, effective_from=effective_from, **characteristics)
    if prices is not None:
        version = version_prices_set(version=version, by=by, prices=prices)
    if status is None or status == version.status:
        return version
    if status == ProductVersion.Status.PUBLISHED:
        return version_launch(version=version, by=by)
    if status == ProductVersion.Status.RETIRED:
        return version_retire(version=version)
    raise Conflict(
        f"Version {version.version} of {version.product.name} is on sale; it cannot go back to design.",
        field="lifecycleStatus",
        code="invalid_transition",
    )
