"""A bank's file of payments received (a lockbox or bank-transfer statement, as CSV), recorded in
one go with the same rules as one payment at a time (`allocation.split`, `in_paying_order`,
`paid_status`): each pays the invoice it names, then its payer's oldest open invoices; the rest
is credit. Every row is checked before anything is written: one bad row refuses the file, naming
the row and the field.

Columns (a header row; order free): `billing_account` (BA-000123 or its id), `amount`,
`reference`, `received_on` (YYYY-MM-DD, default today), `means` (bank_transfer, cheque or cash;
default bank_transfer), `invoice` (an invoice number the payer named; optional), `currency`
(optional; must be the payer's).

Set-based: a handful of statements for the whole file (payers, open invoices locked, payments,
allocations, invoices, journal entries and events in bulk), not a dozen per payment."""

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from headend.billing import ledger
from headend.billing.models import BillingAccount, Invoice, JournalEntry
from headend.billing.standing import OPEN_STATUSES
from headend.core import clock, events
from headend.core.errors import ValidationError
from headend.core.money import ZERO
from headend.core.numbers import parse_amount
from headend.core.permissions import require

from . import allocation
from .models import MANUAL_MEANS, Allocation, Means, Payment, PaymentImport
from .payments import MINIMUM, book_of_record

MAX_ROWS = 200_000
BATCH = 2000


@dataclass(frozen=True)
class Row:
    line: int
    payer_id: int
    amount: Decimal
    reference: str
    received_on: dt.date
    means: str
    invoice_number: str


@dataclass(frozen=True)
class Imported:
    payments: int
    amount: Decimal
    allocated: Decimal
    credit: Decimal
    invoices_settled: int


def _fail(line: int, field: str, message: str) -> ValidationError:
    return ValidationError(f"Row {line}: {message}", field=field, code="invalid_row")


def _payer_id(text: str, line: int) -> int:
    digits = text.strip().upper().removeprefix("BA-")
    if not digits.isdigit():
        raise _fail(line, "billing_account", f"{text!r} is not a billing account number such as BA-000123.")
    return int(digits)


def _date(text: str, line: int, today: dt.date) -> dt.date:
    if not text.strip():
        return today
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _fail(line, "received_on", f"{text!r} is not a date (YYYY-MM-DD).") from None
    if day > today:
        raise _fail(line, "received_on", "a payment cannot be received in the future.")
    return day


def parse(text: str) -> list[tuple[Row, str]]:
    """The file's rows, each checked on its own, with the currency it names ("" : the payer's)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"billing_account", "amount"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationError(
            f"The file needs the columns {', '.join(sorted(missing))}.", field="file", code="missing_columns"
        )
    today = clock.today()
    rows = []
    for number, record in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise ValidationError(f"At most {MAX_ROWS:,} payments per file.", field="file", code="too_many")
        values = {key: (value or "").strip() for key, value in record.items() if key}
        means = values.get("means") or Means.BANK_TRANSFER
        if means not in MANUAL_MEANS:
            raise _fail(number, "means", f"{means!r}: bank_transfer, cheque or cash.")
        try:
            amount = parse_amount(values.get("amount"), field="amount", minimum=MINIMUM)
        except ValidationError as exc:
            raise _fail(number, "amount", exc.message) from None
        row = Row(
            line=number,
            payer_id=_payer_id(values.get("billing_account", ""), number),
            amount=amount,
            reference=values.get("reference", "")[:80],
            received_on=_date(values.get("received_on", ""), number, today),
            means=means,
            invoice_number=values.get("invoice", ""),
        )
        if means == Means.CHEQUE and not row.reference:
            raise _fail(number, "reference", "give the cheque number.")
        rows.append((row, values.get("currency", "").upper()))
    if not rows:
        raise ValidationError("The file has no payments.", field="file", code="empty")
    return rows


def _payers(rows: list[tuple[Row, str]]) -> dict[int, BillingAccount]:
    """The billing accounts the rows name, each resolved to the one that pays for it."""
    ids = {row.payer_id for row, _ in rows}
    found = {account.pk: account for account in BillingAccount.objects.select_related("parent").filter(pk__in=ids)}
    payers = {}
    for row, currency in rows:
        account = found.get(row.payer_id)
        if account is None:
            raise _fail(row.line, "billing_account", f"no billing account BA-{row.payer_id:06d}.")
        payer = account.payer
        if payer.status != BillingAccount.Status.ACTIVE:
            raise _fail(row.line, "billing_account", f"{payer.number} is closed.")
        if currency and currency != payer.currency:
            raise _fail(row.line, "currency", f"{payer.number} is billed in {payer.currency}, not {currency}.")
        payers[row.payer_id] = payer
    return payers


def _open_by_payer(payer_ids: set[int]) -> dict[int, list[Invoice]]:
    """Every open invoice of these payers, locked, oldest due first."""
    by_payer: dict[int, list[Invoice]] = defaultdict(list)
    invoices = (
        Invoice.objects.select_for_update()
        .filter(
            billing_account_id__in=payer_ids,
            kind=Invoice.Kind.INVOICE,
            status__in=OPEN_STATUSES,
            amount_due__gt=0,
        )
        .order_by("billing_account_id", "due_date", "id")
    )
    for invoice in invoices:
        by_payer[invoice.billing_account_id].append(invoice)
    return by_payer


def _named(
    rows: list[tuple[Row, str]], payers: dict[int, BillingAccount], open_by_payer: dict[int, list[Invoice]]
) -> dict[int, int]:
    """Each row's named invoice (row line -> invoice id), checked: the payer's and still owed."""
    numbers = {row.invoice_number for row, _ in rows if row.invoice_number}
    found = {invoice.number: invoice for invoice in Invoice.objects.filter(number__in=numbers)}
    named = {}
    for row, _ in rows:
        if not row.invoice_number:
            continue
        invoice = found.get(row.invoice_number)
        payer = payers[row.payer_id]
        if invoice is None or invoice.billing_account_id != payer.pk:
            raise _fail(row.line, "invoice", f"{row.invoice_number} is not one of {payer.number}'s invoices.")
        if invoice.status == Invoice.Status.VOID:
            raise _fail(row.line, "invoice", f"{invoice.number} was voided: nothing is owed on it.")
        if invoice.pk not in {open_invoice.pk for open_invoice in open_by_payer.get(payer.pk, [])}:
            raise _fail(row.line, "invoice", f"{invoice.number} is already paid.")
        named[row.line] = invoice.pk
    return named


@transaction.atomic
def payment_import(*, text: str, imported_by: Any) -> Imported:
    """Record every payment of a bank's file, or none (see the module's docstring)."""
    require(imported_by, "payment.take")
    book_of_record()
    rows = parse(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    earlier = PaymentImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        when = clock.local_date(earlier.created_at)
        raise ValidationError(
            f"This file was imported on {when:%B %-d, %Y} ({earlier.payments} payments): nothing was recorded again.",
            field="file",
            code="already_imported",
        )
    try:
        with transaction.atomic():  # first, so the same file sent twice at once waits here
            record = PaymentImport.objects.create(
                sha256=digest, payments=0, amount=ZERO, imported_by=imported_by, created_at=clock.now()
            )
    except IntegrityError:
        raise ValidationError("This file is being imported already.", field="file", code="already_imported") from None
    payers = _payers(rows)
    list(
        BillingAccount.objects.select_for_update().filter(pk__in={payer.pk for payer in payers.values()}).order_by("pk")
    )
    open_by_payer = _open_by_payer({payer.pk for payer in payers.values()})
    named = _named(rows, payers, open_by_payer)
    at = clock.now()
    payments = [
        Payment(
            billing_account=payers[row.payer_id],
            means=row.means,
            status=Payment.Status.SUCCEEDED,
            amount=row.amount,
            currency=payers[row.payer_id].currency,
            reference=row.reference,
            received_on=row.received_on,
            named_invoices=[named[row.line]] if row.line in named else [],
            created_by=imported_by,
            created_at=at,
            succeeded_at=at,
        )
        for row, _ in rows
    ]
    allocations, touched = [], {}
    for payment in payments:
        invoices = allocation.in_paying_order(open_by_payer.get(payment.billing_account.pk, []), payment.named_invoices)
        by_id = {invoice.pk: invoice for invoice in invoices}
        taken = allocation.split(payment.amount, [(invoice.pk, invoice.amount_due) for invoice in invoices])
        for invoice_id, take in taken:
            invoice = by_id[invoice_id]
            invoice.amount_due -= take
            touched[invoice_id] = invoice
            allocations.append((payment, invoice, take))
        payment.unapplied_amount = payment.amount - sum((take for _, take in taken), ZERO)
    bulk_create_with_history(payments, Payment, batch_size=BATCH, default_user=imported_by)
    Allocation.objects.bulk_create(
        (
            Allocation(kind=Allocation.Kind.PAYMENT, payment=payment, invoice=invoice, amount=take, created_at=at)
            for payment, invoice, take in allocations
        ),
        batch_size=BATCH,
    )
    settled = []
    for invoice in touched.values():
        if allocation.restatus(invoice) == "invoice.paid":
            settled.append(invoice)
    bulk_update_with_history(
        list(touched.values()), Invoice, ["amount_due", "status"], batch_size=BATCH, default_user=imported_by
    )
    paid_by: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for payment, _, take in allocations:
        paid_by[payment.pk] += take
    entries = []
    for payment in payments:
        postings = ledger.Postings()
        postings.add(allocation.cash_account(payment.means), payment.amount)
        postings.add(ledger.RECEIVABLE, -paid_by[payment.pk])
        postings.add(allocation.CUSTOMER_CREDIT, -payment.unapplied_amount)
        entry = JournalEntry(
            date=payment.received_on,
            kind=JournalEntry.Kind.PAYMENT,
            memo=f"Payment {payment.number} {payment.billing_account.number} {payment.reference}".strip()[:300],
            currency=payment.currency,
            source_key=f"payment:{payment.pk}",
            created_at=at,
        )
        entries.append((entry, postings))
    ledger.post_many(entries)
    events.emit_many(
        "payment.succeeded",
        subjects=list(payments),
        data=[
            {"billing_account_id": payment.billing_account.pk, "amount": str(payment.amount), "imported": True}
            for payment in payments
        ],
    )
    events.emit_many("invoice.paid", subjects=list(settled), data=[{"number": invoice.number} for invoice in settled])
    total = sum((payment.amount for payment in payments), ZERO)
    credit = sum((payment.unapplied_amount for payment in payments), ZERO)
    PaymentImport.objects.filter(pk=record.pk).update(payments=len(payments), amount=total)
    return Imported(
        payments=len(payments),
        amount=total,
        allocated=total - credit,
        credit=credit,
        invoices_settled=len(settled),
    )
