"""What the quote use cases share: lock a draft before editing it, and total it again after an
edit (the opportunity follows and the approvals are asked again)."""

from decimal import Decimal
from typing import Any

from django.db import models

from headend.core.errors import Conflict
from headend.crm import services as crm_services
from headend.quoting.approving import refresh_approvals
from headend.quoting.construction import settle_construction_lines
from headend.quoting.line_prices import spread_quote_discount
from headend.quoting.models import Quote
from headend.quoting.selectors import quote_mrr_today


def lock_draft(quote: Quote) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if not quote.is_editable:
        raise Conflict(
            f"Quote {quote.number} is {quote.get_status_display().lower()}; only a draft can be edited.",
            field="status",
            code="quote_not_editable",
        )
    return quote


def recompute_totals(quote: Quote, *, edited_by: Any) -> None:
    """Totals are sums of the stored, rounded lines (only the edited line is repriced), with what
    the customer pays today at the quote's sites (`quote_mrr_today`); then the
    opportunity follows and the approvals are asked again, since the deal changed. `edited_by`
    changed the prices: they may not approve them (maker-checker). With a quote discount, every
    line's share of it is spread again first, after each near-net site's construction line."""
    settle_construction_lines(quote)
    spread_quote_discount(quote)
    sums = quote.lines.aggregate(
        mrr=models.Sum("mrc_amount"),
        before=models.Sum("mrc_before_amount"),
        once=models.Sum("nrc_amount"),
        etf=models.Sum("etf_amount"),
        tcv=models.Sum("contract_value_amount"),
        tcv_change=models.Sum("contract_value_change_amount"),
    )
    zero = Decimal("0.00")
    quote.mrr_amount = sums["mrr"] if sums["mrr"] is not None else zero
    quote.mrr_before_amount = sums["before"] if sums["before"] is not None else zero
    quote.one_time_amount = (sums["once"] or zero) + (sums["etf"] or zero)
    quote.contract_value_amount = sums["tcv"] if sums["tcv"] is not None else zero
    quote.contract_value_change_amount = sums["tcv_change"] if sums["tcv_change"] is not None else zero
    quote.mrr_today_amount = quote_mrr_today(quote=quote)
    quote.priced_by = edited_by if getattr(edited_by, "pk", None) else None
    quote.price_revision += 1  # the quote is locked by the caller
    quote.save(
        update_fields=[
            "mrr_amount",
            "mrr_before_amount",
            "one_time_amount",
            "contract_value_amount",
            "contract_value_change_amount",
            "mrr_today_amount",
            "priced_by",
            "price_revision",
        ]
    )
    sync_opportunity(quote)
    refresh_approvals(quote)


def sync_opportunity(quote: Quote, *, stage: str = "") -> None:
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
