"""What payments shows on the pages below it (core/panels.py): at the top of a customer account,
its payment standing in words and colour; on a billing account, its payer's
standing, payments, stored methods, autopay attempts and dunning, with the forms billing staff
use to take a payment, store a method or record a promise to pay; on an invoice, what paid it
and what was written off, with the write-off form."""

from typing import Any

from django.http import HttpRequest

from headend.billing.models import BillingAccount, Invoice
from headend.billing.standing import OPEN_STATUSES
from headend.core import clock, panels
from headend.core.permissions import may
from headend.crm.models import Account

from . import dunning, gateway, views
from .account_standing import account_standing
from .forms import PaymentForm, PaymentMethodForm, PromiseForm, WriteOffForm, amount_text


@panels.register("billing_account.sections", template="payments/panels/billing_account_payments.html", order=10)
def billing_account_payments(request: HttpRequest, billing_account: BillingAccount) -> dict[str, Any] | None:
    """The payer's money: standing, credit, payments, methods, autopay and dunning. A billing
    account its parent pays for shows only who pays."""
    if not may(request.user, "billing.read"):
        return None
    payer = billing_account.payer
    if payer.pk != billing_account.pk:
        return {"billing_account": billing_account, "payer": payer, "paid_by_parent": True}
    today = clock.today()
    standing = views.payer_standing(payer, today=today)
    can_take = may(request.user, "payment.take") and payer.status == BillingAccount.Status.ACTIVE
    can_promise = may(request.user, "dunning.promise") and standing.overdue
    payment_form = None
    if can_take:
        initial = {"amount": amount_text(standing.balance_amount), "received_on": today}
        payment_form = PaymentForm(payer=payer, gateway=gateway.configured(), initial=initial)
    return {
        "billing_account": billing_account,
        "payer": payer,
        "currency": payer.currency,
        "standing": standing,
        "payments": views.payments_of(payer),
        "methods": views.methods_of(payer),
        "attempts": views.autopay_attempts_of(payer),
        "steps": dunning.steps_of(payer),
        "promise": dunning.active_promise(payer, today),
        "gateway": gateway.configured(),
        "payment_form": payment_form,
        "can_manage_methods": may(request.user, "payment_method.manage"),
        "method_form": PaymentMethodForm() if may(request.user, "payment_method.manage") else None,
        "promise_form": PromiseForm(initial={"amount": amount_text(standing.overdue_amount)}) if can_promise else None,
        "can_promise": may(request.user, "dunning.promise"),
    }


@panels.register("invoice.sections", template="payments/panels/invoice_payments.html", order=10)
def invoice_payments(request: HttpRequest, invoice: Invoice) -> dict[str, Any] | None:
    """What paid the invoice (payments, credit, take-backs) and what was written off; the
    write-off form while something is owed."""
    if not may(request.user, "billing.read") or invoice.kind != Invoice.Kind.INVOICE:
        return None
    owed = invoice.status in OPEN_STATUSES and invoice.amount_due > 0
    return {
        "invoice": invoice,
        "allocations": views.allocations_to_invoice(invoice),
        "write_offs": invoice.write_offs.select_related("created_by").order_by("created_at", "id"),
        "write_off_form": WriteOffForm() if owed and may(request.user, "payment.write_off") else None,
    }


@panels.register("account.status", template="payments/panels/account_standing.html", order=0)
def account_payment_standing(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    """The first thing on the account page, for the roles that read billing: "60 days late:
    $1,240.00 overdue" in red, with the oldest unpaid invoice, dunning's last step, a promise to
    pay and autopay; nothing while the customer has no billing account."""
    if not may(request.user, "billing.read"):
        return None
    standing = account_standing(account, today=clock.today())
    return None if standing is None else {"account": account, "standing": standing}
