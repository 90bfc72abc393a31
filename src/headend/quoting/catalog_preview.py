"""The preview quote on the catalog's version page (catalog/views.py `version_preview_view`): a
draft version priced by the quoting engine as an add line would be on its effective date, with the
promotion a quote would pick. The catalog page names the slot; quoting, above it, draws it."""

from typing import Any

from django.http import HttpRequest

from headend.catalog import selectors as catalog_selectors
from headend.catalog.selectors import PreviewRequest
from headend.core import panels
from headend.core.errors import ValidationError
from headend.quoting import pricing


@panels.register("catalog.version_preview", template="quoting/panels/catalog_preview.html")
def version_preview(request: HttpRequest, ask: PreviewRequest) -> dict[str, Any] | None:
    """One add line of `ask.quantity` units on `ask.term_months`, priced on `ask.on`."""
    version_pricing = catalog_selectors.version_pricing(version=ask.version)
    line = pricing.LineRequest(
        action=pricing.Action.ADD,
        pricing=version_pricing,
        term_months=ask.term_months,
        quantity=ask.quantity,
        on=ask.on,
    )
    try:
        plain = pricing.price_quote_line(line)
    except ValidationError as exc:
        return {"error": exc.message}
    promotions = catalog_selectors.promotions_for(version=ask.version, term_months=ask.term_months, on=ask.on)
    offers = {catalog_selectors.promotion_offer(promotion=promotion): promotion for promotion in promotions}
    best = pricing.best_promotion(
        offers,
        mrc_amount=plain.mrc_amount,
        nrc_amount=plain.nrc_amount,
        quantity=plain.quantity,
        months=plain.committed_months,
    )
    priced = (
        pricing.price_quote_line(
            pricing.LineRequest(
                action=line.action,
                pricing=line.pricing,
                term_months=line.term_months,
                quantity=line.quantity,
                on=line.on,
                promotion=best,
            )
        )
        if best is not None
        else plain
    )
    return {"ask": ask, "line": priced, "promotion": offers[best] if best is not None else None}
