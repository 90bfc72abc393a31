"""Write use cases for the catalog's products: products, versions with their prices and pricing
rules, promotions, and the relations between products."""

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from headend.catalog.models import (
    DataCapAction,
    EtfKind,
    MrcOffKind,
    Price,
    PriceTier,
    Product,
    ProductRelation,
    ProductVersion,
    Promotion,
    Term,
    WorkOrderTemplate,
)
from headend.catalog.sla_terms import check_availability_terms
from headend.catalog.work_templates import missing_template_actions
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.money import default_currency
from headend.core.numbers import MAX_INT, parse_amount, parse_int


@transaction.atomic
def product_create(
    *,
    code: str,
    name: str,
    kind: str,
    customer_type: str,
    description: str = "",
    addon_of: list[Product] | None = None,
    delivery: str = Product.Delivery.ON_NET,
) -> Product:
    """Add a product to the catalog (it is sold once a version is published). `delivery` says how
    it reaches a site: on our network (where coverage says), or through a wholesale partner
    (sold where our network does not reach). ValidationError names the field at fault."""
    if Product.objects.filter(code=code).exists():
        raise ValidationError(f"A product with code {code!r} exists.", field="code", code="duplicate_code")
    check_delivery(delivery)
    product = Product(
        code=code,
        name=name,
        kind=kind,
        customer_type=customer_type,
        delivery=delivery,
        description=description,
        created_at=clock.now(),
    )
    product.full_clean()
    product.save()
    if addon_of:
        product.addon_of.set(addon_of)
    return product


def check_delivery(delivery: Any) -> None:
    """`delivery` is one of Product.Delivery's values; ValidationError (delivery) otherwise."""
    if delivery not in Product.Delivery.values:
        raise ValidationError(
            f"Unknown delivery {delivery!r}; a product is {' or '.join(Product.Delivery.values)}.",
            field="delivery",
            code="invalid_choice",
        )


def _prices(prices: dict[int, tuple[Any, Any]]) -> list[tuple[int, Decimal, Decimal]]:
    checked = []
    for term, (mrc, nrc) in prices.items():
        if term not in Term.values:
            raise ValidationError(
                f"Unknown term {term!r}; terms are {Term.values}.", field="term_months", code="unknown_term"
            )
        mrc_amount, nrc_amount = parse_amount(mrc, field="prices"), parse_amount(nrc, field="prices")
        checked.append((term, mrc_amount, nrc_amount))
    if not checked:
        raise ValidationError("A version needs a price for at least one term.", field="prices", code="required")
    return checked


def _amount(value: Any, *, field: str) -> Decimal:
    """An amount to the cent, not negative; ValidationError naming `field` otherwise."""
    if value is None or value == "":
        raise ValidationError("Enter an amount.", field=field, code="required")
    return parse_amount(value, field=field)


def _optional_amount(value: Any, *, field: str) -> Decimal | None:
    return None if value is None or value == "" else _amount(value, field=field)


def _percent(value: Any, *, field: str) -> Decimal:
    """A percent above 0 and at most 100."""
    percent = _amount(value, field=field)
    if percent > 100:
        raise ValidationError("A percent cannot exceed 100.", field=field, code="percent_above_100")
    if percent == 0:
        raise ValidationError("A percent must be above 0.", field=field, code="invalid_amount")
    return percent


def check_data_cap_action(*, action: Any, block_gb: Any, block_amount: Any) -> tuple[str, int | None, Decimal | None]:
    """What happens at the data cap: overage needs a block size and its price (both above 0);
    the other actions take neither."""
    if action not in DataCapAction.values:
        raise ValidationError("Choose notify, overage or throttle.", field="data_cap_action", code="invalid_choice")
    if action != DataCapAction.OVERAGE:
        return action, None, None
    if block_gb in (None, ""):
        raise ValidationError("Overage needs a block size in GB.", field="data_overage_block_gb", code="required")
    gb = parse_int(block_gb, field="data_overage_block_gb", minimum=1)
    amount = _amount(block_amount, field="data_overage_block_amount")
    if amount == 0:
        raise ValidationError(
            "An overage block needs a price above 0.", field="data_overage_block_amount", code="invalid_amount"
        )
    return action, gb, amount


TierRows = list[tuple[Any, Any, Any]]


def check_tiers(*, tiers: dict[int, TierRows], priced_terms: set[int]) -> list[tuple[int, int, int | None, Decimal]]:
    """Volume tiers per term as (term, min, max or None, monthly per unit), checked: a term the
    version is priced on, whole quantities from 1, a price not negative, and per term no overlap
    and no gap (only the last tier may be open-ended). ValidationError names `tiers[term][n]`."""
    checked = []
    for term, rows in tiers.items():
        if term not in priced_terms:
            raise ValidationError(
                f"Price the {term}-month term before giving it tiers.", field=f"tiers[{term}]", code="term_not_offered"
            )
        parsed = []
        for n, row in enumerate(rows, start=1):
            where = f"tiers[{term}][{n}]"
            try:
                low, high, mrc = row
            except (TypeError, ValueError) as exc:
                raise ValidationError("A tier is (from, to or None, monthly price).", field=where) from exc
            if isinstance(low, bool) or not isinstance(low, int) or not 1 <= low <= MAX_INT:
                raise ValidationError("A tier starts at a quantity of 1 or more.", field=f"{where}.min_quantity")
            if high is not None and (isinstance(high, bool) or not isinstance(high, int) or not low <= high <= MAX_INT):
                raise ValidationError(
                    "A tier ends at a whole quantity not below its start.", field=f"{where}.max_quantity"
                )
            amount = _amount(mrc, field=f"{where}.mrc_amount")
            parsed.append((low, high, amount, where))
        parsed.sort(key=lambda tier: tier[0])
        for (low, high, _, _), (next_low, _, _, next_where) in itertools.pairwise(parsed):
            if high is None or high >= next_low:
                raise ValidationError(
                    f"Tiers overlap: {low}-{high if high is not None else ''} and one from {next_low}.",
                    field=f"{next_where}.min_quantity",
                    code="overlapping_tiers",
                )
            if high + 1 < next_low:
                raise ValidationError(
                    f"No tier covers {high + 1}-{next_low - 1}.", field=f"{next_where}.min_quantity", code="tier_gap"
                )
        checked += [(term, low, high, amount) for low, high, amount, _ in parsed]
    return checked


def _check_floor(floor: Decimal | None, *, mrcs: list[Decimal]) -> None:
    if floor is not None and mrcs and floor > min(mrcs):
        raise ValidationError(
            f"The floor {floor} is above the lowest monthly price {min(mrcs)}; a list price would need approval.",
            field="floor_mrc",
            code="floor_above_price",
        )


def _cap_months(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return parse_int(value, field="etf_cap_months", minimum=1, maximum=120)


def _etf_rule(
    *, kind: str, percent: Any, amount: Any, cap: Any
) -> tuple[str, Decimal | None, Decimal | None, Decimal | None]:
    if kind not in EtfKind.values:
        raise ValidationError(f"Unknown ETF rule {kind!r}.", field="etf_kind", code="invalid_choice")
    cap_amount = _optional_amount(cap, field="etf_cap")
    if kind == EtfKind.NONE:
        return kind, None, None, None
    if kind == EtfKind.PERCENT_OF_REMAINING:
        return kind, _percent(percent, field="etf_percent"), None, cap_amount
    return kind, None, _amount(amount, field="etf_amount"), cap_amount


@transaction.atomic
def version_create(
    *,
    product: Product,
    effective_from: dt.date,
    prices: dict[int, tuple[Any, Any]],
    download_mbps: int | None = None,
    upload_mbps: int | None = None,
    technology: str = "",
    static_ips: int = 0,
    notes: str = "",
    tiers: dict[int, TierRows] | None = None,
    floor_mrc: Any = None,
    etf_kind: str = EtfKind.NONE,
    etf_percent: Any = None,
    etf_amount: Any = None,
    etf_cap: Any = None,
    etf_cap_months: Any = None,
    etf_on_downgrade: bool = False,
    etf_on_replace: bool = False,
    move_fee: Any = "0",
    installation_waivable: bool = False,
    monthly_cost: Any = None,
    availability_target: Any = None,
    availability_credits: Any = None,
    data_cap_action: str = DataCapAction.NOTIFY,
    data_overage_block_gb: Any = None,
    data_overage_block_amount: Any = None,
    voice_included_minutes: Any = None,
) -> ProductVersion:
    """Draft the next version of a product with its characteristics, term prices and pricing rules.

    `tiers` maps a term to volume tiers (from, to or None, monthly per unit); `floor_mrc` is the
    lowest monthly per unit a discount may reach without approval; the ETF applies when a service
    is cancelled inside its term (`etf_kind` none, percent_of_remaining with `etf_percent`, flat or
    per_remaining_month with `etf_amount`; `etf_cap` caps the amount, `etf_cap_months` the months
    it counts). `monthly_cost` is what a unit costs the provider a month; `availability_target`
    the availability promised (%) and `availability_credits` the credits owed below it, as
    [{"below": "99.9", "credit_percent": "10"}, ...] (catalog/sla_terms.py). ValidationError names
    the field."""
    checked = _prices(prices)
    checked_tiers = check_tiers(tiers=tiers or {}, priced_terms={term for term, _, _ in checked})
    floor = _optional_amount(floor_mrc, field="floor_mrc")
    _check_floor(floor, mrcs=[mrc for _, mrc, _ in checked] + [mrc for _, _, _, mrc in checked_tiers])
    kind, percent, amount, cap = _etf_rule(kind=etf_kind, percent=etf_percent, amount=etf_amount, cap=etf_cap)
    cap_months = _cap_months(etf_cap_months) if kind != EtfKind.NONE else None
    move_fee_amount = _amount(move_fee, field="move_fee")
    cost = _optional_amount(monthly_cost, field="monthly_cost")
    target, credits = check_availability_terms(target=availability_target, credits=availability_credits)
    cap_action, block_gb, block_amount = check_data_cap_action(
        action=data_cap_action, block_gb=data_overage_block_gb, block_amount=data_overage_block_amount
    )
    minutes = (
        None
        if voice_included_minutes in (None, "")
        else parse_int(voice_included_minutes, field="voice_included_minutes")
    )
    last = product.versions.order_by("-version").first()
    version = ProductVersion(
        product=product,
        version=(last.version + 1) if last else 1,
        effective_from=effective_from,
        download_mbps=download_mbps,
        upload_mbps=upload_mbps,
        technology=technology,
        static_ips=static_ips,
        notes=notes,
        floor_mrc_amount=floor,
        etf_kind=kind,
        etf_percent=percent,
        etf_amount=amount,
        etf_cap_amount=cap,
        etf_cap_months=cap_months,
        etf_on_downgrade=etf_on_downgrade and kind != EtfKind.NONE,
        etf_on_replace=etf_on_replace and kind != EtfKind.NONE,
        move_fee_amount=move_fee_amount,
        installation_waivable=installation_waivable,
        monthly_cost_amount=cost,
        availability_target=target,
        availability_credits=credits,
        data_cap_action=cap_action,
        data_overage_block_gb=block_gb,
        data_overage_block_amount=block_amount,
        voice_included_minutes=minutes,
        created_at=clock.now(),
    )
    version.full_clean()
    version.save()
    bulk_create_with_history(
        [
            Price(version=version, term_months=term, mrc_amount=mrc, nrc_amount=nrc, currency=default_currency())
            for term, mrc, nrc in checked
        ],
        Price,
    )
    _tiers_create(version, checked_tiers)
    return version


def _tiers_create(version: ProductVersion, tiers: list[tuple[int, int, int | None, Decimal]]) -> None:
    bulk_create_with_history(
        [
            PriceTier(
                version=version,
                term_months=term,
                min_quantity=low,
                max_quantity=high,
                mrc_amount=mrc,
                currency=default_currency(),
            )
            for term, low, high, mrc in tiers
        ],
        PriceTier,
    )


@transaction.atomic
def version_tiers_set(*, version: ProductVersion, term_months: int, tiers: TierRows) -> ProductVersion:
    """Replace a draft version's volume tiers on one term (an empty list removes them).

    Raises Conflict once the version is published (quotes price on it), ValidationError for
    overlapping or gapped tiers, negative prices, an unpriced term or tiers under the floor."""
    version = ProductVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ProductVersion.Status.DRAFT:
        raise Conflict(
            f"{version} is {version.get_status_display().lower()}; publish a new version to change its prices.",
            field="status",
            code="version_not_draft",
        )
    prices = {price.term_months: price.mrc_amount for price in version.prices.all()}
    if term_months not in prices:
        raise ValidationError(
            f"Price the {term_months}-month term before giving it tiers.", field="term_months", code="term_not_offered"
        )
    checked = check_tiers(tiers={term_months: tiers}, priced_terms=set(prices))
    other_tiers = list(version.tiers.exclude(term_months=term_months).values_list("mrc_amount", flat=True))
    _check_floor(version.floor_mrc_amount, mrcs=[*prices.values(), *other_tiers, *(mrc for *_, mrc in checked)])
    version.tiers.filter(term_months=term_months).delete()
    _tiers_create(version, checked)
    return version


@transaction.atomic
def version_publish(*, version: ProductVersion) -> ProductVersion:
    """Make a draft sellable from its effective date; live services keep the version they have."""
    version = ProductVersion.objects.select_for_update().get(pk=version.pk)
    version.check_transition(ProductVersion.Status.PUBLISHED)
    if not version.prices.exists():
        raise ValidationError("Price the version before publishing it.", field="prices", code="required")
    missing = missing_template_actions(product=version.product)
    if missing:
        labels = ", ".join(str(WorkOrderTemplate.Action(action).label).lower() for action in missing)
        raise ValidationError(
            f"Define the work-order templates for {labels} before publishing: every change a quote can "
            f"make to a {version.product.name} service must become work.",
            field="templates",
            code="templates_missing",
        )
    version.status, version.published_at = ProductVersion.Status.PUBLISHED, clock.now()
    version.save(update_fields=["status", "published_at"])
    events.emit("product_version.published", subject=version, data={"product_id": version.product_id})
    return version


@transaction.atomic
def version_retire(*, version: ProductVersion) -> ProductVersion:
    """Stop selling a version; services on it carry on unchanged."""
    version = ProductVersion.objects.select_for_update().get(pk=version.pk)
    version.check_transition(ProductVersion.Status.RETIRED)
    version.status = ProductVersion.Status.RETIRED
    version.save(update_fields=["status"])
    events.emit("product_version.retired", subject=version)
    return version


@transaction.atomic
def promotion_create(
    *,
    product: Product,
    code: str,
    name: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    version: ProductVersion | None = None,
    mrc_off_kind: str = MrcOffKind.NONE,
    mrc_off_value: Any = "0",
    mrc_off_months: int = 0,
    waives_installation: bool = False,
    terms: list[int] | None = None,
) -> Promotion:
    """Offer a product (or one version) on better terms for a while: the first `mrc_off_months`
    months at a percent or an amount per unit off, installation waived, or both, on `terms`
    (none given: every term). ValidationError names the field at fault."""
    if Promotion.objects.filter(code=code).exists():
        raise ValidationError(f"A promotion with code {code!r} exists.", field="code", code="duplicate_code")
    if version is not None and version.product_id != product.pk:
        raise ValidationError(f"{version} is not a version of {product}.", field="version")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationError("A promotion cannot end before it starts.", field="valid_to", code="dates_out_of_order")
    if mrc_off_kind not in MrcOffKind.values:
        raise ValidationError(f"Unknown discount kind {mrc_off_kind!r}.", field="mrc_off_kind", code="invalid_choice")
    value = Decimal(0)
    if mrc_off_kind == MrcOffKind.NONE:
        if not waives_installation:
            raise ValidationError(
                "A promotion takes something off the monthly charge or waives installation.",
                field="mrc_off_kind",
                code="required",
            )
        mrc_off_months = 0
    else:
        value = (
            _percent(mrc_off_value, field="mrc_off_value")
            if mrc_off_kind == MrcOffKind.PERCENT
            else _amount(mrc_off_value, field="mrc_off_value")
        )
        if value == 0:
            raise ValidationError("The discount must be above 0.", field="mrc_off_value", code="invalid_amount")
        mrc_off_months = parse_int(
            mrc_off_months, field="mrc_off_months", minimum=1, maximum=120, code="invalid_months"
        )
    terms = sorted(set(terms or []))
    unknown = [term for term in terms if term not in Term.values]
    if unknown:
        raise ValidationError(f"Unknown terms {unknown}; terms are {Term.values}.", field="terms", code="unknown_term")
    promotion = Promotion(
        product=product,
        version=version,
        code=code,
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
        mrc_off_kind=mrc_off_kind,
        mrc_off_value=value,
        mrc_off_months=mrc_off_months,
        waives_installation=waives_installation,
        terms=terms,
        created_at=clock.now(),
    )
    promotion.full_clean()
    promotion.save()
    events.emit("promotion.created", subject=promotion, data={"product_id": product.pk})
    return promotion


@transaction.atomic
def promotion_end(*, promotion: Promotion, on: dt.date) -> Promotion:
    """Stop quoting a promotion after `on` (quotes that carry it keep it).

    ValidationError (valid_to) if `on` is before it starts or after it already ends."""
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if on < promotion.valid_from:
        raise ValidationError("A promotion cannot end before it starts.", field="valid_to", code="dates_out_of_order")
    if promotion.valid_to is not None and on > promotion.valid_to:
        raise ValidationError(
            f"The promotion already ends on {promotion.valid_to}.", field="valid_to", code="already_ends"
        )
    promotion.valid_to = on
    promotion.save(update_fields=["valid_to"])
    return promotion


@transaction.atomic
def product_relate(*, product: Product, target: Product, kind: str) -> ProductRelation:
    """Record where a customer on `product` can go: an upgrade or downgrade path to `target`, or
    `target` replacing `product`. A pair has one relation; setting it again changes its kind.

    ValidationError for a product related to itself, an unknown kind, or a contradiction (the
    reverse already an upgrade, downgrade or replacement in the same sense)."""
    if kind not in ProductRelation.Kind.values:
        raise ValidationError(f"Unknown relation {kind!r}.", field="kind", code="invalid_choice")
    if product.pk == target.pk:
        raise ValidationError("A product cannot relate to itself.", field="target", code="self_relation")
    reverse = ProductRelation.objects.filter(product=target, target=product).first()
    if reverse is not None and (reverse.kind == kind or ProductRelation.Kind.REPLACED_BY in (kind, reverse.kind)):
        raise ValidationError(
            f"{target} already has {product} as {reverse.get_kind_display().lower()}; "
            "the two would contradict each other.",
            field="kind",
            code="contradicting_relation",
        )
    relation, _ = ProductRelation.objects.select_for_update().update_or_create(
        product=product, target=target, defaults={"kind": kind}
    )
    return relation


@transaction.atomic
def product_unrelate(*, product: Product, target: Product) -> None:
    """Remove the upgrade, downgrade or replacement from `product` to `target`, if any."""
    ProductRelation.objects.filter(product=product, target=target).delete()
