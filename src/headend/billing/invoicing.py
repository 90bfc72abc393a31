"""From rates to invoices: what a payer's next invoice holds (`draft_for`), and writing many
invoices at once, finalised with gap-free numbers (`write`).

A payer's invoice dated `bill_date` carries, for each service billed to it or to its children,
the recurring lines that bring every period up to the bill's horizon to what the rates say
(billing/proration.py), the one-time charges incurred by the bill date, and the taxes of the
jurisdictions of each service's location. Rating reads a whole chunk of payers in a few queries
(`Book`), so a bill run costs a small multiple of writing its rows."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from headend.billing import call_charges, ledger, proration, taxes
from headend.billing.charges import rate_values
from headend.billing.models import (
    BillingAccount,
    Invoice,
    InvoiceLine,
    LineKind,
    OneTimeCharge,
    RateChange,
    Subscription,
)
from headend.billing.models import (
    Sequence as NumberSequence,
)
from headend.catalog.models import BillingTiming
from headend.core import clock, events
from headend.core.errors import Conflict
from headend.core.money import total


def external_biller_refuses(invoice: Invoice | None = None) -> None:
    """Refuse what makes or changes Headend's invoices when an external biller keeps the book
    (HEADEND_BILLER), or on an invoice an external biller made: those are changed there."""
    if invoice is not None and invoice.source != "headend":
        raise Conflict(
            f"{invoice.display_number} is kept by the external biller ({invoice.source}): correct it there.",
            field="source",
            code="external_invoice",
        )
    if settings.HEADEND_BILLER != "headend":
        raise Conflict(
            f"Invoices are made by the external biller ({settings.HEADEND_BILLER}): Headend bills nothing itself.",
            field="source",
            code="external_biller",
        )


def bill_date_for(account: BillingAccount, as_of: dt.date) -> dt.date:
    """The latest bill date of the account's cycle on or before `as_of`."""
    return proration.period_containing(as_of, account.bill_day).start


def revenue_account(product_kind: str) -> str:
    return f"Income:{product_kind.title()}"


@dataclass
class Draft:
    """An invoice worked out but not written: its lines and what writing it settles."""

    payer: BillingAccount
    bill_date: dt.date
    lines: list[InvoiceLine] = field(default_factory=list)
    charges: list[OneTimeCharge] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    usage: list[call_charges.Usage] = field(default_factory=list)  # the usage lines and their calls

    @property
    def subtotal(self) -> Decimal:
        return total(line.amount for line in self.lines if line.kind != LineKind.TAX)

    @property
    def tax(self) -> Decimal:
        return total(line.amount for line in self.lines if line.kind == LineKind.TAX)


class Book:
    """What rating a set of payers needs, read in a handful of queries: their children, the
    subscriptions with something to bill, their rates and billed lines, unbilled charges."""

    def __init__(self, payers: Sequence[BillingAccount], *, up_to: dt.date):
        self.payers = list(payers)
        ids = [payer.pk for payer in self.payers]
        children = list(BillingAccount.objects.filter(parent_id__in=ids))
        self.accounts: dict[int, list[BillingAccount]] = defaultdict(list)
        for account in [*self.payers, *children]:
            self.accounts[account.parent_id or account.pk].append(account)
        account_ids = [account.pk for accounts in self.accounts.values() for account in accounts]
        self.subscriptions: dict[int, list[Subscription]] = defaultdict(list)
        subscriptions = list(
            Subscription.objects.filter(billing_account_id__in=account_ids, dirty_from__isnull=False)
            .select_related("service__product_version__product", "service__location", "billing_account")
            .order_by("service_id")
        )
        for subscription in subscriptions:
            payer_id = subscription.billing_account.parent_id or subscription.billing_account_id
            self.subscriptions[payer_id].append(subscription)
        sub_ids = [subscription.pk for subscription in subscriptions]
        self.rates: dict[int, list[RateChange]] = defaultdict(list)
        for rate in RateChange.objects.filter(subscription_id__in=sub_ids).order_by("occurred_at", "id"):
            self.rates[rate.subscription_id].append(rate)
        self.billed: dict[int, list[InvoiceLine]] = defaultdict(list)
        earliest = min((sub.dirty_from for sub in subscriptions if sub.dirty_from is not None), default=up_to)
        lines = (
            InvoiceLine.objects.filter(
                subscription_id__in=sub_ids, kind=LineKind.RECURRING, period_end__gt=earliest,
                invoice__kind=Invoice.Kind.INVOICE,
            )
            .exclude(invoice__status=Invoice.Status.VOID)
            .only("subscription_id", "period_start", "unit_amount", "description", "days_added", "days_removed",
                  "invoice_id", "position", "cause")
            .order_by("invoice_id", "position")
        )  # fmt: skip
        for line in lines:
            self.billed[line.subscription_id or 0].append(line)
        self.charges: dict[int, list[OneTimeCharge]] = defaultdict(list)
        self.tax_engine = taxes.engine()  # one per chunk: it caches the rates it reads
        for charge in (
            OneTimeCharge.objects.filter(billing_account_id__in=account_ids, invoice_line=None, incurred_on__lte=up_to)
            .select_related("subscription__service__location", "billing_account")
            .order_by("incurred_on", "id")
        ):
            self.charges[charge.billing_account.parent_id or charge.billing_account_id].append(charge)
        self.calls = call_charges.unbilled(account_ids, up_to=up_to)  # rated calls, by payer


def _span_text(start: dt.date, end: dt.date) -> str:
    last = end - dt.timedelta(days=1)
    return f"{start:%-d %b}\N{EN DASH}{last:%-d %b %Y}" if start != last else f"{start:%-d %b %Y}"


def recurring_lines(
    subscription: Subscription, book: Book, payer: BillingAccount, bill_date: dt.date
) -> list[InvoiceLine]:
    service = subscription.service
    product = service.product_version.product
    in_advance = product.billing_timing == BillingTiming.ADVANCE
    end = proration.horizon(bill_date, in_advance=in_advance)
    dirty = subscription.dirty_from or end
    first = max(dirty, subscription.billable_from or dirty)
    stop = subscription.billable_until
    rule = subscription.billing_account.proration or payer.proration or product.proration
    rates = proration.timeline(rate_values(book.rates[subscription.pk]))
    billed_by_period: dict[dt.date, list[proration.Billed]] = defaultdict(list)
    for line in book.billed[subscription.pk]:
        component = proration.Component(line.unit_amount, _label(line))
        billed_by_period[line.period_start or first].append(
            proration.Billed(component, line.days_added, line.days_removed)
        )
    lines = []
    # Up to the horizon even after the service stopped: days billed past its end are credited.
    for period in proration.periods(first, end, payer.bill_day) if first < end else []:
        for charge in proration.rate_period(
            rates,
            billed_by_period.get(period.start, []),
            period,
            proration=rule,
            billable_from=subscription.billable_from,
            billable_until=stop,
        ):
            start, stop_day = charge.span
            prefix = "Credit: " if charge.is_credit else ""
            lines.append(
                InvoiceLine(
                    kind=LineKind.RECURRING,
                    description=f"{prefix}{charge.component.label}{LABEL_END}{_span_text(start, stop_day)}",
                    subscription=subscription,
                    service=service,
                    period_start=period.start,
                    period_end=period.end,
                    start_date=start,
                    end_date=stop_day,
                    days_added=charge.added,
                    days_removed=charge.removed,
                    days=charge.days,
                    period_days=period.days,
                    fraction=charge.fraction,
                    quantity=service.quantity,
                    unit_amount=charge.component.mrc,
                    amount=charge.amount,
                    tax_category=product.tax_category,
                    cause=charge.cause[:200],
                    revenue_account=revenue_account(product.kind),
                )
            )
    subscription.dirty_from = end if stop is None or end < stop else None
    return lines


# A recurring line's description is the rate's label, this, then its days: the label is what
# later runs compare (a revert to an earlier price and label nets against what it billed).
LABEL_END = " · "


def _label(line: InvoiceLine) -> str:
    text = line.description.removeprefix("Credit: ")
    return text.rsplit(LABEL_END, 1)[0]


def draft_for(payer: BillingAccount, bill_date: dt.date, book: Book) -> Draft:
    """The invoice `payer` gets on `bill_date` (lines numbered, taxes added; nothing written)."""
    draft = Draft(payer=payer, bill_date=bill_date)
    places: dict[int, taxes.Place] = {}
    fallback = None
    for subscription in book.subscriptions.get(payer.pk, []):
        new = recurring_lines(subscription, book, payer, bill_date)
        draft.lines.extend(new)
        draft.subscriptions.append(subscription)
        fallback = fallback or taxes.place_of(subscription.service.location)
    for charge in book.charges.get(payer.pk, []):
        if charge.incurred_on > bill_date:
            continue
        draft.charges.append(charge)
        draft.lines.append(
            InvoiceLine(
                kind=LineKind.ONE_TIME,
                description=charge.description,
                subscription=charge.subscription,
                service=charge.subscription.service if charge.subscription else None,
                start_date=charge.incurred_on,
                end_date=charge.incurred_on + dt.timedelta(days=1),
                unit_amount=charge.amount,
                amount=charge.amount,
                tax_category=charge.tax_category,
                cause=charge.cause,
                revenue_account="Income:Credits" if charge.amount < 0 else "Income:Fees",
            )
        )
    for usage in call_charges.usage_lines(book.calls.get(payer.pk, []), bill_date=bill_date, bill_day=payer.bill_day):
        draft.usage.append(usage)
        draft.lines.append(usage.line)
    for position, line in enumerate(draft.lines, start=1):
        line.position = position
        if line.subscription is not None:
            places[position] = taxes.place_of(line.subscription.service.location)
        elif fallback is not None:
            places[position] = fallback
    draft.lines.extend(_tax_lines(draft, places, book.tax_engine))
    return draft


def _tax_lines(draft: Draft, places: dict[int, taxes.Place], engine: taxes.TaxEngine) -> list[InvoiceLine]:
    payer = draft.payer
    items = tuple(
        taxes.Taxable(key=line.position, amount=line.amount, category=line.tax_category, place=places[line.position])
        for line in draft.lines
        if line.position in places and line.tax_category and line.amount
    )
    if not items:
        return []
    request = taxes.TaxRequest(
        bill_date=draft.bill_date,
        currency=payer.currency,
        exempt=payer.tax_exempt,
        certificate=payer.tax_exempt_certificate,
        items=items,
    )
    position = len(draft.lines)
    found = []
    for tax in engine.taxes(request):
        position += 1
        found.append(
            InvoiceLine(
                position=position,
                kind=LineKind.TAX,
                description=tax.jurisdiction,
                unit_amount=tax.amount,
                amount=tax.amount,
                tax_category=tax.category,
                jurisdiction=tax.jurisdiction[:120],
                tax_rate=tax.rate_percent,
                taxable_amount=tax.taxable_amount,
            )
        )
    return found


def take_numbers(kind: str, count: int) -> list[str]:
    """`count` consecutive numbers of a gap-free sequence, locked until the transaction ends (a
    rolled-back transaction gives its numbers back)."""
    prefix = "INV-" if kind == Invoice.Kind.INVOICE else "CN-"
    NumberSequence.objects.get_or_create(kind=kind, defaults={"prefix": prefix})
    sequence = NumberSequence.objects.select_for_update().get(kind=kind)
    first = sequence.next_value
    sequence.next_value = first + count
    sequence.save(update_fields=["next_value"])
    return [f"{sequence.prefix}{value:07d}" for value in range(first, first + count)]


def write(drafts: Iterable[Draft], *, run_id: int | None = None, run_key: bool = True) -> list[Invoice]:
    """Write drafts as finalised invoices in the open transaction: numbered, their charges and
    subscriptions settled, posted to the ledger, an `invoice.finalised` event each. Drafts with
    no line write nothing."""
    at = clock.now()
    drafts = [draft for draft in drafts if draft.lines]
    if not drafts:
        return []
    numbers = take_numbers(Invoice.Kind.INVOICE, len(drafts))
    invoices = []
    for draft, number in zip(drafts, numbers, strict=True):
        payer = draft.payer
        invoice_total = draft.subtotal + draft.tax
        invoices.append(
            Invoice(
                kind=Invoice.Kind.INVOICE,
                status=Invoice.Status.FINALISED,
                billing_account=payer,
                number=number,
                bill_date=draft.bill_date,
                due_date=draft.bill_date + dt.timedelta(days=payer.payment_terms_days),
                currency=payer.currency,
                subtotal_amount=draft.subtotal,
                tax_amount=draft.tax,
                total_amount=invoice_total,
                amount_due=invoice_total,
                bill_run_id=run_id,
                run_key=f"{payer.pk}:{draft.bill_date}" if run_key else None,
                created_at=at,
                finalised_at=at,
            )
        )
    Invoice.objects.bulk_create(invoices)
    lines, charges = [], []
    for draft, invoice in zip(drafts, invoices, strict=True):
        for line in draft.lines:
            line.invoice = invoice
            lines.append(line)
    # Posted first: posting sets what each line has earned by its bill date, written with it.
    ledger.post_new([(invoice, draft.lines) for draft, invoice in zip(drafts, invoices, strict=True)])
    InvoiceLine.objects.bulk_create(lines)
    call_charges.mark_billed(usage for draft in drafts for usage in draft.usage)
    for draft in drafts:
        # The charges were drafted in the order of their one-time lines.
        one_time = [line for line in draft.lines if line.kind == LineKind.ONE_TIME]
        for charge, line in zip(draft.charges, one_time, strict=True):
            charge.invoice_line = line
            charges.append(charge)
    if charges:
        OneTimeCharge.objects.bulk_update(charges, ["invoice_line"])
    events.emit_many(
        "invoice.finalised", subjects=list(invoices), data=[{"number": invoice.number} for invoice in invoices]
    )
    return invoices


def settle(drafts: Iterable[Draft], *, bill_date_of: dict[int, dt.date]) -> None:
    """After writing: each subscription's next days to rate and each payer's last bill date."""
    # Grouped by value: a chunk's subscriptions and payers mostly share one (an UPDATE each).
    by_dirty: dict[dt.date | None, list[int]] = defaultdict(list)
    for draft in drafts:
        for subscription in draft.subscriptions:
            by_dirty[subscription.dirty_from].append(subscription.pk)
    for dirty_from, ids in by_dirty.items():
        Subscription.objects.filter(pk__in=ids).update(dirty_from=dirty_from)
    by_date: dict[dt.date, list[int]] = defaultdict(list)
    for draft in drafts:
        draft.payer.last_bill_date = bill_date_of[draft.payer.pk]
        by_date[draft.payer.last_bill_date].append(draft.payer.pk)
    for bill_date, ids in by_date.items():
        BillingAccount.objects.filter(pk__in=ids).update(last_bill_date=bill_date)


def preview_next(payer: BillingAccount, *, as_of: dt.date | None = None) -> Draft:
    """The payer's next invoice as it stands today (nothing written): what the account page shows
    as upcoming charges."""
    bill_date = next_bill_date(payer, as_of or clock.today())
    return draft_for(payer, bill_date, Book([payer], up_to=bill_date))


def next_bill_date(payer: BillingAccount, today: dt.date) -> dt.date:
    """The date of the payer's next invoice: its next bill date after the last one billed."""
    bill_date = proration.next_bill_date(today, payer.bill_day)
    if payer.last_bill_date is not None and bill_date <= payer.last_bill_date:
        bill_date = proration.next_bill_date(payer.last_bill_date + dt.timedelta(days=1), payer.bill_day)
    return bill_date


def open_accounts(as_of: dt.date) -> Q:
    """Payers due a bill as of `as_of`: active, paying for themselves, not yet billed for the
    bill date their cycle gives (one Q per bill day, OR-ed)."""
    due = Q()
    for bill_day in range(1, 29):
        bill_date = proration.period_containing(as_of, bill_day).start
        due |= Q(bill_day=bill_day) & (Q(last_bill_date=None) | Q(last_bill_date__lt=bill_date))
    return Q(status=BillingAccount.Status.ACTIVE, parent=None) & due
