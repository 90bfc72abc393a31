"""What quoting shows on the pages of the apps below it (core/panels.py)."""

from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.core.permissions import may
from headend.crm.models import Account
from headend.quoting import selectors, surveys
from headend.quoting.models import Quote, SiteSurvey


@panels.register("account.sections", template="quoting/panels/account_quotes.html", order=20)
def account_quotes(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {"quotes": selectors.quote_list(user=request.user, account_id=account.pk)}


@panels.register("quote.sections", template="quoting/panels/quote_surveys.html", order=5)
def quote_surveys(request: HttpRequest, quote: Quote) -> dict[str, Any] | None:
    """The quote's site surveys (none: nothing shown)."""
    found = surveys.survey_list_for(quote=quote)
    if not found:
        return None
    return {
        "quote": quote,
        "surveys": found,
        "can_waive": may(request.user, "survey.waive"),
        "open_statuses": list(SiteSurvey.OPEN),
    }
