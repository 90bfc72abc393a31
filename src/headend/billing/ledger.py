"""The double-entry ledger: invoices, credit notes, voids and revenue recognised as the billed
days pass, written as balanced journal entries and exported for the provider's accounting
(CSV, or a beancount file that `bean-check` verifies).

The accounts:

- `Assets:AccountsReceivable`: what customers owe, the invoice total.
- `Liabilities:TaxPayable:<Jurisdiction>`: tax collected for each jurisdiction.
- `Liabilities:DeferredRevenue`: charges billed for days not yet passed (billing in advance).
- `Income:<...>`: each line's revenue account, earned day by day (`Income:Other` when unset).

A recurring line earns its amount over its days (the bits of `days_added | days_removed`, or
`start_date` to `end_date`): the days before a date have earned `amount x days before / days`,
rounded half-up to the cent, so once every day has passed exactly the amount is earned. What is
earned by the bill date goes to income when the invoice is posted, the rest to deferred revenue,
and `recognise` moves it across as the days pass. One-time lines are earned at once.

Each posting is written once: an entry has a unique `source_key`, so posting again writes nothing.
Amounts are signed while they are worked out (debit positive); a journal line holds the
positive debit or credit."""

import csv
import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q

from headend.core import clock
from headend.core.errors import Conflict, ValidationError
from headend.core.money import ZERO, default_currency, round_cents

from .models import Invoice, InvoiceLine, JournalEntry, JournalLine, LineKind

RECEIVABLE = "Assets:AccountsReceivable"
DEFERRED = "Liabilities:DeferredRevenue"
TAX_PAYABLE = "Liabilities:TaxPayable"
INCOME = "Income"
OTHER_INCOME = "Income:Other"
FORMATS = ("csv", "beancount")
CSV_HEADER = ["date", "entry", "kind", "memo", "account", "debit", "credit", "currency"]
BATCH = 1000


class Writer(Protocol):
    """Where an export goes: a text file, a StringIO, a command's stdout."""

    def write(self, text: str, /) -> object: ...


class UnbalancedEntry(Exception):
    """A journal entry whose debits and credits differ: a bug or an invoice whose total is not
    the sum of its lines. Nothing is written."""


# Account names (pure) -------------------------------------------------------------------------


def account_component(text: str) -> str:
    """One beancount-safe part of an account name from any text: its words, each capitalised,
    run together ("Maine sales tax (ME)" -> "MaineSalesTaxME"); "Unknown" when no word is left."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = "".join(word[0].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", plain))
    return name or "Unknown"


def tax_account(jurisdiction: str) -> str:
    """Where the tax of one jurisdiction is owed."""
    if not jurisdiction.strip():
        return TAX_PAYABLE
    return f"{TAX_PAYABLE}:{account_component(jurisdiction)}"


def revenue_account(name: str) -> str:
    """A line's income account, made safe: `Income:Other` when empty, always under `Income`."""
    parts = [account_component(part) for part in name.split(":") if part.strip()]
    if not parts:
        return OTHER_INCOME
    if parts[0] != INCOME:
        parts.insert(0, INCOME)
    return ":".join(parts)


# Earning (pure) -------------------------------------------------------------------------------


def days_before(
    before: dt.date,
    *,
    period_start: dt.date | None,
    days_added: int,
    days_removed: int,
    start_date: dt.date | None,
    end_date: dt.date | None,
) -> tuple[int, int]:
    """How many of a recurring line's days fall before `before`, and how many days it has.

    The days are the bits of `days_added | days_removed` (bit i: `period_start` + i days); a line
    without bits uses `start_date` to the day before `end_date`; a line with neither has one day
    that has always passed (it is earned at once)."""
    bits = days_added | days_removed
    if bits > 0 and period_start is not None:
        index = (before - period_start).days
        earlier = (bits & ((1 << index) - 1)).bit_count() if index > 0 else 0
        return earlier, bits.bit_count()
    if start_date is not None and end_date is not None and end_date > start_date:
        total = (end_date - start_date).days
        return min(max((before - start_date).days, 0), total), total
    return 1, 1


def earned(amount: Decimal, earlier: int, total: int) -> Decimal:
    """The part of `amount` earned by `earlier` of its `total` days, rounded half-up to the cent."""
    if earlier >= total:
        return amount
    return round_cents(amount * Decimal(earlier) / Decimal(total))


def line_earned(line: Any, before: dt.date) -> Decimal:
    """What an invoice line (anything with its fields) has earned by the start of `before`."""
    if line.kind != LineKind.RECURRING:
        return line.amount
    earlier, total = days_before(
        before,
        period_start=line.period_start,
        days_added=line.days_added,
        days_removed=line.days_removed,
        start_date=line.start_date,
        end_date=line.end_date,
    )
    return earned(line.amount, earlier, total)


def invoice_sign(kind: str, total: Decimal) -> int:
    """1, or -1 for a credit note written with positive amounts: a credit note always lowers
    what the customer owes, whichever sign its amounts carry."""
    return -1 if kind == Invoice.Kind.CREDIT_NOTE and total > 0 else 1


class Postings:
    """The signed amounts of one entry by account (debit positive), in the order first used."""

    def __init__(self) -> None:
        self.amounts: dict[str, Decimal] = {}

    def add(self, account: str, amount: Decimal) -> None:
        self.amounts[account] = self.amounts.get(account, ZERO) + amount

    def lines(self) -> list[tuple[str, Decimal, Decimal]]:
        """(account, debit, credit) for each account that moves; raises UnbalancedEntry unless
        the debits equal the credits to the cent."""
        imbalance = sum(self.amounts.values(), ZERO)
        if imbalance != 0:
            raise UnbalancedEntry(f"Debits exceed credits by {imbalance}: {self.amounts}")
        return [
            (account, amount if amount > 0 else ZERO, -amount if amount < 0 else ZERO)
            for account, amount in self.amounts.items()
            if amount != 0
        ]


# Posting (ORM) --------------------------------------------------------------------------------


def _label(invoice: Invoice) -> str:
    return f"{invoice.get_kind_display()} {invoice.display_number}"


def _write(
    *,
    key: str,
    date: dt.date,
    kind: str,
    memo: str,
    invoice: Invoice | None,
    currency: str,
    lines: list[tuple[str, Decimal, Decimal]],
) -> JournalEntry:
    """Write one entry and its lines (already balanced)."""
    entry = JournalEntry.objects.create(
        date=date,
        kind=kind,
        memo=memo[:300],
        invoice=invoice,
        currency=currency,
        source_key=key,
        created_at=clock.now(),
    )
    JournalLine.objects.bulk_create(
        JournalLine(entry=entry, account=account, debit=debit, credit=credit) for account, debit, credit in lines
    )
    return entry


def post(
    *, key: str, date: dt.date, kind: str, memo: str, currency: str, postings: Postings, invoice: Invoice | None = None
) -> JournalEntry:
    """Write one balanced entry under `key` in the open transaction; posting the same key again
    returns the first entry. For what moves money outside invoices (payments, refunds,
    write-offs). Raises UnbalancedEntry (nothing written) unless debits equal credits."""
    existing = JournalEntry.objects.filter(source_key=key).first()
    if existing is not None:
        return existing
    return _write(key=key, date=date, kind=kind, memo=memo, invoice=invoice, currency=currency, lines=postings.lines())


def post_many(entries: Sequence[tuple[JournalEntry, Postings]]) -> list[JournalEntry]:
    """Write many new entries (unsaved, with their postings) in bulk in the open transaction:
    for batches whose keys are new by construction (an import's new payments). Raises
    UnbalancedEntry (nothing written) if any entry does not balance."""
    lines = [postings.lines() for _, postings in entries]
    created = JournalEntry.objects.bulk_create([entry for entry, _ in entries])
    JournalLine.objects.bulk_create(
        JournalLine(entry=entry, account=account, debit=debit, credit=credit)
        for entry, entry_lines in zip(created, lines, strict=True)
        for account, debit, credit in entry_lines
    )
    return created


def _invoice_postings(invoice: Invoice, lines: Sequence[InvoiceLine]) -> list[tuple[str, Decimal, Decimal]]:
    """The balanced lines of an invoice's entry; sets each line's `recognised_amount` (in memory)."""
    sign = invoice_sign(invoice.kind, invoice.total_amount)
    postings = Postings()
    postings.add(RECEIVABLE, sign * invoice.total_amount)
    for line in lines:
        if line.kind == LineKind.TAX:
            postings.add(tax_account(line.jurisdiction), -sign * line.amount)
            continue
        line.recognised_amount = line_earned(line, invoice.bill_date)
        postings.add(revenue_account(line.revenue_account), -sign * line.recognised_amount)
        postings.add(DEFERRED, -sign * (line.amount - line.recognised_amount))
    return postings.lines()


def _entry_kind(invoice: Invoice) -> str:
    return JournalEntry.Kind.CREDIT_NOTE if invoice.kind == Invoice.Kind.CREDIT_NOTE else JournalEntry.Kind.INVOICE


def post_new(invoices: Sequence[tuple[Invoice, Sequence[InvoiceLine]]]) -> list[JournalEntry]:
    """Post many invoices finalised in this transaction at once (a bill run's chunk), each with
    the lines it is about to be written with: the same entries `post_invoice` writes, and each
    line's `recognised_amount` set in memory, so write the lines after this. Raises
    UnbalancedEntry (nothing written) if an invoice's total is not the sum of its lines."""
    now = clock.now()
    entries, entry_lines = [], []
    for invoice, lines in invoices:
        entry_lines.append(_invoice_postings(invoice, lines))
        billing_account = invoice.billing_account
        entries.append(
            JournalEntry(
                date=invoice.bill_date,
                kind=_entry_kind(invoice),
                memo=f"{_label(invoice)} {billing_account.number} {billing_account.name}"[:300],
                invoice=invoice,
                currency=invoice.currency,
                source_key=f"invoice:{invoice.pk}",
                created_at=now,
            )
        )
    JournalEntry.objects.bulk_create(entries)
    JournalLine.objects.bulk_create(
        JournalLine(entry=entry, account=account, debit=debit, credit=credit)
        for entry, lines in zip(entries, entry_lines, strict=True)
        for account, debit, credit in lines
    )
    return entries


def post_invoice(invoice: Invoice) -> JournalEntry:
    """Post a finalised invoice or credit note on its bill date: the total to receivables, tax
    to each jurisdiction, each line's part earned by the bill date to income and the rest to
    deferred revenue; set each line's `recognised_amount`. Call it in the transaction that
    finalises, once the lines and totals are final. Posting again returns the first entry.

    Raises UnbalancedEntry (nothing written) if the total is not the sum of the lines."""
    key = f"invoice:{invoice.pk}"
    existing = JournalEntry.objects.filter(source_key=key).first()
    if existing is not None:
        return existing
    lines = list(invoice.lines.all())
    journal_lines = _invoice_postings(invoice, lines)
    billing_account = invoice.billing_account
    try:
        with transaction.atomic():
            entry = _write(
                key=key,
                date=invoice.bill_date,
                kind=_entry_kind(invoice),
                memo=f"{_label(invoice)} {billing_account.number} {billing_account.name}",
                invoice=invoice,
                currency=invoice.currency,
                lines=journal_lines,
            )
            for line in lines:
                if line.kind != LineKind.TAX:
                    line.save(update_fields=["recognised_amount"])
    except IntegrityError:
        # Posted at the same moment by another transaction: that one's entry stands.
        return JournalEntry.objects.get(source_key=key)
    return entry


def post_void(invoice: Invoice) -> JournalEntry | None:
    """Reverse a void invoice's posting on the day it was voided: receivables and tax back,
    and both what was recognised so far (out of income) and what was still deferred; the lines'
    `recognised_amount` go back to zero. None if the invoice was never posted. Posting again
    returns the first entry.

    Raises Conflict if the invoice has not been voided."""
    key = f"void:{invoice.pk}"
    existing = JournalEntry.objects.filter(source_key=key).first()
    if existing is not None:
        return existing
    if invoice.voided_at is None:
        raise Conflict(f"{_label(invoice)} has not been voided.", field="status", code="invoice_not_void")
    if not JournalEntry.objects.filter(source_key=f"invoice:{invoice.pk}").exists():
        return None
    sign = invoice_sign(invoice.kind, invoice.total_amount)
    try:
        with transaction.atomic():
            # Locked so a recognition run cannot move these lines between reading and reversing.
            lines = list(InvoiceLine.objects.select_for_update().filter(invoice=invoice).order_by("position"))
            postings = Postings()
            postings.add(RECEIVABLE, -sign * invoice.total_amount)
            for line in lines:
                if line.kind == LineKind.TAX:
                    postings.add(tax_account(line.jurisdiction), sign * line.amount)
                    continue
                postings.add(revenue_account(line.revenue_account), sign * line.recognised_amount)
                postings.add(DEFERRED, sign * (line.amount - line.recognised_amount))
            entry = _write(
                key=key,
                date=clock.local_date(invoice.voided_at),
                kind=JournalEntry.Kind.VOID,
                memo=f"Void of {_label(invoice)}",
                invoice=invoice,
                currency=invoice.currency,
                lines=postings.lines(),
            )
            InvoiceLine.objects.filter(invoice=invoice).exclude(kind=LineKind.TAX).update(recognised_amount=ZERO)
    except IntegrityError:
        return JournalEntry.objects.get(source_key=key)
    return entry


def _recognition_key(as_of: dt.date, currency: str) -> str:
    return f"recognition:{as_of.isoformat()}:{currency}"


def recognise(as_of: dt.date) -> int:
    """Recognise revenue for the days before `as_of`: for each posted, finalised recurring line
    not yet fully recognised, move what those days have earned since from deferred revenue to
    its income account; one entry per currency, dated `as_of`. Returns how many lines moved.

    Running it again for the same date does nothing (and a currency already recognised on
    `as_of` waits for the next date: recognition is cumulative, nothing is lost). Recognition
    never goes backwards: a run for an earlier date than one before it moves nothing back."""
    posted = JournalEntry.objects.filter(
        invoice=OuterRef("invoice"), kind__in=[JournalEntry.Kind.INVOICE, JournalEntry.Kind.CREDIT_NOTE]
    )
    due = (
        InvoiceLine.objects.filter(kind=LineKind.RECURRING, start_date__lt=as_of)
        .filter(~Q(amount=F("recognised_amount")))
        .exclude(invoice__status__in=[Invoice.Status.DRAFT, Invoice.Status.VOID])
        .filter(Exists(posted))
    )
    moved: dict[str, list[InvoiceLine]] = defaultdict(list)
    postings: dict[str, Postings] = defaultdict(Postings)
    with transaction.atomic():
        done = set(
            JournalEntry.objects.filter(source_key__startswith=f"recognition:{as_of.isoformat()}:").values_list(
                "currency", flat=True
            )
        )
        rows = due.select_for_update(of=("self",)).values_list(
            "pk",
            "amount",
            "recognised_amount",
            "period_start",
            "days_added",
            "days_removed",
            "start_date",
            "end_date",
            "revenue_account",
            "invoice__currency",
            "invoice__kind",
            "invoice__total_amount",
        )
        for pk, amount, recognised, period_start, added, removed, start, end, account, currency, kind, total in rows:
            if currency in done:
                continue
            earlier, days = days_before(
                as_of, period_start=period_start, days_added=added, days_removed=removed, start_date=start, end_date=end
            )
            difference = earned(amount, earlier, days) - recognised
            if difference == 0 or (difference > 0) != (amount > 0):
                continue
            sign = invoice_sign(kind, total)
            postings[currency].add(DEFERRED, sign * difference)
            postings[currency].add(revenue_account(account), -sign * difference)
            moved[currency].append(InvoiceLine(pk=pk, recognised_amount=recognised + difference))
        for currency in sorted(moved):
            lines = postings[currency].lines()
            if lines:
                _write(
                    key=_recognition_key(as_of, currency),
                    date=as_of,
                    kind=JournalEntry.Kind.RECOGNITION,
                    memo=f"Revenue recognised for the days before {as_of.isoformat()} ({currency})",
                    invoice=None,
                    currency=currency,
                    lines=lines,
                )
            InvoiceLine.objects.bulk_update(moved[currency], ["recognised_amount"], batch_size=BATCH)
    return sum(len(lines) for lines in moved.values())


# Export ---------------------------------------------------------------------------------------


def _entries(date_from: dt.date, date_to: dt.date) -> Iterable[JournalEntry]:
    return (
        JournalEntry.objects.filter(date__gte=date_from, date__lte=date_to)
        .select_related("invoice")
        .prefetch_related("lines")
        .order_by("date", "id")
        .iterator(chunk_size=BATCH)
    )


def beancount_string(text: str) -> str:
    """`text` as a quoted beancount string: backslashes and quotes escaped, on one line."""
    one_line = " ".join(text.splitlines())
    return '"' + one_line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount_link(text: str) -> str:
    """A beancount link (`^...`) naming a document, e.g. an invoice number."""
    return "^" + (re.sub(r"[^A-Za-z0-9_/.-]+", "-", text).strip("-") or "unnamed")


def _export_csv(entries: Iterable[JournalEntry], out: Writer) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    written = 0
    for entry in entries:
        for line in entry.lines.all():
            row = [entry.date.isoformat(), entry.pk, entry.kind, entry.memo, line.account, line.debit, line.credit]
            writer.writerow([*row, entry.currency])
        written += 1
    return written


def _export_beancount(entries: Iterable[JournalEntry], out: Writer, *, date_from: dt.date, date_to: dt.date) -> int:
    in_range = JournalEntry.objects.filter(date__gte=date_from, date__lte=date_to)
    accounts = sorted(set(JournalLine.objects.filter(entry__in=in_range).values_list("account", flat=True).distinct()))
    currencies = sorted(set(in_range.values_list("currency", flat=True).distinct())) or [default_currency()]
    opened = in_range.order_by("date").values_list("date", flat=True).first() or date_from
    out.write(f"; Headend journal {date_from.isoformat()} to {date_to.isoformat()}\n")
    out.write('option "title" "Headend ledger"\n')
    for currency in currencies:
        out.write(f'option "operating_currency" {beancount_string(currency)}\n')
    out.write("\n")
    for account in accounts:
        out.write(f"{opened.isoformat()} open {account}\n")
    written = 0
    for entry in entries:
        lines = list(entry.lines.all())
        if not lines:
            continue
        header = f"{entry.date.isoformat()} * {beancount_string(entry.memo)}"
        if entry.invoice is not None and entry.invoice.number:
            header += f" {beancount_link(entry.invoice.number)}"
        out.write(f"\n{header}\n  source: {beancount_string(entry.source_key)}\n")
        for line in lines:
            out.write(f"  {line.account}  {line.debit - line.credit} {entry.currency}\n")
        written += 1
    return written


def export(*, date_from: dt.date, date_to: dt.date, format: str, out: Writer) -> int:
    """Write the journal entries dated `date_from` to `date_to` (both included) to `out`: CSV,
    one row per journal line, or a beancount file (accounts opened, one transaction per entry,
    linked to its invoice number). Returns the number of entries written.

    Raises ValidationError for an unknown format or a range that ends before it starts."""
    if format not in FORMATS:
        raise ValidationError(f"Format must be one of {', '.join(FORMATS)}.", field="format", code="invalid_format")
    if date_from > date_to:
        raise ValidationError("The range ends before it starts.", field="date_to", code="invalid_range")
    entries = _entries(date_from, date_to)
    if format == "csv":
        return _export_csv(entries, out)
    return _export_beancount(entries, out, date_from=date_from, date_to=date_to)
