"""What quoting shows on the pages of the apps below it (core/panels.py)."""

from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.crm.models import Account
from headend.quoting import selectors


@panels.register("account.sections", template="quoting/panels/account_quotes.html", order=20)
def account_quotes(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {"quotes": selectors.quote_list(user=request.user, account_id=account.pk)}
