"""Write use cases for quotes: build, present, accept (into an order), reject, expire."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models, transaction

from headend.catalog import selectors as catalog_selectors
from headend.catalog.models import Product, ProductVersion
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.money import default_currency
from headend.crm import services as crm_services
from headend.crm.models import Account, Location, Opportunity
from headend.orders import services as orders_services
from headend.quoting import pricing
from headend.quoting.models import Quote, QuoteLine


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
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        try:
            quantity = int(str(quantity))
        except (TypeError, ValueError) as exc:
            raise ValidationError("Quantity is a whole number.", field="quantity", code="invalid_quantity") from exc
    if quantity < 1:
        raise ValidationError("Quantity must be at least 1.", field="quantity", code="invalid_quantity")
    if quantity > 10_000:
        raise ValidationError("Quantity must be at most 10,000.", field="quantity", code="invalid_quantity")
    return quantity


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


def _recompute_totals(quote: Quote) -> None:
    """Totals are sums of the stored, rounded lines; only the edited line is repriced."""
    sums = quote.lines.aggregate(
        mrr=models.Sum("mrc_amount"), once=models.Sum("nrc_amount"), tcv=models.Sum("contract_value_amount")
    )
    totals = pricing.quote_totals([])
    quote.mrr_amount = sums["mrr"] if sums["mrr"] is not None else totals.mrr_amount
    quote.one_time_amount = sums["once"] if sums["once"] is not None else totals.one_time_amount
    quote.contract_value_amount = sums["tcv"] if sums["tcv"] is not None else totals.contract_value_amount
    quote.save(update_fields=["mrr_amount", "one_time_amount", "contract_value_amount"])


@transaction.atomic
def quote_line_add(
    *,
    quote: Quote,
    location: Location,
    product_version: ProductVersion,
    term_months: Any,
    quantity: Any = 1,
    added_by: Any = None,
) -> QuoteLine:
    """Add a new service to a draft quote, priced from the catalog on the chosen term."""
    quote = _lock_draft(quote)
    quantity = check_quantity(quantity)
    check_sellable_at(account=quote.account, location=location, product_version=product_version, on=clock.today())
    price = catalog_selectors.price_for(version=product_version, term_months=term_months)
    priced = pricing.price_line(
        mrc_unit=price.mrc_amount, nrc_unit=price.nrc_amount, quantity=quantity, term_months=price.term_months
    )
    last = quote.lines.aggregate(last=models.Max("position"))["last"] or 0
    line = QuoteLine.objects.create(
        quote=quote,
        position=last + 1,
        location=location,
        product_version=product_version,
        term_months=price.term_months,
        quantity=quantity,
        mrc_unit_amount=price.mrc_amount,
        nrc_unit_amount=price.nrc_amount,
        mrc_amount=priced.mrc_amount,
        nrc_amount=priced.nrc_amount,
        contract_value_amount=priced.contract_value_amount,
    )
    _recompute_totals(quote)
    return line


@transaction.atomic
def quote_line_remove(*, line: QuoteLine, removed_by: Any = None) -> Quote:
    """Take a line off a draft quote."""
    quote = _lock_draft(line.quote)
    QuoteLine.objects.filter(pk=line.pk, quote=quote).delete()
    _recompute_totals(quote)
    return quote


@transaction.atomic
def quote_present(*, quote: Quote, presented_by: Any = None) -> Quote:
    """Send a draft to the customer; prices are then fixed until it is accepted or expires."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    now = clock.now()
    quote.check_transition(Quote.Status.PRESENTED)
    if not quote.lines.exists():
        raise ValidationError(
            "Add at least one line before presenting the quote.", field="quoteItem", code="empty_quote"
        )
    quote.status, quote.presented_at = Quote.Status.PRESENTED, now
    quote.valid_until = clock.local_date(now) + dt.timedelta(days=settings.HEADEND_QUOTE_VALID_DAYS)
    quote.save(update_fields=["status", "presented_at", "valid_until"])
    events.emit("quote.presented", subject=quote)
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
    order = orders_services.order_create_from_quote(quote=quote, at=now)
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
    events.emit("quote.rejected", subject=quote)
    return quote


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
