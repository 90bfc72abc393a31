"""What billing shows on the service and quote pages before a change is made: the service's lines
on its next invoice, and what suspending or cancelling it today, or each change line of a
quote, would do to that invoice (billing/preview.py)."""

from typing import Any

from django.http import HttpRequest

from headend.billing import preview
from headend.billing.models import Subscription
from headend.core import panels
from headend.core.permissions import may
from headend.inventory.models import Service


@panels.register("service.sections", template="billing/panels/service_billing.html", order=30)
def service_billing(request: HttpRequest, service: Service) -> dict[str, Any] | None:
    if not may(request.user, "billing.read"):
        return None
    subscription = Subscription.objects.select_related("billing_account").filter(service=service).first()
    if subscription is None:
        return None
    live = service.status in (Service.Status.ACTIVE, Service.Status.SUSPENDED)
    return {
        "subscription": subscription,
        "next": preview.preview_change(service=service),
        "suspend": preview.preview_change(service=service, suspend=True) if service.status == "active" else None,
        "cancel": preview.preview_change(service=service, cancel=True) if live else None,
    }


PREVIEW_LINES = 25


@panels.register("quote.sections", template="billing/panels/quote_billing.html", order=50)
def quote_billing(request: HttpRequest, quote: Any) -> dict[str, Any] | None:
    if not may(request.user, "billing.read"):
        return None
    rows = []
    changes = quote.lines.filter(target_service__isnull=False)
    # Each preview reads its service's rates and billed lines: the page shows the first ones.
    for line in changes.select_related("target_service__product_version__product", "product_version__product")[
        :PREVIEW_LINES
    ]:
        cancel = line.action == "cancel"
        found = preview.preview_change(
            service=line.target_service,
            mrc_amount=None if cancel else line.mrc_amount,
            product_version=line.product_version,
            cancel=cancel,
            one_time=line.nrc_amount + line.etf_amount,
        )
        if found is not None:
            rows.append({"line": line, "preview": found})
    return {"rows": rows, "more": max(changes.count() - PREVIEW_LINES, 0)} if rows else None
