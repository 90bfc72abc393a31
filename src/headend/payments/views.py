"""What the payments staff pages read (the pages themselves: payment_views, dunning_views and the
panels on billing's pages): a payment by id, the filtered payment list, a payer's standing,
methods, payments and autopay attempts, and what was paid or written off on an invoice."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Min, Q, QuerySet, Sum

from headend.billing.models import BillingAccount, Invoice
from headend.billing.standing import OPEN_STATUSES
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.money import ZERO

from . import allocation
from .models import Allocation, AutopayAttempt, DunningPolicy, Payment, PaymentMethod


def payment_get(*, payment_id: object) -> Payment:
    """A payment with its payer, method and who recorded it; NotFound otherwise."""
    found = (
        Payment.objects.select_related("billing_account__account", "payment_method", "created_by")
        .filter(pk=parse_id(payment_id))
        .first()
    )
    if found is None:
        raise NotFound("No such payment.", field="id")
    return found


def payment_list(
    *, status: str = "", means: str = "", date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[Payment]:
    """Payments, newest received first, by status, means and the days they were received."""
    found = Payment.objects.select_related("billing_account__account")
    if status:
        found = found.filter(status=status)
    if means:
        found = found.filter(means=means)
    if date_from:
        found = found.filter(received_on__gte=date_from)
    if date_to:
        found = found.filter(received_on__lte=date_to)
    return found.order_by("-received_on", "-id")


@dataclass(frozen=True)
class PayerStanding:
    """What a payer owes today: all of it, the part past due and how late the oldest unpaid
    invoice is, and its unused credit."""

    balance_amount: Decimal
    overdue_amount: Decimal
    days_past_due: int
    credit_amount: Decimal

    @property
    def overdue(self) -> bool:
        return self.overdue_amount > 0


def payer_standing(payer: BillingAccount, *, today: dt.date) -> PayerStanding:
    """The payer's standing on `today` from its open invoices (billing/standing.py does the same
    per customer account; a payer is one of its billing accounts)."""
    overdue = Q(due_date__lt=today)
    row = Invoice.objects.filter(
        billing_account=payer, kind=Invoice.Kind.INVOICE, status__in=OPEN_STATUSES, amount_due__gt=0
    ).aggregate(
        balance=Sum("amount_due"),
        overdue=Sum("amount_due", filter=overdue),
        oldest=Min("due_date", filter=overdue),
    )
    return PayerStanding(
        balance_amount=row["balance"] or ZERO,
        overdue_amount=row["overdue"] or ZERO,
        days_past_due=(today - row["oldest"]).days if row["oldest"] else 0,
        credit_amount=allocation.credit_balance(payer),
    )


def methods_of(payer: BillingAccount) -> QuerySet[PaymentMethod]:
    """The payer's active cards and bank accounts, the autopay one first."""
    return PaymentMethod.objects.filter(billing_account=payer, status=PaymentMethod.Status.ACTIVE).order_by(
        "-autopay", "id"
    )


def payments_of(payer: BillingAccount, *, limit: int = 10) -> list[Payment]:
    """The payer's latest payments."""
    return list(Payment.objects.filter(billing_account=payer).order_by("-received_on", "-id")[:limit])


def autopay_attempts_of(payer: BillingAccount, *, limit: int = 10) -> list[AutopayAttempt]:
    """The latest autopay attempts on the payer's invoices, failures with their error."""
    return list(
        AutopayAttempt.objects.filter(invoice__billing_account=payer)
        .select_related("invoice", "payment_method", "payment")
        .order_by("-created_at", "-id")[:limit]
    )


def allocations_of_payment(payment: Payment) -> QuerySet[Allocation]:
    """What the payment paid, applied as credit and took back, oldest first."""
    return payment.allocations.select_related("invoice").order_by("created_at", "id")


def allocations_to_invoice(invoice: Invoice) -> QuerySet[Allocation]:
    """What paid the invoice: payments, credit applied (a payment's or a credit note's) and
    take-backs, oldest first."""
    return invoice.allocations.select_related("payment", "credit_note").order_by("created_at", "id")


def open_invoices_of(payer: BillingAccount) -> QuerySet[Invoice]:
    """The payer's invoices with something to pay, oldest due first (what a payment pays)."""
    return allocation.open_invoices(payer)


def dunning_policies() -> list[DunningPolicy]:
    """The dunning policies there are, one per customer type."""
    return list(DunningPolicy.objects.order_by("customer_type"))
