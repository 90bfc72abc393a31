"""Dunning follows the outbox: a payment, an invoice paid or written off may clear a payer
(`dunning.reconcile` restores what dunning suspended); a service suspended while its payer paid
is restored then; a service active again closes its dunning suspension. The worker loop also
runs the daily dunning pass (dunning.DailyPass)."""

from headend.billing.models import BillingAccount, Invoice
from headend.core import events
from headend.core.models import OutboxEvent
from headend.inventory.models import Service

from . import dunning
from .models import DunningSuspension

INVOICE = "billing.invoice"
SERVICE = "inventory.service"


def _reconcile(billing_account: BillingAccount | None) -> None:
    if billing_account is not None:
        dunning.reconcile(billing_account.payer)


@events.subscribe("payment.succeeded")
def on_payment(event: OutboxEvent) -> None:
    payer_id = event.data.get("billing_account_id")
    _reconcile(BillingAccount.objects.select_related("parent").filter(pk=payer_id).first() if payer_id else None)


@events.subscribe("invoice.paid")
@events.subscribe("invoice.written_off")
def on_invoice_cleared(event: OutboxEvent) -> None:
    if event.subject_type != INVOICE:
        return
    invoice = Invoice.objects.select_related("billing_account__parent").filter(pk=int(event.subject_id)).first()
    _reconcile(invoice.billing_account if invoice is not None else None)


@events.subscribe("invoice.reopened")
def on_invoice_reopened(event: OutboxEvent) -> None:
    """The payment of an invoice came back: a late fee waived on it is charged again."""
    if event.subject_type != INVOICE:
        return
    invoice = Invoice.objects.filter(pk=int(event.subject_id)).first()
    if invoice is not None:
        dunning.reinstate_late_fee(invoice)


@events.subscribe("service.suspended")
def on_suspended(event: OutboxEvent) -> None:
    """A suspension dunning asked for is done: if the payer paid meanwhile, restore it now."""
    if event.subject_type != SERVICE:
        return
    suspension = (
        DunningSuspension.objects.select_related("billing_account")
        .filter(service_id=int(event.subject_id), restored_at=None)
        .first()
    )
    if suspension is not None:
        dunning.reconcile(suspension.billing_account)


@events.subscribe("service.active")
def on_active(event: OutboxEvent) -> None:
    """Back from a suspension: the service's dunning suspension, if any, is over."""
    if event.subject_type != SERVICE or event.data.get("from") != Service.Status.SUSPENDED:
        return
    service = Service.objects.filter(pk=int(event.subject_id)).first()
    if service is not None:
        dunning.suspension_closed(service=service, at=event.occurred_at)


daily_pass = events.follow_up(dunning.DailyPass())
