"""Payments: recorded by hand (cheque, bank transfer, cash) or charged through the gateway (a
stored card or bank account), reversed (chargeback, bounced ACH), refunded, and invoices
written off. Money moves only here and in `allocation`; only billing staff move it.

A gateway charge is written as a pending payment first, in its own transaction, with the
idempotency key every call for it carries. Then, each step committed before the next: the
gateway prepares a charge (no money moves), the payment stores its id, the gateway confirms
that id (money moves, once), and the outcome is recorded. A process that dies anywhere leaves a
pending payment that `payment_confirm` (or the next autopay pass) finishes without charging
twice, even after the gateway has forgotten the key (see there)."""

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from headend.billing.models import BillingAccount, Invoice, JournalEntry
from headend.billing.standing import OPEN_STATUSES
from headend.core import clock, events
from headend.core.errors import Conflict, ValidationError
from headend.core.numbers import parse_amount
from headend.core.permissions import require

from . import allocation
from .gateway import Charge, ChargeRefused, GatewayError, gateway
from .models import GATEWAY_MEANS, MANUAL_MEANS, Means, Payment, PaymentMethod, Refund, WriteOff

MINIMUM = Decimal("0.01")


def book_of_record() -> None:
    """Refuse money movements when an external biller keeps the book: its side is read-only here."""
    if settings.HEADEND_BILLER != "headend":
        raise Conflict(
            f"Payments are kept by the external biller ({settings.HEADEND_BILLER}); record them there.",
            field="billing_account",
            code="external_biller",
        )


def _headends_own(payment: Payment) -> None:
    if payment.source != "headend":
        raise Conflict(
            f"{payment.number} was recorded by the external biller ({payment.source}): change it there.",
            field="payment",
            code="external_payment",
        )


def _amount(value: Any, *, field: str = "amount") -> Decimal:
    return parse_amount(value, field=field, minimum=MINIMUM, code="invalid_amount")


def _currency(value: Any, payer: BillingAccount) -> str:
    currency = str(value or payer.currency).strip().upper()
    if currency != payer.currency:
        raise ValidationError(
            f"{payer.number} is billed in {payer.currency}; a payment in {currency} cannot pay it.",
            field="currency",
            code="currency_mismatch",
        )
    return currency


def _named(payer: BillingAccount, invoice_ids: Sequence[Any]) -> list[int]:
    """The invoices a payer named, checked: theirs, final and not void."""
    ids: list[int] = []
    for raw in invoice_ids or []:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise ValidationError(f"{raw!r} is not an invoice id.", field="invoices", code="invalid") from None
    found = {invoice.pk: invoice for invoice in Invoice.objects.filter(pk__in=ids)}
    for pk in ids:
        invoice = found.get(pk)
        if invoice is None or invoice.billing_account_id != payer.pk or invoice.kind != Invoice.Kind.INVOICE:
            raise ValidationError(f"Invoice {pk} is not one of {payer.number}'s.", field="invoices", code="not_found")
        if invoice.status == Invoice.Status.VOID:
            raise ValidationError(
                f"{invoice.number} was voided: nothing is owed on it.", field="invoices", code="invoice_void"
            )
        if invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
            raise ValidationError(f"{invoice.number} is already paid.", field="invoices", code="invoice_paid")
    return list(dict.fromkeys(ids))


def _payer(billing_account: BillingAccount) -> BillingAccount:
    payer = BillingAccount.objects.select_for_update().get(pk=billing_account.payer.pk)
    if payer.status != BillingAccount.Status.ACTIVE:
        raise Conflict(f"{payer.number} is closed.", field="billing_account", code="closed")
    return payer


def succeed(payment: Payment, *, at: Any = None) -> Payment:
    """A locked pending payment succeeded: it pays invoices, the rest is credit."""
    payment.check_transition(Payment.Status.SUCCEEDED)
    payment.status, payment.succeeded_at = Payment.Status.SUCCEEDED, at or clock.now()
    payment.save(update_fields=["status", "succeeded_at"])
    rows = allocation.receive(payment)
    events.emit(
        "payment.succeeded",
        subject=payment,
        data={
            "billing_account_id": payment.billing_account_id,
            "amount": str(payment.amount),
            "invoices": [row.invoice_id for row in rows],
        },
    )
    return payment


def fail(payment: Payment, *, message: str) -> Payment:
    payment.check_transition(Payment.Status.FAILED)
    payment.status, payment.failure_message = Payment.Status.FAILED, (message or "Declined")[:300]
    payment.save(update_fields=["status", "failure_message"])
    events.emit(
        "payment.failed",
        subject=payment,
        data={"billing_account_id": payment.billing_account_id, "message": payment.failure_message},
    )
    return payment


@transaction.atomic
def payment_record(
    *,
    billing_account: BillingAccount,
    amount: Any,
    means: str,
    recorded_by: Any,
    reference: str = "",
    received_on: Any = None,
    currency: Any = None,
    invoices: Sequence[Any] = (),
    idempotency_key: str = "",
) -> Payment:
    """Record money received by hand (cheque, bank transfer, cash): it pays the invoices named,
    then the oldest open; the rest is credit. `idempotency_key` (a form's): the same key again
    returns the first payment (a double submit records once)."""
    require(recorded_by, "payment.take")
    book_of_record()
    if idempotency_key:
        existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, billing_account.payer)
    if means not in MANUAL_MEANS:
        raise ValidationError(
            "Record cheques, bank transfers and cash here; cards and ACH go through the gateway.",
            field="means",
            code="invalid_choice",
        )
    payer = _payer(billing_account)
    payment = Payment(
        billing_account=payer,
        means=means,
        amount=_amount(amount),
        currency=_currency(currency, payer),
        reference=(reference or "").strip()[:80],
        received_on=_received_on(received_on),
        named_invoices=_named(payer, invoices),
        status=Payment.Status.PENDING,
        idempotency_key=idempotency_key[:80] or None,
        created_by=recorded_by,
        created_at=clock.now(),
    )
    if means == Means.CHEQUE and not payment.reference:
        raise ValidationError("Give the cheque number.", field="reference", code="required")
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:  # the same form sent twice at the same moment
        return _same_request(Payment.objects.get(idempotency_key=idempotency_key), payer)
    return succeed(payment)


def _received_on(value: Any) -> dt.date:
    today = clock.today()
    if value in (None, ""):
        return today
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError("Give the date as YYYY-MM-DD.", field="received_on", code="invalid") from None
    if day > today:
        raise ValidationError("A payment cannot be received in the future.", field="received_on", code="future")
    return day


# Gateway payments ------------------------------------------------------------------------------


def _method(payer: BillingAccount, payment_method: PaymentMethod | None) -> PaymentMethod:
    if payment_method is None:
        raise ValidationError("Choose a stored card or bank account.", field="payment_method", code="required")
    if payment_method.billing_account_id != payer.pk or payment_method.status != PaymentMethod.Status.ACTIVE:
        raise ValidationError(
            f"That method is not one of {payer.number}'s active methods.", field="payment_method", code="not_found"
        )
    return payment_method


@transaction.atomic
def _pending(
    *,
    billing_account: BillingAccount,
    amount: Any,
    payment_method: PaymentMethod | None,
    taken_by: Any,
    currency: Any,
    invoices: Sequence[Any],
    idempotency_key: str,
    reference: str,
) -> Payment:
    payer = _payer(billing_account)
    method = _method(payer, payment_method)
    existing = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_request(existing, payer)
    payment = Payment(
        billing_account=payer,
        means=Means.CARD if method.kind == "card" else Means.ACH,
        payment_method=method,
        amount=_amount(amount),
        currency=_currency(currency, payer),
        reference=reference[:80],
        received_on=clock.today(),
        named_invoices=_named(payer, invoices),
        status=Payment.Status.PENDING,
        gateway=method.gateway,
        idempotency_key=idempotency_key,
        created_by=taken_by,
        created_at=clock.now(),
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:  # the same key at the same moment: the first request's payment
        return _same_request(Payment.objects.get(idempotency_key=idempotency_key), payer)
    return payment


def _same_request(existing: Payment, payer: BillingAccount) -> Payment:
    """The payment an idempotency key already made, if it was for the same payer."""
    if existing.billing_account_id != payer.pk:
        raise Conflict(
            "That idempotency key was used for another billing account's payment.",
            field="idempotency_key",
            code="key_reused",
        )
    return existing


def payment_take(
    *,
    billing_account: BillingAccount,
    amount: Any,
    payment_method: PaymentMethod | None,
    taken_by: Any,
    currency: Any = None,
    invoices: Sequence[Any] = (),
    idempotency_key: str = "",
    reference: str = "",
) -> Payment:
    """Charge a stored card or bank account through the gateway now (staff on the phone, the
    portal, autopay with its own key). A card's outcome is known at once; ACH stays pending
    until the gateway's webhook says. `idempotency_key`: the same key twice charges once."""
    if taken_by is not None:
        require(taken_by, "payment.take")
    book_of_record()
    payment = _pending(
        billing_account=billing_account,
        amount=amount,
        payment_method=payment_method,
        taken_by=taken_by,
        currency=currency,
        invoices=invoices,
        idempotency_key=idempotency_key or f"payment-{uuid.uuid4()}",
        reference=reference,
    )
    return payment_confirm(payment=payment)


def payment_confirm(*, payment: Payment) -> Payment:
    """Charge a pending gateway payment, or finish a charge a dead process left, and record
    the outcome. A gateway that cannot be reached leaves the payment pending, to ask again.

    Money moves only when the charge the payment names (`gateway_id`, stored and committed
    first) is confirmed, and the gateway confirms a charge once. So a payment without a charge
    gets one prepared and named, then confirmed; a payment that names one asks what it is and
    confirms it only if it never was. If a process died before naming its charge and the
    gateway has since forgotten the key (Stripe: after about 24 hours), the second prepare makes
    a second charge, but only the one the payment names is ever confirmed: the first stays
    unconfirmed and is never charged."""
    method = payment.payment_method
    if payment.status != Payment.Status.PENDING or method is None:
        return payment
    try:
        return _resume(payment, method) if payment.gateway_id else _charge(payment, method)
    except GatewayError as exc:
        Payment.objects.filter(pk=payment.pk).update(failure_message=f"Gateway not reached: {exc}"[:300])
        return Payment.objects.get(pk=payment.pk)


def _charge(payment: Payment, method: PaymentMethod) -> Payment:
    """A pending payment without a charge: prepare one, name it on the payment, confirm it."""
    if method.status != PaymentMethod.Status.ACTIVE:
        return _fail_pending(payment, message=f"{method} was removed before it was charged.")
    try:
        charge_id = gateway().prepare_charge(
            customer=method.gateway_customer,
            token=method.token,
            amount=payment.amount,
            currency=payment.currency,
            description=f"{payment.billing_account.number} {payment.reference or payment.number}",
            idempotency_key=payment.idempotency_key or "",
            metadata={"headend_payment": str(payment.pk), "billing_account": payment.billing_account.number},
        )
    except ChargeRefused as exc:
        return _fail_pending(payment, message=str(exc))
    payment = _name_charge(payment, charge_id)
    if payment.status != Payment.Status.PENDING:
        return payment
    return _confirm(payment)


@transaction.atomic
def _name_charge(payment: Payment, charge_id: str) -> Payment:
    """Store the prepared charge's id on a pending payment, committed before it is confirmed.
    If another process named one meanwhile, that one stays: it is the one confirmed."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == Payment.Status.PENDING and not payment.gateway_id:
        payment.gateway_id = charge_id
        payment.save(update_fields=["gateway_id"])
    return payment


def _resume(payment: Payment, method: PaymentMethod) -> Payment:
    """A pending payment that names its charge: record what the charge is; confirm it only if
    it never was (and its method is still there)."""
    charge = gateway().get_charge(charge_id=payment.gateway_id or "")
    if charge.status != "unconfirmed":
        return record_charge(payment=payment, charge=charge)
    if method.status != PaymentMethod.Status.ACTIVE:
        return _fail_pending(payment, message=f"{method} was removed before it was charged.")
    return _confirm(payment)


def _confirm(payment: Payment) -> Payment:
    """Confirm the charge the payment names (money moves, once) and record the outcome."""
    charge = gateway().confirm_charge(charge_id=payment.gateway_id or "", idempotency_key=payment.idempotency_key or "")
    return record_charge(payment=payment, charge=charge)


@transaction.atomic
def _fail_pending(payment: Payment, *, message: str) -> Payment:
    """Fail a payment that was never charged, if it is still pending."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == Payment.Status.PENDING:
        return fail(payment, message=message)
    return payment


@transaction.atomic
def record_charge(*, payment: Payment, charge: Charge, at: Any = None) -> Payment:
    """What the gateway said of a payment's charge (its answer, or a webhook): once."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if not payment.gateway_id:
        payment.gateway_id = charge.id
        payment.save(update_fields=["gateway_id"])
    if charge.status == "succeeded" and payment.status == Payment.Status.FAILED:
        return succeed(payment, at=at)  # declined first, confirmed with the bank later
    if payment.status != Payment.Status.PENDING:
        return payment
    if charge.status == "succeeded":
        return succeed(payment, at=at)
    if charge.status == "failed":
        return fail(payment, message=charge.message)
    return payment


# Reversals, refunds, write-offs ------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say why.", field="reason", code="required")
    return reason[:200]


def reverse(payment: Payment, *, reason: str, key: str) -> Payment:
    """A locked succeeded payment was taken back by the bank (chargeback, bounced ACH, a
    returned cheque): the invoices it paid are open again and its credit is gone."""
    if payment.status == Payment.Status.REVERSED:
        return payment
    payment.check_transition(Payment.Status.REVERSED)
    from_credit, from_invoices = allocation.take_back(
        payment, payment.amount - payment.refunded_amount, kind="reversal"
    )
    payment.status, payment.reversed_at, payment.reversal_reason = Payment.Status.REVERSED, clock.now(), reason
    payment.save(update_fields=["status", "reversed_at", "reversal_reason", "unapplied_amount"])
    allocation.post_take_back(
        payment,
        key=key,
        kind=JournalEntry.Kind.REVERSAL,
        memo=f"Reversal of {payment.number}: {reason}",
        from_credit=from_credit,
        from_invoices=from_invoices,
    )
    events.emit(
        "payment.reversed",
        subject=payment,
        data={"billing_account_id": payment.billing_account_id, "reason": reason},
    )
    return payment


@transaction.atomic
def payment_reverse(*, payment: Payment, reversed_by: Any, reason: str) -> Payment:
    """Staff record that a payment came back (a bounced cheque, a chargeback letter)."""
    require(reversed_by, "payment.take")
    book_of_record()
    reason = _reason(reason)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    _headends_own(payment)
    if payment.status != Payment.Status.SUCCEEDED:
        raise Conflict(
            f"{payment.number} is {payment.get_status_display().lower()}; only a succeeded payment is reversed.",
            field="status",
            code="invalid_transition",
        )
    return reverse(payment, reason=reason, key=f"reversal:{payment.pk}")


@transaction.atomic
def _refund_pending(*, payment: Payment, amount: Any, reason: str, refunded_by: Any) -> Refund:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    _headends_own(payment)
    amount = _amount(amount)
    if payment.status != Payment.Status.SUCCEEDED:
        raise Conflict(
            f"{payment.number} is {payment.get_status_display().lower()}; only a succeeded payment is refunded.",
            field="payment",
            code="not_refundable",
        )
    pending = sum((refund.amount for refund in payment.refunds.filter(status=Refund.Status.PENDING)), Decimal(0))
    most = payment.amount - payment.refunded_amount - pending
    if amount > most:
        raise ValidationError(
            f"At most {most} {payment.currency} of {payment.number} can be refunded.",
            field="amount",
            code="above_paid",
        )
    return Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason,
        idempotency_key=f"refund-{uuid.uuid4()}",
        created_by=refunded_by,
        created_at=clock.now(),
    )


def refund_create(*, payment: Payment, amount: Any, reason: str, refunded_by: Any) -> Refund:
    """Give money back on a payment, never more than it paid and was not refunded yet: through
    the gateway for a card or ACH payment, by hand (a cheque sent) otherwise. What the refund
    takes comes off the payer's credit from that payment first, then re-opens what it paid."""
    require(refunded_by, "payment.take")
    book_of_record()
    refund = _refund_pending(payment=payment, amount=amount, reason=_reason(reason), refunded_by=refunded_by)
    if payment.means not in GATEWAY_MEANS:
        return refund_settle(refund=refund, status="succeeded")
    try:
        result = gateway().refund(
            charge_id=payment.gateway_id or "",
            amount=refund.amount,
            currency=payment.currency,
            idempotency_key=refund.idempotency_key,
        )
    except GatewayError as exc:
        Refund.objects.filter(pk=refund.pk).update(failure_message=f"Gateway not reached: {exc}"[:300])
        refund.refresh_from_db()
        return refund
    Refund.objects.filter(pk=refund.pk).update(gateway_id=result.id)
    return refund_settle(refund=refund, status=result.status, message=result.message)


@transaction.atomic
def refund_settle(*, refund: Refund, status: str, message: str = "") -> Refund:
    """Record a refund's outcome once: a succeeded one takes its money off the payment."""
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != Refund.Status.PENDING or status not in (Refund.Status.SUCCEEDED, Refund.Status.FAILED):
        return refund
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    if status == Refund.Status.FAILED:
        refund.status, refund.failure_message = Refund.Status.FAILED, message[:300]
        refund.save(update_fields=["status", "failure_message"])
        return refund
    refund.status = Refund.Status.SUCCEEDED
    refund.save(update_fields=["status"])
    memo = f"Refund {refund.number} of {payment.number}: {refund.reason}"
    if payment.status == Payment.Status.REVERSED:
        # The bank took the payment back while this refund was on its way: the money left twice.
        # It is a loss to recover by hand, never a silent gap in the ledger.
        payment.refunded_amount += refund.amount
        payment.save(update_fields=["refunded_amount"])
        allocation.post_loss(payment, refund.amount, key=f"refund:{refund.pk}", memo=f"{memo} (after a reversal)")
        events.emit(
            "refund.after_reversal",
            subject=refund,
            data={"payment_id": payment.pk, "billing_account_id": payment.billing_account_id},
        )
        return refund
    from_credit, from_invoices = allocation.take_back(payment, refund.amount, kind="refund")
    payment.refunded_amount += refund.amount
    payment.save(update_fields=["refunded_amount", "unapplied_amount"])
    allocation.post_take_back(
        payment,
        key=f"refund:{refund.pk}",
        kind=JournalEntry.Kind.REFUND,
        memo=memo,
        from_credit=from_credit,
        from_invoices=from_invoices,
    )
    events.emit(
        "refund.succeeded",
        subject=refund,
        data={"payment_id": payment.pk, "billing_account_id": payment.billing_account_id, "amount": str(refund.amount)},
    )
    return refund


@transaction.atomic
def write_off_create(*, invoice: Invoice, amount: Any, reason: str, written_off_by: Any) -> WriteOff:
    """Give up collecting (part of) what an invoice still owes: posted as bad debt."""
    require(written_off_by, "payment.write_off")
    book_of_record()
    reason = _reason(reason)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
        raise Conflict(f"Nothing is owed on {invoice.display_number}.", field="invoice", code="nothing_owed")
    amount = _amount(amount if amount not in (None, "") else invoice.amount_due)
    if amount > invoice.amount_due:
        raise ValidationError(
            f"{invoice.number} owes {invoice.amount_due}; no more can be written off.",
            field="amount",
            code="above_due",
        )
    write_off = WriteOff.objects.create(
        invoice=invoice, amount=amount, reason=reason, created_by=written_off_by, created_at=clock.now()
    )
    allocation.write_off(
        invoice, amount, key=f"write_off:{write_off.pk}", memo=f"{invoice.number} written off: {reason}"
    )
    events.emit("invoice.written_off", subject=invoice, data={"amount": str(amount), "reason": reason})
    return write_off
