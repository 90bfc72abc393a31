"""The gateway's webhook deliveries: what Stripe tells Headend after the fact (an ACH debit that
cleared days later or bounced, a chargeback, a refund that settled).

A delivery is verified (a bad or stale signature: 400, nothing written), stored once per event
id (a replay: 200, nothing done again) and acted on in the same transaction, so a delivery that
fails half-way leaves nothing and Stripe's retry does it whole. Deliveries come in any order:
an event older than the one that last moved a payment never moves it back. A payment stores
its charge's id before the charge is confirmed (`payments.payment_confirm`), so an outcome finds
its payment by that id, even one that comes before the synchronous answer was recorded."""

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from headend.core import clock
from headend.core.errors import Conflict

from . import payments
from .gateway import BadSignature, Event, gateway
from .models import GatewayEvent, Means, Payment, Refund
from .stripe_gateway import charge_of, refund_of

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook_view(request: HttpRequest) -> HttpResponse:
    """Stripe's POST of one event: 400 for a bad signature, else 200 with what was done."""
    try:
        found = gateway()
    except Conflict:
        return JsonResponse({"error": "No payment gateway is configured."}, status=404)
    try:
        event = found.verify_webhook(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except BadSignature as exc:
        logger.warning("webhook refused: %s", exc)
        return JsonResponse({"error": "The signature does not verify."}, status=400)
    return JsonResponse({"received": event.id, "outcome": process(event, gateway_name=found.name)})


@transaction.atomic
def process(event: Event, *, gateway_name: str) -> str:
    """Store a verified event once and act on it; return (and keep) what was done."""
    try:
        with transaction.atomic():
            stored = GatewayEvent.objects.create(
                gateway=gateway_name,
                event_id=event.id,
                type=event.type,
                created=event.created,
                payload=event.payload,
                received_at=clock.now(),
            )
    except IntegrityError:
        return "replay: done before"
    act = HANDLERS.get(event.type)
    outcome = act(event, gateway_name) if act else f"ignored: {event.type} is not acted on"
    stored.outcome = outcome[:300]
    stored.save(update_fields=["outcome"])
    return stored.outcome


def _payment(obj: dict[str, Any], gateway_name: str) -> Payment | None:
    """The payment an intent (or a charge or dispute naming one) is for, locked. Only the
    intent a payment names is ever confirmed: any other (a charge prepared by a process that
    died before naming it) is no payment's."""
    intent_id = obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    if not intent_id:
        return None
    return Payment.objects.select_for_update().filter(gateway=gateway_name, gateway_id=intent_id).first()


def _moved(payment: Payment, event: Event) -> None:
    Payment.objects.filter(pk=payment.pk).update(gateway_updated_at=event.created)


def _stale(payment: Payment, event: Event) -> bool:
    return payment.gateway_updated_at is not None and event.created < payment.gateway_updated_at


def on_intent(event: Event, gateway_name: str) -> str:
    """payment_intent.succeeded / .processing / .payment_failed: the charge's outcome. A failure
    after success is a bounced ACH debit (reversed); for a card it is ignored."""
    payment = _payment(event.object, gateway_name)
    if payment is None:
        return f"no payment for {event.object.get('id')}"
    if _stale(payment, event):
        return f"stale: older than the event that last moved {payment.number}"
    charge = charge_of(event.object)
    if payment.status == Payment.Status.SUCCEEDED and charge.status == "failed":
        if payment.means != Means.ACH:
            return f"ignored: a card payment that succeeded ({payment.number}) is not failed after"
        payments.reverse(payment, reason=f"ACH debit returned: {charge.message}"[:200], key=f"reversal:{payment.pk}")
        _moved(payment, event)
        return f"{payment.number} reversed (ACH returned)"
    before = payment.status
    payment = payments.record_charge(payment=payment, charge=charge, at=event.created)
    if payment.status == before:
        return f"{payment.number} stays {payment.status}"
    _moved(payment, event)
    return f"{payment.number} {payment.status}"


def on_dispute(event: Event, gateway_name: str) -> str:
    """charge.dispute.created: the customer's bank took the money back (a chargeback)."""
    payment = _payment(event.object, gateway_name)
    if payment is None:
        return f"no payment for dispute {event.object.get('id')}"
    if payment.status != Payment.Status.SUCCEEDED:
        return f"ignored: {payment.number} is {payment.status}"
    reason = str(event.object.get("reason") or "disputed").replace("_", " ")
    payments.reverse(payment, reason=f"Chargeback: {reason}"[:200], key=f"reversal:{payment.pk}")
    _moved(payment, event)
    return f"{payment.number} reversed (chargeback)"


def _refund(obj: dict[str, Any]) -> Refund | None:
    key = str((obj.get("metadata") or {}).get("headend_refund") or "")
    found = Refund.objects.filter(gateway_id=obj.get("id")).first() if obj.get("id") else None
    if found is None and key:
        found = Refund.objects.filter(idempotency_key=key).first()
    return found


def on_refund(event: Event, gateway_name: str) -> str:
    """refund.updated / charge.refunded: a refund settled (or failed) at the bank."""
    objects = event.object.get("refunds", {}).get("data", []) if event.type == "charge.refunded" else [event.object]
    outcomes = []
    for obj in objects:
        refund = _refund(obj)
        if refund is None:
            outcomes.append(f"no refund for {obj.get('id')}")
            continue
        if not refund.gateway_id:
            Refund.objects.filter(pk=refund.pk).update(gateway_id=obj.get("id"))
        result = refund_of(obj)
        refund = payments.refund_settle(refund=refund, status=result.status, message=result.message)
        outcomes.append(f"{refund.number} {refund.status}")
    return "; ".join(outcomes) or "no refunds named"


HANDLERS: dict[str, Callable[[Event, str], str]] = {
    "payment_intent.succeeded": on_intent,
    "payment_intent.processing": on_intent,
    "payment_intent.payment_failed": on_intent,
    "charge.dispute.created": on_dispute,
    "charge.refunded": on_refund,
    "refund.updated": on_refund,
}
