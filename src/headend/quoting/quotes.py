"""A quote's life: start a draft, present it, the customer accepts it (into an order) or rejects
it, revise it into a new version, expire it."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.money import default_currency
from headend.crm import services as crm_services
from headend.crm.models import Account, Opportunity
from headend.quoting._common import recompute_totals, sync_opportunity
from headend.quoting.approving import check_approved
from headend.quoting.construction import check_surveys
from headend.quoting.hooks import quote_orders
from headend.quoting.line_checks import check_lines_workable
from headend.quoting.line_prices import PriceBook, lines_to_price, price_quote_lines
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
    check_lines_workable(quote)
    check_surveys(quote)
    check_approved(quote)
    quote.status, quote.presented_at = Quote.Status.PRESENTED, now
    quote.valid_until = clock.local_date(now) + dt.timedelta(days=settings.HEADEND_QUOTE_VALID_DAYS)
    quote.save(update_fields=["status", "presented_at", "valid_until"])
    sync_opportunity(quote, stage=Opportunity.Stage.PROPOSAL)
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
    sync_opportunity(quote, stage=Opportunity.Stage.CLOSED_LOST)
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
    lines = lines_to_price(quote.lines.all())
    old_pks = [line.pk for line in lines]
    for line in lines:
        line.pk, line.quote = None, revision
    # The copies are priced again, today, by the engine (a promotion they carry stays).
    price_quote_lines(revision, lines, books=PriceBook(), on=clock.local_date(now))
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
    recompute_totals(revision, edited_by=revised_by)
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
