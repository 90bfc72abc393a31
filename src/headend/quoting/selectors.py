"""Reads of quotes."""

from collections.abc import Collection
from typing import Any

from django.db import models

from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.crm.selectors import account_scope
from headend.quoting.models import Quote, QuoteLine


def quote_list(
    *,
    user: Any,
    account_id: Any = None,
    status: str = "",
    query: str = "",
    statuses: Collection[str] | None = None,
    detailed: bool = False,
) -> models.QuerySet[Quote]:
    """Quotes `user` may see; `statuses` keeps those in any of several (an empty one matches none);
    `detailed` also loads each quote's lines and order."""
    quotes = Quote.objects.filter(account__in=account_scope(user=user)).select_related("account", "opportunity")
    if account_id not in (None, ""):
        quotes = quotes.filter(account_id=parse_id(account_id))
    if status:
        quotes = quotes.filter(status=status)
    if statuses is not None:
        quotes = quotes.filter(status__in=list(statuses))
    if detailed:
        quotes = quotes.select_related("order").prefetch_related(
            models.Prefetch(
                "lines",
                queryset=QuoteLine.objects.select_related("location", "product_version__product").order_by("position"),
            )
        )
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        q = models.Q(name__icontains=query) | models.Q(account__name__icontains=query)
        if digits:
            q |= models.Q(pk=int(digits))
        quotes = quotes.filter(q)
    return quotes.order_by("-created_at", "-id")


def quote_get_for(*, user: Any, quote_id: Any) -> Quote:
    """The quote if `user` may see it; NotFound otherwise, so foreign ids reveal nothing."""
    quote = (
        Quote.objects.filter(pk=parse_id(quote_id), account__in=account_scope(user=user))
        .select_related("account", "opportunity", "created_by", "decided_by")
        .prefetch_related(
            models.Prefetch(
                "lines",
                queryset=QuoteLine.objects.select_related("location", "product_version__product").order_by("position"),
            )
        )
        .first()
    )
    if quote is None:
        raise NotFound("No such quote.", field="id")
    return quote


def quote_line_get_for(*, user: Any, line_id: Any) -> QuoteLine:
    line = (
        QuoteLine.objects.filter(pk=parse_id(line_id), quote__account__in=account_scope(user=user))
        .select_related("quote")
        .first()
    )
    if line is None:
        raise NotFound("No such quote line.", field="id")
    return line
