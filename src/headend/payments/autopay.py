"""Autopay: each open invoice of a payer with an autopay method is charged on its due date, and
after a failure again on the days of settings.HEADEND_AUTOPAY_RETRY_DAYS after it (3 and 7 by
default); after the last, dunning takes over.

Attempt N of an invoice is a row written first, in its own transaction (a second runner loses
on the unique (invoice, attempt) and moves on); its idempotency key is the invoice and N, and
its payment carries that key. A process that dies mid-way leaves the attempt `pending`: the
next run finishes its payment through `payments.payment_confirm`, which only ever confirms the
one charge the payment names, so nobody is charged twice whatever the worker does, even when
the run comes a day later and the gateway has forgotten the key."""

import datetime as dt
import logging
from collections import Counter
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from headend.billing.models import Invoice
from headend.billing.standing import OPEN_STATUSES
from headend.core import clock, events
from headend.core.errors import DomainError

from . import gateway, payments
from .models import AutopayAttempt, Payment, PaymentMethod

logger = logging.getLogger(__name__)


def next_attempt_on(invoice: Invoice, attempt: int) -> dt.date | None:
    """When attempt `attempt + 1` is due after attempt `attempt` failed; None: no more."""
    retries = list(settings.HEADEND_AUTOPAY_RETRY_DAYS)
    if attempt > len(retries):
        return None
    return invoice.due_date + dt.timedelta(days=retries[attempt - 1])


def _autopay_method(invoice: Invoice) -> PaymentMethod | None:
    return PaymentMethod.objects.filter(
        billing_account_id=invoice.billing_account_id, autopay=True, status=PaymentMethod.Status.ACTIVE
    ).first()


def due_invoices(as_of: dt.date) -> Any:
    """Open invoices due by `as_of` whose payer has an active autopay method."""
    return Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE,
        status__in=OPEN_STATUSES,
        amount_due__gt=0,
        due_date__lte=as_of,
        billing_account__payment_methods__autopay=True,
        billing_account__payment_methods__status=PaymentMethod.Status.ACTIVE,
    ).order_by("due_date", "pk")


def run(as_of: dt.date, *, should_stop: Any = lambda: False) -> dict[str, int]:
    """Charge every invoice whose autopay attempt is due as of `as_of`, and finish attempts a
    dead process left; return counts (settled, attempted, resumed, succeeded, pending, failed,
    skipped, errors). One invoice's fault never stops the run."""
    counts: Counter[str] = Counter()
    if not gateway.configured() or settings.HEADEND_BILLER != "headend":
        return dict(counts)
    counts["settled"] = settle_pending()
    for invoice in due_invoices(as_of).distinct():
        if should_stop():
            break
        try:
            _invoice(invoice, as_of, counts)
        except Exception:  # reported and counted; the next run tries again with the same key
            logger.exception("autopay: invoice %s failed", invoice.pk)
            counts["errors"] += 1
    return dict(counts)


def _invoice(invoice: Invoice, as_of: dt.date, counts: Counter[str]) -> None:
    last = invoice.autopay_attempts.order_by("-attempt").first()
    if last is not None and last.status == AutopayAttempt.Status.PENDING:
        counts["resumed"] += 1
        counts[_charge(last)] += 1
        return
    if last is None:
        number = 1
    elif last.status == AutopayAttempt.Status.FAILED and last.next_attempt_on and last.next_attempt_on <= as_of:
        number = last.attempt + 1
    else:
        return  # paid, skipped, retries spent, or not due yet
    method = _autopay_method(invoice)
    if method is None:
        return
    attempt = _begin(invoice, number, method)
    if attempt is None:
        return  # another runner made it
    counts["attempted"] += 1
    counts[_charge(attempt)] += 1


def _begin(invoice: Invoice, number: int, method: PaymentMethod) -> AutopayAttempt | None:
    """Write attempt `number` before any charge; None if another runner wrote it first."""
    try:
        with transaction.atomic():
            return AutopayAttempt.objects.create(
                invoice=invoice,
                attempt=number,
                payment_method=method,
                amount=invoice.amount_due,
                due_on=invoice.due_date,
                created_at=clock.now(),
            )
    except IntegrityError:
        return None


def _charge(attempt: AutopayAttempt) -> str:
    """Charge a pending attempt (or finish its payment's charge) and record its outcome; return it."""
    invoice = attempt.invoice
    payment = Payment.objects.filter(idempotency_key=attempt.idempotency_key).first()
    try:
        if payment is None:
            payment = payments.payment_take(
                billing_account=invoice.billing_account,
                amount=attempt.amount,
                payment_method=attempt.payment_method,
                taken_by=None,
                invoices=[invoice.pk],
                idempotency_key=attempt.idempotency_key,
                reference=f"Autopay {invoice.number}",
            )
        else:
            payment = payments.payment_confirm(payment=payment)
    except DomainError as exc:  # paid meanwhile, the method removed: nothing to charge
        return _finish(attempt, AutopayAttempt.Status.SKIPPED, payment=None, error=exc.message)
    if payment.status == Payment.Status.SUCCEEDED:
        return _finish(attempt, AutopayAttempt.Status.SUCCEEDED, payment=payment)
    if payment.status == Payment.Status.FAILED:
        return _finish(attempt, AutopayAttempt.Status.FAILED, payment=payment, error=payment.failure_message)
    AutopayAttempt.objects.filter(pk=attempt.pk).update(payment=payment)  # ACH clearing, or not reached
    return "pending"


@transaction.atomic
def _finish(attempt: AutopayAttempt, status: str, *, payment: Payment | None, error: str = "") -> str:
    attempt = AutopayAttempt.objects.select_for_update().select_related("invoice").get(pk=attempt.pk)
    if attempt.status != AutopayAttempt.Status.PENDING:
        return str(attempt.status)
    attempt.status, attempt.payment, attempt.error = status, payment, error[:300]
    attempt.finished_at = clock.now()
    if status == AutopayAttempt.Status.FAILED:
        attempt.next_attempt_on = next_attempt_on(attempt.invoice, attempt.attempt)
    attempt.save(update_fields=["status", "payment", "error", "finished_at", "next_attempt_on"])
    if status == AutopayAttempt.Status.FAILED:
        events.emit(
            "autopay.failed",
            subject=attempt.invoice,
            data={
                "attempt": attempt.attempt,
                "error": attempt.error,
                "next_attempt_on": str(attempt.next_attempt_on or ""),
            },
        )
    return str(status)


def settle_pending() -> int:
    """Attempts whose ACH payment the gateway has since settled, recorded as such."""
    settled = 0
    for attempt in AutopayAttempt.objects.filter(status=AutopayAttempt.Status.PENDING).exclude(payment=None):
        payment = attempt.payment
        if payment is not None and payment.status == Payment.Status.SUCCEEDED:
            settled += _finish(attempt, AutopayAttempt.Status.SUCCEEDED, payment=payment) == "succeeded"
        elif payment is not None and payment.status in (Payment.Status.FAILED, Payment.Status.REVERSED):
            settled += (
                _finish(attempt, AutopayAttempt.Status.FAILED, payment=payment, error=payment.failure_message)
                == "failed"
            )
    return settled


class DailyAutopay:
    """The worker loop's daily autopay (`relay_outbox --follow`): at the time of the daily bill
    run (settings.HEADEND_AUTOPAY_RUN_AT; empty: off, run `manage.py run_autopay` from cron),
    once a day, as of today."""

    def __init__(self) -> None:
        self.done_for: dt.date | None = None

    def __call__(self, should_stop: Any) -> int:
        at = settings.HEADEND_AUTOPAY_RUN_AT
        if not at:
            return 0
        now = clock.now().astimezone(clock.provider_zone())
        today = now.date()
        if self.done_for == today or now.time() < dt.time.fromisoformat(at):
            return 0
        counts = run(today, should_stop=should_stop)
        if not should_stop():
            self.done_for = today
        return counts.get("attempted", 0) + counts.get("resumed", 0)


daily_autopay = events.follow_up(DailyAutopay())
