"""A customer account's payment standing in one line, for the top of its page: what it owes, how
late and how much of it is overdue, where dunning stands, a promise to pay and autopay; and a
colour staff read at a glance (green: nothing overdue; amber: overdue within the dunning grace
period or a promise holds; red: past the grace period, or a service suspended for non-payment)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from headend.billing.models import BillingAccount, Invoice
from headend.billing.standing import OPEN_STATUSES, payment_standing
from headend.core.money import default_currency, format_amount
from headend.crm.models import Account

from .dunning import DEFAULTS
from .models import DunningPolicy, DunningStep, DunningSuspension, PaymentMethod, PromiseToPay

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class AccountStanding:
    level: str  # GREEN, AMBER or RED
    headline: str  # "60 days late: $1,240.00 overdue"
    currency: str
    balance_amount: Decimal
    overdue_amount: Decimal
    days_past_due: int
    oldest_invoice: Invoice | None  # the oldest unpaid invoice past its due date
    last_step: DunningStep | None
    suspended_services: int
    promise: PromiseToPay | None
    autopay: PaymentMethod | None
    grace_days: int


def _days(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'}"


def account_standing(account: Account, *, today: dt.date) -> AccountStanding | None:
    """The account's standing on `today` over the billing accounts that pay for it (its own, and
    a parent paying for one of them); None while it has no billing account."""
    billing_accounts = list(BillingAccount.objects.filter(account=account).select_related("parent"))
    if not billing_accounts:
        return None
    payer_ids = {billing_account.payer.pk for billing_account in billing_accounts}
    own_ids = [billing_account.pk for billing_account in billing_accounts]
    currency = billing_accounts[0].currency or default_currency()
    standing = payment_standing(account_ids=[account.pk], today=today)[account.pk]
    oldest = (
        Invoice.objects.filter(
            billing_account_id__in=own_ids, status__in=OPEN_STATUSES, amount_due__gt=0, due_date__lt=today
        )
        .order_by("due_date", "id")
        .first()
    )
    promise = (
        PromiseToPay.objects.filter(billing_account_id__in=payer_ids, cancelled_at=None, until__gte=today)
        .order_by("until", "id")
        .first()
    )
    autopay = PaymentMethod.objects.filter(
        billing_account_id__in=payer_ids, status=PaymentMethod.Status.ACTIVE, autopay=True
    ).first()
    last_step = (
        DunningStep.objects.filter(billing_account_id__in=payer_ids)
        .select_related("invoice")
        .order_by("-at", "-id")
        .first()
        if standing.overdue_amount
        else None
    )
    suspended = DunningSuspension.objects.filter(service__account=account, restored_at=None).count()
    policy = DunningPolicy.objects.filter(customer_type=account.kind).only("grace_days").first()
    grace_days = policy.grace_days if policy is not None else DEFAULTS["grace_days"]
    level, headline = _headline(
        standing.overdue_amount,
        standing.balance_amount,
        standing.days_past_due,
        currency,
        promise,
        suspended,
        grace_days,
    )
    return AccountStanding(
        level=level,
        headline=headline,
        currency=currency,
        balance_amount=standing.balance_amount,
        overdue_amount=standing.overdue_amount,
        days_past_due=standing.days_past_due,
        oldest_invoice=oldest,
        last_step=last_step,
        suspended_services=suspended,
        promise=promise,
        autopay=autopay,
        grace_days=grace_days,
    )


def _headline(
    overdue: Decimal,
    balance: Decimal,
    days: int,
    currency: str,
    promise: PromiseToPay | None,
    suspended: int,
    grace_days: int,
) -> tuple[str, str]:
    if overdue <= 0:
        if balance > 0:
            return GREEN, f"Nothing overdue: {format_amount(balance, currency)} not yet due"
        return GREEN, "Paid up"
    late = f"{_days(days)} late: {format_amount(overdue, currency)} overdue"
    if suspended:
        return RED, f"{late}, {suspended} service{'' if suspended == 1 else 's'} suspended"
    if promise is not None:
        promised = f"promised {format_amount(promise.amount, currency)} by {promise.until:%b} {promise.until.day}"
        return AMBER, f"{late}, {promised}"
    return (RED if days > grace_days else AMBER), late
