"""Which invoices money pays, and its postings to the ledger.

- A succeeded payment pays the invoices its payer named (in that order), then the payer's
  oldest open invoices (by due date); what is left is the payer's credit (`unapplied_amount`).
- Credit (a payment's unapplied part, a credit note's leftover) pays the next open invoices as
  they come (`apply_credit`, run when an invoice is finalised and after every payment).
- A reversal (chargeback, bounced ACH) takes back everything the payment paid, re-opening those
  invoices; a refund takes the payer's unused credit of that payment first, then what it paid,
  newest first.

Every movement is an `Allocation` row, never edited (a take-back is a negative row), and every
movement of money posts a balanced journal entry under a key of its own, so nothing posts twice:

- received: Dr `Assets:Cash:<Means>` the amount; Cr receivables what it paid; Cr
  `Liabilities:CustomerCredit` the rest;
- credit applied: Dr customer credit; Cr receivables (a credit note's leftover moves nothing:
  the note already lowered receivables);
- reversed or refunded: the reverse of what it takes back, against cash;
- written off: Dr `Expenses:BadDebt`; Cr receivables;
- a refund that left after the bank reversed its payment: Dr `Expenses:PaymentLosses`; Cr cash.

Callers lock: the payment first, then the invoices (always in id order)."""

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db.models import QuerySet, Sum

from headend.billing import ledger
from headend.billing.models import BillingAccount, Invoice, JournalEntry
from headend.billing.standing import OPEN_STATUSES
from headend.core import clock, events
from headend.core.money import ZERO

from .models import Allocation, Payment

CUSTOMER_CREDIT = "Liabilities:CustomerCredit"
BAD_DEBT = "Expenses:BadDebt"
PAYMENT_LOSSES = "Expenses:PaymentLosses"


def cash_account(means: str) -> str:
    return f"Assets:Cash:{ledger.account_component(Payment(means=means).get_means_display())}"


def open_invoices(payer: BillingAccount) -> QuerySet[Invoice]:
    """The payer's invoices with something left to pay, oldest due first."""
    return Invoice.objects.filter(
        billing_account=payer, kind=Invoice.Kind.INVOICE, status__in=OPEN_STATUSES, amount_due__gt=0
    ).order_by("due_date", "id")


def paid_status(invoice: Invoice) -> str:
    """The status an invoice's amount due says: settled at zero, open again (sent or finalised)
    at its total, partially paid between."""
    if invoice.amount_due == 0:
        return Invoice.Status.SETTLED
    if invoice.amount_due == invoice.total_amount:
        return Invoice.Status.SENT if invoice.sent_at else Invoice.Status.FINALISED
    return Invoice.Status.PARTIALLY_PAID


def restatus(invoice: Invoice) -> str | None:
    """Move an invoice (in memory) to the status its amount due says; the event that move
    announces (`invoice.paid`, `invoice.reopened`) or None."""
    before, status = invoice.status, paid_status(invoice)
    if status == before:
        return None
    invoice.check_transition(status)
    invoice.status = status
    if status == Invoice.Status.SETTLED:
        return "invoice.paid"
    return "invoice.reopened" if before == Invoice.Status.SETTLED else None


def _set_paid_status(invoice: Invoice) -> None:
    """Save an invoice's amount due with the status it says, and announce a settlement."""
    announce = restatus(invoice)
    invoice.save(update_fields=["amount_due", "status"])
    if announce:
        events.emit(announce, subject=invoice, data={"number": invoice.number})


def split(amount: Decimal, dues: Sequence[tuple[int, Decimal]]) -> list[tuple[int, Decimal]]:
    """How `amount` pays invoices (id, amount due) in the order given, as far as it goes:
    (id, amount taken) for each it reaches."""
    taken, left = [], amount
    for invoice_id, due in dues:
        if left <= 0:
            break
        if due <= 0:
            continue
        take = min(left, due)
        taken.append((invoice_id, take))
        left -= take
    return taken


def in_paying_order(invoices: Iterable[Invoice], named: Sequence[int]) -> list[Invoice]:
    """The invoices a payment pays: those named (in the order named), then the oldest due."""
    by_id = {invoice.pk: invoice for invoice in invoices}
    first = [by_id[pk] for pk in dict.fromkeys(named) if pk in by_id]
    rest = sorted((invoice for invoice in by_id.values() if invoice.pk not in set(named)), key=_due_order)
    return first + rest


def _due_order(invoice: Invoice) -> tuple[dt.date, int]:
    return invoice.due_date, invoice.pk


def _locked(invoices: Iterable[Invoice]) -> dict[int, Invoice]:
    ids = sorted({invoice.pk for invoice in invoices})
    return {invoice.pk: invoice for invoice in Invoice.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def pay(
    payment: Payment, invoices: Sequence[Invoice], *, amount: Decimal, kind: str, at: dt.datetime
) -> list[Allocation]:
    """Pay `invoices` in their order from `amount` of `payment`'s money, as far as it goes:
    the rows written (not yet posted). The invoices must be the payer's; locked here."""
    locked = _locked(invoices)
    dues = [
        (invoice.pk, locked[invoice.pk].amount_due if locked[invoice.pk].status in OPEN_STATUSES else ZERO)
        for invoice in invoices
    ]
    rows = []
    for invoice_id, take in split(amount, dues):
        invoice = locked[invoice_id]
        invoice.amount_due -= take
        _set_paid_status(invoice)
        rows.append(Allocation(kind=kind, payment=payment, invoice=invoice, amount=take, created_at=at))
    Allocation.objects.bulk_create(rows)
    return rows


def targets(payment: Payment) -> list[Invoice]:
    """The payer's open invoices in the order the payment pays them."""
    return in_paying_order(open_invoices(payment.billing_account), [int(pk) for pk in payment.named_invoices])


def receive(payment: Payment) -> list[Allocation]:
    """A payment has just succeeded (locked, its status saved by the caller): pay invoices with
    it, keep the rest as credit, post the receipt. Posting again writes nothing."""
    at = clock.now()
    rows = pay(payment, targets(payment), amount=payment.amount, kind=Allocation.Kind.PAYMENT, at=at)
    paid = sum((row.amount for row in rows), ZERO)
    payment.unapplied_amount = payment.amount - paid
    payment.save(update_fields=["unapplied_amount"])
    postings = ledger.Postings()
    postings.add(cash_account(payment.means), payment.amount)
    postings.add(ledger.RECEIVABLE, -paid)
    postings.add(CUSTOMER_CREDIT, -payment.unapplied_amount)
    ledger.post(
        key=f"payment:{payment.pk}",
        date=payment.received_on,
        kind=JournalEntry.Kind.PAYMENT,
        memo=f"Payment {payment.number} {payment.billing_account.number} {payment.reference}".strip(),
        currency=payment.currency,
        postings=postings,
    )
    return rows


def apply_credit(payer: BillingAccount) -> list[Allocation]:
    """Pay the payer's open invoices, oldest first, with its credit: credit notes' leftovers
    first, then payments' unapplied amounts, oldest first. Call in a transaction."""
    if not has_credit(payer):
        return []
    BillingAccount.objects.select_for_update().filter(pk=payer.pk).first()
    # Payments before invoices, the order reversals and refunds lock in.
    credits = list(
        Payment.objects.select_for_update()
        .filter(billing_account=payer, source="headend", status=Payment.Status.SUCCEEDED, unapplied_amount__gt=0)
        .order_by("received_on", "id")
    )
    invoices = list(open_invoices(payer))
    if not invoices:
        return []
    at = clock.now()
    rows: list[Allocation] = []
    notes = _credit_notes(payer).select_for_update().order_by("id")
    for note in notes:
        rows.extend(_pay_from_note(note, invoices, at=at))
    for payment in credits:
        open_now = list(open_invoices(payer))
        if not open_now:
            break
        paid = pay(payment, open_now, amount=payment.unapplied_amount, kind=Allocation.Kind.CREDIT, at=at)
        if not paid:
            continue
        total = sum((row.amount for row in paid), ZERO)
        payment.unapplied_amount -= total
        payment.save(update_fields=["unapplied_amount"])
        postings = ledger.Postings()
        postings.add(CUSTOMER_CREDIT, total)
        postings.add(ledger.RECEIVABLE, -total)
        ledger.post(
            key=f"credit:{paid[0].pk}",
            date=clock.today(),
            kind=JournalEntry.Kind.CREDIT_APPLIED,
            memo=f"Credit of {payment.number} applied {payer.number}",
            currency=payment.currency,
            postings=postings,
        )
        rows.extend(paid)
    return rows


def _pay_from_note(note: Invoice, invoices: Sequence[Invoice], *, at: dt.datetime) -> list[Allocation]:
    locked = _locked(invoices)
    rows = []
    for wanted in invoices:
        left = -note.amount_due
        if left <= 0:
            break
        invoice = locked[wanted.pk]
        if invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
            continue
        take = min(left, invoice.amount_due)
        invoice.amount_due -= take
        _set_paid_status(invoice)
        note.amount_due += take
        rows.append(
            Allocation(kind=Allocation.Kind.CREDIT, credit_note=note, invoice=invoice, amount=take, created_at=at)
        )
    note.save(update_fields=["amount_due"])
    Allocation.objects.bulk_create(rows)
    return rows


def standing_allocations(payment: Payment) -> dict[int, Decimal]:
    """What the payment still pays on each invoice (its rows summed), newest invoice first."""
    sums = (
        Allocation.objects.filter(payment=payment)
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
        .order_by("-invoice_id")
    )
    return {row["invoice_id"]: row["total"] for row in sums}


def take_back(payment: Payment, amount: Decimal, *, kind: str) -> tuple[Decimal, Decimal]:
    """Take `amount` of a payment's money back (a reversal: all of it): its unused credit first,
    then what it paid, newest invoice first, re-opening those invoices. Returns (from credit,
    from invoices); the caller posts."""
    from_credit = min(amount, payment.unapplied_amount)
    payment.unapplied_amount -= from_credit
    left = amount - from_credit
    at = clock.now()
    standing = standing_allocations(payment)
    invoices = _locked(Invoice(pk=pk) for pk in standing)
    rows = []
    for invoice_id, paid in standing.items():
        if left <= 0:
            break
        take = min(left, paid)
        invoice = invoices[invoice_id]
        invoice.amount_due += take
        _set_paid_status(invoice)
        rows.append(Allocation(kind=kind, payment=payment, invoice=invoice, amount=-take, created_at=at))
        left -= take
    Allocation.objects.bulk_create(rows)
    return from_credit, amount - from_credit - left


def post_take_back(
    payment: Payment, *, key: str, kind: str, memo: str, from_credit: Decimal, from_invoices: Decimal
) -> JournalEntry:
    postings = ledger.Postings()
    postings.add(CUSTOMER_CREDIT, from_credit)
    postings.add(ledger.RECEIVABLE, from_invoices)
    postings.add(cash_account(payment.means), -(from_credit + from_invoices))
    return ledger.post(key=key, date=clock.today(), kind=kind, memo=memo, currency=payment.currency, postings=postings)


def post_loss(payment: Payment, amount: Decimal, *, key: str, memo: str) -> JournalEntry:
    """Money that left on a payment nothing is owed against any more (a refund settled after
    the payment's reversal): a loss until staff recover it."""
    postings = ledger.Postings()
    postings.add(PAYMENT_LOSSES, amount)
    postings.add(cash_account(payment.means), -amount)
    return ledger.post(
        key=key,
        date=clock.today(),
        kind=JournalEntry.Kind.REFUND,
        memo=memo,
        currency=payment.currency,
        postings=postings,
    )


def write_off(invoice: Invoice, amount: Decimal, *, key: str, memo: str) -> JournalEntry:
    """Lower a locked open invoice's amount due by `amount` as bad debt, and post it."""
    invoice.amount_due -= amount
    _set_paid_status(invoice)
    postings = ledger.Postings()
    postings.add(BAD_DEBT, amount)
    postings.add(ledger.RECEIVABLE, -amount)
    return ledger.post(
        key=key,
        date=clock.today(),
        kind=JournalEntry.Kind.WRITE_OFF,
        memo=memo,
        currency=invoice.currency,
        postings=postings,
        invoice=invoice,
    )


def _credit_notes(payer: BillingAccount) -> QuerySet[Invoice]:
    """The payer's final credit notes with a leftover not yet applied (a negative amount due)."""
    return Invoice.objects.filter(billing_account=payer, kind=Invoice.Kind.CREDIT_NOTE, amount_due__lt=0).exclude(
        status__in=[Invoice.Status.DRAFT, Invoice.Status.VOID]
    )


def has_credit(payer: BillingAccount) -> bool:
    unapplied = Payment.objects.filter(
        billing_account=payer, source="headend", status=Payment.Status.SUCCEEDED, unapplied_amount__gt=0
    )
    return unapplied.exists() or _credit_notes(payer).exists()


def credit_balance(payer: BillingAccount) -> Decimal:
    """The payer's unused credit: payments' unapplied amounts and credit notes' leftovers."""
    paid = (
        Payment.objects.filter(billing_account=payer, source="headend", status=Payment.Status.SUCCEEDED).aggregate(
            total=Sum("unapplied_amount")
        )["total"]
        or ZERO
    )
    notes = _credit_notes(payer).aggregate(total=Sum("amount_due"))["total"]
    return paid - (notes or ZERO)
