"""What orders shows on the pages of the apps below it (core/panels.py)."""

from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.crm.models import Account
from headend.orders import selectors


@panels.register("account.sections", template="orders/panels/account_orders.html", order=30)
def account_orders(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {"orders": selectors.order_list(user=request.user, account_id=account.pk)}
