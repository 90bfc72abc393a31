"""What the staff search finds among invoices (core/search.py), for the roles that read
billing: by number (INV-..., CN-...), which the unique index on it serves."""

from typing import Any

from django.db import models

from headend.billing.models import Invoice
from headend.core import search
from headend.core.money import format_amount


def _invoice_hit(invoice: Invoice) -> search.Hit:
    detail = (
        f"{invoice.billing_account.account.name} · {invoice.get_status_display()} · "
        f"{format_amount(invoice.total_amount, invoice.currency)}"
    )
    return search.Hit(invoice.display_number, invoice.get_absolute_url(), detail)


@search.register("invoices", label="Invoices", show=_invoice_hit, order=80, use_case="billing.read")
def find_invoices(user: Any, query: str) -> models.QuerySet[Invoice]:
    return (
        Invoice.objects.filter(number__startswith=query.upper().replace(" ", ""))
        .select_related("billing_account__account")
        .order_by("number")
    )
