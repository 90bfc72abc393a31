"""A draft quote's new lines and discounts: add a line (an add-on on its base), one product to
many sites at once, or take one off; discount a line, many lines at once (bulk edit) or the
whole quote."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import prefetch_related_objects
from simple_history.utils import bulk_update_with_history

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion
from headend.core import audit, bulk, clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.ids import parse_id
from headend.core.numbers import parse_percent
from headend.crm.models import Location
from headend.network import reach as network_reach
from headend.quoting._common import lock_draft, recompute_totals
from headend.quoting.construction import note_sites_reach
from headend.quoting.line_checks import (
    check_quantity,
    check_sellable_version,
    check_term,
    check_workable,
    sellable_at_many,
    unworkable,
)
from headend.quoting.line_prices import PRICE_FIELDS, PriceBook, lines_to_price, price_new_line, price_new_lines
from headend.quoting.models import Quote, QuoteLine


@dataclass(frozen=True)
class NewLine:
    """A new service for a draft quote, as `quote_line_add` takes it: the site, the version on a
    term, how many, and for an add-on what it rides on (None: the only base at the site)."""

    location: Location
    product_version: ProductVersion
    term_months: Any
    quantity: Any = 1
    rides_on: Any = None


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
    item = NewLine(location, product_version, term_months, quantity, rides_on)
    [line] = add_lines(quote, [item])
    recompute_totals(quote, edited_by=added_by)
    return line


@transaction.atomic
def quote_lines_add(*, quote: Quote, lines: Sequence[NewLine], added_by: Any = None) -> list[QuoteLine]:
    """Add many new services to a draft quote at once (a large deal keyed in or sent by an
    integration): each line checked and priced by the single line's rules (`quote_line_add`),
    the catalog and the sites read once for them all, one insert, the totals once, and one
    `quote.lines_added` event naming the lines. All or nothing: the first line at fault refuses
    the whole addition, its message naming it ("Line 3: ...") on the single line's field."""
    if not lines:
        raise ValidationError("Add at least one line.", field="lines", code="required")
    quote = lock_draft(quote)
    plan = plan_lines(quote, lines)
    for number, error in enumerate(plan.errors, start=1):
        if error is not None:
            raise ValidationError(f"Line {number}: {error.message}", field=error.field, code=error.code)
    added = store_lines(quote, plan)
    recompute_totals(quote, edited_by=added_by)
    events.emit("quote.lines_added", subject=quote, data={"sites": len(added), "line_ids": [x.pk for x in added]})
    return added


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
    priced by the single line's rules (`add_lines`: on sale, the site's serviceability, an add-on's
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
    plan = plan_lines(quote, [NewLine(location, product_version, term_months, quantity) for location in sites])
    # Each site's own verdict (serviceability, an add-on's base).
    refused = [
        f"{location.label}: {error.message}" for location, error in zip(sites, plan.errors, strict=True) if error
    ]
    if refused:
        more = f" (and {len(refused) - SITES_NAMED} more)" if len(refused) > SITES_NAMED else ""
        raise ValidationError(
            f"{len(refused)} of {len(sites)} sites cannot take {product_version.sales_name}; nothing was added. "
            + " ".join(refused[:SITES_NAMED])
            + more,
            field="locations",
            code="not_serviceable",
        )
    lines = store_lines(quote, plan)
    recompute_totals(quote, edited_by=added_by)
    events.emit(
        "quote.lines_added",
        subject=quote,
        data={"product_version_id": product_version.pk, "sites": len(lines), "line_ids": [x.pk for x in lines]},
    )
    return lines


@dataclass
class LinePlan:
    """New lines checked and built (unsaved) on a locked draft, before any write: per line asked
    for, the line or the first ValidationError its checks raised, and its site's reach."""

    lines: list[QuoteLine | None]
    errors: list[ValidationError | None]
    reaches: list[network_reach.ReachCheck | None]
    books: PriceBook
    on: dt.date


def add_lines(quote: Quote, items: Sequence[NewLine]) -> list[QuoteLine]:
    """Check, price and store `add` lines on a locked draft (totals are the caller's): the
    first line at fault raises its ValidationError and nothing is written."""
    return store_lines(quote, plan_lines(quote, items))


def plan_lines(quote: Quote, items: Sequence[NewLine]) -> LinePlan:
    """Check and build new lines on a locked draft, writing nothing. Each line passes the
    single line's checks in order (a whole quantity; on sale to this customer at one of its
    sites within our reach; an add-on's base, which may be a line earlier in `items`; a
    work-order template; a term its version is sold on); the catalog, the sites' reach, the
    bases and the templates are read once for them all."""
    today = clock.today()
    count = len(items)
    errors: list[ValidationError | None] = [None] * count
    quantities: list[int] = [0] * count
    for index, item in enumerate(items):
        try:
            quantities[index] = check_quantity(item.quantity)
        except ValidationError as exc:
            errors[index] = exc
    versions = ProductVersion.objects.select_related("product").prefetch_related("prices", "tiers")
    loaded = versions.in_bulk({item.product_version.pk for item in items})
    locations = [item.location for item in items]
    for location in locations:
        if location.account_id == quote.account_id:
            location.account = quote.account  # the reach reads the kind of account of each site
    asked = [index for index in range(count) if errors[index] is None]
    reaches: list[network_reach.ReachCheck | None] = [None] * count
    verdicts = sellable_at_many(
        account=quote.account, pairs=[(locations[i], loaded[items[i].product_version.pk]) for i in asked], on=today
    )
    for index, verdict in zip(asked, verdicts, strict=True):
        if isinstance(verdict, ValidationError):
            errors[index] = verdict
        else:
            reaches[index] = verdict
    position = quote.lines.aggregate(last=models.Max("position"))["last"] or 0
    bases = _Bases(quote, [loaded[item.product_version.pk] for item in items], locations)
    missing = unworkable((version.product for version in loaded.values()), "add", field="product_version")
    terms: dict[tuple[int, Any], int | ValidationError] = {}  # the version's price on a term, looked up once
    lines: list[QuoteLine | None] = [None] * count
    for index, item in enumerate(items):
        position += 1
        if errors[index] is not None:
            continue
        version = loaded[item.product_version.pk]
        try:
            base_line, base_service = bases.base(index, item.rides_on, lines)
            if version.product_id in missing:
                raise missing[version.product_id]
            term = _term_sold(version, item.term_months, terms)
        except ValidationError as exc:
            errors[index] = exc
            continue
        lines[index] = QuoteLine(
            quote=quote,
            position=position,
            location=item.location,
            product_version=version,
            base_line=base_line,
            base_service=base_service,
            term_months=term,
            quantity=quantities[index],
        )
    return LinePlan(lines, errors, reaches, PriceBook(), today)


def _term_sold(version: ProductVersion, term_months: Any, known: dict[tuple[int, Any], int | ValidationError]) -> int:
    """The term of the version's price on `term_months` (catalog's `price_for`, asked once per
    version and term of a plan). Raises ValidationError for a term it is not sold on."""
    if not isinstance(term_months, int):  # as given by a caller: the catalog says what is wrong with it
        return catalog_selectors.price_for(version=version, term_months=term_months).term_months
    key = (version.pk, term_months)
    if key not in known:
        try:
            known[key] = catalog_selectors.price_for(version=version, term_months=term_months).term_months
        except ValidationError as exc:
            known[key] = exc
    found = known[key]
    if isinstance(found, ValidationError):
        raise found
    return found


def store_lines(quote: Quote, plan: LinePlan) -> list[QuoteLine]:
    """Price a plan's lines in one engine call and store them: one insert (two when an add-on
    rides on a line of the same plan), one of history, the surveys their sites need in one. A
    plan with a line at fault raises that line's ValidationError and writes nothing."""
    error = next((error for error in plan.errors if error is not None), None)
    if error is not None:
        raise error
    lines = [line for line in plan.lines if line is not None]
    price_new_lines(lines, books=plan.books, on=plan.on)
    # An add-on riding on a line of the same plan is stored once its base has an id.
    first = [line for line in lines if line.base_line is None or line.base_line.pk is not None]
    then = [line for line in lines if line.base_line is not None and line.base_line.pk is None]
    for group in (first, then):
        if group:
            bulk.create_with_history(QuoteLine, group)
    sites = [
        (line.location, reach)
        for line, reach in zip(plan.lines, plan.reaches, strict=True)
        if line is not None and reach is not None
    ]
    note_sites_reach(quote, sites=sites, requested_by=audit.current_user())
    return lines


class _Bases:
    """What an add-on may ride on at its site, read once for every line of a plan: the quote's
    new lines there, the account's live services there (not those the quote cancels), and the
    plan's own earlier lines."""

    def __init__(self, quote: Quote, versions: list[ProductVersion], locations: list[Location]) -> None:
        self.quote, self.versions, self.locations = quote, versions, locations
        self._read = False

    def _read_once(self) -> None:
        from headend.inventory import selectors as inventory_selectors

        if self._read:
            return
        self._read = True
        addons = [version.product for version in self.versions if version.product.kind == Product.Kind.ADDON]
        prefetch_related_objects(list({addon.pk: addon for addon in addons}.values()), "addon_of")
        sites = {location.pk for location in self.locations}
        self.lines: dict[int, list[QuoteLine]] = {}
        for line in self.quote.lines.filter(location_id__in=sites, action=QuoteLine.Action.ADD).select_related(
            "product_version__product"
        ):
            self.lines.setdefault(line.location_id, []).append(line)
        cancelled = set(
            self.quote.lines.filter(action=QuoteLine.Action.CANCEL).values_list("target_service_id", flat=True)
        )
        self.services: dict[int, list[Any]] = {}
        for service in inventory_selectors.account_live_services(account_id=self.quote.account_id):
            if (
                service.location_id in sites
                and service.status != service.Status.PENDING_DISCONNECT
                and service.pk not in cancelled
            ):
                self.services.setdefault(service.location_id, []).append(service)

    def base(self, index: int, rides_on: Any, planned: list[QuoteLine | None]) -> tuple[QuoteLine | None, Any]:
        """The base line `index` rides on: `rides_on` (a new line of this quote, or a live service
        of the account) or, when staff name none, the only base at the location. An add-on is
        sold only on a base product it belongs to, at the same location. (None, None) for a
        product that is no add-on. Raises ValidationError on `rides_on` naming the candidates
        when there are several."""
        addon = self.versions[index].product
        if addon.kind != Product.Kind.ADDON:
            if rides_on is not None:
                raise ValidationError(f"{addon} is not an add-on: it rides on nothing.", field="rides_on")
            return None, None
        self._read_once()
        location = self.locations[index]
        allowed = {product.pk for product in addon.addon_of.all()}
        earlier = [line for line in planned[:index] if line is not None and line.location.pk == location.pk]
        lines = [
            line for line in [*self.lines.get(location.pk, []), *earlier] if line.product_version.product_id in allowed
        ]
        services = [s for s in self.services.get(location.pk, []) if s.product_version.product_id in allowed]
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
