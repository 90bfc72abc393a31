"""What billing's staff pages read (the pages themselves: account_views, invoice_views,
run_views, report_views): a billing account or an invoice by id, balances, the next invoice's
preview and the receivables aging."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum

from headend.billing import invoicing
from headend.billing.models import BillingAccount, Invoice
from headend.core.errors import NotFound
from headend.core.ids import parse_id
from headend.core.money import ZERO
from headend.crm.models import Account

# Invoices a customer still owes on (void, settled and drafts owe nothing).
OPEN_STATUSES = (Invoice.Status.FINALISED, Invoice.Status.SENT, Invoice.Status.PARTIALLY_PAID)


def billing_account_get(*, billing_account_id: object) -> BillingAccount:
    found = (
        BillingAccount.objects.select_related("account", "parent", "contact")
        .filter(pk=parse_id(billing_account_id))
        .first()
    )
    if found is None:
        raise NotFound("No such billing account.", field="id")
    return found


def invoice_get(*, invoice_id: object) -> Invoice:
    found = (
        Invoice.objects.select_related("billing_account__account", "billing_account__contact", "corrects")
        .filter(pk=parse_id(invoice_id))
        .first()
    )
    if found is None:
        raise NotFound("No such invoice.", field="id")
    return found


def open_invoices() -> QuerySet[Invoice]:
    return Invoice.objects.filter(status__in=OPEN_STATUSES).exclude(amount_due=0)


def balance(billing_accounts: Iterable[BillingAccount]) -> Decimal:
    """What the billing accounts owe: the amount due of their finalised, sent and partly paid invoices."""
    ids = [billing_account.pk for billing_account in billing_accounts]
    owed = open_invoices().filter(billing_account_id__in=ids).aggregate(owed=Sum("amount_due"))["owed"]
    return owed if owed is not None else ZERO


def is_overdue(invoice: Invoice, *, today: dt.date) -> bool:
    return invoice.status in OPEN_STATUSES and invoice.amount_due > 0 and invoice.due_date < today


@dataclass(frozen=True)
class Preview:
    """A payer's next invoice as it stands today: its date, lines (taxes last) and totals."""

    draft: invoicing.Draft

    @property
    def bill_date(self) -> dt.date:
        return self.draft.bill_date

    @property
    def lines(self) -> list:
        return self.draft.lines

    @property
    def subtotal(self) -> Decimal:
        return self.draft.subtotal

    @property
    def tax(self) -> Decimal:
        return self.draft.tax

    @property
    def total(self) -> Decimal:
        return self.draft.subtotal + self.draft.tax


def preview(billing_account: BillingAccount) -> Preview | None:
    """The next invoice of a billing account that pays for itself, as it stands today; None for
    one its parent pays for (its charges are on the parent's invoice) or a closed one."""
    if billing_account.parent_id is not None or billing_account.status != BillingAccount.Status.ACTIVE:
        return None
    return Preview(invoicing.preview_next(billing_account))


# --- Receivables aging ------------------------------------------------------------------------

BUCKETS = (
    ("current", "Current"),
    ("1_30", "1-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("over_90", "Over 90 days"),
)


def bucket_of(days_past_due: int) -> str:
    """The aging bucket of an invoice so many days past its due date (0 or less: not yet due)."""
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1_30"
    if days_past_due <= 60:
        return "31_60"
    if days_past_due <= 90:
        return "61_90"
    return "over_90"


@dataclass
class AgingRow:
    """One customer's open invoices, their amounts due summed per bucket."""

    account: Account
    amounts: dict[str, Decimal] = field(default_factory=lambda: {key: ZERO for key, _ in BUCKETS})
    invoices: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def cells(self) -> list[Decimal]:
        return [self.amounts[key] for key, _ in BUCKETS]


@dataclass
class Aging:
    as_of: dt.date
    rows: list[AgingRow]

    @property
    def totals(self) -> list[Decimal]:
        return [sum((row.amounts[key] for row in self.rows), ZERO) for key, _ in BUCKETS]

    @property
    def total(self) -> Decimal:
        return sum((row.total for row in self.rows), ZERO)


def aging(*, as_of: dt.date) -> Aging:
    """Open invoices by customer in buckets of days past their due date as of `as_of`."""
    rows: dict[int, AgingRow] = {}
    for invoice in open_invoices().select_related("billing_account__account").order_by("due_date", "id"):
        account = invoice.billing_account.account
        row = rows.setdefault(account.pk, AgingRow(account=account))
        row.amounts[bucket_of((as_of - invoice.due_date).days)] += invoice.amount_due
        row.invoices += 1
    return Aging(as_of=as_of, rows=sorted(rows.values(), key=lambda row: (row.account.name, row.account.pk)))
