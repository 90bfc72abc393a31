"""What contracts shows on the pages of the apps below it (core/panels.py): a quote's documents
and signatures."""

from typing import Any

from django.http import HttpRequest

from headend.contracts import presenting, selectors
from headend.core import panels
from headend.core.errors import Conflict
from headend.core.permissions import may
from headend.quoting.approving import check_approved
from headend.quoting.models import Quote


@panels.register("quote.sections", template="contracts/_quote_documents.html", order=10)
def quote_documents(request: HttpRequest, quote: Quote) -> dict[str, Any]:
    return {
        "quote": quote,
        "contracts": selectors.quote_documents_summary(quote=quote),
        "can_sell": may(request.user, "quote.send"),
    }


@panels.register("quote.present", template="contracts/_present_button.html", order=10)
def quote_present_button(request: HttpRequest, quote: Quote) -> dict[str, Any] | None:
    """ "Preview and present" on a draft that waits for no approval (the approvals panel draws it);
    while a site survey holds the draft back, why, with the preview only."""
    if quote.status != Quote.Status.DRAFT or not may(request.user, "quote.send"):
        return None
    try:
        check_approved(quote)
    except Conflict:
        return None
    # A site survey still holds it: say why beside the preview, never "ready to present".
    return {"quote": quote, "held": presenting.present_held(quote)}
