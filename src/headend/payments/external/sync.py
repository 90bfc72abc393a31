"""External billing: the invoices and payments of the biller a provider keeps as its book of
record (settings.HEADEND_BILLER, e.g. "lago"), copied into Headend so sales and support see them
on the account exactly like Headend's own: the same `Invoice`, `InvoiceLine`, `Payment` and
`Allocation` rows, with `source` the biller's name and `external_id` its id. They are read-only
here: only the biller changes them, through a pull (`sync`, `manage.py sync_external_billing`)
or its webhooks (`receive_webhook`).

- **Book of record.** Nothing is posted to Headend's ledger for an external document: the
  biller's ledger is the book, and posting here would count the revenue twice. Headend's own
  money movements are refused while an external biller keeps the book (`payments.book_of_record`).
  When HEADEND_BILLER is "headend" there is nothing to sync, and both use cases refuse.
- **Which billing account.** The biller's customer external id is the Headend billing account's
  number (`BA-000123`), set when the customer is created in the biller. An unknown one is
  skipped with its reason, never guessed.
- **Numbers.** The biller's invoice number is kept as it is (the customer holds a PDF with it);
  Headend's own numbers are `INV-`/`CN-` and a seven-digit count, so they do not meet unless the
  biller was set up with the same prefix: a number already taken is skipped with its reason.
- **Status.** A finalised invoice is `sent` (the biller sent it); paid in full (the biller says
  so, or its payments here cover it) `settled`; part paid `partially_paid`; voided `void`, for
  good. Drafts and any other state of the biller's are not shown.
- **Lines.** One one-time line per fee, one tax line per tax, and lines for what discounts and
  credits took off, so the lines add up to the biller's total; amounts are its cents, exactly.
- **Payments.** A succeeded payment is a `Payment` (means `external`, status succeeded) with an
  `Allocation` to each invoice it paid, in the biller's order, lowering what is due; what no
  invoice took stays its unapplied amount. A payment the biller later reports failed is
  reversed (negative allocation rows, the invoices re-opened). Pending payments are not shown.
- **Idempotent.** Each document is written in its own transaction, keyed by (source, external
  id): a second sync or a replayed webhook changes nothing; an update (voided, paid) updates the
  row. A payment that arrives before its invoice is skipped and taken by the next pull."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum

from headend.billing.models import BillingAccount, Invoice, InvoiceLine, LineKind
from headend.core import clock, events
from headend.core.errors import Conflict
from headend.core.money import ZERO

from ..allocation import standing_allocations
from ..models import Allocation, GatewayEvent, Means, Payment
from .lago import LagoBiller
from .port import ExternalBiller, ExternalInvoice, ExternalPayment

BILLERS = {"lago": LagoBiller}


@dataclass(frozen=True)
class Skipped:
    kind: str  # "invoice" or "payment"
    external_id: str
    code: str
    reason: str


@dataclass
class SyncResult:
    """What a pull or a delivery did, document by document."""

    invoices_created: int = 0
    invoices_updated: int = 0
    invoices_unchanged: int = 0
    payments_created: int = 0
    payments_updated: int = 0
    payments_unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def count(self, kind: str, outcome: str) -> None:
        name = f"{kind}s_{outcome}"
        setattr(self, name, getattr(self, name) + 1)

    def summary(self) -> str:
        return (
            f"invoices: {self.invoices_created} created, {self.invoices_updated} updated, "
            f"{self.invoices_unchanged} unchanged; payments: {self.payments_created} created, "
            f"{self.payments_updated} updated, {self.payments_unchanged} unchanged; {len(self.skipped)} skipped"
        )


class Skip(Exception):
    """This document is not written: `code` and the message say why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def configured_biller() -> ExternalBiller:
    """The installation's external biller (HEADEND_BILLER). Conflict when Headend keeps the book."""
    name = settings.HEADEND_BILLER
    if name == "headend":
        raise Conflict(
            "Headend is the book of record (HEADEND_BILLER): there is no external biller to sync.",
            field="biller",
            code="not_external",
        )
    if name not in BILLERS:
        raise Conflict(f"HEADEND_BILLER names no known biller ({name!r}).", field="biller", code="unknown_biller")
    biller: ExternalBiller = BILLERS[name]()
    return biller


def _keeps_the_book(biller: ExternalBiller) -> None:
    if biller.name != settings.HEADEND_BILLER:
        raise Conflict(
            f"{biller.name} is not the book of record (HEADEND_BILLER is {settings.HEADEND_BILLER!r}): "
            "nothing to sync.",
            field="biller",
            code="not_external",
        )


def sync(*, biller: ExternalBiller, since: dt.date | None) -> SyncResult:
    """Pull the biller's invoices issued since `since`, then its payments received since then, and
    write what changed. Raises Conflict when the biller does not keep the book, ExternalBillerError
    when it cannot be read (what was written before stays: each document is its own transaction)."""
    _keeps_the_book(biller)
    result = SyncResult()
    for invoice in biller.fetch_invoices(since):
        _apply_invoice(biller, invoice, result)
    for payment in biller.fetch_payments(since):
        _apply_payment(biller, payment, result)
    return result


def receive_webhook(*, biller: ExternalBiller, body: bytes, headers: Mapping[str, str]) -> SyncResult | None:
    """A delivery from the biller's webhooks: verified, then written as a pull would write it, and
    kept once per delivery id (a replay writes nothing and returns None). Raises BadSignature or
    ExternalBillerError (nothing written), Conflict when the biller does not keep the book."""
    _keeps_the_book(biller)
    delivery = biller.verify_webhook(body, headers)
    if GatewayEvent.objects.filter(gateway=biller.name, event_id=delivery.delivery_id).exists():
        return None
    result = SyncResult()
    for invoice in delivery.invoices:
        _apply_invoice(biller, invoice, result)
    for payment in delivery.payments:
        _apply_payment(biller, payment, result)
    outcome = result.summary()
    if result.skipped:
        outcome += ": " + "; ".join(skipped.reason for skipped in result.skipped)
    try:
        with transaction.atomic():
            GatewayEvent.objects.create(
                gateway=biller.name,
                event_id=delivery.delivery_id,
                type=delivery.type,
                created=clock.now(),
                payload=delivery.payload,
                received_at=clock.now(),
                outcome=outcome[:300],
            )
    except IntegrityError:
        pass  # the same delivery, received at the same time: its writes were idempotent
    return result


# Invoices ----------------------------------------------------------------------------------------


def _apply_invoice(biller: ExternalBiller, record: ExternalInvoice, result: SyncResult) -> None:
    try:
        if record.status not in ("final", "void"):
            raise Skip("not_issued", f"{biller.name} invoice {record.external_id} is {record.status}: not shown.")
        if record.lines is None and not _known(Invoice, biller.name, record.external_id):
            record = biller.fetch_invoice(record.external_id)  # a list page has no lines; not in a transaction
        result.count("invoice", _invoice_upsert(source=biller.name, record=record))
    except Skip as skip:
        result.skipped.append(Skipped("invoice", record.external_id, skip.code, skip.message))
    except IntegrityError:
        result.skipped.append(
            Skipped("invoice", record.external_id, "concurrent", f"Invoice {record.number} was being written at once.")
        )


def _known(model: Any, source: str, external_id: str) -> bool:
    return bool(model.objects.filter(source=source, external_id=external_id).exists())


def billing_account_for(customer_external_id: str) -> BillingAccount:
    """The billing account a biller's customer is: its external id is the account's number."""
    number = customer_external_id.strip().upper()
    found = None
    if number.startswith("BA-") and number[3:].isdigit():
        found = BillingAccount.objects.filter(pk=int(number[3:])).first()
    if found is None or found.number != number:
        raise Skip(
            "unknown_customer",
            f"Customer {customer_external_id!r} is no Headend billing account: set its external id to the "
            "billing account's number (BA-000123).",
        )
    return found


@transaction.atomic
def _invoice_upsert(*, source: str, record: ExternalInvoice) -> str:
    """Write one invoice as the biller has it: "created", "updated" or "unchanged"."""
    at = clock.now()
    invoice = Invoice.objects.select_for_update().filter(source=source, external_id=record.external_id).first()
    if invoice is None:
        _invoice_create(source=source, record=record, at=at)
        return "created"
    void_at = (record.voided_at or at) if record.status == "void" else None
    return "updated" if _settle(invoice, paid=record.paid, void_at=void_at) else "unchanged"


def _invoice_create(*, source: str, record: ExternalInvoice, at: dt.datetime) -> Invoice:
    payer = billing_account_for(record.customer_external_id)
    if record.currency != payer.currency:
        raise Skip(
            "currency_mismatch",
            f"Invoice {record.number} is in {record.currency}; {payer.number} is billed in {payer.currency}.",
        )
    number_field = Invoice._meta.get_field("number")
    if not record.number or len(record.number) > (number_field.max_length or 0):
        raise Skip(
            "number", f"{source} invoice {record.external_id} has no number Headend can show ({record.number!r})."
        )
    if Invoice.objects.filter(number=record.number).exists():
        raise Skip("number_taken", f"Invoice number {record.number} is already one of Headend's invoices.")
    lines = record.lines or ()
    if sum((line.amount for line in lines), ZERO) != record.total_amount:
        raise Skip("lines_do_not_add_up", f"Invoice {record.number}'s lines do not add up to its total.")
    void = record.status == "void"
    due = ZERO if void or record.paid else record.total_amount
    invoice = Invoice(
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.VOID if void else _status(due, record.total_amount),
        billing_account=payer,
        number=record.number,
        bill_date=record.issued_on,
        due_date=record.due_on,
        currency=record.currency,
        subtotal_amount=record.subtotal_amount,
        tax_amount=record.tax_amount,
        total_amount=record.total_amount,
        amount_due=due,
        source=source,
        external_id=record.external_id,
        created_at=at,
        finalised_at=record.finalised_at or at,
        sent_at=record.finalised_at or at,
        voided_at=(record.voided_at or at) if void else None,
    )
    try:
        invoice.full_clean(validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise Skip("invalid", f"Invoice {record.number} cannot be shown: {exc.messages[0]}") from exc
    invoice.save()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            kind=LineKind.TAX if line.kind == "tax" else LineKind.ONE_TIME,
            description=line.description,
            quantity=line.quantity,
            unit_amount=_unit(line.amount, line.quantity),
            amount=line.amount,
            jurisdiction=line.description[:120] if line.kind == "tax" else "",
            tax_rate=line.tax_rate,
            taxable_amount=line.taxable_amount,
            cause=f"{source} invoice {record.external_id}"[:200],
        )
        for position, line in enumerate(lines, start=1)
    )
    return invoice


def _unit(amount: Decimal, quantity: int) -> Decimal:
    """The unit price when the amount divides into whole cents, else the amount (quantity shown)."""
    unit = amount / quantity
    return unit if unit == unit.quantize(Decimal("0.01")) else amount


def _allocated(invoice: Invoice) -> Decimal:
    return Allocation.objects.filter(invoice=invoice).aggregate(total=Sum("amount"))["total"] or ZERO


def _settle(invoice: Invoice, *, paid: bool, void_at: dt.datetime | None = None, lower_only: bool = False) -> bool:
    """Set what is still due and the status it says, saving only a change: nothing when the
    biller says paid, else the total less what payments here paid (`lower_only`: a new payment
    only lowers it); voided (`void_at`) owes nothing, for good. Emits `invoice.paid`,
    `invoice.reopened` or `invoice.voided` when the status moves, as Headend's own invoices do."""
    before = (invoice.status, invoice.amount_due)
    if void_at is not None and invoice.status != Invoice.Status.VOID:
        invoice.status, invoice.voided_at = Invoice.Status.VOID, void_at
    if invoice.status == Invoice.Status.VOID:
        invoice.amount_due = ZERO
    else:
        due = ZERO if paid else max(invoice.total_amount - _allocated(invoice), ZERO)
        invoice.amount_due = min(invoice.amount_due, due) if lower_only else due
        invoice.status = _status(invoice.amount_due, invoice.total_amount)
    if (invoice.status, invoice.amount_due) == before:
        return False
    invoice.save(update_fields=["amount_due", "status", "voided_at"])
    data = {"number": invoice.number, "source": invoice.source}
    if invoice.status == Invoice.Status.VOID:
        events.emit("invoice.voided", subject=invoice, data=data)
    elif invoice.status == Invoice.Status.SETTLED and before[0] != Invoice.Status.SETTLED:
        events.emit("invoice.paid", subject=invoice, data=data)
    elif before[0] == Invoice.Status.SETTLED and invoice.status != Invoice.Status.SETTLED:
        events.emit("invoice.reopened", subject=invoice, data=data)
    return True


def _status(amount_due: Decimal, total_amount: Decimal) -> str:
    if amount_due == 0:
        return Invoice.Status.SETTLED
    if amount_due == total_amount:
        return Invoice.Status.SENT
    return Invoice.Status.PARTIALLY_PAID


# Payments ----------------------------------------------------------------------------------------


def _apply_payment(biller: ExternalBiller, record: ExternalPayment, result: SyncResult) -> None:
    try:
        result.count("payment", _payment_upsert(source=biller.name, record=record))
    except Skip as skip:
        result.skipped.append(Skipped("payment", record.external_id, skip.code, skip.message))
    except IntegrityError:
        result.skipped.append(
            Skipped(
                "payment", record.external_id, "concurrent", f"Payment {record.external_id} was being written at once."
            )
        )


@transaction.atomic
def _payment_upsert(*, source: str, record: ExternalPayment) -> str:
    """Write one payment as the biller has it: "created", "updated" or "unchanged"."""
    payment = Payment.objects.select_for_update().filter(source=source, external_id=record.external_id).first()
    if payment is not None:
        if record.status == "failed" and payment.status == Payment.Status.SUCCEEDED:
            _payment_reverse(payment)
            return "updated"
        return "unchanged"
    if record.status != "succeeded":
        raise Skip("not_succeeded", f"{source} payment {record.external_id} is {record.status}: not shown until paid.")
    _payment_create(source=source, record=record)
    return "created"


def _payment_create(*, source: str, record: ExternalPayment) -> Payment:
    found = {
        invoice.external_id: invoice
        for invoice in Invoice.objects.select_for_update()
        .filter(source=source, external_id__in=record.invoice_external_ids)
        .order_by("pk")
    }
    missing = [pk for pk in record.invoice_external_ids if pk not in found]
    if missing or not found:
        raise Skip(
            "unknown_invoice",
            f"{source} payment {record.external_id} paid invoices Headend has not received yet "
            f"({', '.join(missing) or 'none named'}); the next sync takes it.",
        )
    invoices = [found[pk] for pk in dict.fromkeys(record.invoice_external_ids)]
    payer = invoices[0].billing_account
    if any(invoice.billing_account_id != payer.pk for invoice in invoices):
        raise Skip(
            "several_payers", f"{source} payment {record.external_id} pays invoices of several billing accounts."
        )
    if record.currency != payer.currency:
        raise Skip(
            "currency_mismatch", f"{source} payment {record.external_id} is in {record.currency}, not {payer.currency}."
        )
    at = clock.now()
    payment = Payment.objects.create(
        billing_account=payer,
        means=Means.EXTERNAL,
        status=Payment.Status.SUCCEEDED,
        amount=record.amount,
        currency=record.currency,
        reference=record.reference,
        received_on=record.received_on,
        named_invoices=[invoice.pk for invoice in invoices],
        source=source,
        external_id=record.external_id,
        created_at=at,
        succeeded_at=at,
    )
    rows, left = [], record.amount
    for invoice in invoices:
        take = min(left, max(invoice.total_amount - _allocated(invoice), ZERO))
        if invoice.status == Invoice.Status.VOID or take <= 0:
            continue
        rows.append(
            Allocation(kind=Allocation.Kind.PAYMENT, payment=payment, invoice=invoice, amount=take, created_at=at)
        )
        left -= take
    Allocation.objects.bulk_create(rows)
    payment.unapplied_amount = left
    payment.save(update_fields=["unapplied_amount"])
    for invoice in invoices:
        _settle(invoice, paid=False, lower_only=True)
    return payment


def _payment_reverse(payment: Payment) -> None:
    """The biller says a payment it had recorded failed: take back what it paid (rows of their
    own) and re-open those invoices."""
    at = clock.now()
    standing = standing_allocations(payment)
    invoices = Invoice.objects.select_for_update().filter(pk__in=list(standing)).order_by("pk")
    Allocation.objects.bulk_create(
        Allocation(kind=Allocation.Kind.REVERSAL, payment=payment, invoice_id=pk, amount=-amount, created_at=at)
        for pk, amount in standing.items()
    )
    payment.check_transition(Payment.Status.REVERSED)
    payment.status, payment.reversed_at, payment.unapplied_amount = Payment.Status.REVERSED, at, ZERO
    payment.reversal_reason = f"Reported failed by {payment.source}"
    payment.save(update_fields=["status", "reversed_at", "unapplied_amount", "reversal_reason"])
    for invoice in invoices:
        _settle(invoice, paid=False)
