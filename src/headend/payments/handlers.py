"""Payments learn of new invoices through the outbox: a payer's credit (an overpayment, a
pay-ahead, a credit note's leftover) pays each new invoice as soon as it is finalised."""

from django.db import transaction

from headend.billing.models import Invoice
from headend.core import events
from headend.core.models import OutboxEvent

from . import allocation

INVOICE = "billing.invoice"


@events.subscribe("invoice.finalised")
def on_invoice_finalised(event: OutboxEvent) -> None:
    if event.subject_type != INVOICE:
        return
    invoice = Invoice.objects.select_related("billing_account").filter(pk=event.subject_id).first()
    if invoice is None or invoice.source != "headend":
        return
    with transaction.atomic():
        allocation.apply_credit(invoice.billing_account)
