"""What the staff search finds among quotes (core/search.py): by number (Q-000042) or name."""

from typing import Any

from django.db import models

from headend.core import search
from headend.core.money import format_amount
from headend.quoting import selectors
from headend.quoting.models import Quote


def _quote_hit(quote: Quote) -> search.Hit:
    detail = (
        f"{quote.account.name} · {quote.get_status_display()} · {format_amount(quote.mrr_amount, quote.currency)}/mo"
    )
    return search.Hit(str(quote), quote.get_absolute_url(), detail)


@search.register("quotes", label="Quotes", show=_quote_hit, order=50)
def find_quotes(user: Any, query: str) -> models.QuerySet[Quote]:
    q = models.Q(name__icontains=query)
    quote_id = search.number_id(query, "Q")
    if quote_id is not None:
        q |= models.Q(pk=quote_id)
    return selectors.quote_list(user=user).filter(q)
