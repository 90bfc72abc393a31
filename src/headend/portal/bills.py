"""What the portal's bill pages read: the customer's payers (the billing accounts that receive
the invoices of the account's billing accounts), their invoices, payments and stored methods,
and where they stand. Every record is found through the signed-in customer's account, so
another customer's id is NotFound (a 404), never a peek. Nothing here writes: money moves only
through the payments use cases (bill_views calls them)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from headend.billing import views as billing_views
from headend.billing.models import BillingAccount, Invoice
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.money import ZERO
from headend.crm.models import Account
from headend.payments import allocation
from headend.payments import views as payment_views
from headend.payments.models import Allocation, Payment, PaymentMethod

# How an invoice stands for the customer: (key, words), the key also its badge's class.
PAID, PARTLY_PAID, DUE, OVERDUE, VOID, CREDIT_NOTE = "paid", "partly_paid", "due", "overdue", "void", "credit_note"
STATUS_WORDS = {
    PAID: "Paid",
    PARTLY_PAID: "Partly paid",
    DUE: "Due",
    OVERDUE: "Overdue",
    VOID: "Void",
    CREDIT_NOTE: "Credit note",
}


def payers_of(account: Account) -> list[BillingAccount]:
    """The billing accounts that are sent the account's invoices: each of its billing accounts,
    or the parent that pays for it (once each, in id order)."""
    billing_accounts = BillingAccount.objects.filter(account=account).select_related("parent", "account")
    found = {billing_account.payer.pk: billing_account.payer for billing_account in billing_accounts}
    return [found[pk] for pk in sorted(found)]


def payer_get_for(*, account: Account, payer_id: object) -> BillingAccount:
    """One of the account's payers; NotFound for any other billing account."""
    pk = parse_id(payer_id)
    for payer in payers_of(account):
        if payer.pk == pk:
            return payer
    raise NotFound("No such billing account.", field="id")


def customer_status(invoice: Invoice, *, today: dt.date) -> str:
    """How an invoice stands in the customer's words: paid, partly paid, due or overdue (a
    credit note and a void invoice say so)."""
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return CREDIT_NOTE
    if invoice.status == Invoice.Status.VOID:
        return VOID
    if invoice.status == Invoice.Status.SETTLED or invoice.amount_due <= 0:
        return PAID
    if invoice.due_date < today:
        return OVERDUE
    return PARTLY_PAID if invoice.status == Invoice.Status.PARTIALLY_PAID else DUE


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    status: str

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]


def invoices_of(payers: list[BillingAccount]) -> QuerySet[Invoice]:
    """The payers' final invoices and credit notes, newest first (drafts are not the customer's yet)."""
    return (
        Invoice.objects.filter(billing_account__in=payers)
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("billing_account", "corrects")
        .order_by("-bill_date", "-id")
    )


def invoice_rows(invoices: QuerySet[Invoice] | list[Invoice], *, today: dt.date) -> list[InvoiceRow]:
    return [InvoiceRow(invoice=invoice, status=customer_status(invoice, today=today)) for invoice in invoices]


def invoice_get_for(*, account: Account, invoice_id: object) -> Invoice:
    """One of the account's final invoices or credit notes; NotFound otherwise."""
    found = invoices_of(payers_of(account)).filter(pk=parse_id(invoice_id)).first()
    if found is None:
        raise NotFound("No such invoice.", field="id")
    return found


def open_invoices_of(payer: BillingAccount) -> QuerySet[Invoice]:
    """What the payer still owes on, oldest due first (what a payment pays)."""
    return allocation.open_invoices(payer)


@dataclass(frozen=True)
class PayerSummary:
    """One payer as the bills page shows it: what it owes, what of that is overdue, its credit,
    and its next invoice's date and total as they stand today (None when it has none)."""

    payer: BillingAccount
    balance_amount: Decimal
    overdue_amount: Decimal
    credit_amount: Decimal
    next_bill_date: dt.date | None
    next_total: Decimal | None


def standing_of(payer: BillingAccount, *, today: dt.date) -> payment_views.PayerStanding:
    """What the payer owes, of it overdue, and its credit."""
    return payment_views.payer_standing(payer, today=today)


def summaries(payers: list[BillingAccount], *, today: dt.date) -> list[PayerSummary]:
    found = []
    for payer in payers:
        standing = payment_views.payer_standing(payer, today=today)
        preview = billing_views.preview(payer)
        found.append(
            PayerSummary(
                payer=payer,
                balance_amount=standing.balance_amount,
                overdue_amount=standing.overdue_amount,
                credit_amount=standing.credit_amount,
                next_bill_date=preview.bill_date if preview else None,
                next_total=preview.total if preview else None,
            )
        )
    return found


@dataclass(frozen=True)
class PayPlan:
    """What an amount would do before it is charged: the invoices it pays (named first, then the
    oldest due) and the rest, which becomes credit for the next invoices."""

    amount: Decimal
    pays: list[tuple[Invoice, Decimal]]
    credit_amount: Decimal


def pay_plan(payer: BillingAccount, *, amount: Decimal, named: list[int]) -> PayPlan:
    """The payments engine's own order (allocation.in_paying_order, split), read-only."""
    invoices = allocation.in_paying_order(open_invoices_of(payer), named)
    by_id = {invoice.pk: invoice for invoice in invoices}
    taken = allocation.split(amount, [(invoice.pk, invoice.amount_due) for invoice in invoices])
    pays = [(by_id[pk], part) for pk, part in taken]
    return PayPlan(amount=amount, pays=pays, credit_amount=amount - sum((part for _, part in pays), ZERO))


def methods_of(payers: list[BillingAccount]) -> QuerySet[PaymentMethod]:
    """The payers' active cards and bank accounts, the autopay one of each first."""
    return (
        PaymentMethod.objects.filter(billing_account__in=payers, status=PaymentMethod.Status.ACTIVE)
        .select_related("billing_account")
        .order_by("billing_account", "-autopay", "id")
    )


def method_get_for(*, account: Account, payment_method_id: object) -> PaymentMethod:
    """One of the account's active stored methods; NotFound otherwise."""
    found = methods_of(payers_of(account)).filter(pk=parse_id(payment_method_id)).first()
    if found is None:
        raise NotFound("No such payment method.", field="id")
    return found


def payments_of(payers: list[BillingAccount]) -> QuerySet[Payment]:
    """The payers' payments, newest first, with what each paid and its refunds."""
    return (
        Payment.objects.filter(billing_account__in=payers)
        .select_related("billing_account", "payment_method")
        .prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.select_related("invoice").order_by("created_at", "id")),
            "refunds",
        )
        .order_by("-received_on", "-id")
    )


def payment_get_for(*, account: Account, payment_id: object) -> Payment:
    """One of the account's payments; NotFound otherwise."""
    found = payments_of(payers_of(account)).filter(pk=parse_id(payment_id)).first()
    if found is None:
        raise NotFound("No such payment.", field="id")
    return found


def payment_by_key(payer: BillingAccount, key: str) -> Payment | None:
    """The payment a Pay now form's key already made for the payer (a second submit of it)."""
    return Payment.objects.filter(billing_account=payer, idempotency_key=key).first() if key else None


def allocations_to(invoice: Invoice) -> QuerySet[Allocation]:
    """What paid the invoice (payments, credit applied, take-backs), oldest first."""
    return payment_views.allocations_to_invoice(invoice)
