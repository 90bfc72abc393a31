"""Write use cases for quotes: build, present, accept (into an order), reject, expire."""

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from simple_history.utils import bulk_update_with_history

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion, Promotion, Term
from headend.core import audit, clock, events, user_files
from headend.core.errors import Conflict, DomainError, Forbidden, ValidationError
from headend.core.ids import parse_id
from headend.core.money import CENT, ZERO, default_currency
from headend.core.numbers import MAX_BIGINT, MAX_INT, parse_amount, parse_int, parse_percent
from headend.core.permissions import require_role
from headend.crm import selectors as crm_selectors
from headend.crm import services as crm_services
from headend.crm.models import Account, Location, Opportunity
from headend.quoting import approvals, pricing, site_import
from headend.quoting.hooks import quote_orders
from headend.quoting.models import ApprovalRule, Quote, QuoteApproval, QuoteLine, SiteImportJob

logger = logging.getLogger(__name__)


@transaction.atomic
def quote_create(
    *,
    account: Account,
    created_by: Any = None,
    opportunity: Opportunity | None = None,
    name: str = "",
) -> Quote:
    """Start a draft quote for an account, on an open opportunity (one is opened if none is given)."""
    now = clock.now()
    if opportunity is None:
        opportunity = crm_services.opportunity_create(
            account=account,
            name=name or f"New service for {account}",
            owner=created_by,
            close_date=clock.local_date(now) + dt.timedelta(days=30),
            stage=Opportunity.Stage.PROPOSAL,
        )
    elif opportunity.account_id != account.pk:
        raise ValidationError("The opportunity belongs to another account.", field="opportunity")
    elif not opportunity.is_open:
        raise Conflict("The opportunity is closed.", field="opportunity", code="opportunity_closed")
    quote = Quote.objects.create(
        account=account,
        opportunity=opportunity,
        name=(name or "").strip(),
        currency=default_currency(),
        created_by=created_by,
        created_at=now,
    )
    events.emit("quote.created", subject=quote, data={"account_id": account.pk})
    return quote


def _lock_draft(quote: Quote) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if not quote.is_editable:
        raise Conflict(
            f"Quote {quote.number} is {quote.get_status_display().lower()}; only a draft can be edited.",
            field="status",
            code="quote_not_editable",
        )
    return quote


def check_quantity(quantity: Any) -> int:
    """A whole number of units, 1 to 10,000 (quote lines and order items alike)."""
    quantity = parse_int(quantity, field="quantity", minimum=-MAX_BIGINT, maximum=MAX_BIGINT, code="invalid_quantity")
    if quantity < 1:
        raise ValidationError("Quantity must be at least 1.", field="quantity", code="invalid_quantity")
    if quantity > 10_000:
        raise ValidationError("Quantity must be at most 10,000.", field="quantity", code="invalid_quantity")
    return quantity


def check_term(term: Any) -> int:
    """A contract term in months as people write it ("12", 24): 0 (month-to-month), 12, 24 or 36."""
    terms = ", ".join(str(value) for value in Term.values)
    try:
        months = parse_int(term, field="term_months", maximum=MAX_INT, code="unknown_term")
    except ValidationError:
        months = -1
    if months not in Term.values:
        raise ValidationError(
            f"The term is {terms} months (0: month-to-month).", field="term_months", code="unknown_term"
        )
    return months


def check_sellable_at(*, account: Account, location: Location, product_version: ProductVersion, on: dt.date) -> None:
    """Raise ValidationError unless the version is on sale on `on` to this kind of account, at one
    of the account's own locations."""
    if location.account_id != account.pk:
        raise ValidationError("The location belongs to another account.", field="location", code="foreign_location")
    if not product_version.is_sellable_on(on):
        state = product_version.get_status_display().lower()
        if product_version.effective_from > on:
            state += f", effective {product_version.effective_from.isoformat()}"
        raise ValidationError(
            f"{product_version} is not on sale (it is {state}).",
            field="product_version",
            code="not_sellable",
        )
    customer_type = product_version.product.customer_type
    if customer_type != Product.CustomerType.ANY and customer_type != account.kind:
        raise ValidationError(
            f"{product_version.product} is sold to {customer_type} customers only.",
            field="product_version",
            code="not_eligible",
        )
    # Serviceability: a location known not to support the offering refuses it with the reason;
    # where coverage is unknown, sales may still quote (pending a survey) and the panel says so.
    from headend.network import selectors as network_selectors

    check = network_selectors.offering_check(location, product_version, on=on)
    if not check.eligible and check.code != "coverage_unknown":
        raise ValidationError(check.reason, field="product_version", code="not_serviceable")


def _recompute_totals(quote: Quote, *, edited_by: Any) -> None:
    """Totals are sums of the stored, rounded lines (only the edited line is repriced); then the
    opportunity follows and the approvals are asked again, since the deal changed. `edited_by`
    changed the prices: they may not approve them (maker-checker). With a quote discount, every
    line's share of it is spread again first."""
    _spread_quote_discount(quote)
    sums = quote.lines.aggregate(
        mrr=models.Sum("mrc_amount"),
        before=models.Sum("mrc_before_amount"),
        once=models.Sum("nrc_amount"),
        etf=models.Sum("etf_amount"),
        tcv=models.Sum("contract_value_amount"),
    )
    zero = Decimal("0.00")
    quote.mrr_amount = sums["mrr"] if sums["mrr"] is not None else zero
    quote.mrr_before_amount = sums["before"] if sums["before"] is not None else zero
    quote.one_time_amount = (sums["once"] or zero) + (sums["etf"] or zero)
    quote.contract_value_amount = sums["tcv"] if sums["tcv"] is not None else zero
    quote.priced_by = edited_by if getattr(edited_by, "pk", None) else None
    quote.price_revision += 1  # the quote is locked by the caller
    quote.save(
        update_fields=[
            "mrr_amount",
            "mrr_before_amount",
            "one_time_amount",
            "contract_value_amount",
            "priced_by",
            "price_revision",
        ]
    )
    _sync_opportunity(quote)
    _refresh_approvals(quote)


def _sync_opportunity(quote: Quote, *, stage: str = "") -> None:
    """The opportunity's amount (and stage) follow its primary quote: the newest live one."""
    primary = (
        Quote.objects.filter(opportunity_id=quote.opportunity_id)
        .exclude(status__in=[Quote.Status.SUPERSEDED, Quote.Status.EXPIRED])
        .order_by("-created_at", "-pk")
        .first()
    )
    if primary is None or primary.pk != quote.pk:
        return
    crm_services.opportunity_follow_quote(
        opportunity=quote.opportunity,
        mrr_amount=quote.mrr_amount,
        one_time_amount=quote.one_time_amount,
        contract_value_amount=quote.contract_value_amount,
        stage=stage,
    )


# --- Approvals -------------------------------------------------------------------------------


def quote_facts(quote: Quote) -> approvals.QuoteFacts:
    """What the approval rules look at: discounts, floors, contract value, the customer's standing."""
    from headend.inventory import selectors as inventory_selectors

    # Aggregates, not the lines themselves: this runs after every edit of a quote of any size.
    worst = quote.lines.aggregate(worst=models.Max("price_cut_percent"))["worst"]
    below_floor = quote.lines.filter(floor_breached=True).order_by("position").values_list("position", flat=True)
    account = quote.account
    live = inventory_selectors.account_live_services(account_id=account.pk)
    return approvals.QuoteFacts(
        max_line_discount_percent=worst if worst is not None else Decimal("0"),
        quote_discount_percent=quote.discount_percent,
        lines_below_floor=tuple(below_floor),
        contract_value_amount=quote.contract_value_amount,
        days_past_due=account.days_past_due,
        overdue_balance_amount=account.overdue_balance_amount,
        account_mrr_amount=sum((service.mrc_amount for service in live), Decimal("0.00")),
        account_services=len(live),
        currency=quote.currency,
    )


def _refresh_approvals(quote: Quote) -> None:
    """Ask for the approvals the quote needs now: earlier decisions are void once it changes."""
    now = clock.now()
    quote.approvals.filter(status=QuoteApproval.Status.PENDING).delete()
    quote.approvals.exclude(status=QuoteApproval.Status.VOID).update(status=QuoteApproval.Status.VOID)
    facts = quote_facts(quote)
    needed = approvals.rules_fired(ApprovalRule.objects.filter(active=True), facts)
    QuoteApproval.objects.bulk_create(
        QuoteApproval(
            quote=quote,
            rule=rule,
            approver_role=rule.approver_role,
            reason=reason[:300],
            created_at=now,
            price_revision=quote.price_revision,
        )
        for rule, reason in needed
    )
    if needed:
        events.emit("quote.approval_requested", subject=quote, data={"rules": [rule.pk for rule, _ in needed]})


@transaction.atomic
def quote_approval_decide(*, approval: QuoteApproval, approve: bool, comment: str, decided_by: Any) -> QuoteApproval:
    """An approver approves or rejects what a rule flagged on a draft quote, with a comment.
    Maker-checker: never the quote's creator nor whoever last changed its prices, whatever their
    role; and only on the prices the approval was asked on."""
    quote = Quote.objects.select_for_update().get(pk=approval.quote_id)  # no price change meanwhile
    current = QuoteApproval.objects.filter(pk=approval.pk, quote=quote).first()
    require_role(decided_by, approval.approver_role)
    if current is None:
        raise Conflict("The quote changed since: this approval was withdrawn.", field="status", code="approval_void")
    approval = current
    if approval.status != QuoteApproval.Status.PENDING:
        raise Conflict(f"This approval is already {approval.get_status_display().lower()}.", field="status")
    if approval.price_revision != quote.price_revision:
        raise Conflict("The prices changed since this approval was asked for.", field="status", code="approval_void")
    user_id = getattr(decided_by, "pk", None)
    if user_id is not None and user_id == quote.created_by_id:
        raise Forbidden("You made this quote: another approver must decide.", field="approver", code="maker_checker")
    if user_id is not None and user_id == quote.priced_by_id:
        raise Forbidden(
            "You changed this quote's prices last: another approver must decide.",
            field="approver",
            code="maker_checker",
        )
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError("Say why you reject it.", field="comment", code="required")
    approval.status = QuoteApproval.Status.APPROVED if approve else QuoteApproval.Status.REJECTED
    approval.decided_by, approval.decided_at, approval.comment = decided_by, clock.now(), comment
    approval.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    events.emit(f"quote.approval_{approval.status}", subject=quote, data={"approval_id": approval.pk})
    return approval


def _check_approved(quote: Quote) -> None:
    """Every approval the prices need is given: one given on earlier prices does not count."""
    open_ones = list(
        quote.approvals.exclude(status=QuoteApproval.Status.VOID).exclude(
            status=QuoteApproval.Status.APPROVED, price_revision=quote.price_revision
        )
    )
    if open_ones:
        waiting = "; ".join(f"{a.get_approver_role_display()}: {a.reason}" for a in open_ones)
        rejected = any(a.status == QuoteApproval.Status.REJECTED for a in open_ones)
        raise Conflict(
            ("An approval was rejected; change the quote. " if rejected else "Waiting for approval. ") + waiting,
            field="approvals",
            code="approval_rejected" if rejected else "approvals_pending",
        )


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
    quote = _lock_draft(quote)
    line = _line_add(
        quote,
        location=location,
        product_version=product_version,
        term_months=term_months,
        quantity=quantity,
        rides_on=rides_on,
    )
    _recompute_totals(quote, edited_by=added_by)
    return line


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


# What the catalog's missing template stops a quote line from doing, in sales' words.
WORK_VERBS = {"add": "sold", "modify": "changed", "move": "moved", "delete": "disconnected"}
WORK_LABELS = {"add": "Add", "modify": "Modify", "move": "Move", "delete": "Disconnect"}


def _no_template(product: Product, work: str, *, field: str) -> ValidationError:
    return ValidationError(
        f"{product} cannot be {WORK_VERBS.get(work, work)} on a quote yet: the catalog has no work order for it. "
        f'Ask a catalog manager to define its "{WORK_LABELS.get(work, work)}" template.',
        field=field,
        code="no_template",
    )


def _check_workable(product: Product, work: str | None, *, field: str) -> None:
    """Refuse, at the line, what would fail at the customer's signature: a product with no
    work-order template for the work the line becomes."""
    if work is not None and (product.pk, work) not in catalog_selectors.templates_defined(product_ids=[product.pk]):
        raise _no_template(product, work, field=field)


def _check_lines_workable(quote: Quote) -> None:
    """Every line of the quote can become work (checked again when it is presented)."""
    rows = quote.lines.values_list(
        "position",
        "action",
        "product_version__product_id",
        "product_version_id",
        "location_id",
        "quantity",
        "target_service__product_version_id",
        "target_service__location_id",
        "target_service__quantity",
    ).order_by("position")
    needed: dict[tuple[int, str], int] = {}
    for position, action, product_id, version_id, location_id, quantity, was_version, was_location, was_qty in rows:
        work = QuoteLine.work_action(
            action,
            changes_version=action != "add" and (version_id != was_version or quantity != was_qty),
            moves=action != "add" and location_id != was_location,
        )
        if work is not None:
            needed.setdefault((product_id, work), position)
    defined = catalog_selectors.templates_defined(product_ids={product_id for product_id, _ in needed})
    for (product_id, work), position in needed.items():
        if (product_id, work) not in defined:
            product = Product.objects.get(pk=product_id)
            raise _no_template(product, work, field=f"quoteItem[{position}]")


def _line_add(
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
    check_sellable_at(account=quote.account, location=location, product_version=product_version, on=today)
    base_line, base_service = _addon_base(quote, location, product_version, rides_on)
    _check_workable(product_version.product, "add", field="product_version")
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
    _price_new_line(line, books=books or PriceBook(), on=today)
    line.save()
    return line


# --- The one pricing path: every line is priced by pricing.price_quote_line -----------------

# The QuoteLine fields the engine sets.
PRICE_FIELDS = [
    "term_months",
    "quantity",
    "mrc_unit_amount",
    "nrc_unit_amount",
    "mrc_amount",
    "nrc_amount",
    "etf_amount",
    "mrc_before_amount",
    "contract_value_amount",
    "quote_discount_amount",
    "promotion",
    "promo_mrc_amount",
    "promo_months",
    "floor_breached",
    "price_cut_percent",
]


class PriceBook:
    """The catalog's rules and promotions as the engine takes them, read once per version (and
    term) while pricing many lines."""

    def __init__(self) -> None:
        self._versions: dict[int, pricing.VersionPricing] = {}
        self._promotions: dict[tuple[int, int, dt.date], list[Promotion]] = {}
        self._offers: dict[int, pricing.PromotionOffer] = {}

    def version(self, version: ProductVersion) -> pricing.VersionPricing:
        if version.pk not in self._versions:
            self._versions[version.pk] = catalog_selectors.version_pricing(version=version)
        return self._versions[version.pk]

    def offer(self, promotion: Promotion) -> pricing.PromotionOffer:
        if promotion.pk not in self._offers:
            self._offers[promotion.pk] = catalog_selectors.promotion_offer(promotion=promotion)
        return self._offers[promotion.pk]

    def promotions(self, version: ProductVersion, term_months: int, on: dt.date) -> list[Promotion]:
        key = (version.pk, term_months, on)
        if key not in self._promotions:
            self._promotions[key] = catalog_selectors.promotions_for(version=version, term_months=term_months, on=on)
        return self._promotions[key]


def _line_request(line: QuoteLine, *, books: PriceBook, on: dt.date) -> pricing.LineRequest:
    """What the engine needs to price a line as it stands (its version, term, quantity, line
    discount, negotiated price, promotion; a change line's service as it is today). A promotion
    the line carries stays when it has ended since (the quote keeps it), so an add line's
    promotion is not checked against the day."""
    current = None
    service = line.target_service
    if line.action != QuoteLine.Action.ADD and service is not None:
        current = pricing.CurrentService(
            pricing=books.version(service.product_version),
            mrc_amount=service.mrc_amount,
            term_months=service.term_months,
            term_end_date=service.term_end_date,
            quantity=service.quantity,
        )
    percent = line.discount_percent
    return pricing.LineRequest(
        action=str(line.action),
        pricing=books.version(line.product_version),
        term_months=line.term_months,
        quantity=line.quantity,
        current=current,
        on=on if current is not None else None,
        discount=pricing.Discount(pricing.DiscountKind.PERCENT, percent) if percent else None,
        negotiated_mrc_amount=line.negotiated_mrc_amount,
        promotion=books.offer(line.promotion) if line.promotion is not None else None,
    )


def _set_prices(line: QuoteLine, priced: pricing.PricedLine, *, books: PriceBook) -> None:
    """Store what the engine priced on the line (unsaved)."""
    line.term_months, line.quantity = priced.term_months, priced.quantity
    line.mrc_unit_amount = (priced.list_mrc_amount / priced.quantity).quantize(CENT)
    installed = priced.action in pricing.INSTALLED
    line.nrc_unit_amount = (
        pricing.term_price(books.version(line.product_version).prices, priced.term_months).nrc_amount
        if installed
        else ZERO
    )
    line.mrc_amount, line.mrc_before_amount = priced.mrc_amount, priced.mrc_before_amount
    line.nrc_amount, line.etf_amount = priced.nrc_amount + priced.move_fee_amount, priced.etf_amount
    line.contract_value_amount = priced.contract_value_amount
    line.quote_discount_amount = priced.quote_discount_amount
    line.promo_months = priced.promo_months
    line.promo_mrc_amount = priced.promo_mrc_amount if priced.promo_months else None
    line.floor_breached, line.price_cut_percent = priced.needs_approval, priced.price_cut_percent


def _price_new_line(line: QuoteLine, *, books: PriceBook, on: dt.date, pick_promotion: bool = True) -> None:
    """Price a line through the engine (without the quote discount: `_recompute_totals` spreads
    it). An add line takes the catalog's best promotion on sale on `on` for its term, if any."""
    if pick_promotion and line.action == QuoteLine.Action.ADD:
        line.promotion = None
        candidates = books.promotions(line.product_version, line.term_months, on)
        if candidates:
            plain = pricing.price_quote_line(_line_request(line, books=books, on=on))
            offers = {books.offer(promotion): promotion for promotion in candidates}
            best = pricing.best_promotion(
                offers,
                mrc_amount=plain.mrc_amount,
                nrc_amount=plain.nrc_amount,
                quantity=plain.quantity,
                months=plain.committed_months,
            )
            line.promotion = offers[best] if best is not None else None
    _set_prices(line, pricing.price_quote_line(_line_request(line, books=books, on=on)), books=books)


def _price_quote_lines(quote: Quote, lines: list[QuoteLine], *, books: PriceBook, on: dt.date) -> list[QuoteLine]:
    """Price every line of a quote through the engine with the quote's discount spread over
    them; the lines whose prices moved, to save. `lines` have their versions, promotions and
    services loaded (`_lines_to_price`)."""
    percent = quote.discount_percent
    discount = pricing.Discount(pricing.DiscountKind.PERCENT, percent) if percent else None
    priced = pricing.price_quote([_line_request(line, books=books, on=on) for line in lines], discount=discount)
    moved = []
    for line, priced_line in zip(lines, priced.lines, strict=True):
        before = [getattr(line, field) for field in PRICE_FIELDS]
        _set_prices(line, priced_line, books=books)
        if [getattr(line, field) for field in PRICE_FIELDS] != before:
            moved.append(line)
    return moved


def _lines_to_price(lines: models.QuerySet[QuoteLine]) -> list[QuoteLine]:
    return list(
        lines.select_related("product_version", "promotion", "target_service__product_version")
        .prefetch_related(
            "product_version__prices",
            "product_version__tiers",
            "target_service__product_version__prices",
            "target_service__product_version__tiers",
        )
        .order_by("position")
    )


def _spread_quote_discount(quote: Quote, *, books: PriceBook | None = None) -> None:
    """With a quote discount (or one just removed), every line's share moves: price them all."""
    if not quote.discount_percent and not quote.lines.exclude(quote_discount_amount=0).exists():
        return
    books = books or PriceBook()
    moved = _price_quote_lines(quote, _lines_to_price(quote.lines.all()), books=books, on=clock.today())
    bulk_update_with_history(moved, QuoteLine, PRICE_FIELDS)


@transaction.atomic
def quote_line_remove(*, line: QuoteLine, removed_by: Any = None) -> Quote:
    """Take a line off a draft quote, with the add-on lines that ride on it.

    Raises Conflict for an add-on's cancel or move that its base's line carries."""
    quote = _lock_draft(line.quote)
    row = QuoteLine.objects.filter(pk=line.pk, quote=quote).select_related("base_line").first()
    if row is not None and row.base_line is not None and row.action != QuoteLine.Action.ADD:
        raise Conflict(
            f"Line {row.position} goes with line {row.base_line.position} "
            f"({row.base_line.get_action_display().lower()} of the service it rides on): remove that line instead.",
            field="line",
            code="carried_line",
        )
    QuoteLine.objects.filter(pk=line.pk, quote=quote).delete()
    _recompute_totals(quote, edited_by=removed_by)
    return quote


@transaction.atomic
def quote_present(*, quote: Quote, presented_by: Any = None, site_url: str = "") -> Quote:
    """Send a draft to the customer; prices are then fixed until it is accepted or expires.
    `site_url`, the address staff reached Headend at, goes with the event for the signing link."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    now = clock.now()
    quote.check_transition(Quote.Status.PRESENTED)
    if not quote.lines.exists():
        raise ValidationError(
            "Add at least one line before presenting the quote.", field="quoteItem", code="empty_quote"
        )
    _check_lines_workable(quote)
    _check_approved(quote)
    quote.status, quote.presented_at = Quote.Status.PRESENTED, now
    quote.valid_until = clock.local_date(now) + dt.timedelta(days=settings.HEADEND_QUOTE_VALID_DAYS)
    quote.save(update_fields=["status", "presented_at", "valid_until"])
    _sync_opportunity(quote, stage=Opportunity.Stage.PROPOSAL)
    events.emit("quote.presented", subject=quote, data={"site_url": site_url} if site_url else None)
    return quote


@transaction.atomic
def quote_accept(*, quote: Quote, accepted_by: Any = None, accepted_by_name: str = "") -> Quote:
    """The customer accepts a presented quote: one order, opportunity Closed Won.

    Raises Conflict if the quote is not presented or its validity has run out."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    now = clock.now()
    quote.check_transition(Quote.Status.ACCEPTED)
    if quote.is_expired_on(clock.local_date(now)):
        raise Conflict(
            f"Quote {quote.number} expired on {quote.valid_until}; revise and present it again.",
            field="status",
            code="quote_expired",
        )
    quote.status, quote.decided_at, quote.decided_by = Quote.Status.ACCEPTED, now, accepted_by
    quote.accepted_by_name = (accepted_by_name or "").strip() or (accepted_by.get_full_name() if accepted_by else "")
    quote.save(update_fields=["status", "decided_at", "decided_by", "accepted_by_name"])
    order = quote_orders().create_order(quote=quote, at=now)
    crm_services.opportunity_win(
        opportunity=quote.opportunity,
        mrr_amount=quote.mrr_amount,
        one_time_amount=quote.one_time_amount,
        contract_value_amount=quote.contract_value_amount,
        at=now,
    )
    events.emit("quote.accepted", subject=quote, data={"order_id": order.pk})
    return quote


@transaction.atomic
def quote_reject(*, quote: Quote, rejected_by: Any = None, note: str = "") -> Quote:
    """The customer declines a presented quote."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    quote.check_transition(Quote.Status.REJECTED)
    quote.status, quote.decided_at, quote.decided_by = Quote.Status.REJECTED, clock.now(), rejected_by
    quote.decision_note = (note or "").strip()
    quote.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    _sync_opportunity(quote, stage=Opportunity.Stage.CLOSED_LOST)
    events.emit("quote.rejected", subject=quote)
    return quote


@transaction.atomic
def quote_revise(*, quote: Quote, revised_by: Any = None) -> Quote:
    """A new draft version of a presented, declined or expired quote, with its lines; the old
    version stays read-only (superseded) for comparison. The opportunity is open again."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status == Quote.Status.EXPIRED and quote.presented_at is None:
        raise Conflict("A withdrawn draft is not revised; start a new quote.", field="status")
    quote.check_transition(Quote.Status.SUPERSEDED)
    now = clock.now()
    if not quote.opportunity.is_open:
        crm_services.opportunity_reopen(opportunity=quote.opportunity)
    revision = Quote.objects.create(
        account=quote.account,
        opportunity=quote.opportunity,
        name=quote.name,
        currency=quote.currency,
        revision=quote.revision + 1,
        previous=quote,
        discount_percent=quote.discount_percent,
        created_by=revised_by,
        created_at=now,
    )
    lines = _lines_to_price(quote.lines.all())
    old_pks = [line.pk for line in lines]
    for line in lines:
        line.pk, line.quote = None, revision
    # The copies are priced again, today, by the engine (a promotion they carry stays).
    _price_quote_lines(revision, lines, books=PriceBook(), on=clock.local_date(now))
    QuoteLine.objects.bulk_create(lines)
    # The copies ride on the copies of their bases.
    copies = dict(zip(old_pks, lines, strict=True))
    carried = [line for line in lines if line.base_line_id is not None]
    for line in carried:
        assert line.base_line_id is not None
        line.base_line = copies[line.base_line_id]
    QuoteLine.objects.bulk_update(carried, ["base_line"])
    # Bulk writes send no signals: the copies' history, as they now stand, in one INSERT.
    QuoteLine.history.bulk_history_create(lines)
    quote.status = Quote.Status.SUPERSEDED
    quote.save(update_fields=["status"])
    events.emit("quote.superseded", subject=quote, data={"by": revision.pk})
    events.emit("quote.created", subject=revision, data={"account_id": quote.account_id, "revises": quote.pk})
    _recompute_totals(revision, edited_by=revised_by)
    return revision


@transaction.atomic
def quote_expire(*, quote: Quote) -> Quote:
    """Withdraw a draft or presented quote (by hand, or when its validity runs out)."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    quote.check_transition(Quote.Status.EXPIRED)
    quote.status, quote.decided_at = Quote.Status.EXPIRED, clock.now()
    quote.save(update_fields=["status", "decided_at"])
    events.emit("quote.expired", subject=quote)
    return quote


def quote_expire_due() -> int:
    """Expire presented quotes whose validity has run out; safe to run any number of times."""
    today = clock.today()
    due = Quote.objects.filter(status=Quote.Status.PRESENTED, valid_until__lt=today).values_list("pk", flat=True)
    expired = 0
    for pk in list(due):
        quote = Quote.objects.get(pk=pk)
        if quote.status == Quote.Status.PRESENTED:
            quote_expire(quote=quote)
            expired += 1
    return expired


# --- Sites from a CSV ------------------------------------------------------------------------


def _sellable_by_code(code: str, today: dt.date, cache: dict[str, ProductVersion | None]) -> ProductVersion | None:
    """The version of a product code on sale today, with its prices loaded (looked up once per file)."""
    if code not in cache:
        product = Product.objects.filter(code=code).first()
        version = catalog_selectors.version_current(product=product, on=today) if product else None
        cache[code] = (
            ProductVersion.objects.select_related("product").prefetch_related("prices", "tiers").get(pk=version.pk)
            if version
            else None
        )
    return cache[code]


def _check_site_row(
    quote: Quote,
    row: site_import.SiteRow,
    seen: set[tuple[str, str]],
    today: dt.date,
    versions: dict[str, ProductVersion | None],
) -> None:
    """Fill `row.errors` (by column) or `row.parsed` for one CSV row; writes nothing. A row
    refused as it was read (a NUL character, an over-long cell) keeps that report alone."""
    if row.errors:
        return
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.core.validators import validate_email

    from headend.crm.addresses import normalize_address, parse_address_line
    from headend.crm.phones import normalize_phone

    values, parsed = row.values, row.parsed
    try:
        parts = parse_address_line(values.get("address", ""))
        address = normalize_address(
            line1=parts["line1"],
            line2=values.get("unit") or parts["line2"],
            city=parts["city"],
            state=parts["state"],
            postal_code=parts["postal_code"],
        )
        parsed["address"] = address
    except ValidationError as exc:
        row.errors["address"] = exc.message
    code = values.get("product", "")
    version = _sellable_by_code(code, today, versions)
    product = version.product if version else None
    if version is None:
        row.errors["product"] = f"No product on sale with code {code!r}." if code else "The product code is required."
    elif product is not None and product.customer_type not in (Product.CustomerType.ANY, quote.account.kind):
        row.errors["product"] = f"{product} is sold to {product.customer_type} customers only."
    else:
        parsed["version"] = version
    try:
        term = check_term(values.get("term", ""))
        if version is not None:
            catalog_selectors.price_for(version=version, term_months=term)
        parsed["term"] = term
    except ValidationError as exc:
        row.errors["term"] = exc.message
    try:
        parsed["quantity"] = check_quantity(values.get("quantity") or 1)
    except ValidationError as exc:
        row.errors["quantity"] = exc.message
    email, phone = values.get("contact_email", ""), values.get("contact_phone", "")
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            row.errors["contact_email"] = f"Not an email address: {email!r}."
    try:
        parsed["phone"] = normalize_phone(phone)
    except ValidationError as exc:
        row.errors["contact_phone"] = exc.message
    if "address" in parsed and "version" in parsed:
        key = (parsed["address"].key, code)
        if key in seen:
            row.errors["address"] = "The same site and product appear twice in the file."
        seen.add(key)


def _read_site_file(data: bytes, *, max_rows: int) -> list[site_import.SiteRow]:
    try:
        return site_import.read_rows(data, max_rows=max_rows)
    except site_import.SiteFileError as exc:
        raise ValidationError(str(exc), field="file", code="bad_file") from exc


def _check_site_rows(quote: Quote, rows: list[site_import.SiteRow], progress: Any = None) -> None:
    """Check every row (no writes); `progress(done)` is told every 500 rows."""
    today, seen, versions = clock.today(), set[tuple[str, str]](), dict[str, ProductVersion | None]()
    for done, row in enumerate(rows, start=1):
        _check_site_row(quote, row, seen, today, versions)
        if progress is not None and done % 500 == 0:
            progress(done)


def _import_site_rows(quote: Quote, rows: list[site_import.SiteRow]) -> None:
    """Create the sites, contacts and lines of checked, valid rows on a locked draft."""
    locations = {location.address_key: location for location in quote.account.locations.all()}
    position = quote.lines.aggregate(last=models.Max("position"))["last"] or 0
    books = PriceBook()
    for row in rows:
        if not row.valid:
            continue
        address, values = row.parsed["address"], row.values
        location = locations.get(address.key)
        if location is None:
            location = crm_services.location_create(
                account=quote.account,
                name=values.get("site_name", ""),
                line1=address.line1,
                line2=address.line2,
                city=address.city,
                state=address.state,
                postal_code=address.postal_code,
                normalized=address,
            )
            locations[address.key] = location
        email, phone = values.get("contact_email", "").lower(), row.parsed["phone"]
        wanted = bool(values.get("contact_name") and (email or phone))
        if wanted and not crm_selectors.contact_known(account_id=quote.account_id, email=email, phone=phone):
            first, _, last = values["contact_name"].partition(" ")
            crm_services.contact_create(
                account=quote.account,
                first_name=first,
                last_name=last or "(site)",
                email=values.get("contact_email", ""),
                phone=phone,
                role="site",
            )
        position += 1
        _line_add(
            quote,
            location=location,
            product_version=row.parsed["version"],
            term_months=row.parsed["term"],
            quantity=row.parsed["quantity"],
            position=position,
            books=books,
        )


@transaction.atomic
def quote_sites_import(
    *, quote: Quote, data: bytes, import_valid_rows: bool = False, imported_by: Any = None
) -> list[site_import.SiteRow]:
    """Add many sites and their lines to a draft quote from a CSV. Every row is checked first;
    nothing is imported while a row is invalid unless `import_valid_rows` is asked for.
    Returns the rows with their errors (by column) so the user sees a per-row report.

    Raises ValidationError (field `file`) when the file itself cannot be read."""
    quote = _lock_draft(quote)
    rows = _read_site_file(data, max_rows=site_import.MAX_ROWS)
    _check_site_rows(quote, rows)
    if any(not row.valid for row in rows) and not import_valid_rows:
        return rows
    _import_site_rows(quote, rows)
    _recompute_totals(quote, edited_by=imported_by)
    events.emit("quote.sites_imported", subject=quote, data={"rows": sum(1 for r in rows if r.valid)})
    return rows


@transaction.atomic
def site_import_job_create(
    *, quote: Quote, upload: Any, import_valid_rows: bool = False, created_by: Any = None
) -> SiteImportJob:
    """Queue a large CSV of sites to be checked and priced in the background (the worker),
    with progress the quote page shows; the file is kept under a random name.

    Raises ValidationError (`file`) for a file too large or not CSV text."""
    checked = user_files.check_upload(upload, kind=user_files.SITE_IMPORT, field="file")
    quote = _lock_draft(quote)
    job = SiteImportJob.objects.create(
        quote=quote,
        file=upload,
        file_name=checked.name,
        import_valid_rows=import_valid_rows,
        created_by=created_by,
        created_at=clock.now(),
    )
    from headend.quoting.tasks import run_site_import

    transaction.on_commit(lambda: run_site_import.enqueue(job.pk))
    return job


def site_import_job_run(*, job_id: int, chunk: int = 500) -> SiteImportJob:
    """Check every row, then import in chunks of `chunk` rows, each its own transaction, keeping
    `rows_done` current; the totals are recomputed once at the end. Safe to run twice: a job
    that is no longer queued is left as it is. A job never stays checking or importing: what
    stops it (a bug included, which is logged) marks it failed, with the reason."""
    updated = SiteImportJob.objects.filter(pk=job_id, status=SiteImportJob.Status.QUEUED).update(
        status=SiteImportJob.Status.CHECKING
    )
    job = SiteImportJob.objects.select_related("quote__account", "created_by").get(pk=job_id)
    if not updated:
        return job
    try:
        # The lines and sites it writes are recorded as added by whoever uploaded the file.
        with audit.acting_for(job.created_by):
            return _site_import_job_steps(job, chunk=chunk)
    except Exception:
        logger.exception("Site import job %s stopped", job.pk)
        rows = SiteImportJob.objects.filter(pk=job.pk).values_list("rows_checked", "rows_done").get()
        where = f"after {rows[1]:,} rows were saved" if rows[1] else f"after checking {rows[0]:,} rows"
        error = f"Stopped by an internal error {where}; it is logged. Nothing more was imported."
        return _site_import_job_finish(job, SiteImportJob.Status.FAILED, error=error)


def _site_import_job_finish(job: SiteImportJob, status: str, **fields: Any) -> SiteImportJob:
    SiteImportJob.objects.filter(pk=job.pk).update(status=status, finished_at=clock.now(), **fields)
    job.refresh_from_db()
    return job


def _site_import_job_steps(job: SiteImportJob, *, chunk: int) -> SiteImportJob:
    def finish(status: str, **fields: Any) -> SiteImportJob:
        return _site_import_job_finish(job, status, **fields)

    try:
        with job.file.open("rb") as handle:
            rows = _read_site_file(handle.read(), max_rows=site_import.MAX_BACKGROUND_ROWS)
    except ValidationError as exc:
        return finish(SiteImportJob.Status.REFUSED, error=exc.message)
    SiteImportJob.objects.filter(pk=job.pk).update(rows_total=len(rows))
    _check_site_rows(
        job.quote, rows, progress=lambda done: SiteImportJob.objects.filter(pk=job.pk).update(rows_checked=done)
    )
    invalid = [row for row in rows if not row.valid]
    report = [{"line": row.line, "errors": row.errors} for row in invalid[:200]]
    SiteImportJob.objects.filter(pk=job.pk).update(rows_checked=len(rows), invalid_rows=len(invalid), report=report)
    if invalid and not job.import_valid_rows:
        return finish(SiteImportJob.Status.REFUSED, error=f"{len(invalid)} rows are invalid; nothing imported.")
    SiteImportJob.objects.filter(pk=job.pk).update(status=SiteImportJob.Status.IMPORTING)
    valid = [row for row in rows if row.valid]
    try:
        for start in range(0, len(valid), chunk):
            with transaction.atomic():
                quote = _lock_draft(job.quote)
                _import_site_rows(quote, valid[start : start + chunk])
                SiteImportJob.objects.filter(pk=job.pk).update(rows_done=min(start + chunk, len(valid)))
        with transaction.atomic():
            quote = _lock_draft(job.quote)
            _recompute_totals(quote, edited_by=job.created_by)
            events.emit("quote.sites_imported", subject=quote, data={"rows": len(valid), "job_id": job.pk})
    except DomainError as exc:
        return finish(SiteImportJob.Status.FAILED, error=exc.message)
    return finish(SiteImportJob.Status.COMPLETED)


# --- Changes to services the account has (MACD) ---------------------------------------------

CHANGE_ACTIONS = {
    QuoteLine.Action.UPGRADE,
    QuoteLine.Action.DOWNGRADE,
    QuoteLine.Action.RE_TERM,
    QuoteLine.Action.RE_RATE,
    QuoteLine.Action.MOVE,
    QuoteLine.Action.REPLACE,
    QuoteLine.Action.CANCEL,
}


def _check_change(
    quote: Quote, service: Any, action: str, product_version: ProductVersion | None, location: Location | None
) -> None:
    """Refuse a change the account, the service's state or the catalog's paths do not allow."""
    from headend.inventory.models import Service

    if action not in CHANGE_ACTIONS:
        raise ValidationError(f"Unknown change {action!r}.", field="action", code="invalid_choice")
    if service.account_id != quote.account_id:
        raise ValidationError("The service belongs to another account.", field="service", code="foreign_service")
    if service.status not in (Service.Status.ACTIVE, Service.Status.SUSPENDED):
        raise ValidationError(
            f"Service {service.number} is {service.get_status_display().lower()}; only a live service changes.",
            field="service",
            code="service_not_live",
        )
    if quote.lines.filter(target_service=service).exists():
        raise ValidationError(
            f"Service {service.number} already has a change on this quote.", field="service", code="changed_twice"
        )
    in_flight = quote_orders().change_in_flight(service_id=service.pk)
    if in_flight is not None:
        raise Conflict(
            f"Service {service.number} has a change in flight on order {in_flight.number}; quote it again once "
            "that order completes.",
            field="service",
            code="change_in_flight",
        )
    current = service.product_version.product
    if action in (QuoteLine.Action.UPGRADE, QuoteLine.Action.DOWNGRADE, QuoteLine.Action.REPLACE):
        if product_version is None:
            raise ValidationError("Choose the product to change to.", field="product_version", code="required")
        target = product_version.product
        path = "replaced_by" if action == QuoteLine.Action.REPLACE else str(action)
        same_product = target.pk == current.pk and action != QuoteLine.Action.REPLACE
        if not same_product and catalog_selectors.path_between(product=current, target=target) != path:
            raise ValidationError(
                f"The catalog has no {action.replace('_', ' ')} path from {current} to {target}.",
                field="product_version",
                code="not_on_path",
            )
    if action == QuoteLine.Action.MOVE:
        if location is None:
            raise ValidationError("Choose the location to move to.", field="location", code="required")
        if location.account_id != quote.account_id:
            raise ValidationError("The location belongs to another account.", field="location", code="foreign_location")
        if location.pk == service.location_id:
            raise ValidationError("The service is already at that location.", field="location", code="same_location")


@transaction.atomic
def quote_line_change(
    *,
    quote: Quote,
    service: Any,
    action: str,
    product_version: ProductVersion | None = None,
    term_months: Any = None,
    negotiated_mrc_amount: Any = None,
    location: Location | None = None,
    added_by: Any = None,
) -> QuoteLine:
    """Quote a change to a service the account has, priced as a delta against it: upgrade,
    downgrade, re-term, re-rate, move, replace or cancel (with the catalog's early-termination
    fee inside the term). A cancel or move carries the service's add-ons with it, each priced
    on its own line. Raises ValidationError naming the field, Conflict when the service (or an
    add-on it carries) has a change in flight on another accepted quote."""
    from headend.inventory import selectors as inventory_selectors

    term = None if term_months is None or term_months == "" else check_term(term_months)
    quote = _lock_draft(quote)
    service = inventory_selectors.service_locked(service_id=service.pk)
    line = _change_line(
        quote,
        service,
        action=action,
        product_version=product_version,
        term_months=term,
        negotiated_mrc_amount=negotiated_mrc_amount,
        location=location,
    )
    if action in (QuoteLine.Action.CANCEL, QuoteLine.Action.MOVE):
        changed = set(quote.lines.exclude(target_service=None).values_list("target_service_id", flat=True))
        for addon in inventory_selectors.service_addons_live(service_id=service.pk):
            if addon.pk not in changed and addon.status != addon.Status.PENDING_DISCONNECT:
                _change_line(
                    quote,
                    inventory_selectors.service_locked(service_id=addon.pk),
                    action=action,
                    location=location,
                    base_line=line,
                )
    _recompute_totals(quote, edited_by=added_by)
    return line


def _change_line(
    quote: Quote,
    service: Any,
    *,
    action: str,
    product_version: ProductVersion | None = None,
    term_months: int | None = None,
    negotiated_mrc_amount: Any = None,
    location: Location | None = None,
    base_line: QuoteLine | None = None,
) -> QuoteLine:
    """Check, price and store one change line on a locked draft (totals are the caller's)."""
    _check_change(quote, service, action, product_version, location)
    today = clock.today()
    if product_version is not None:
        check_sellable_at(
            account=quote.account, location=location or service.location, product_version=product_version, on=today
        )
    negotiated = None
    if action == QuoteLine.Action.RE_RATE:
        if negotiated_mrc_amount is None or negotiated_mrc_amount == "":
            raise ValidationError("Give the negotiated monthly price.", field="negotiated_mrc_amount")
        negotiated = parse_amount(negotiated_mrc_amount, field="negotiated_mrc_amount", minimum=None)
        if negotiated < 0:
            raise ValidationError("A price cannot be negative.", field="negotiated_mrc_amount")
    new_version = product_version or service.product_version
    moves = location is not None and location.pk != service.location_id
    work = QuoteLine.work_action(action, changes_version=new_version.pk != service.product_version_id, moves=moves)
    _check_workable(new_version.product, work, field="action")
    last = quote.lines.aggregate(last=models.Max("position"))["last"] or 0
    line = QuoteLine(
        quote=quote,
        position=last + 1,
        action=action,
        target_service=service,
        location=location or service.location,
        product_version=new_version,
        negotiated_mrc_amount=negotiated,
        base_line=base_line,
    )
    line.term_months = term_months  # type: ignore[assignment]  # None: the service's term, priced below
    _price_new_line(line, books=PriceBook(), on=today)
    line.save()
    return line


def _discount_percent(value: Any) -> Decimal:
    """A line discount: a percent from 0 to 100, at most two decimal places; ValidationError otherwise."""
    return parse_percent(value, field="discount_percent", code="invalid_discount")


@transaction.atomic
def quote_line_discount(*, line: QuoteLine, percent: Any, discounted_by: Any = None) -> QuoteLine:
    """Give a line a percent discount off its list monthly charge, re-pricing that line and the
    totals only. Below the product's floor the line is flagged, and an approval rule asks for
    a sales manager; the price is never clamped."""
    quote = _lock_draft(line.quote)
    line = QuoteLine.objects.select_for_update().get(pk=line.pk, quote=quote)
    value = _discount_percent(percent if percent not in (None, "") else "0")
    if line.action != QuoteLine.Action.ADD:
        raise ValidationError("Discount a new line; a change is re-rated instead.", field="discount_percent")
    line.discount_percent = value
    _price_new_line(line, books=PriceBook(), on=clock.today(), pick_promotion=False)
    line.save(update_fields=["discount_percent", *PRICE_FIELDS])
    _recompute_totals(quote, edited_by=discounted_by)
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
    quote = _lock_draft(quote)
    ids = [pk for pk in (parse_id(line_id) for line_id in line_ids) if pk]
    lines = _lines_to_price(quote.lines.filter(pk__in=ids))
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
        _price_new_line(line, books=books, on=today, pick_promotion=new_term)
    bulk_update_with_history(lines, QuoteLine, ["discount_percent", *PRICE_FIELDS])
    _recompute_totals(quote, edited_by=updated_by)
    return lines


@transaction.atomic
def quote_discount_set(*, quote: Quote, percent: Any, discounted_by: Any = None) -> Quote:
    """Give a draft quote a percent discount off the monthly charges of its catalog-priced lines
    (not re-rates, moves or cancels), spread over those lines in proportion to their monthly
    charges so the totals stay sums of rounded lines; 0 removes it. The approval rules see it."""
    quote = _lock_draft(quote)
    value = _discount_percent(percent if percent not in (None, "") else "0")
    quote.discount_percent = value
    quote.save(update_fields=["discount_percent"])
    _recompute_totals(quote, edited_by=discounted_by)
    events.emit("quote.discounted", subject=quote, data={"percent": str(value)})
    return quote
