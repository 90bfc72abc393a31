"""A customer's payment standing from their invoices (crm.hooks.payment_standing): what they
owe, what of it is past its due date and how many days the oldest unpaid invoice is late.
Quote approvals, the account page and dunning read it."""

import datetime as dt
from collections.abc import Collection

from django.db.models import Min, Q, Sum

from headend.billing.models import Invoice
from headend.core.money import ZERO
from headend.crm.hooks import Standing

# Invoices a customer still owes on (void, settled and drafts owe nothing).
OPEN_STATUSES = (Invoice.Status.FINALISED, Invoice.Status.SENT, Invoice.Status.PARTIALLY_PAID)


def payment_standing(*, account_ids: Collection[int], today: dt.date) -> dict[int, Standing]:
    """Each customer account's standing on `today` over all its billing accounts."""
    overdue = Q(due_date__lt=today)
    rows = (
        Invoice.objects.filter(
            billing_account__account_id__in=list(account_ids), status__in=OPEN_STATUSES, amount_due__gt=0
        )
        .values("billing_account__account_id")
        .annotate(
            balance=Sum("amount_due"),
            overdue=Sum("amount_due", filter=overdue),
            oldest=Min("due_date", filter=overdue),
        )
    )
    found = {
        row["billing_account__account_id"]: Standing(
            days_past_due=(today - row["oldest"]).days if row["oldest"] else 0,
            overdue_amount=row["overdue"] or ZERO,
            balance_amount=row["balance"] or ZERO,
        )
        for row in rows
    }
    return {account_id: found.get(account_id, Standing()) for account_id in account_ids}
