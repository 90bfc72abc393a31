"""What voice rating shows on billing's own pages through their panel slots: an invoice's call
detail (its usage lines' calls by destination)."""

from typing import Any

from django.http import HttpRequest

from headend.billing import call_charges
from headend.billing.models import Invoice
from headend.core import panels
from headend.core.permissions import may


@panels.register("invoice.sections", template="billing/panels/invoice_calls.html", order=10)
def invoice_calls(request: HttpRequest, invoice: Invoice) -> dict[str, Any] | None:
    if not may(request.user, "billing.read"):
        return None
    detail = call_charges.usage_detail(invoice)
    return {"invoice": invoice, "usage": detail} if detail else None
