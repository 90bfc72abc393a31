"""Dunning: how an overdue payer is chased, counted in days after the due date of its oldest
unpaid invoice, by the policy of its customer type (residential, business).

- The daily pass (`run`) takes, on that oldest invoice, a reminder email on each reminder day
  reached (a missed day is made up once: only the latest day reached is sent), a late fee once
  the grace period is over (a one-time charge billed on the payer's next invoice, once per
  invoice), and on the suspension day a suspend work order for each active service the payer
  pays for (through the product's template, whose code tasks put the subscriber in the walled
  garden). Each step is a `DunningStep` row, written once per invoice, step and day, so a second
  pass on the same day does nothing.
- A payer below the policy's minimum, or one whose promise to pay holds, is left alone; dunning
  resumes when a promise's day passes unpaid.
- Payment clears it (`reconcile`, run by the outbox handlers of dunning_handlers.py): once the
  payer owes less than the minimum overdue, each service dunning suspended gets a restore work
  order (a suspension the customer asked for stays), and the late fee is credited back when the
  policy says so."""

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce

from headend.billing import notifications as billing_notifications
from headend.billing.models import BillingAccount, ChargeKind, Invoice, OneTimeCharge, Subscription
from headend.billing.standing import OPEN_STATUSES
from headend.catalog.models import WorkAction
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.money import ZERO, round_cents
from headend.core.numbers import parse_amount, parse_int, parse_percent
from headend.core.permissions import require
from headend.crm import notifications as crm_notifications
from headend.crm.models import Account
from headend.crm.tasks import send_customer_email
from headend.fulfillment.cancellation import work_order_cancel
from headend.fulfillment.models import Task, WorkOrder
from headend.fulfillment.work_orders import service_action_request
from headend.inventory.models import Service

from .models import DunningPolicy, DunningStep, DunningSuspension, Payment, PromiseToPay

# The source keys of a late fee's one-time charges: the fee, its waivers, charging it again.
FEE = "late-fee:"
WAIVED = "late-fee-waived:"
REINSTATED = "late-fee-reinstated:"

logger = logging.getLogger(__name__)

Step = DunningStep.Step
# The namespace of reminder emails' keys (CustomerEmail.event_id): one email per invoice and day.
NAMESPACE = uuid.UUID("0b7c3f5e-2d4a-4e61-9a8e-5d2f6c1b7a93")
PROMISE_MAX_DAYS = 60
DEFAULTS: dict[str, Any] = {
    "grace_days": 10,
    "minimum_overdue_amount": Decimal("5.00"),
    "reminder_days": [1, 7],
    "late_fee_amount": Decimal("10.00"),
    "late_fee_percent": Decimal(0),
    "suspend_after_days": 30,
    "waive_late_fee_on_payment": False,
}


# Policies -------------------------------------------------------------------------------------


def policy_for(customer_type: str) -> DunningPolicy:
    """The dunning policy of a customer type, made with the defaults when it has none yet."""
    if customer_type not in Account.Kind.values:
        raise ValidationError(
            f"{customer_type!r} is not a customer type.", field="customer_type", code="invalid_choice"
        )
    policy, _ = DunningPolicy.objects.get_or_create(
        customer_type=customer_type, defaults={**DEFAULTS, "updated_at": clock.now()}
    )
    return policy


def _days(value: Any, field: str) -> int:
    return parse_int(value, field=field, minimum=0, maximum=365)


def _suspend_day(value: Any, field: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_int(value, field=field, minimum=1, maximum=365)


def _money(value: Any, field: str) -> Decimal:
    return parse_amount(value, field=field, minimum=0)


def _percent(value: Any, field: str) -> Decimal:
    return parse_percent(value, field=field)


def _reminder_days(value: Any, field: str) -> list[int]:
    """Distinct days 1 to 365, from a list or text such as "1, 7"; sorted."""
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, list | tuple):
        raise ValidationError("Give the reminder days as a list of days, such as 1, 7.", field=field, code="invalid")
    days = [parse_int(day, field=field, minimum=1, maximum=365) for day in value]
    if len(set(days)) != len(days):
        raise ValidationError("Each reminder day once.", field=field, code="duplicate")
    return sorted(days)


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no", ""):
        return False
    raise ValidationError("Yes or no.", field=field, code="invalid")


PARSERS = {
    "grace_days": _days,
    "minimum_overdue_amount": _money,
    "reminder_days": _reminder_days,
    "late_fee_amount": _money,
    "late_fee_percent": _percent,
    "suspend_after_days": _suspend_day,
    "waive_late_fee_on_payment": _flag,
}


@transaction.atomic
def policy_update(*, policy: DunningPolicy, updated_by: Any, **fields: Any) -> DunningPolicy:
    """Change how a customer type is chased. Raises ValidationError naming the field (an
    unknown field, reminder days that are not distinct days 1 to 365, a grace period after the
    suspension day, a negative amount, a percent outside 0 to 100); nothing is written then."""
    require(updated_by, "dunning.manage")
    for name in fields:
        if name not in PARSERS:
            raise ValidationError(f"{name} cannot be changed.", field=name, code="unknown_field")
    values: dict[str, Any] = {name: PARSERS[name](value, name) for name, value in fields.items()}
    policy = DunningPolicy.objects.select_for_update().get(pk=policy.pk)
    grace = values.get("grace_days", policy.grace_days)
    suspend = values.get("suspend_after_days", policy.suspend_after_days)
    if suspend is not None and grace > suspend:
        field = "grace_days" if "grace_days" in values else "suspend_after_days"
        raise ValidationError(
            f"The grace period ({grace} days) must end by the suspension day ({suspend}).",
            field=field,
            code="grace_after_suspension",
        )
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_at = clock.now()
    policy.save()
    events.emit("dunning_policy.updated", subject=policy, data={"fields": sorted(values)})
    return policy


# Promises to pay ------------------------------------------------------------------------------


def active_promise(payer: BillingAccount, on: dt.date) -> PromiseToPay | None:
    """The payer's promise that holds on `on` (not cancelled, its day not passed)."""
    return PromiseToPay.objects.filter(billing_account=payer, cancelled_at=None, until__gte=on).first()


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValidationError("Give a date, not a time.", field=field, code="invalid")
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError("Give the date as YYYY-MM-DD.", field=field, code="invalid") from None


@transaction.atomic
def promise_create(
    *, billing_account: BillingAccount, until: Any, amount: Any, note: str, created_by: Any
) -> PromiseToPay:
    """The payer promised to pay `amount` by `until` (tomorrow to 60 days out): dunning holds off
    until then. Raises ValidationError (a day out of range, an amount not above zero, an
    account that pays through its parent) or Conflict (a promise already holds)."""
    require(created_by, "dunning.promise")
    today = clock.today()
    day = _date(until, "until")
    if day <= today:
        raise ValidationError("A promise is to pay by a day after today.", field="until", code="past")
    if day > today + dt.timedelta(days=PROMISE_MAX_DAYS):
        raise ValidationError(f"A promise is to pay within {PROMISE_MAX_DAYS} days.", field="until", code="too_far")
    value = parse_amount(amount, field="amount", minimum=Decimal("0.01"))
    payer = BillingAccount.objects.select_for_update().get(pk=billing_account.pk)
    if payer.parent_id is not None:
        raise ValidationError(
            f"{payer.number} is paid by {payer.payer.number}: the promise is the payer's.",
            field="billing_account",
            code="not_payer",
        )
    held = active_promise(payer, today)
    if held is not None:
        raise Conflict(
            f"{payer.number} promised to pay by {held.until:%B %-d, %Y} already; cancel that promise first.",
            field="billing_account",
            code="promise_exists",
        )
    promise = PromiseToPay.objects.create(
        billing_account=payer,
        until=day,
        amount=value,
        note=(note or "").strip()[:200],
        created_by=created_by if getattr(created_by, "pk", None) else None,
        created_at=clock.now(),
    )
    events.emit(
        "promise_to_pay.created",
        subject=promise,
        data={"billing_account_id": payer.pk, "until": day.isoformat(), "amount": str(value)},
    )
    return promise


@transaction.atomic
def promise_cancel(*, promise: PromiseToPay, cancelled_by: Any) -> PromiseToPay:
    """Withdraw a promise that still holds: dunning goes on at the next pass. Raises Conflict
    when it was cancelled already or its day has passed."""
    require(cancelled_by, "dunning.promise")
    promise = PromiseToPay.objects.select_for_update().get(pk=promise.pk)
    if promise.cancelled_at is not None or promise.until < clock.today():
        raise Conflict("That promise no longer holds.", field="promise", code="promise_over")
    promise.cancelled_at = clock.now()
    promise.save(update_fields=["cancelled_at"])
    events.emit("promise_to_pay.cancelled", subject=promise, data={"billing_account_id": promise.billing_account_id})
    return promise


# The pass ---------------------------------------------------------------------------------------


def _overdue_invoices(as_of: dt.date) -> Any:
    return Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status__in=OPEN_STATUSES, amount_due__gt=0, due_date__lt=as_of
    )


@dataclass(frozen=True)
class Candidate:
    payer_id: int
    customer_type: str
    oldest_due: dt.date
    overdue_amount: Decimal


def candidates(as_of: dt.date) -> list[Candidate]:
    """Every payer with an invoice past due on `as_of`, in one grouped query, longest overdue
    first."""
    rows = (
        _overdue_invoices(as_of)
        .values("billing_account_id", "billing_account__account__kind")
        .annotate(oldest=Min("due_date"), overdue=Sum("amount_due"))
        .order_by("oldest", "billing_account_id")
    )
    return [
        Candidate(row["billing_account_id"], row["billing_account__account__kind"], row["oldest"], row["overdue"])
        for row in rows
    ]


def _policies() -> dict[str, DunningPolicy]:
    return {kind: policy_for(kind) for kind in Account.Kind.values}


def run(as_of: dt.date) -> dict[str, int]:
    """The daily dunning pass as of `as_of`: the steps due for each overdue payer (see the
    module's docstring), each payer in its own transaction; then the payers with services
    dunning suspended are reconciled (a restore an event could not make yet is made now).
    Returns how many reminders, late fees, suspended and restored services (keys: the
    DunningStep steps) and `accounts_examined`, the payers past due. Running it again on the
    same day takes no step twice."""
    counts = {"accounts_examined": 0, Step.REMINDER: 0, Step.LATE_FEE: 0, Step.SUSPENSION: 0, Step.RESTORE: 0}
    policies = _policies()
    found = candidates(as_of)
    promised = set(
        PromiseToPay.objects.filter(cancelled_at=None, until__gte=as_of).values_list("billing_account_id", flat=True)
    )
    maybe = _maybe_due(found, as_of, policies)
    for row in found:
        counts["accounts_examined"] += 1
        policy = policies[row.customer_type]
        if row.payer_id in promised or row.overdue_amount < policy.minimum_overdue_amount:
            continue
        if row.payer_id not in maybe:
            continue
        try:
            taken = _dun(row.payer_id, as_of=as_of, policy=policy)
        except Exception:  # one payer's fault never stops the pass; the next pass tries again
            logger.exception("dunning as of %s: billing account %s failed", as_of, row.payer_id)
            continue
        for step, count in taken.items():
            counts[step] += count
    counts[Step.RESTORE] = _reconcile_suspended()
    return counts


def payers_with_live_services() -> set[int]:
    """The payers paying for at least one active service (their own or their children's)."""
    return set(
        Subscription.objects.filter(service__status=Service.Status.ACTIVE)
        .annotate(payer=Coalesce("billing_account__parent_id", "billing_account_id"))
        .values_list("payer", flat=True)
    )


def _maybe_due(found: list[Candidate], as_of: dt.date, policies: dict[str, DunningPolicy]) -> set[int]:
    """The payers that may have a step due, read for all of them in two queries: most overdue
    payers were dealt with on an earlier day and need no transaction today. It may name a payer
    with nothing due (`_dun` decides on the locked state); it never leaves out one that has."""
    steps: dict[tuple[int, dt.date], list[DunningStep]] = {}
    for step in (
        DunningStep.objects.filter(invoice__in=_overdue_invoices(as_of))
        .only("billing_account_id", "step", "day", "invoice__due_date")
        .select_related("invoice")
    ):
        steps.setdefault((step.billing_account_id, step.invoice.due_date), []).append(step)
    with_services = payers_with_live_services()
    maybe = set()
    for row in found:
        policy, days = policies[row.customer_type], (as_of - row.oldest_due).days
        taken = steps.get((row.payer_id, row.oldest_due), [])
        if (
            _reminder_due(policy.reminder_days, days, taken)
            or (days >= policy.grace_days and not any(step.step == Step.LATE_FEE for step in taken))
            or (
                policy.suspend_after_days is not None
                and days >= policy.suspend_after_days
                and row.payer_id in with_services
            )
        ):
            maybe.add(row.payer_id)
    return maybe


def _reconcile_suspended() -> int:
    """Reconcile each payer with a dunning suspension not yet lifted."""
    restored = 0
    payer_ids = (
        DunningSuspension.objects.filter(restored_at=None, restore_requested_at=None)
        .values_list("billing_account_id", flat=True)
        .distinct()
        .order_by("billing_account_id")
    )
    for payer in BillingAccount.objects.filter(pk__in=list(payer_ids)).order_by("pk"):
        try:
            restored += reconcile(payer)
        except Exception:  # as above: the next pass or event tries again
            logger.exception("dunning: reconciling billing account %s failed", payer.pk)
    return restored


@transaction.atomic
def _dun(payer_id: int, *, as_of: dt.date, policy: DunningPolicy) -> dict[str, int]:
    """The steps due for one payer, decided on its locked state (a payment may have come)."""
    payer = BillingAccount.objects.select_for_update(of=("self",)).select_related("account", "contact").get(pk=payer_id)
    invoices = list(_overdue_invoices(as_of).filter(billing_account=payer).order_by("due_date", "id"))
    overdue = sum((invoice.amount_due for invoice in invoices), ZERO)
    if not invoices or overdue < policy.minimum_overdue_amount or active_promise(payer, as_of) is not None:
        return {}
    if overdue - clearing(payer) < policy.minimum_overdue_amount:
        return {}  # an ACH debit on its way pays it: nobody is chased while their bank clears it
    invoice = invoices[0]
    days = (as_of - invoice.due_date).days
    steps = list(DunningStep.objects.filter(invoice=invoice))
    at = clock.now()
    taken: dict[str, int] = {}
    if _reminder_due(policy.reminder_days, days, steps):
        _remind(payer, invoice, days=days, overdue=overdue, policy=policy, at=at)
        taken[Step.REMINDER] = 1
    if (
        days >= policy.grace_days
        and not any(step.step == Step.LATE_FEE for step in steps)
        and settings.HEADEND_BILLER == "headend"  # an external biller charges its own fees
    ):
        taken[Step.LATE_FEE] = _charge_late_fee(payer, invoice, days=days, policy=policy, as_of=as_of, at=at)
    if policy.suspend_after_days is not None and days >= policy.suspend_after_days:
        taken[Step.SUSPENSION] = _suspend(payer, invoice, days=days, at=at)
    return taken


def clearing(payer: BillingAccount) -> Decimal:
    """What the payer's payments still on their way (an ACH debit clearing) will pay."""
    pending = Payment.objects.filter(billing_account=payer, status=Payment.Status.PENDING).aggregate(
        total=Sum("amount")
    )["total"]
    return pending or ZERO


def _reminder_due(reminder_days: Iterable[int], days: int, steps: list[DunningStep]) -> bool:
    """A reminder is due when the latest reminder day reached has none sent on or after it."""
    reached = [day for day in reminder_days if day <= days]
    if not reached:
        return False
    latest = max(reached)
    return not any(step.step == Step.REMINDER and step.day >= latest for step in steps)


def _record(
    payer: BillingAccount, invoice: Invoice, step: str, *, day: int, at: dt.datetime, amount: Decimal | None = None,
    detail: str = "",
) -> DunningStep:  # fmt: skip
    row, created = DunningStep.objects.get_or_create(
        invoice=invoice,
        step=step,
        day=day,
        defaults={"billing_account": payer, "amount": amount, "detail": detail[:300], "at": at},
    )
    if created:
        events.emit(
            f"dunning.{step}",
            subject=row,
            data={"billing_account_id": payer.pk, "invoice_id": invoice.pk, "day": day},
        )
    return row


def _remind(
    payer: BillingAccount, invoice: Invoice, *, days: int, overdue: Decimal, policy: DunningPolicy, at: dt.datetime
) -> DunningStep:
    """Queue the reminder email (sent after commit) and record the step."""
    to = billing_notifications.recipient(payer)
    if not to:
        return _record(payer, invoice, Step.REMINDER, day=days, at=at, detail="No email address: nothing sent.")
    subject, body = _reminder_wording(payer, invoice, days=days, overdue=overdue, policy=policy)
    email, created = crm_notifications.email_record(
        key=uuid.uuid5(NAMESPACE, f"reminder:{invoice.pk}:{days}"),
        account=payer.account,
        to=to,
        subject=subject,
        body=body,
    )
    if created:
        email_id = email.pk
        transaction.on_commit(lambda: send_customer_email.enqueue(email_id))
    return _record(payer, invoice, Step.REMINDER, day=days, at=at, detail=f"Emailed to {to}")


def _reminder_wording(
    payer: BillingAccount, invoice: Invoice, *, days: int, overdue: Decimal, policy: DunningPolicy
) -> tuple[str, str]:
    provider = settings.HEADEND_PROVIDER_NAME
    subject = f"{provider}: payment reminder for {payer.number}"
    lines = [
        "Hello,",
        "",
        f"{overdue} {payer.currency} is past due on {payer.number}. Invoice {invoice.number} was due on "
        f"{invoice.due_date:%B %-d, %Y}, {days} days ago.",
    ]
    fee = late_fee_of(policy, invoice)
    if days < policy.grace_days and fee > 0:
        when = invoice.due_date + dt.timedelta(days=policy.grace_days)
        lines.append(f"A late fee of {fee} {payer.currency} is added if it is still unpaid on {when:%B %-d, %Y}.")
    if policy.suspend_after_days is not None and days < policy.suspend_after_days:
        when = invoice.due_date + dt.timedelta(days=policy.suspend_after_days)
        lines.append(f"Service is suspended if the balance is still unpaid on {when:%B %-d, %Y}.")
    lines += ["", "If you have paid already, thank you: please disregard this reminder.", "", provider]
    return subject, "\n".join(lines)


def late_fee_of(policy: DunningPolicy, invoice: Invoice) -> Decimal:
    """The fixed fee plus the percent of what the invoice still owes, to the cent."""
    return round_cents(policy.late_fee_amount + invoice.amount_due * policy.late_fee_percent / 100)


def _charge_late_fee(
    payer: BillingAccount, invoice: Invoice, *, days: int, policy: DunningPolicy, as_of: dt.date, at: dt.datetime
) -> int:
    """The invoice's late fee, a one-time charge on the payer's next invoice; once per invoice
    (its source key), nothing when the policy charges none."""
    amount = late_fee_of(policy, invoice)
    if amount <= 0:
        return 0
    charge, created = OneTimeCharge.objects.get_or_create(
        source_key=f"{FEE}{invoice.pk}",
        defaults={
            "billing_account": payer,
            "kind": ChargeKind.LATE_FEE,
            "description": f"Late fee: {invoice.number} unpaid {days} days after its due date",
            "amount": amount,
            "incurred_on": as_of,
            "cause": "Dunning",
            "created_at": at,
        },
    )
    if created:
        events.emit("charge.added", subject=charge, data={"amount": str(amount), "billing_account": payer.pk})
    _record(payer, invoice, Step.LATE_FEE, day=days, at=at, amount=charge.amount, detail=charge.description)
    return 1 if created else 0


def _open_work(service_ids: Iterable[int]) -> set[int]:
    return set(
        WorkOrder.objects.filter(service_id__in=list(service_ids))
        .exclude(status__in=[WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED])
        .values_list("service_id", flat=True)
    )


def _suspend(payer: BillingAccount, invoice: Invoice, *, days: int, at: dt.datetime) -> int:
    """A suspend work order for each active service the payer pays for (its own and its
    children's); a service with open work is left for the next pass."""
    services = [
        subscription.service
        for subscription in Subscription.objects.filter(
            Q(billing_account=payer) | Q(billing_account__parent=payer), service__status=Service.Status.ACTIVE
        )
        .select_related("service")
        .order_by("service_id")
    ]
    held = set(
        DunningSuspension.objects.filter(service__in=services, restored_at=None).values_list("service_id", flat=True)
    )
    busy = _open_work(service.pk for service in services)
    reason = f"Non-payment: {invoice.number} {days} days past due"
    suspended = []
    for service in services:
        if service.pk in held or service.pk in busy:
            continue
        try:
            service_action_request(service=service, action=WorkAction.SUSPEND, reason=reason, requested_by=None)
        except (Conflict, ValidationError) as exc:  # no suspend template, or changed meanwhile
            logger.warning("dunning: %s not suspended: %s", service.number, exc)
            continue
        DunningSuspension.objects.create(service=service, billing_account=payer, invoice=invoice, suspended_at=at)
        suspended.append(service.number)
    if suspended:
        _record(payer, invoice, Step.SUSPENSION, day=days, at=at, detail=f"Suspend requested: {', '.join(suspended)}")
    return len(suspended)


# Payment clears it -----------------------------------------------------------------------------


def overdue_amount(payer: BillingAccount, on: dt.date) -> Decimal:
    total = _overdue_invoices(on).filter(billing_account=payer).aggregate(total=Sum("amount_due"))["total"]
    return total or ZERO


def _has_dunning(payer: BillingAccount) -> bool:
    return (
        DunningSuspension.objects.filter(billing_account=payer, restored_at=None).exists()
        or OneTimeCharge.objects.filter(billing_account=payer, source_key__startswith="late-fee:").exists()
    )


@transaction.atomic
def reconcile(payer: BillingAccount) -> int:
    """The payer paid (or an invoice was settled or written off): once it owes less than its
    policy's minimum overdue, restore each service dunning suspended (a suspend not yet done is
    called off; one under way is restored when its service is suspended) and, if the policy
    says, credit back the late fees of invoices paid. Returns how many suspensions it lifted (a
    restore asked for, or a suspension called off). A promise to pay does not clear: only
    payment does."""
    if not _has_dunning(payer):
        return 0
    payer = BillingAccount.objects.select_for_update(of=("self",)).select_related("account").get(pk=payer.pk)
    today, at = clock.today(), clock.now()
    policy = policy_for(payer.account.kind)
    if overdue_amount(payer, today) >= policy.minimum_overdue_amount:
        return 0
    if policy.waive_late_fee_on_payment:
        _waive_late_fees(payer, today=today, at=at)
    suspensions = DunningSuspension.objects.filter(
        billing_account=payer, restored_at=None, restore_requested_at=None
    ).select_related("invoice")
    return sum(_lift(suspension, payer, today=today, at=at) for suspension in suspensions.order_by("pk"))


def _lift(suspension: DunningSuspension, payer: BillingAccount, *, today: dt.date, at: dt.datetime) -> int:
    service = Service.objects.select_for_update().get(pk=suspension.service_id)
    work = (
        WorkOrder.objects.filter(service=service)
        .exclude(status__in=[WorkOrder.Status.COMPLETED, WorkOrder.Status.CANCELLED])
        .first()
    )
    day = max((today - suspension.invoice.due_date).days, 0)
    if service.status == Service.Status.SUSPENDED and work is None:
        service_action_request(
            service=service,
            action=WorkAction.RESTORE,
            reason=f"Paid: {payer.number} is no longer overdue",
            requested_by=None,
        )
        suspension.restore_requested_at = at
        suspension.save(update_fields=["restore_requested_at"])
        _record(payer, suspension.invoice, Step.RESTORE, day=day, at=at, detail=f"Restore requested: {service.number}")
        return 1
    if service.status != Service.Status.ACTIVE:
        return 0  # other work on it, or disconnected: the next event or pass looks again
    if work is not None:
        if work.action != WorkAction.SUSPEND or work.cancel_requested_at is not None:
            return 0
        if work.tasks.filter(status=Task.Status.DONE).exists():
            return 0  # the network is being changed: restored when service.suspended arrives
        work_order_cancel(work_order=work, at=at, reason=f"Paid: {payer.number} is no longer overdue")
        detail = f"Suspension of {service.number} called off"
    else:
        detail = f"{service.number} was active again"
    suspension.restore_requested_at = suspension.restored_at = at
    suspension.save(update_fields=["restore_requested_at", "restored_at"])
    _record(payer, suspension.invoice, Step.RESTORE, day=day, at=at, detail=detail)
    return 1


def _fee_charges(invoice_ids: Iterable[int]) -> dict[int, list[OneTimeCharge]]:
    """Each invoice's late fee and what waived or charged it again since, by invoice id."""
    keys = Q()
    for invoice_id in invoice_ids:
        keys |= Q(source_key=f"{FEE}{invoice_id}") | Q(source_key__startswith=f"{WAIVED}{invoice_id}")
        keys |= Q(source_key__startswith=f"{REINSTATED}{invoice_id}:")
    found: dict[int, list[OneTimeCharge]] = {}
    if not keys:
        return found
    for charge in OneTimeCharge.objects.filter(keys).order_by("pk"):
        invoice_id = int(charge.source_key.split(":")[1])
        found.setdefault(invoice_id, []).append(charge)
    return found


def _next_key(prefix: str, invoice_id: int, charges: list[OneTimeCharge]) -> str:
    """`late-fee-waived:<id>` the first time, then `...:<id>:2`, `:3`... (each written once)."""
    taken = sum(1 for charge in charges if charge.source_key.startswith(f"{prefix}{invoice_id}"))
    return f"{prefix}{invoice_id}" if prefix == WAIVED and taken == 0 else f"{prefix}{invoice_id}:{taken + 1}"


def _waive_late_fees(payer: BillingAccount, *, today: dt.date, at: dt.datetime) -> int:
    """Credit back the late fee of each of the payer's invoices now paid in full whose fee
    stands (charged and not waived since); a fee of an invoice written off stays."""
    if settings.HEADEND_BILLER != "headend":
        return 0
    fee_ids = [
        int(key.removeprefix(FEE))
        for key in OneTimeCharge.objects.filter(billing_account=payer, source_key__startswith=FEE).values_list(
            "source_key", flat=True
        )
    ]
    charges = _fee_charges(fee_ids)
    paid = Invoice.objects.filter(pk__in=fee_ids, status=Invoice.Status.SETTLED, write_offs=None)
    count = 0
    for invoice in paid.order_by("pk"):
        standing = sum((charge.amount for charge in charges[invoice.pk]), ZERO)
        if standing <= 0:
            continue
        credit = OneTimeCharge.objects.create(
            billing_account=payer,
            kind=ChargeKind.LATE_FEE,
            description=f"Late fee waived: {invoice.number} paid",
            amount=-standing,
            incurred_on=today,
            cause="Dunning: paid in full",
            source_key=_next_key(WAIVED, invoice.pk, charges[invoice.pk]),
            created_at=at,
        )
        events.emit("charge.added", subject=credit, data={"amount": str(credit.amount), "billing_account": payer.pk})
        day = max((today - invoice.due_date).days, 0)
        _record(payer, invoice, Step.LATE_FEE_WAIVED, day=day, at=at, amount=credit.amount, detail=credit.description)
        count += 1
    return count


@transaction.atomic
def reinstate_late_fee(invoice: Invoice) -> OneTimeCharge | None:
    """The payment that had a late fee waived came back (a bounced cheque, a chargeback): the
    fee is charged again, once per waiver."""
    charges = _fee_charges([invoice.pk]).get(invoice.pk, [])
    if not any(charge.source_key.startswith(WAIVED) for charge in charges):
        return None
    fee = next((charge for charge in charges if charge.source_key == f"{FEE}{invoice.pk}"), None)
    standing = sum((charge.amount for charge in charges), ZERO)
    if fee is None or standing >= fee.amount:
        return None
    again = OneTimeCharge.objects.create(
        billing_account=fee.billing_account,
        kind=ChargeKind.LATE_FEE,
        description=f"Late fee charged again: the payment of {invoice.number} came back",
        amount=fee.amount - standing,
        incurred_on=clock.today(),
        cause="Dunning: payment reversed",
        source_key=_next_key(REINSTATED, invoice.pk, charges),
        created_at=clock.now(),
    )
    events.emit(
        "charge.added", subject=again, data={"amount": str(again.amount), "billing_account": fee.billing_account_id}
    )
    return again


@transaction.atomic
def suspension_closed(*, service: Service, at: dt.datetime) -> int:
    """The service is active again: its open dunning suspension (if any) is over."""
    return DunningSuspension.objects.filter(service=service, restored_at=None).update(restored_at=at)


# Reads for the staff pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    """One payer in the dunning queue."""

    payer: BillingAccount
    account_name: str
    days_past_due: int
    overdue_amount: Decimal
    last_step: DunningStep | None
    next_action: str
    next_action_date: dt.date | None
    promise: PromiseToPay | None
    suspended_services: int


def next_action(
    policy: DunningPolicy,
    *,
    due_date: dt.date,
    days: int,
    steps: list[DunningStep],
    as_of: dt.date,
    has_services: bool = True,
) -> tuple[str, dt.date | None]:
    """What dunning does next for an invoice `days` past due, and on which day: a step due but
    not taken is for the next pass (`as_of`); ("", None) when nothing is left to do, and a word
    for staff when only a suspension is left but the payer has no live service to suspend."""
    planned: list[tuple[dt.date, int, str]] = []
    if _reminder_due(policy.reminder_days, days, steps):
        planned.append((as_of, 2, "Reminder"))
    later = [day for day in policy.reminder_days if day > days]
    if later:
        planned.append((due_date + dt.timedelta(days=min(later)), 2, "Reminder"))
    charged = any(step.step == Step.LATE_FEE for step in steps)
    if not charged and (policy.late_fee_amount > 0 or policy.late_fee_percent > 0):
        planned.append((max(due_date + dt.timedelta(days=policy.grace_days), as_of), 1, "Late fee"))
    suspended = any(step.step == Step.SUSPENSION for step in steps)
    if policy.suspend_after_days is not None and not suspended:
        if not has_services and not planned:
            return "Nothing to suspend: collect by hand", None
        if has_services:
            planned.append((max(due_date + dt.timedelta(days=policy.suspend_after_days), as_of), 0, "Suspension"))
    if not planned:
        return "", None
    day, _, label = min(planned)
    return label, day


def queue(as_of: dt.date) -> list[QueueRow]:
    """Every payer dunning chases on `as_of` (past due, at least the minimum overdue), with its
    last step, what comes next and when (after its promise, when one holds); longest overdue
    first."""
    policies = _policies()
    found = [
        row for row in candidates(as_of) if row.overdue_amount >= policies[row.customer_type].minimum_overdue_amount
    ]
    # Each read below is one query over every overdue payer (a subquery, not a list of ids).
    overdue = _overdue_invoices(as_of)
    ids = overdue.values("billing_account_id")
    payers = {payer.pk: payer for payer in BillingAccount.objects.select_related("account").filter(pk__in=ids)}
    oldest: dict[int, Invoice] = {}
    for invoice in overdue.order_by("due_date", "id"):
        oldest.setdefault(invoice.billing_account_id, invoice)
    steps_by_invoice: dict[int, list[DunningStep]] = {}
    for step in DunningStep.objects.filter(invoice__in=overdue):
        steps_by_invoice.setdefault(step.invoice_id, []).append(step)
    last: dict[int, DunningStep] = {}
    for step in DunningStep.objects.filter(billing_account_id__in=ids).order_by("-at", "-id"):
        last.setdefault(step.billing_account_id, step)
    promises: dict[int, PromiseToPay] = {}
    for held in PromiseToPay.objects.filter(cancelled_at=None, until__gte=as_of):
        promises.setdefault(held.billing_account_id, held)
    suspended = dict(
        DunningSuspension.objects.filter(billing_account_id__in=ids, restored_at=None)
        .values("billing_account_id")
        .annotate(n=Count("id"))
        .values_list("billing_account_id", "n")
    )
    live = payers_with_live_services()
    rows = []
    for row in found:
        invoice = oldest[row.payer_id]
        days = (as_of - row.oldest_due).days
        label, day = next_action(
            policies[row.customer_type],
            due_date=invoice.due_date,
            days=days,
            steps=steps_by_invoice.get(invoice.pk, []),
            as_of=as_of,
            has_services=row.payer_id in live,
        )
        promise = promises.get(row.payer_id)
        if promise is not None and day is not None:
            day = max(day, promise.until + dt.timedelta(days=1))
        rows.append(
            QueueRow(
                payer=payers[row.payer_id],
                account_name=payers[row.payer_id].account.name,
                days_past_due=days,
                overdue_amount=row.overdue_amount,
                last_step=last.get(row.payer_id),
                next_action=label,
                next_action_date=day,
                promise=promise,
                suspended_services=suspended.get(row.payer_id, 0),
            )
        )
    rows.sort(key=lambda shown: (-shown.days_past_due, shown.payer.pk))
    return rows


def steps_of(payer: BillingAccount) -> list[DunningStep]:
    """The steps dunning took for the payer, newest first (the account page)."""
    return list(DunningStep.objects.filter(billing_account=payer).select_related("invoice").order_by("-at", "-id"))


# The worker loop's daily pass -------------------------------------------------------------------


class DailyPass:
    """The worker loop's daily dunning pass (`relay_outbox --follow`): once the provider's clock
    passes settings.HEADEND_DUNNING_RUN_AT ("03:00"; empty or unset: off, run
    `manage.py run_dunning` from cron instead), a pass as of today, once a day."""

    def __init__(self) -> None:
        self.done_for: dt.date | None = None

    def __call__(self, should_stop: Any) -> int:
        at = settings.HEADEND_DUNNING_RUN_AT
        if not at:
            return 0
        now = clock.now().astimezone(clock.provider_zone())
        today = now.date()
        if self.done_for == today or now.time() < dt.time.fromisoformat(at):
            return 0
        self.done_for = today
        counts = run(today)
        return sum(count for name, count in counts.items() if name != "accounts_examined")
