"""What the staff search finds among payments (core/search.py), for the roles that read
billing: by number (PAY-0000042) or the reference written on it (a cheque number)."""

from typing import Any

from django.db import models

from headend.core import search
from headend.core.money import format_amount

from .models import Payment


def _payment_hit(payment: Payment) -> search.Hit:
    detail = (
        f"{payment.billing_account.account.name} · {format_amount(payment.amount, payment.currency)} · "
        f"{payment.get_status_display()}"
    )
    return search.Hit(payment.number, payment.get_absolute_url(), detail)


@search.register("payments", label="Payments", show=_payment_hit, order=90, use_case="billing.read")
def find_payments(user: Any, query: str) -> models.QuerySet[Payment]:
    q = models.Q(reference__iexact=query)
    payment_id = search.number_id(query, "PAY")
    if payment_id is not None and query.strip().upper().startswith("PAY"):
        q |= models.Q(pk=payment_id)
    return Payment.objects.filter(q).select_related("billing_account__account").order_by("-received_on", "-id")
