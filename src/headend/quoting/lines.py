"""A draft quote's new lines and discounts: add a line (an add-on on its base), one product to
many sites at once, or take one off; discount a line, many lines at once (bulk edit) or the
whole quote."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from simple_history.utils import bulk_update_with_history

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion
from headend.core import audit, clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.ids import parse_id
from headend.core.numbers import parse_percent
from headend.crm.models import Location
from headend.quoting._common import lock_draft, recompute_totals
from headend.quoting.construction import note_site_reach
from headend.quoting.line_checks import (
    check_quantity,
    check_sellable_at,
    check_sellable_version,
    check_term,
    check_workable,
)
from headend.quoting.line_prices import PRICE_FIELDS, PriceBook, lines_to_price, price_new_line
from headend.quoting.models import Quote, QuoteLine


@transaction.atomic
def quote_line_add(
    *,
    quote: Quote,
    location: Location,
    product_version: ProductVersion,
    term_months: Any,
    quantity: Any = 1,
    rides_on: Any = None,
    added_by: Any = None,
) -> QuoteLine:
    """Add a new service to a draft quote, priced from the catalog on the chosen term. An add-on
    rides on `rides_on` (a line of this quote or a live service at the location), or on the only
    base there when none is named."""
    quote = lock_draft(quote)
    line = add_line(
        quote,
        location=location,
        product_version=product_version,
        term_months=term_months,
        quantity=quantity,
        rides_on=rides_on,
    )
    recompute_totals(quote, edited_by=added_by)
    return line


# Sites named in one "add to sites" refusal; the rest are counted.
SITES_NAMED = 10


@transaction.atomic
def quote_lines_add_to_sites(
    *,
    quote: Quote,
    product_version: ProductVersion,
    locations: Iterable[Location],
    term_months: Any,
    quantity: Any = 1,
    added_by: Any = None,
) -> list[QuoteLine]:
    """Add one product to many of the account's sites at once: a line per site, each checked and
    priced by the single line's rules (`add_line`: on sale, the site's serviceability, an add-on's
    base), the catalog read once, the totals once. All or nothing: a site that cannot take the
    product refuses the whole addition, and every such site is named (field `locations`)."""
    sites = list({location.pk: location for location in locations}.values())
    if not sites:
        raise ValidationError("Tick at least one site.", field="locations", code="required")
    foreign = [location for location in sites if location.account_id != quote.account_id]
    if foreign:
        raise ValidationError(
            f"{foreign[0].label} belongs to another account.", field="locations", code="foreign_location"
        )
    quantity = check_quantity(quantity)
    quote = lock_draft(quote)
    # What the version itself fails (not on sale, not for this customer, no template) is said once.
    check_sellable_version(account=quote.account, product_version=product_version, on=clock.today())
    check_workable(product_version.product, "add", field="product_version")
    term_months = catalog_selectors.price_for(version=product_version, term_months=check_term(term_months)).term_months
    position = quote.lines.aggregate(last=models.Max("position"))["last"] or 0
    books, lines, refused = PriceBook(), [], []
    for location in sites:
        position += 1
        try:
            lines.append(
                add_line(
                    quote,
                    location=location,
                    product_version=product_version,
                    term_months=term_months,
                    quantity=quantity,
                    position=position,
                    books=books,
                )
            )
        except ValidationError as exc:  # the site's own verdict (serviceability, an add-on's base)
            refused.append(f"{location.label}: {exc.message}")
    if refused:
        more = f" (and {len(refused) - SITES_NAMED} more)" if len(refused) > SITES_NAMED else ""
        raise ValidationError(
            f"{len(refused)} of {len(sites)} sites cannot take {product_version.sales_name}; nothing was added. "
            + " ".join(refused[:SITES_NAMED])
            + more,
            field="locations",
            code="not_serviceable",
        )
    recompute_totals(quote, edited_by=added_by)
    events.emit(
        "quote.lines_added",
        subject=quote,
        data={"product_version_id": product_version.pk, "sites": len(lines)},
    )
    return lines


def _addon_base(
    quote: Quote, location: Location, product_version: ProductVersion, rides_on: Any = None
) -> tuple[QuoteLine | None, Any]:
    """The base an add-on line rides on: `rides_on` (a new line of this quote, or a live service
    of the account) or, when staff name none, the only base at the location. An add-on is sold
    only on a base product it belongs to, at the same location. (None, None) for a product that
    is no add-on. Raises ValidationError on `rides_on` naming the candidates when there are several."""
    from headend.inventory import selectors as inventory_selectors

    addon = product_version.product
    if addon.kind != Product.Kind.ADDON:
        if rides_on is not None:
            raise ValidationError(f"{addon} is not an add-on: it rides on nothing.", field="rides_on")
        return None, None
    allowed = set(addon.addon_of.values_list("pk", flat=True))
    lines = [
        line
        for line in quote.lines.filter(location=location, action=QuoteLine.Action.ADD).select_related(
            "product_version__product"
        )
        if line.product_version.product_id in allowed
    ]
    cancelled = set(quote.lines.filter(action=QuoteLine.Action.CANCEL).values_list("target_service_id", flat=True))
    services = [
        service
        for service in inventory_selectors.account_live_services(account_id=quote.account_id)
        if service.location_id == location.pk
        and service.product_version.product_id in allowed
        and service.status != service.Status.PENDING_DISCONNECT
        and service.pk not in cancelled
    ]
    candidates: list[Any] = [*lines, *services]
    if rides_on is not None:
        chosen = next((c for c in candidates if type(c) is type(rides_on) and c.pk == rides_on.pk), None)
        if chosen is None:
            raise ValidationError(
                f"{addon} cannot ride on that: choose a {_names(addon)} line or service at {location.label}.",
                field="rides_on",
                code="not_a_base",
            )
        candidates = [chosen]
    if not candidates:
        raise ValidationError(
            f"{addon} is an add-on of {_names(addon)}; add one of those at this location first.",
            field="product_version",
            code="addon_without_base",
        )
    if len(candidates) > 1:
        named = "; ".join(_base_label(c) for c in candidates)
        raise ValidationError(
            f"{addon} can ride on more than one service at this location: choose one ({named}).",
            field="rides_on",
            code="base_ambiguous",
        )
    base = candidates[0]
    return (base, None) if isinstance(base, QuoteLine) else (None, base)


def _names(addon: Product) -> str:
    return ", ".join(base.name for base in addon.addon_of.all()) or "no product"


def _base_label(base: Any) -> str:
    if isinstance(base, QuoteLine):
        return f"line {base.position} {base.product_version.product.name}"
    return f"{base.number} {base.product_version.product.name}"


def add_line(
    quote: Quote,
    *,
    location: Location,
    product_version: ProductVersion,
    term_months: Any,
    quantity: Any,
    position: int | None = None,
    rides_on: Any = None,
    books: "PriceBook | None" = None,
) -> QuoteLine:
    """Check, price and store one `add` line on a locked draft (totals are the caller's);
    `position` is given by callers adding many lines, so it is not looked up each time, and
    `books` by callers pricing many lines of the same versions."""
    quantity = check_quantity(quantity)
    today = clock.today()
    reach = check_sellable_at(account=quote.account, location=location, product_version=product_version, on=today)
    base_line, base_service = _addon_base(quote, location, product_version, rides_on)
    check_workable(product_version.product, "add", field="product_version")
    term = catalog_selectors.price_for(version=product_version, term_months=term_months).term_months
    if position is None:
        position = (quote.lines.aggregate(last=models.Max("position"))["last"] or 0) + 1
    line = QuoteLine(
        quote=quote,
        position=position,
        location=location,
        product_version=product_version,
        base_line=base_line,
        base_service=base_service,
        term_months=term,
        quantity=quantity,
    )
    price_new_line(line, books=books or PriceBook(), on=today)
    line.save()
    note_site_reach(quote, location=location, check=reach, requested_by=audit.current_user())
    return line


@transaction.atomic
def quote_line_remove(*, line: QuoteLine, removed_by: Any = None) -> Quote:
    """Take a line off a draft quote, with the add-on lines that ride on it.

    Raises Conflict for an add-on's cancel or move that its base's line carries."""
    quote = lock_draft(line.quote)
    row = QuoteLine.objects.filter(pk=line.pk, quote=quote).select_related("base_line").first()
    if row is not None and row.base_line is not None and row.action != QuoteLine.Action.ADD:
        raise Conflict(
            f"Line {row.position} goes with line {row.base_line.position} "
            f"({row.base_line.get_action_display().lower()} of the service it rides on): remove that line instead.",
            field="line",
            code="carried_line",
        )
    QuoteLine.objects.filter(pk=line.pk, quote=quote).delete()
    recompute_totals(quote, edited_by=removed_by)
    return quote


def _discount_percent(value: Any) -> Decimal:
    """A line discount: a percent from 0 to 100, at most two decimal places; ValidationError otherwise."""
    return parse_percent(value, field="discount_percent", code="invalid_discount")


@transaction.atomic
def quote_line_discount(*, line: QuoteLine, percent: Any, discounted_by: Any = None) -> QuoteLine:
    """Give a line a percent discount off its list monthly charge, re-pricing that line and the
    totals only. Below the product's floor the line is flagged, and an approval rule asks for
    a sales manager; the price is never clamped."""
    quote = lock_draft(line.quote)
    line = QuoteLine.objects.select_for_update().get(pk=line.pk, quote=quote)
    value = _discount_percent(percent if percent not in (None, "") else "0")
    if line.action != QuoteLine.Action.ADD:
        raise ValidationError("Discount a new line; a change is re-rated instead.", field="discount_percent")
    line.discount_percent = value
    price_new_line(line, books=PriceBook(), on=clock.today(), pick_promotion=False)
    line.save(update_fields=["discount_percent", *PRICE_FIELDS])
    recompute_totals(quote, edited_by=discounted_by)
    return line


@transaction.atomic
def quote_lines_update(
    *,
    quote: Quote,
    line_ids: list[Any],
    term_months: Any = None,
    discount_percent: Any = None,
    updated_by: Any = None,
) -> list[QuoteLine]:
    """Apply a term and/or a discount to many `add` lines at once (a large quote's bulk edit):
    only those lines are re-priced, the totals once. All or nothing: a line that cannot take the
    term refuses the whole edit, naming it."""
    term_months = None if term_months is None or term_months == "" else check_term(term_months)
    quote = lock_draft(quote)
    ids = [pk for pk in (parse_id(line_id) for line_id in line_ids) if pk]
    lines = lines_to_price(quote.lines.filter(pk__in=ids))
    if not lines:
        raise ValidationError("Select at least one line.", field="lines", code="required")
    if term_months is None and discount_percent in (None, ""):
        raise ValidationError("Choose a term or a discount to apply.", field="term_months", code="required")
    changes = [line for line in lines if line.action != QuoteLine.Action.ADD]
    if changes:
        raise ValidationError(
            f"Line {changes[0].position} changes a service; edit it on its own.", field="lines", code="change_line"
        )
    percent = None if discount_percent in (None, "") else _discount_percent(discount_percent)
    today, books = clock.today(), PriceBook()
    for line in lines:
        term = line.term_months if term_months is None else term_months
        try:
            catalog_selectors.price_for(version=line.product_version, term_months=term)
        except ValidationError as exc:
            raise ValidationError(f"Line {line.position}: {exc.message}", field="term_months", code=exc.code) from exc
        # A new term may bring another promotion (or none): the best on sale today is taken.
        new_term = term != line.term_months
        line.term_months = term
        line.discount_percent = line.discount_percent if percent is None else percent
        price_new_line(line, books=books, on=today, pick_promotion=new_term)
    bulk_update_with_history(lines, QuoteLine, ["discount_percent", *PRICE_FIELDS])
    recompute_totals(quote, edited_by=updated_by)
    return lines


@transaction.atomic
def quote_discount_set(*, quote: Quote, percent: Any, discounted_by: Any = None) -> Quote:
    """Give a draft quote a percent discount off the monthly charges of its catalog-priced lines
    (not re-rates, moves or cancels), spread over those lines in proportion to their monthly
    charges so the totals stay sums of rounded lines; 0 removes it. The approval rules see it."""
    quote = lock_draft(quote)
    value = _discount_percent(percent if percent not in (None, "") else "0")
    quote.discount_percent = value
    quote.save(update_fields=["discount_percent"])
    recompute_totals(quote, edited_by=discounted_by)
    events.emit("quote.discounted", subject=quote, data={"percent": str(value)})
    return quote
