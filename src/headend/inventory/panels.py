"""What inventory shows on the pages of the apps below it (core/panels.py)."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from headend.core import panels
from headend.crm.models import Account, Location
from headend.inventory import selectors


@panels.register("account.cards", template="inventory/panels/account_cards.html", order=10)
def account_cards(request: HttpRequest, account: Account) -> dict[str, Any]:
    active = list(selectors.service_list(user=request.user, account_id=account.pk, status="active"))
    return {
        "active_services": len(active),
        "active_mrr": sum((service.mrc_amount for service in active), Decimal("0")),
    }


@panels.register("account.sections", template="inventory/panels/account_services.html", order=10)
def account_services(request: HttpRequest, account: Account) -> dict[str, Any]:
    return {"services": selectors.service_list(user=request.user, account_id=account.pk)}


@panels.register("location.sections", template="inventory/panels/location_services.html", order=20)
def location_services(request: HttpRequest, location: Location) -> dict[str, Any]:
    return {"services": selectors.service_list(user=request.user, location_id=location.pk)}
