"""What the web app (the top of the stack) shows on the pages below it (core/panels.py): the
account page's activity timeline, which reads quotes, orders, cases, notes and payments."""

from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.crm.models import Account
from headend.web.timeline import account_timeline


@panels.register("account.timeline", template="web/panels/account_timeline.html", order=10)
def account_activity(request: HttpRequest, account: Account) -> dict[str, Any]:
    """The newest page of the account's activity, with a "more" link to the next."""
    return {"account": account, "timeline": account_timeline(user=request.user, account=account)}
